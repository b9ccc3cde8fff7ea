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
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/jsonl"
	"github.com/sigprobe/sigprobe/sink/parquet"
)

func init() {
	register("replay", "run a capture through the probe pipeline and write its tables", runReplay)
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay")
	file := fs.String("r", "", "pcap or pcapng `file` to replay")
	regionsFile := fs.String("regions", "", "micro-region file (regions.yaml format)")
	out := fs.String("out", "", "output `directory` for the tables")
	format := fs.String("format", "jsonl", "table format: jsonl or parquet")
	rulesFile := fs.String("rules", "", "trigger rules `file` (see deploy/rules.example.yaml)")
	attrsFile := fs.String("attributes", "", "subscriber attributes CSV for rule filters")
	t3212 := fs.Duration("t3212", track.DefaultConfig().T3212, "the network's periodic location update timer")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *file == "":
		return usageError{errors.New("missing -r FILE")}
	case *out == "":
		return usageError{errors.New("missing --out DIR")}
	case *format != "jsonl" && *format != "parquet":
		return usageError{fmt.Errorf("--format %q: want jsonl or parquet", *format)}
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
	var eng *rules.Engine
	if *rulesFile != "" {
		if cfg.Regions == nil {
			return usageError{errors.New("--rules needs --regions (rules name regions)")}
		}
		names := make([]string, len(cfg.Regions.Regions))
		for i, r := range cfg.Regions.Regions {
			names[i] = r.Name
		}
		set, err := rules.Load(*rulesFile, names)
		if err != nil {
			return err
		}
		var attrs *rules.Attributes
		if *attrsFile != "" {
			if attrs, err = rules.LoadAttributes(*attrsFile); err != nil {
				return err
			}
		}
		consent, err := rules.LoadConsent(set.ConsentFiles())
		if err != nil {
			return err
		}
		eng = rules.New(set, attrs, consent)
	}
	var w sink.Writer
	var err error
	if *format == "parquet" {
		w, err = parquet.New(*out, parquet.Options{})
	} else {
		w, err = jsonl.New(*out)
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := probe.ReplayWithRules(ctx, *file, cfg, eng, w)
	fmt.Fprintf(stderr, "replay: packets=%d messages=%d subscribers=%d dwell=%d triggers=%d decode_errors=%d unresolved=%d truncated=%d msgs_per_s=%.0f\n",
		st.Packets, st.Decode.Messages, st.State.Subscribers, st.State.DwellRows, st.Triggers, st.Decode.Errors, st.Resolver.Unresolved, st.Truncated, st.MessagesPerSecond())
	return err
}
