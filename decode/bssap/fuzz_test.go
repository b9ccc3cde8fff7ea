package bssap

import "testing"

func FuzzBSSAP(f *testing.F) {
	f.Add([]byte{0x00, 0x04, 0x52, 0x09, 0x00})
	f.Add([]byte{0x01, 0x00, 0x04, 0x05, 0x08, 0x70, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m, d Message
		if err := m.DecodeFromBytes(b); err == nil && len(m.L3) > 0 {
			_ = d.DecodeDTAP(m.L3)
		}
		_ = d.DecodeDTAP(b)
		if m.NCells > MaxCells || d.NCells > MaxCells {
			t.Fatal("cells overflow")
		}
	})
}
