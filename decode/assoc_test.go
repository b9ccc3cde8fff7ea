package decode

import (
	"path/filepath"
	"testing"
)

// TestMultiHomed decodes the multi-homed fixture: a retransmission on the
// alternate path is a duplicate, a message fragmented over both paths is
// reassembled, and both paths and directions of an association share its
// Assoc key, with Dir telling the sender.
func TestMultiHomed(t *testing.T) {
	msgs, s := decodeFile(t, filepath.Join("testdata", "multihomed.pcap"))
	by := map[uint64]*Message{}
	for i := range msgs {
		by[msgs[i].Frame] = &msgs[i]
	}
	for _, f := range []uint64{6, 8, 13} {
		if by[f] != nil {
			t.Errorf("frame %d decoded: it is a retransmission or a first fragment", f)
		}
	}
	if s.Stats.Retransmissions != 2 || s.Stats.Paths != 2 {
		t.Errorf("retransmissions %d, further paths %d; want 2, 2", s.Stats.Retransmissions, s.Stats.Paths)
	}
	for _, tc := range []struct {
		name       string
		from, to   []uint64 // frames sent one way and the other
		notWithAll []uint64 // frames of other associations
	}{
		{"with INIT", []uint64{3, 5, 9}, []uint64{4, 7}, []uint64{10, 14}},
		{"without INIT", []uint64{10}, []uint64{12}, []uint64{3, 14}},
		{"joined", []uint64{16}, []uint64{15, 17}, []uint64{3, 10}},
	} {
		ref := by[tc.from[0]]
		if ref == nil {
			t.Fatalf("%s: frame %d not decoded", tc.name, tc.from[0])
		}
		for _, f := range append(append([]uint64{}, tc.from...), tc.to...) {
			m := by[f]
			if m == nil {
				t.Fatalf("%s: frame %d not decoded", tc.name, f)
			}
			wantDir := ref.Dir
			for _, g := range tc.to {
				if g == f {
					wantDir = 1 - ref.Dir
				}
			}
			if m.Assoc != ref.Assoc || m.Dir != wantDir {
				t.Errorf("%s: frame %d assoc %x dir %d; want %x dir %d", tc.name, f, m.Assoc, m.Dir, ref.Assoc, wantDir)
			}
		}
		for _, f := range tc.notWithAll {
			if by[f].Assoc == ref.Assoc {
				t.Errorf("%s: frame %d of another association has its key", tc.name, f)
			}
		}
	}
	// Frame 14 went first, on the primary path; the HLR's first answer
	// (15) on the alternate one. Frame 16 joins the VLR's direction to the
	// HLR's association, so 14 was reported under another key.
	if by[14].Assoc == by[15].Assoc {
		t.Error("frame 14 has the joined association's key: the fixture no longer races")
	}
}

// TestAssociationRestart: new tags on the same addresses and ports are a new
// association, whose TSNs start afresh; a tag shared by both directions
// still keeps them apart on a known path.
func TestAssociationRestart(t *testing.T) {
	const imsiA, imsiB = "262011111111111", "262012222222222"
	paging := func(imsi string) []byte {
		return udt(addrSSN(bsc, 254), addrSSN(msc, 254), bssmap(0x52, tlvIE(0x08, mobileID(1, imsi)),
			tlvIE(0x1a, cat([]byte{0x05}, u16(0x1001)))))
	}
	frame := func(src, dst [4]byte, tag, tsn uint32, imsi string) []byte {
		return eth(0x0800, ipv4(src, dst, 1, 0x4000, sctpPkt(2905, 2905, tag,
			dataChunk(3, tsn, 1, 0, 3, m3uaData(msc, bsc, 2, 0, paging(imsi))))))
	}
	for _, tc := range []struct {
		name   string
		frames [][]byte
		msgs   int
		retx   uint64
		dirs   []uint8
	}{
		{"restart", [][]byte{
			frame(ipMSC, ipBSC, 0x11, 1, imsiA),
			frame(ipMSC, ipBSC, 0x11, 1, imsiA), // a retransmission
			frame(ipMSC, ipBSC, 0x22, 1, imsiB), // after a restart: new tag, TSNs start again
		}, 2, 1, []uint8{0, 0}},
		{"shared tag", [][]byte{
			frame(ipMSC, ipBSC, 0x33, 10, imsiA),
			frame(ipBSC, ipMSC, 0x33, 10, imsiB), // the other way, same tag and TSN: not a repeat
			frame(ipBSC, ipMSC, 0x33, 10, imsiB), // this one is
		}, 2, 1, []uint8{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStack()
			var msgs []Message
			for i, f := range tc.frames {
				msgs, _ = s.Decode(msgs, LinkType(1), uint64(i+1), 0, f)
			}
			if len(msgs) != tc.msgs || s.Stats.Retransmissions != tc.retx {
				t.Fatalf("%d messages, %d retransmissions; want %d, %d", len(msgs), s.Stats.Retransmissions, tc.msgs, tc.retx)
			}
			for i, d := range tc.dirs {
				if msgs[i].Dir != d || msgs[i].Assoc != msgs[0].Assoc {
					t.Errorf("message %d: assoc %x dir %d; want %x dir %d", i, msgs[i].Assoc, msgs[i].Dir, msgs[0].Assoc, d)
				}
			}
		})
	}
}

// TestFlowTableBound: tags and paths from traffic that never ends (a scan,
// or garbage that passes as SCTP) cannot grow a Stack's memory without
// bound.
func TestFlowTableBound(t *testing.T) {
	s := NewStack()
	var msgs []Message
	for i := range MaxFlows + 1000 {
		src := [4]byte{10, 9, byte(i >> 8), byte(i)}
		pkt := eth(0x0800, ipv4(src, ipMSC, 1, 0x4000, sctpPkt(2905, 2905, uint32(i+1), sackChunk(1))))
		msgs, _ = s.Decode(msgs[:0], LinkType(1), uint64(i+1), 0, pkt)
	}
	if s.Stats.FlowResets == 0 || len(s.assocs.tags) > MaxFlows || len(s.assocs.paths) > MaxFlows {
		t.Fatalf("resets %d, %d tags, %d paths (limit %d)", s.Stats.FlowResets, len(s.assocs.tags), len(s.assocs.paths), MaxFlows)
	}
}
