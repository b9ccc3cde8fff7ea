package sctp

import "testing"

func TestDedup(t *testing.T) {
	var d Dedup
	for _, tc := range []struct {
		tsn  uint32
		seen bool
	}{
		{100, false}, {101, false}, {100, true}, {103, false}, {102, false}, {102, true},
		{103 + window, false}, {103, true}, // fell out of the window: a late repeat
		{104 + window, false}, {104 + window, true},
		{0x80000000, false},                                                      // restart far away
		{0xfffffffe, false}, {0xffffffff, false}, {0, false}, {0xffffffff, true}, // wraps
	} {
		if got := d.Seen(tc.tsn); got != tc.seen {
			t.Fatalf("Seen(%d) = %v, want %v", tc.tsn, got, tc.seen)
		}
	}
}

func TestStream(t *testing.T) {
	frag := func(flags uint8, tsn uint32, p string) *Data {
		return &Data{Flags: flags, TSN: tsn, Payload: []byte(p)}
	}
	var s Stream
	for _, tc := range []struct {
		d    *Data
		out  string
		fail error
	}{
		{frag(2, 10, "ab"), "", nil},
		{frag(0, 11, "cd"), "", nil},
		{frag(1, 12, "ef"), "abcdef", nil},
		{frag(0, 13, "x"), "", ErrReassembly}, // middle without a beginning
		{frag(2, 20, "gh"), "", nil},
		{frag(1, 22, "ij"), "", ErrReassembly}, // gap
	} {
		out, err := s.Add(tc.d)
		if string(out) != tc.out || err != tc.fail {
			t.Fatalf("Add(tsn %d) = %q, %v; want %q, %v", tc.d.TSN, out, err, tc.out, tc.fail)
		}
	}
}

func TestPacketBundling(t *testing.T) {
	b := []byte{0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 7, 0, 0, 0, 0,
		3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, // SACK
		0, 3, 0, 17, 0, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 3, 'a', 0, 0, 0, // DATA, padded
		0, 3, 0, 18, 0, 0, 0, 6, 0, 1, 0, 1, 0, 0, 0, 3, 'b', 'c'}
	var p Packet
	if err := p.DecodeFromBytes(b); err != nil {
		t.Fatal(err)
	}
	if p.NData != 2 || p.NControl != 1 || string(p.Data[1].Payload) != "bc" || p.Data[0].TSN != 5 || p.VTag != 7 {
		t.Fatalf("%+v", p)
	}
	if err := p.DecodeFromBytes(b[:40]); err != ErrChunkLen {
		t.Fatalf("truncated chunk: %v", err)
	}
}
