package decode

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/internal/envtest"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// TestOracleSimulator generates a small city with the simulator (sigprobe
// gen), decodes it and compares every frame with tshark read live.
func TestOracleSimulator(t *testing.T) {
	envtest.Tool(t, "tshark", "the simulator oracle comparison needs it; make test installs it")
	if testing.Short() {
		t.Skip("-short: simulator oracle comparison skipped")
	}
	pcap := simCapture(t, 7, 60)
	msgs, st := decodeFile(t, pcap)
	gold, _ := runTshark(t, pcap, goldenFields)
	n := compareFrames(t, "sim", msgs, gold, goldenKeys)
	live, _ := runTshark(t, pcap, extraFields)
	compareFrames(t, "sim", msgs, live, liveKeys)
	t.Logf("%d frames equal to tshark, %d messages, stats %s", n, len(msgs), summaryStats(st))
}

// simCapture runs the simulator for one day of a town and returns its pcap.
func simCapture(t testing.TB, seed uint64, subscribers int) string {
	t.Helper()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pcap := filepath.Join(dir, "town.pcap")
	cfg := sim.Config{Seed: seed, Subscribers: subscribers, Days: 1, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: filepath.Join(dir, "truth")}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Run(cfg); err != nil {
		t.Fatal(err)
	}
	return pcap
}
