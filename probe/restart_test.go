package probe

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"os"

	"github.com/sigprobe/sigprobe/probe/pcapfile"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// splitPcap writes the packets before cut to a, the rest to b.
func splitPcap(t *testing.T, in, a, b string, cut int64) {
	r, err := pcapfile.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ws [2]*pcapgo.Writer
	for i, p := range []string{a, b} {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ws[i] = pcapgo.NewWriterNanos(f)
		ws[i].WriteFileHeader(65535, layers.LinkTypeEthernet)
	}
	for {
		data, ci, _, err := r.Next()
		if err != nil {
			break
		}
		w := ws[0]
		if ci.Timestamp.UnixNano() >= cut {
			w = ws[1]
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestartKeepsCells stops a replay half-way and continues with the same
// state directory: the second half still knows where everyone was.
func TestRestartKeepsCells(t *testing.T) {
	dir := t.TempDir()
	sc, _ := scenario.Load("")
	start := time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC)
	pcap, truth := filepath.Join(dir, "all.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 33, Subscribers: 1000, Days: 2, Start: start, Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	cut := start.Add(36 * time.Hour)
	first, second := filepath.Join(dir, "first.pcap"), filepath.Join(dir, "second.pcap")
	splitPcap(t, pcap, first, second, cut.UnixNano())
	run := func(file, out, state string) {
		cfg := replayConfig(file, out)
		cfg.Regions, cfg.State.Dir = filepath.Join(truth, "regions.yaml"), state
		replay(t, cfg, Options{})
	}
	state := filepath.Join(dir, "state")
	run(first, filepath.Join(dir, "out1"), state)
	run(second, filepath.Join(dir, "out2"), state)
	run(second, filepath.Join(dir, "cold"), "") // control: no state

	// Dwells that span the cut must keep their true start after the restart.
	type key struct{ imsi, lac, ci string }
	starts := func(out string) map[key][]int64 {
		m := map[key][]int64{}
		for _, r := range readJSONL(t, filepath.Join(out, "dwell.jsonl")) {
			k := key{r["imsi"].(string), strconv.Itoa(int(r["lac"].(float64))), strconv.Itoa(int(r["ci"].(float64)))}
			m[k] = append(m[k], int64(r["start_ts"].(float64)))
		}
		return m
	}
	warm, cold := starts(filepath.Join(dir, "out2")), starts(filepath.Join(dir, "cold"))
	spanning, kept, keptCold := 0, 0, 0
	for _, r := range readCSV(t, filepath.Join(truth, "dwell.csv")) {
		s, _ := strconv.ParseInt(r["start_ts"], 10, 64)
		e, _ := strconv.ParseInt(r["end_ts"], 10, 64)
		// Dwells open at the end stay open with a state directory: no row.
		if s >= cut.Unix()-60 || e <= cut.Unix()+60 || e >= start.Add(48*time.Hour).Unix()-3600 {
			continue
		}
		spanning++
		k := key{r["imsi"], r["lac"], r["ci"]}
		found := false
		for _, x := range warm[k] {
			if x >= s-1 && x <= s+1 {
				kept++
				found = true
				break
			}
		}
		if !found && os.Getenv("DEBUG") != "" && spanning-kept < 4 {
			t.Logf("lost: truth %v, probe starts %v", r, warm[k])
		}
		for _, x := range cold[k] {
			if x >= s-1 && x <= s+1 {
				keptCold++
				break
			}
		}
	}
	t.Logf("%d dwells span the restart: %d keep their start with the state directory, %d without", spanning, kept, keptCold)
	if spanning < 100 || kept*100 < spanning*98 || keptCold > spanning/100 {
		t.Fatalf("restart: %d of %d spanning dwells kept their start (cold: %d)", kept, spanning, keptCold)
	}
}
