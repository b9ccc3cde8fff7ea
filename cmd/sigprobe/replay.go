package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"errors"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/exposition"
	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/jsonl"
	"github.com/sigprobe/sigprobe/sink/natsbus"
	"github.com/sigprobe/sigprobe/sink/parquet"
	report "github.com/sigprobe/sigprobe/sink/summary"
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
	natsTo := fs.String("nats", "", "publish triggers to NATS JetStream: `embedded` (a local server under --out) or a nats:// URL")
	metricsAddr := fs.String("metrics", "", "serve Prometheus `address`/metrics while replaying (e.g. 127.0.0.1:9090)")
	wantSummary := fs.Bool("summary", false, "print a short report of regions and triggers to stdout")
	stateDir := fs.String("state", "", "state `directory`: restore subscribers from it at start, save to it at the end (and every 5 min of capture time)")
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
	cfg.StateDir = *stateDir
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
	writers := []sink.Writer{w}
	var pub *natsbus.Publisher
	if *natsTo != "" {
		url := *natsTo
		if url == "embedded" {
			srv, err := natsbus.Embedded(filepath.Join(*out, "nats"), "127.0.0.1:0")
			if err != nil {
				w.Close()
				return fmt.Errorf("embedded NATS: %w", err)
			}
			defer srv.Close()
			url = srv.URL()
		}
		if pub, err = natsbus.NewPublisher(natsbus.Config{URL: url}); err != nil {
			w.Close()
			return fmt.Errorf("NATS %s: %w", url, err)
		}
		writers = append(writers, pub)
	}
	var tally *report.Writer
	if *wantSummary {
		tally = report.New()
		writers = append(writers, tally)
	}
	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			w.Close()
			return fmt.Errorf("--metrics: %w", err)
		}
		srv := &http.Server{Handler: exposition.Handler(false),
			ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := probe.ReplayWithRules(ctx, *file, cfg, eng, sink.Multi(writers...))
	if tally != nil {
		tally.Report(stdout)
	}
	if pub != nil {
		ns := pub.Stats()
		fmt.Fprintf(stdout, "nats: %d triggers published to stream SIGPROBE_TRIGGERS (subjects sigprobe.trigger.<kind>.<region>), %d buffered\n", ns.Published, ns.Buffered)
	}
	fmt.Fprintf(stderr, "replay: packets=%d messages=%d subscribers=%d dwell=%d triggers=%d decode_errors=%d unresolved=%d truncated=%d msgs_per_s=%.0f\n",
		st.Packets, st.Decode.Messages, st.State.Subscribers, st.State.DwellRows, st.Triggers, st.Decode.Errors, st.Resolver.Unresolved, st.Truncated, st.MessagesPerSecond())
	return err
}
