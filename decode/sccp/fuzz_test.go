package sccp

import "testing"

func FuzzSCCP(f *testing.F) {
	f.Add([]byte{0x09, 0x80, 0x03, 0x05, 0x07, 0x02, 0x42, 0xfe, 0x02, 0x42, 0xfe, 0x02, 0x00, 0x00})
	var r Reassembler
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.DecodeFromBytes(b); err != nil {
			return
		}
		if m.Has&HasSeg != 0 {
			out, err := r.Add(1, m.Seg, m.Data)
			if err == nil && len(out) > MaxReassembled {
				t.Fatalf("reassembled %d bytes", len(out))
			}
		}
	})
}
