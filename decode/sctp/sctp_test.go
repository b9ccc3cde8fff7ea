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
	type step struct {
		d    *Data
		out  string
		fail error
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"in order", []step{{frag(2, 10, "ab"), "", nil}, {frag(0, 11, "cd"), "", nil}, {frag(1, 12, "ef"), "abcdef", nil}}},
		{"end first", []step{{frag(1, 12, "ef"), "", nil}, {frag(0, 11, "cd"), "", nil}, {frag(2, 10, "ab"), "abcdef", nil}}},
		{"middle retransmitted last", []step{{frag(2, 10, "ab"), "", nil}, {frag(1, 12, "ef"), "", nil}, {frag(0, 11, "cd"), "abcdef", nil}}},
		{"two messages interleaved by the network", []step{
			{frag(2, 20, "a"), "", nil}, {frag(2, 22, "c"), "", nil}, {frag(1, 23, "d"), "cd", nil}, {frag(1, 21, "b"), "ab", nil}}},
		{"repeat", []step{{frag(2, 30, "a"), "", nil}, {frag(2, 30, "a"), "", nil}, {frag(1, 31, "b"), "ab", nil}}},
		{"end of the previous message is no beginning", []step{{frag(1, 40, "x"), "", nil}, {frag(1, 42, "z"), "", nil}, {frag(0, 41, "y"), "", nil}}},
		{"lost fragment given up once out of the window", []step{
			{frag(2, 50, "a"), "", nil}, {frag(1, 52, "c"), "", nil}, // 51 never comes
			{frag(2, 50+window, "n"), "", ErrReassembly}, {frag(1, 51+window, "o"), "no", nil}}},
		{"too big", []step{{&Data{Flags: 2, TSN: 60, Payload: make([]byte, MaxMessage)}, "", nil}, {frag(1, 61, "!"), "", ErrTooBig}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Stream
			for _, st := range tc.steps {
				out, err := s.Add(st.d)
				if string(out) != st.out || err != st.fail {
					t.Fatalf("Add(tsn %d) = %q, %v; want %q, %v", st.d.TSN, out, err, st.out, st.fail)
				}
			}
		})
	}
	t.Run("full", func(t *testing.T) {
		var s Stream
		for i := range uint32(MaxFragments) {
			if _, err := s.Add(frag(2, 100+2*i, "b")); err != nil { // beginnings whose ends never come
				t.Fatal(err)
			}
		}
		if _, err := s.Add(frag(2, 1000, "b")); err != ErrReassembly {
			t.Fatalf("fragment %d: %v, want the oldest dropped", MaxFragments+1, err)
		}
		if out, _ := s.Add(frag(1, 1001, "e")); string(out) != "be" {
			t.Fatalf("after dropping: %q", out)
		}
	})
}

// Reassembly in steady state allocates nothing, in order or not.
func TestStreamAllocs(t *testing.T) {
	var s Stream
	tsn := uint32(0)
	p := []byte("0123456789abcdef0123456789abcdef")
	n := testing.AllocsPerRun(1000, func() {
		for _, k := range []uint32{0, 2, 1} {
			fl := uint8(0)
			switch k {
			case 0:
				fl = 2
			case 2:
				fl = 1
			}
			s.Add(&Data{Flags: fl, TSN: tsn + k, Payload: p})
		}
		tsn += 3
	})
	if n != 0 {
		t.Fatalf("%v allocations per message", n)
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
