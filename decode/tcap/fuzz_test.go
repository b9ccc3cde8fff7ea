package tcap

import "testing"

func FuzzTCAP(f *testing.F) {
	f.Add([]byte{0x62, 0x0f, 0x48, 0x01, 0x01, 0x6c, 0x0a, 0xa1, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x04, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		_ = m.DecodeFromBytes(b)
		var out MAP
		for i := 0; i < m.NComp; i++ {
			c := &m.Comp[i]
			for _, op := range []int32{c.Op, 2, 3, 4, 7, 22, 23, 43, 44, 45, 46, 55, 56, 59, 66, 67, 70, 71} {
				_ = DecodeMAP(op, c, &out)
			}
		}
		var comps [MaxComponents]Component
		_, _ = DecodeComponents(b, comps[:])
	})
}
