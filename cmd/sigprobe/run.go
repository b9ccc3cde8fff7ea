package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sigprobe/sigprobe/internal/exposition"
	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/probe/capture"
)

func init() {
	register("run", "capture live from tap interfaces and run the probe pipeline", runRun)
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run")
	config := fs.String("config", "", "configuration `file` (see deploy/sigprobe.example.yaml); flags override it")
	var ifaces listFlag
	fs.Var(&ifaces, "i", "`interface` to capture on (repeat for several)")
	def := probe.DefaultConfig()
	out := fs.String("out", "", "output `directory` for the tables (none: tables are not written)")
	format := fs.String("format", def.Output.Format, "table format: jsonl or parquet")
	messages := fs.String("messages", "", "also write every decoded message as a JSON line (as `sigprobe decode`) to `file` (- for stdout)")
	regionsFile := fs.String("regions", "", "micro-region file (regions.yaml format)")
	rulesFile := fs.String("rules", "", "trigger rules `file` (see deploy/rules.example.yaml)")
	attrsFile := fs.String("attributes", "", "subscriber attributes CSV for rule filters")
	t3212 := fs.Duration("t3212", def.T3212, "the network's periodic location update timer")
	workers := fs.Int("workers", 0, "capture workers (default: one per core)")
	blockSize := fs.Int("block-size", 0, "ring block size in `bytes` (default 1 MiB)")
	numBlocks := fs.Int("blocks", 0, "ring blocks per socket (default 64)")
	ebpf := fs.String("ebpf", def.Capture.EBPF, "eBPF filter and fanout: auto, require or off")
	metricsAddr := fs.String("metrics", def.Metrics.Listen, "`address` of the Prometheus /metrics endpoint, or off")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}

	cfg := def
	if *config != "" {
		var err error
		if cfg, err = probe.LoadConfig(*config); err != nil {
			return err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "i":
			cfg.Capture.Interfaces = ifaces
		case "out":
			cfg.Output.Dir = *out
		case "format":
			cfg.Output.Format = *format
		case "messages":
			cfg.Messages = *messages
		case "regions":
			cfg.Regions = *regionsFile
		case "rules":
			cfg.Rules = *rulesFile
		case "attributes":
			cfg.Attributes = *attrsFile
		case "t3212":
			cfg.T3212 = *t3212
		case "workers":
			cfg.Capture.Workers = *workers
		case "block-size":
			cfg.Capture.BlockSize = *blockSize
		case "blocks":
			cfg.Capture.NumBlocks = *numBlocks
		case "ebpf":
			cfg.Capture.EBPF = *ebpf
		case "metrics":
			cfg.Metrics.Listen = *metricsAddr
		}
	})
	if len(cfg.Capture.Interfaces) == 0 {
		return usageError{errors.New("no interface: give -i IFACE (or capture.interfaces in the --config file)")}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return runLive(cfg, stdout, stderr)
}

// runLive wires the configuration to probe.Live: outputs, rules, the
// metrics endpoint and the signals.
func runLive(cfg probe.Config, stdout, stderr io.Writer) (err error) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	capCfg, err := cfg.CaptureConfig()
	if err != nil {
		return usageError{err}
	}
	tc, err := cfg.TrackConfig()
	if err != nil {
		return err
	}
	eng, err := cfg.Engine(tc.Regions)
	if err != nil {
		return err
	}
	var msgs io.Writer
	switch cfg.Messages {
	case "":
	case "-":
		msgs = stdout
	default:
		f, err := os.Create(cfg.Messages)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		msgs = f
	}
	// Listen before opening the capture (a busy port fails early), serve
	// after (a capture error stays the only line of output).
	var ln net.Listener
	if cfg.Metrics.Listen != "" && cfg.Metrics.Listen != "off" {
		if ln, err = net.Listen("tcp", cfg.Metrics.Listen); err != nil {
			return fmt.Errorf("metrics endpoint: %w (choose another with --metrics ADDR or metrics.listen, or --metrics off)", err)
		}
		defer ln.Close()
	}
	w, stopOutputs, err := cfg.Outputs()
	if err != nil {
		return err
	}
	defer stopOutputs()

	l, err := probe.OpenLive(probe.LiveConfig{Capture: capCfg, Track: tc, Rules: eng, Out: w, Messages: msgs, Logger: log})
	if err != nil {
		if errors.Is(err, capture.ErrEBPF) {
			return fmt.Errorf("%w (--ebpf off or capture.ebpf: off)", err)
		}
		return err
	}

	if ln != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", exposition.Handler(true))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		log.Info("metrics endpoint", "url", "http://"+ln.Addr().String()+"/metrics")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				// Regions, rules and the lists are read afresh; a file
				// that does not load keeps everything as it was.
				tc2, err := cfg.TrackConfig()
				if err != nil {
					log.Error("SIGHUP: reload failed, keeping the old configuration", "err", err)
					continue
				}
				eng2, err := cfg.Engine(tc2.Regions)
				if err != nil {
					log.Error("SIGHUP: reload failed, keeping the old configuration", "err", err)
					continue
				}
				l.Reload(tc2.Regions, eng2)
				log.Info("SIGHUP: reloaded regions, trigger rules, attributes and consent lists; subscriber state kept")
			}
		}
	}()

	_, err = l.Run(ctx) // logs its summary line
	return err
}
