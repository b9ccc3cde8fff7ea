package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/probe/regions"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink/jsonl"
)

func init() {
	register("replay", "run a capture through the probe pipeline and write its tables", runReplay)
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay")
	file := fs.String("r", "", "pcap or pcapng `file` to replay")
	regionsFile := fs.String("regions", "", "micro-region file (regions.yaml format)")
	out := fs.String("out", "", "output `directory` for the tables")
	format := fs.String("format", "jsonl", "table format: jsonl")
	t3212 := fs.Duration("t3212", track.DefaultConfig().T3212, "the network's periodic location update timer")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *file == "":
		return usageError{errors.New("missing -r FILE")}
	case *out == "":
		return usageError{errors.New("missing --out DIR")}
	case *format != "jsonl":
		return usageError{fmt.Errorf("--format %q: want jsonl", *format)}
	}
	cfg := track.DefaultConfig()
	cfg.T3212 = *t3212
	if *regionsFile != "" {
		rf, err := regions.Load(*regionsFile)
		if err != nil {
			return err
		}
		cfg.Regions = rf
	}
	w, err := jsonl.New(*out)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := probe.Replay(ctx, *file, cfg, w)
	fmt.Fprintf(stderr, "replay: packets=%d messages=%d subscribers=%d dwell=%d triggers=%d decode_errors=%d unresolved=%d truncated=%d msgs_per_s=%.0f\n",
		st.Packets, st.Decode.Messages, st.State.Subscribers, st.State.DwellRows, 0, st.Decode.Errors, st.Resolver.Unresolved, st.Truncated, st.MessagesPerSecond())
	return err
}
