package chdb

import (
	"context"
	"os"

	"github.com/sigprobe/sigprobe/internal/monthtest"
	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink/parquet"
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
		w, err := parquet.New(dir, parquet.Options{})
		if err != nil {
			return err
		}
		_, err = probe.Replay(context.Background(), pcap, track.DefaultConfig(), w)
		return err
	}
}()
