package ident

import "testing"

func TestMobileID(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		typ  uint8
		want string
		tmsi uint32
	}{
		{[]byte{0x29, 0x26, 0x10, 0x21, 0x43, 0x65, 0x87, 0x09}, IDIMSI, "262011234567890", 0},
		{[]byte{0x33, 0x65, 0x39, 0x08, 0x53, 0x46, 0x83, 0x90, 0xf1}, IDIMEISV, "3569380356438091", 0},
		{[]byte{0xf4, 0x1a, 0x2b, 0x3c, 0x4d}, IDTMSI, "", 0x1a2b3c4d},
	} {
		m, err := DecodeMobileID(tc.in)
		if err != nil || m.Type != tc.typ || m.Digits.String() != tc.want || m.TMSI != tc.tmsi {
			t.Errorf("%x: %+v %v", tc.in, m, err)
		}
	}
	if _, err := DecodeMobileID([]byte{0xf4, 1}); err != ErrShort {
		t.Errorf("short TMSI: %v", err)
	}
}

func TestPLMN(t *testing.T) {
	for _, tc := range []struct {
		in       []byte
		mcc, mnc string
	}{
		{[]byte{0x62, 0xf2, 0x10}, "262", "01"},
		{[]byte{0x13, 0x00, 0x62}, "310", "260"},
		{[]byte{0xff, 0xff, 0xff}, "fff", "fff"}, // deleted LAI, as tshark shows it
	} {
		p, _ := DecodePLMN(tc.in)
		if string(p.MCC[:]) != tc.mcc || string(p.MNC[:p.MNCLen]) != tc.mnc {
			t.Errorf("%x: %s/%s", tc.in, p.MCC, p.MNC[:p.MNCLen])
		}
	}
}

func TestAddress(t *testing.T) {
	var d Digits
	if err := d.SetAddress([]byte{0x91, 0x94, 0x71, 0x21, 0x43, 0x65, 0xf7}, false); err != nil || d.String() != "49171234567" {
		t.Errorf("%q %v", d.String(), err)
	}
	if err := d.SetAddress([]byte{0x11, 0x80, 0x94, 0x03}, true); err != nil || d.String() != "4930" {
		t.Errorf("with octet 3a: %q %v", d.String(), err)
	}
}
