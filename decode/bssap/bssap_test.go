package bssap

import (
	"testing"

	"github.com/sigprobe/sigprobe/decode/ident"
)

func TestCellIdentifierForms(t *testing.T) {
	cgi := []byte{0x62, 0xf2, 0x10, 0x10, 0x01, 0x20, 0x01}
	for _, tc := range []struct {
		name string
		v    []byte
		has  uint8
		lac  uint16
		ci   uint16
	}{
		{"CGI", append([]byte{0}, cgi...), ident.HasPLMN | ident.HasLAC | ident.HasCI, 0x1001, 0x2001},
		{"LAC+CI", []byte{1, 0x10, 0x01, 0x20, 0x01}, ident.HasLAC | ident.HasCI, 0x1001, 0x2001},
		{"CI", []byte{2, 0x20, 0x01}, ident.HasCI, 0, 0x2001},
		{"no cell", []byte{3}, 0, 0, 0},
		{"LAI", []byte{4, 0x62, 0xf2, 0x10, 0x10, 0x01}, ident.HasPLMN | ident.HasLAC, 0x1001, 0},
		{"LAC", []byte{5, 0x10, 0x01}, ident.HasLAC, 0x1001, 0},
		{"BSS", []byte{6}, 0, 0, 0},
		{"UTRAN PLMN+LAC+RNC", []byte{8, 0x62, 0xf2, 0x10, 0x10, 0x01, 0x00, 0x07}, ident.HasPLMN | ident.HasLAC, 0x1001, 0},
		{"SAI", append([]byte{11}, cgi...), ident.HasPLMN | ident.HasLAC | ident.HasSAC, 0x1001, 0x2001},
	} {
		c, err := cellID(tc.v)
		if err != nil || c.Has != tc.has || c.LAC != tc.lac || c.CI != tc.ci {
			t.Errorf("%s: %+v %v", tc.name, c, err)
		}
	}
	if _, err := cellID([]byte{0, 1, 2}); err != ErrCell {
		t.Errorf("short CGI: %v", err)
	}
}

func TestCellList(t *testing.T) {
	var m Message
	if err := m.cellList([]byte{1, 0x10, 0x01, 0x20, 0x01, 0x10, 0x02, 0x20, 0x02}); err != nil || m.NCells != 2 || m.Cells[1].CI != 0x2002 {
		t.Fatalf("LAC+CI list: %+v %v", m.Cells[:m.NCells], err)
	}
	m = Message{}
	long := []byte{2}
	for i := 0; i < MaxCells+3; i++ {
		long = append(long, 0, byte(i))
	}
	if err := m.cellList(long); err != nil || m.NCells != MaxCells || m.Has&CellsTruncated == 0 {
		t.Fatalf("long list: %d cells, has %#x, %v", m.NCells, m.Has, err)
	}
}

func TestLooks(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{0, 1, 0x21}, true},
		{[]byte{1, 0, 2, 5, 0x14}, true},
		{[]byte{0, 5, 0x21}, false},
		{[]byte{0x62, 1, 2}, false},
	} {
		if Looks(tc.b) != tc.want {
			t.Errorf("Looks(%x) != %v", tc.b, tc.want)
		}
	}
}
