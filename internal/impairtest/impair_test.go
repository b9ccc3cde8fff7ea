package impairtest

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// day simulates a small town's day and returns the pcap and truth paths.
func day(t *testing.T, subs int) (string, string) {
	t.Helper()
	dir := t.TempDir()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pcap, truth := filepath.Join(dir, "d.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 3, Subscribers: subs, Days: 1, Start: time.Date(2026, 10, 7, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	return pcap, truth
}

type pkt struct {
	ts   int64
	data string
}

func read(t *testing.T, path string) []pkt {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []pkt
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			return out
		}
		out = append(out, pkt{ci.Timestamp.UnixNano(), string(d)})
	}
}

// Each impairment does what it says, and no more.
func TestApply(t *testing.T) {
	pcap, _ := day(t, 40)
	orig := read(t, pcap)
	for _, tc := range []struct {
		name  string
		spec  Spec
		check func(t *testing.T, res *Result, got []pkt)
	}{
		{"none", Spec{}, func(t *testing.T, res *Result, got []pkt) {
			if !slices.Equal(got, orig) {
				t.Fatal("the zero Spec changed the capture")
			}
		}},
		{"loss 10%", Spec{Seed: 1, Loss: 0.1}, func(t *testing.T, res *Result, got []pkt) {
			if r := float64(res.Lost) / float64(res.In); r < 0.08 || r > 0.12 {
				t.Fatalf("lost %.3f of the packets, want about 0.1", r)
			}
			var kept []pkt
			for i, p := range orig {
				if !res.LostFrame(uint64(i + 1)) {
					kept = append(kept, p)
				}
			}
			if !slices.Equal(got, kept) {
				t.Fatal("the survivors are not the input minus the lost frames, in order")
			}
		}},
		{"bursts", Spec{Seed: 2, BurstRate: 0.001, BurstLen: 50}, func(t *testing.T, res *Result, got []pkt) {
			runs, run := 0, 0
			for f := uint64(1); f <= res.In; f++ {
				if res.LostFrame(f) {
					run++
				} else if run > 0 {
					if run < 50 {
						t.Fatalf("a burst of %d < 50 packets", run)
					}
					runs, run = runs+1, 0
				}
			}
			if runs == 0 || uint64(len(got)) != res.In-res.Lost {
				t.Fatalf("%d bursts, %d packets out of %d in, %d lost", runs, len(got), res.In, res.Lost)
			}
		}},
		{"duplicates 5%", Spec{Seed: 3, Dup: 0.05}, func(t *testing.T, res *Result, got []pkt) {
			if r := float64(res.Duplicated) / float64(res.In); r < 0.04 || r > 0.06 || uint64(len(got)) != res.In+res.Duplicated {
				t.Fatalf("%d duplicated of %d, %d out", res.Duplicated, res.In, len(got))
			}
			seen := map[string]int{}
			for _, p := range got {
				seen[p.data]++
			}
			for _, p := range orig {
				if seen[p.data] == 0 {
					t.Fatal("a packet went missing")
				}
			}
		}},
		{"reorder 50ms", Spec{Seed: 4, Reorder: 50 * time.Millisecond}, func(t *testing.T, res *Result, got []pkt) {
			back, maxBack := 0, int64(0)
			for i := 1; i < len(got); i++ {
				if d := got[i-1].ts - got[i].ts; d > 0 {
					back++
					maxBack = max(maxBack, d)
				}
			}
			if back == 0 || maxBack > int64(50*time.Millisecond) {
				t.Fatalf("%d packets written before older ones, at most %v: want some, within 50ms", back, time.Duration(maxBack))
			}
			// Sorted by timestamp (and content, for the few packets
			// stamped alike), the packets are the input.
			byTime := func(a, b pkt) int {
				if a.ts != b.ts {
					return cmp.Compare(a.ts, b.ts)
				}
				return strings.Compare(a.data, b.data)
			}
			want, sorted := slices.Clone(orig), slices.Clone(got)
			slices.SortFunc(want, byTime)
			slices.SortFunc(sorted, byTime)
			if !slices.Equal(sorted, want) {
				t.Fatal("sorted by timestamp, the packets are not the input")
			}
		}},
		{"reorder per link", Spec{Seed: 5, Reorder: 50 * time.Millisecond, PerLink: true}, func(t *testing.T, res *Result, got []pkt) {
			last := map[uint64]int64{}
			back := 0
			for i, p := range got {
				k := linkKey([]byte(p.data))
				if p.ts < last[k] {
					t.Fatalf("packet %d overtook another of its link", i)
				}
				last[k] = p.ts
				if i > 0 && got[i-1].ts > p.ts {
					back++
				}
			}
			if back == 0 {
				t.Fatal("no link overtook another")
			}
		}},
		{"clock jump", Spec{Jump: 365 * 24 * time.Hour, JumpFrames: []uint64{100}}, func(t *testing.T, res *Result, got []pkt) {
			if res.Jumped != 1 || got[99].ts-orig[99].ts != int64(365*24*time.Hour) || got[100] != orig[100] {
				t.Fatal("frame 100 not shifted by a year, or others touched")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out.pcap")
			res, err := Apply(pcap, dst, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if res.In != uint64(len(orig)) {
				t.Fatalf("read %d packets, the capture has %d", res.In, len(orig))
			}
			tc.check(t, res, read(t, dst))
		})
	}
}

// Without loss the bound is the truth itself: the recomputation follows
// the simulator's rule exactly. With loss it can only lose intervals.
func TestBound(t *testing.T) {
	pcap, truth := day(t, 200)
	want, err := ReadDwell(truth)
	if err != nil {
		t.Fatal(err)
	}
	pk := read(t, pcap)
	end := pk[len(pk)-1].ts
	b, err := Bound(truth, func(uint64) bool { return false }, 2*time.Hour, end)
	if err != nil {
		t.Fatal(err)
	}
	if n := Matched(want, b); n != len(want) || len(b) != len(want) {
		t.Fatalf("no loss: the bound reproduces %d of %d truth intervals (%d computed)", n, len(want), len(b))
	}
	res, err := Apply(pcap, filepath.Join(t.TempDir(), "l.pcap"), Spec{Seed: 9, Loss: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	b, err = Bound(truth, res.LostFrame, 2*time.Hour, end)
	if err != nil {
		t.Fatal(err)
	}
	s := Share(want, b)
	t.Logf("1%% loss: bound %.4f", s)
	if s >= 1 || s < 0.9 {
		t.Fatalf("1%% loss: bound %.4f, want a little under 1", s)
	}
}
