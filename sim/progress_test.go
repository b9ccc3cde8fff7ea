package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sim/scenario"
)

// Config.Progress sees simulated time rise to Days×24h, about once a
// simulated minute, and watching changes nothing in the output.
func TestProgress(t *testing.T) {
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	var seen []time.Duration
	dir := t.TempDir()
	cfg := Config{Seed: 5, Subscribers: 150, Days: 1, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Scenario: sc,
		PCAP: filepath.Join(dir, "a.pcap"), TruthDir: filepath.Join(dir, "truth"),
		Progress: func(d time.Duration) { seen = append(seen, d) }}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 100 || len(seen) > 24*60+1 {
		t.Fatalf("%d progress calls for a simulated day, want one per simulated minute with events", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] || seen[i-1] > 24*time.Hour {
			t.Fatalf("call %d: %v after %v", i, seen[i], seen[i-1])
		}
		if i < len(seen)-1 && seen[i]-seen[i-1] < time.Minute {
			t.Fatalf("calls %d and %d only %v apart", i-1, i, seen[i]-seen[i-1])
		}
	}
	if last := seen[len(seen)-1]; last != 24*time.Hour {
		t.Errorf("last call %v, want 24h", last)
	}
	other := generate(t.TempDir(), 150, 1, 5)
	if other.err != nil {
		t.Fatal(other.err)
	}
	a, _ := os.ReadFile(cfg.PCAP)
	b, _ := os.ReadFile(other.pcap)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the capture differs with a progress callback")
	}
}
