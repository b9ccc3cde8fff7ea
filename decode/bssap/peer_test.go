package bssap

import "testing"

// TestCCCauseAndSMSPeer: the CC cause of a clearing message and the peer
// number of a short message (TP-DA of an SMS-SUBMIT, TP-OA of an
// SMS-DELIVER), which the tracking engine reports in the events table.
func TestCCCauseAndSMSPeer(t *testing.T) {
	// TP address 999801234567: 12 digits, international, semi-octets.
	tpAddr := []byte{12, 0x91, 0x99, 0x89, 0x10, 0x32, 0x54, 0x76}
	// RP-DA / RP-OA: the service centre 99970 930 0001.
	smsc := []byte{7, 0x91, 0x99, 0x79, 0x90, 0x03, 0x00, 0xf1}
	submit := append(append([]byte{0x11, 0x05}, tpAddr...), 0x00, 0x00, 0xa7, 0x01, 0x31)
	deliver := append(append([]byte{0x04}, tpAddr...), 0x00, 0x00, 0x62, 0x01, 0x01, 0x21, 0x43, 0x65, 0x00, 0x01, 0x31)
	rpMO := append(append([]byte{0x00, 0x05, 0x00}, smsc...), byte(len(submit)))
	rpMO = append(rpMO, submit...)
	rpMT := append(append([]byte{0x01, 0x06}, smsc...), 0x00, byte(len(deliver)))
	rpMT = append(rpMT, deliver...)
	cp := func(rp []byte) []byte { return append([]byte{0x09, 0x01, byte(len(rp))}, rp...) }
	for _, tc := range []struct {
		name  string
		l3    []byte
		cause uint16 // 0: none
		peer  string
	}{
		{"disconnect busy", []byte{0x83, 0x25, 0x02, 0xe2, 0x80 | 17}, 17, ""},
		{"disconnect with octet 3a", []byte{0x03, 0x25, 0x03, 0x62, 0x80, 0x80 | 19}, 19, ""},
		{"release cause IE", []byte{0x83, 0x2d, 0x08, 0x02, 0xe2, 0x80 | 16}, 16, ""},
		{"release complete without cause", []byte{0x03, 0x2a}, 0, ""},
		{"MO SMS", cp(rpMO), 0, "999801234567"},
		{"MT SMS", cp(rpMT), 0, "999801234567"},
		{"RP-ACK has no peer", cp([]byte{0x02, 0x05}), 0, ""},
		{"truncated TP-DA", cp(append(append([]byte{0x00, 0x05, 0x00}, smsc...), 4, 0x11, 0x05, 12, 0x91)), 0, ""},
	} {
		var m Message
		if err := m.DecodeDTAP(tc.l3); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := m.Cause; (m.Has&HasCause != 0) != (tc.cause != 0) || got != tc.cause {
			t.Errorf("%s: cause %d (has %v), want %d", tc.name, got, m.Has&HasCause != 0, tc.cause)
		}
		if got := m.TPAddr.String(); got != tc.peer {
			t.Errorf("%s: peer %q, want %q", tc.name, got, tc.peer)
		}
	}
}
