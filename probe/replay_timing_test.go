package probe

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
)

type discard struct{ rows uint64 }

func (d *discard) Write(b *sink.Batch) error { d.rows += uint64(b.Len()); return nil }
func (d *discard) Close() error              { return nil }

// BenchmarkReplay runs a simulated day of 5,000 subscribers through the
// whole pipeline (read, decode, resolve, track) into a discarding sink.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	sc, _ := scenario.Load("")
	pcap, truth := filepath.Join(dir, "day.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 8, Subscribers: 5000, Days: 1, Start: time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		b.Fatal(err)
	}
	if st, err := os.Stat(pcap); err == nil {
		b.SetBytes(st.Size())
	}
	cfg := DefaultConfig()
	cfg.Capture.File, cfg.Output.Dir, cfg.Regions = pcap, Off, filepath.Join(truth, "regions.yaml")
	var msgs uint64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st := replay(b, cfg, Options{Extra: []NamedWriter{{"discard", &discard{}}}})
		msgs += st.Decode.Messages
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
}
