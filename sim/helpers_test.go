package sim

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sim/scenario"
)

// run is one generated capture shared by the tests of this package.
type run struct {
	pcap, truth string
	stats       Stats
	err         error
}

var (
	smallOnce sync.Once
	small     run
)

// smallRun simulates 300 subscribers for two days (a weekday and a weekend
// day would need more; two weekdays cover every procedure).
func smallRun(t testing.TB) run {
	t.Helper()
	smallOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sigprobe-sim-*")
		if err != nil {
			small.err = err
			return
		}
		small = generate(dir, 300, 2, 7)
	})
	if small.err != nil {
		t.Fatal(small.err)
	}
	return small
}

func generate(dir string, subs, days int, seed uint64) run {
	sc, err := scenario.Load("")
	if err != nil {
		return run{err: err}
	}
	r := run{pcap: filepath.Join(dir, "sim.pcap"), truth: filepath.Join(dir, "truth")}
	r.stats, r.err = Run(Config{Seed: seed, Subscribers: subs, Days: days,
		Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Scenario: sc, PCAP: r.pcap, TruthDir: r.truth})
	return r
}

// readCSV returns the rows of a truth file as maps keyed by the header.
func readCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := make([]map[string]string, 0, len(recs))
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(rec))
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}
