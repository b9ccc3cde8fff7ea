package m3ua

import "testing"

func FuzzM3UA(f *testing.F) {
	f.Add([]byte{1, 0, 1, 1, 0, 0, 0, 24, 2, 16, 0, 16, 0, 0, 0, 1, 0, 0, 0, 2, 3, 2, 0, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m M3UA
		if err := m.DecodeFromBytes(b); err == nil && len(m.Data) > len(b) {
			t.Fatal("data beyond input")
		}
		var p M2PA
		_ = p.DecodeFromBytes(b)
		var u PDU
		_ = DecodeMTP3(b, &u)
	})
}
