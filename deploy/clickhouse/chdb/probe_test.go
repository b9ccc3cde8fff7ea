package chdb

import (
	"context"
	"log/slog"
	"os"

	"github.com/sigprobe/sigprobe/internal/monthtest"
	"github.com/sigprobe/sigprobe/probe"
)

// The analysis queries run on what the probe wrote: the simulated month's
// capture goes through `sigprobe replay` (probe.Replay) into Parquet, not
// the simulator's truth. SIGPROBE_MONTH_FROM=truth switches back, to tell a
// query's fault from the probe's.
var probeTables = func() monthtest.Probe {
	if os.Getenv("SIGPROBE_MONTH_FROM") == "truth" {
		return nil
	}
	return func(pcap, dir string) error {
		cfg := probe.DefaultConfig()
		cfg.Capture.File, cfg.Output.Dir = pcap, dir
		p, err := probe.Open(cfg, probe.Options{Mode: probe.ModeReplay, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		_, err = p.Run(context.Background())
		return err
	}
}()
