package decode

import "testing"

// TestResetBase guards resetBase's shortcut: after it, base must equal a
// fresh record but for frame, time, association and direction, whatever
// mtpUser and sccpMsg had set.
func TestResetBase(t *testing.T) {
	s := NewStack()
	for _, path := range fixtureFiles() {
		for i, p := range readCapture(t, path) {
			s.Decode(nil, p.lt, uint64(i+1), p.ts, p.data)
			s.resetBase(7, 1)
			want := Message{Frame: s.base.Frame, TsNs: s.base.TsNs, Assoc: 7, Dir: 1}
			if s.base != want {
				t.Fatalf("%s frame %d: base not clean after reset: %+v", path, i+1, s.base)
			}
		}
	}
}
