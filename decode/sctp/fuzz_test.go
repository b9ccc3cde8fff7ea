package sctp

import "testing"

func FuzzSCTP(f *testing.F) {
	f.Add([]byte{0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3, 0, 20, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		var d Dedup
		var s Stream
		if err := p.DecodeFromBytes(b); err != nil && p.NData == 0 {
			return
		}
		for i := 0; i < p.NData; i++ {
			c := &p.Data[i]
			if d.Seen(c.TSN) {
				continue
			}
			if msg, err := s.Add(c); err == nil && len(msg) > MaxMessage {
				t.Fatalf("message of %d bytes", len(msg))
			}
		}
	})
}
