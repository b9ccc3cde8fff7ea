package decode

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/sigprobe/sigprobe/decode/sctp"
)

// decodeFileWith decodes a capture with a fresh Stack set up by setup.
func decodeFileWith(t testing.TB, path string, setup func(*Stack)) ([]Message, *Stack) {
	s := NewStack()
	setup(s)
	var msgs []Message
	for i, p := range readCapture(t, path) {
		msgs, _ = s.Decode(msgs, p.lt, uint64(i+1), p.ts, p.data)
	}
	return msgs, s
}

func reasonCount(s *Stats, err error) uint64 {
	var n uint64
	s.ForEachError(func(r error, c uint64) {
		if r == err {
			n = c
		}
	})
	return n
}

// TestChecksumSwitch decodes the checksums fixture with verification on
// (the default) and off.
func TestChecksumSwitch(t *testing.T) {
	path := filepath.Join("testdata", "checksums.pcap")
	for _, tc := range []struct {
		name               string
		verify             bool
		frames             []uint64
		bad, zero, crc, ip uint64
	}{
		{"verify", true, []uint64{1, 5}, 3, 1, 2, 1},
		{"offloaded", false, []uint64{1, 2, 3, 4, 5}, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, s := decodeFileWith(t, path, func(s *Stack) { s.VerifyChecksum = tc.verify })
			var frames []uint64
			for i := range msgs {
				frames = append(frames, msgs[i].Frame)
			}
			if len(frames) != len(tc.frames) {
				t.Fatalf("messages from frames %v, want %v", frames, tc.frames)
			}
			for i := range frames {
				if frames[i] != tc.frames[i] {
					t.Fatalf("messages from frames %v, want %v", frames, tc.frames)
				}
			}
			st := &s.Stats
			if st.BadChecksums != tc.bad || st.ZeroChecksums != tc.zero ||
				reasonCount(st, sctp.ErrChecksum) != tc.crc || reasonCount(st, ErrIPChecksum) != tc.ip {
				t.Fatalf("bad %d zero %d crc %d ip %d; want %d %d %d %d", st.BadChecksums, st.ZeroChecksums,
					reasonCount(st, sctp.ErrChecksum), reasonCount(st, ErrIPChecksum), tc.bad, tc.zero, tc.crc, tc.ip)
			}
			if tc.verify && (st.ByLayer[LayerSCTP] != 2 || st.ByLayer[LayerIP] != 1) {
				t.Fatalf("errors by layer %v", st.ByLayer)
			}
		})
	}
}

// TestChecksumSharedCaptures measures how the real captures fare: how many
// SCTP packets carry a wrong or an all-zero CRC32c. tshark 4.0 with
// -o sctp.checksum:CRC-32C reports every one of them good, so any count
// here is a decoder bug.
func TestChecksumSharedCaptures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedCaptures(t), "*.pcap"))
	if len(files) == 0 {
		t.Skip("no shared captures")
	}
	for _, path := range files {
		_, s := decodeFile(t, path)
		t.Logf("%s: %d packets, %d bad checksums (%d all-zero)", filepath.Base(path), s.Stats.Packets,
			s.Stats.BadChecksums, s.Stats.ZeroChecksums)
		if s.Stats.BadChecksums != 0 {
			t.Errorf("%s: %d packets fail their checksum, tshark finds none", filepath.Base(path), s.Stats.BadChecksums)
		}
	}
}

// TestCorruptedCaptureNoPhantoms corrupts one random byte of the IP header
// or SCTP packet in 5 % of a simulated day's packets, as the outside tests
// did. With verification nothing decoded from the corrupted capture may be
// new: every message equals one decoded from the clean capture (so no
// subscriber appears that is not in the network). Without it, made-up
// identities do appear, which shows the test can tell.
func TestCorruptedCaptureNoPhantoms(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulated day skipped")
	}
	pkts := readCapture(t, simCapture(t, 5, 60))
	clean := map[Message]bool{}
	imsis := map[string]bool{}
	s := NewStack()
	var msgs []Message
	for i, p := range pkts {
		msgs, _ = s.Decode(msgs[:0], p.lt, uint64(i+1), p.ts, p.data)
		for j := range msgs {
			clean[msgs[j]] = true
			imsis[msgs[j].IMSI.String()] = true
		}
	}
	if s.Stats.BadChecksums != 0 {
		t.Fatalf("the simulator wrote %d packets with a wrong checksum", s.Stats.BadChecksums)
	}
	r := rand.New(rand.NewPCG(5, 14))
	corrupted := 0
	for i := range pkts {
		l := sctpLayout(pkts[i], i)
		if !l.ok || r.IntN(100) >= 5 {
			continue
		}
		ipStart := l.span.from - 20 // the simulator writes option-less IPv4
		b := append([]byte(nil), pkts[i].data...)
		off := ipStart + r.IntN(l.span.to-ipStart)
		b[off] ^= byte(1 + r.IntN(255))
		pkts[i].data = b
		corrupted++
	}
	for _, verify := range []bool{true, false} {
		s := NewStack()
		s.VerifyChecksum = verify
		novel, phantoms := 0, map[string]bool{}
		for i, p := range pkts {
			msgs, _ = s.Decode(msgs[:0], p.lt, uint64(i+1), p.ts, p.data)
			for j := range msgs {
				if !clean[msgs[j]] {
					novel++
				}
				if id := msgs[j].IMSI.String(); !imsis[id] {
					phantoms[id] = true
				}
			}
		}
		t.Logf("verify=%v: %d of %d packets corrupted, %d bad checksums, %d messages not in the clean decode, %d phantom IMSIs",
			verify, corrupted, len(pkts), s.Stats.BadChecksums, novel, len(phantoms))
		if verify {
			if novel != 0 || len(phantoms) != 0 {
				t.Errorf("with verification: %d novel messages, %d phantom IMSIs", novel, len(phantoms))
			}
			// A corrupted byte in the IP header's TTL or ID is still
			// caught by the header checksum; one in the length fields may
			// instead make the packet unreadable before any checksum.
			if s.Stats.BadChecksums < uint64(corrupted)*9/10 {
				t.Errorf("%d bad checksums for %d corrupted packets", s.Stats.BadChecksums, corrupted)
			}
		} else if len(phantoms) == 0 {
			t.Error("without verification no phantom IMSI appeared: the corruption does not test anything")
		}
	}
}

// BenchmarkChecksumSim measures the SCTP CRC32c check alone over the
// packets of a simulated day (ns/op is per packet; the simulator's
// packets average ~134 bytes of IP payload).
func BenchmarkChecksumSim(b *testing.B) {
	r := newReplay(b, []string{simCapture(b, 1, 100)})
	var pkts [][]byte
	var n int64
	for _, s := range r.sums {
		if len(s.spans) == 1 {
			sp := s.spans[0]
			pkts = append(pkts, r.pkts[sp.pkt].data[sp.from:sp.to])
			n += int64(sp.to - sp.from)
		}
	}
	b.SetBytes(n / int64(len(pkts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !sctp.ChecksumOK(pkts[i%len(pkts)]) {
			b.Fatal("bad checksum in the simulated capture")
		}
	}
}
