package sctp

import "testing"

func FuzzSCTP(f *testing.F) {
	f.Add([]byte{0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3, 0, 20, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4})
	// INIT, INIT ACK (with a cookie) and an ABORT with the T bit.
	f.Add([]byte{0x9c, 0x41, 0x0b, 0x59, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 20, 0xa1, 0xa1, 0xa1, 0xa1, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 101})
	f.Add([]byte{0x0b, 0x59, 0x9c, 0x41, 0xa1, 0xa1, 0xa1, 0xa1, 0, 0, 0, 0, 2, 0, 0, 32, 0xb2, 0xb2, 0xb2, 0xb2, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 1, 0xf5,
		0, 7, 0, 12, 'c', 'o', 'o', 'k', 'i', 'e', '!', '!'})
	f.Add([]byte{0x0b, 0x59, 0x9c, 0x41, 0xb2, 0xb2, 0xb2, 0xb2, 0, 0, 0, 0, 6, 1, 0, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		var d Dedup
		var s Stream
		ChecksumOK(b)
		if err := p.DecodeFromBytes(b); err != nil && p.NData == 0 {
			return
		}
		if p.Init != 0 && p.Init != ChunkINIT && p.Init != ChunkINITACK {
			t.Fatalf("Init = %d", p.Init)
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
