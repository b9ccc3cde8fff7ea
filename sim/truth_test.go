package sim

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

type interval struct {
	lac, ci    string
	start, end int64
}

func intervals(t *testing.T, path string) map[string][]interval {
	out := map[string][]interval{}
	for _, r := range readCSV(t, path) {
		s, _ := strconv.ParseInt(r["start_ts"], 10, 64)
		e, _ := strconv.ParseInt(r["end_ts"], 10, 64)
		out[r["imsi"]] = append(out[r["imsi"]], interval{r["lac"], r["ci"], s, e})
	}
	for _, iv := range out {
		slices.SortFunc(iv, func(a, b interval) int { return int(a.start - b.start) })
	}
	return out
}

// TestTruthConsistent checks the ground truth against itself over three weeks.
func TestTruthConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("three simulated weeks; skipped with -short")
	}
	r := generate(t.TempDir(), 600, 21, 11)
	if r.err != nil {
		t.Fatal(r.err)
	}
	sc, _ := scenario.Load("")
	subs := readCSV(t, filepath.Join(r.truth, "subscribers.csv"))
	dwell := intervals(t, filepath.Join(r.truth, "dwell.csv"))
	loc := intervals(t, filepath.Join(r.truth, "location.csv"))
	rf, err := regions.Load(filepath.Join(r.truth, "regions.yaml"))
	if err != nil {
		t.Fatalf("regions.yaml does not load: %v", err)
	}
	inRegion := map[string]map[string]bool{} // region -> "lac-ci"
	for _, rg := range rf.Regions {
		inRegion[rg.Name] = map[string]bool{}
		for _, c := range rg.Cells {
			inRegion[rg.Name][strconv.Itoa(int(c.LAC))+"-"+strconv.Itoa(int(c.CI))] = true
		}
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Unix()
	end := start + 21*86400

	t.Run("intervals never overlap", func(t *testing.T) {
		for name, m := range map[string]map[string][]interval{"dwell": dwell, "location": loc} {
			for imsi, iv := range m {
				for k, x := range iv {
					if x.end < x.start || x.start < start || x.end > end {
						t.Fatalf("%s %s: interval %v outside the capture or reversed", name, imsi, x)
					}
					if k > 0 && iv[k-1].end > x.start {
						t.Fatalf("%s %s: %v overlaps %v", name, imsi, iv[k-1], x)
					}
				}
			}
		}
	})

	t.Run("dwell starts where the phone is", func(t *testing.T) {
		// A dwell starts with the subscriber's first message from a cell, so the
		// phone really is in that cell then (location.csv).
		total, bad := 0, 0
		for imsi, iv := range dwell {
			for _, d := range iv {
				total++
				l := loc[imsi]
				k, _ := slices.BinarySearchFunc(l, d.start+1, func(a interval, ts int64) int { return int(a.start - ts) })
				if k == 0 || l[k-1].end < d.start || l[k-1].lac != d.lac || l[k-1].ci != d.ci {
					bad++
					if bad < 6 && os.Getenv("DEBUG") != "" {
						t.Logf("%s dwell %v; location around: %v", imsi, d, l[max(0, k-2):min(len(l), k+1)])
					}
				}
			}
		}
		if total == 0 || bad*1000 > total {
			t.Fatalf("%d of %d dwell intervals start in a cell where location.csv does not put the phone", bad, total)
		}
		t.Logf("%d dwell intervals; %d start within a second of a location change", total, bad)
	})

	t.Run("members are in their region on most working days", func(t *testing.T) {
		for _, s := range subs {
			if s["role"] != "member" {
				continue
			}
			var g scenario.Group
			for _, gc := range sc.Groups {
				if gc.Name == s["group"] {
					g = gc
				}
			}
			mask, _ := regions.ParseWeekdays(g.Workdays)
			ws, _ := scenario.ParseClock(g.Start)
			we, _ := scenario.ParseClock(g.End)
			workdays, present := 0, 0
			for d := int64(0); d < 21; d++ {
				day := start + d*86400
				if mask&(1<<time.Unix(day, 0).UTC().Weekday()) == 0 {
					continue
				}
				workdays++
				from, to := day+int64(ws.Seconds()), day+int64(we.Seconds())
				var secs int64
				for _, x := range loc[s["imsi"]] {
					if inRegion[g.Region][x.lac+"-"+x.ci] {
						secs += max(0, min(x.end, to)-max(x.start, from))
					}
				}
				if secs >= 3600 {
					present++
				}
			}
			if present*2 <= workdays {
				t.Errorf("member %s of %s is in %s on %d of %d working days", s["imsi"], g.Name, g.Region, present, workdays)
			}
		}
	})

	t.Run("roamers carry foreign PLMNs", func(t *testing.T) {
		home := sc.PLMN.MCC + sc.PLMN.MNC
		for _, s := range subs {
			plmn := s["home_mcc"] + s["home_mnc"]
			if s["imsi"][:len(plmn)] != plmn {
				t.Fatalf("%s: IMSI does not start with its home PLMN %s", s["imsi"], plmn)
			}
			if (s["role"] == "roamer") != (plmn != home) {
				t.Fatalf("%s: role %s with home PLMN %s", s["imsi"], s["role"], plmn)
			}
		}
	})

	t.Run("card farm switches on together in one cell", func(t *testing.T) {
		var first []interval
		for _, s := range subs {
			if s["role"] == "cardfarm" && len(loc[s["imsi"]]) > 0 {
				first = append(first, loc[s["imsi"]][0])
			}
		}
		if len(first) != sc.Population.CardFarm.SIMs {
			t.Fatalf("%d card-farm SIMs switched on, want %d", len(first), sc.Population.CardFarm.SIMs)
		}
		for _, x := range first {
			if x.lac != first[0].lac || x.ci != first[0].ci || abs(x.start-first[0].start) > 600 {
				t.Fatalf("card-farm SIM on at %v, first one at %v", x, first[0])
			}
		}
	})
}

func abs(x int64) int64 { return max(x, -x) }

// TestDeterministic: one seed, one capture, byte for byte; another seed differs.
func TestDeterministic(t *testing.T) {
	sum := func(seed uint64) [3][32]byte {
		r := generate(t.TempDir(), 150, 1, seed)
		if r.err != nil {
			t.Fatal(r.err)
		}
		var out [3][32]byte
		for k, p := range []string{r.pcap, filepath.Join(r.truth, "messages.csv"), filepath.Join(r.truth, "dwell.csv")} {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = sha256.Sum256(b)
		}
		return out
	}
	a, b, c := sum(5), sum(5), sum(6)
	if a != b {
		t.Fatal("the same seed gave different output")
	}
	if bytes.Equal(a[0][:], c[0][:]) {
		t.Fatal("different seeds gave the same capture")
	}
}

// BenchmarkGenerate measures end-to-end generation (capture and truth
// streamed to disk) in messages per second.
func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	var msgs uint64
	b.ReportAllocs()
	for b.Loop() {
		r := generate(dir, 5000, 1, 3)
		if r.err != nil {
			b.Fatal(r.err)
		}
		msgs += r.stats.Messages
		b.SetBytes(int64(r.stats.Bytes))
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
}
