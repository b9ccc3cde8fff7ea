package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sigprobe/sigprobe/probe"
)

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// probeFlags are the flags of run, replay and decode. Each overrides the
// configuration key of the same meaning (named in its usage); they are
// applied over the --config file, which is applied over the defaults.
type probeFlags struct {
	fs     *flag.FlagSet
	config *string
	reset  *bool
	apply  []func(c *probe.Config)
}

// key registers a flag for a configuration key and how to set it.
func (p *probeFlags) str(name, key, usage string, set func(c *probe.Config, v string)) {
	v := p.fs.String(name, "", usage+" (config: "+key+")")
	p.apply = append(p.apply, func(c *probe.Config) {
		if p.visited(name) {
			set(c, *v)
		}
	})
}

func (p *probeFlags) dur(name, key, usage string, set func(c *probe.Config, v time.Duration)) {
	v := p.fs.Duration(name, 0, usage+" (config: "+key+")")
	p.apply = append(p.apply, func(c *probe.Config) {
		if p.visited(name) {
			set(c, *v)
		}
	})
}

func (p *probeFlags) num(name, key, usage string, set func(c *probe.Config, v int)) {
	v := p.fs.Int(name, 0, usage+" (config: "+key+")")
	p.apply = append(p.apply, func(c *probe.Config) {
		if p.visited(name) {
			set(c, *v)
		}
	})
}

func (p *probeFlags) boolean(name, key, usage string, def bool, set func(c *probe.Config, v bool)) {
	v := p.fs.Bool(name, def, usage+" (config: "+key+")")
	p.apply = append(p.apply, func(c *probe.Config) {
		if p.visited(name) {
			set(c, *v)
		}
	})
}

func (p *probeFlags) list(name, key, usage string, set func(c *probe.Config, v []string)) {
	var l listFlag
	p.fs.Var(&l, name, usage+" (repeat for several; config: "+key+")")
	p.apply = append(p.apply, func(c *probe.Config) {
		if p.visited(name) {
			set(c, l)
		}
	})
}

func (p *probeFlags) visited(name string) bool {
	seen := false
	p.fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			seen = true
		}
	})
	return seen
}

// newProbeFlags registers the flags mode uses.
func newProbeFlags(name string, mode probe.Mode) *probeFlags {
	p := &probeFlags{fs: newFlagSet(name)}
	p.config = p.fs.String("config", "", "configuration `file` (deploy/sigprobe.example.yaml); flags override it")
	p.str("log-format", "log.format", "log format: text or json", func(c *probe.Config, v string) { c.Log.Format = v })
	p.str("log-level", "log.level", "log level: debug, info, warn or error", func(c *probe.Config, v string) { c.Log.Level = v })
	verify := func() {
		p.boolean("verify-checksum", "capture.verify_checksum", "drop packets whose SCTP CRC32c or IPv4 checksum is wrong; false for captures taken before checksum offload", true,
			func(c *probe.Config, v bool) { c.Capture.VerifyChecksum = &v })
	}
	p.dur("reorder-window", "capture.reorder_window", "put packets back in capture-time order within this window before decoding; 0 keeps the arrival order (default 100ms)",
		func(c *probe.Config, v time.Duration) { c.Capture.ReorderWindow = v })
	p.dur("clock-skew", "capture.clock_skew", "a packet stamped further than this from the running clock is decoded at the clock's time; 0 trusts every timestamp (default 1h)",
		func(c *probe.Config, v time.Duration) { c.Capture.ClockSkew = v })
	if mode == probe.ModeDecode {
		p.str("r", "capture.file", "pcap or pcapng `file` to read", func(c *probe.Config, v string) { c.Capture.File = v })
		verify()
		return p
	}
	verify()
	p.reset = p.fs.Bool("reset-state", false, "start afresh when the state's checkpoint cannot be used (it is moved aside, not deleted)")
	p.str("data-dir", "data_dir", "`directory` for tables, state, spools and the NATS store unless set one by one (default $STATE_DIRECTORY, else ./sigprobe-data)",
		func(c *probe.Config, v string) { c.DataDir = v })
	switch mode {
	case probe.ModeRun:
		p.list("i", "capture.interfaces", "`interface` to capture on", func(c *probe.Config, v []string) { c.Capture.Interfaces = v })
		p.num("workers", "capture.workers", "capture workers (default: one per core)", func(c *probe.Config, v int) { c.Capture.Workers = v })
		p.num("block-size", "capture.block_size", "ring block size in `bytes` (default 1 MiB)", func(c *probe.Config, v int) { c.Capture.BlockSize = v })
		p.num("blocks", "capture.num_blocks", "ring blocks per socket (default 64)", func(c *probe.Config, v int) { c.Capture.NumBlocks = v })
		p.dur("block-timeout", "capture.block_timeout", "hand a partly filled ring block over after this (default 2ms)", func(c *probe.Config, v time.Duration) { c.Capture.BlockTimeout = v })
		p.str("ebpf", "capture.ebpf", "eBPF filter and fanout: auto, require or off", func(c *probe.Config, v string) { c.Capture.EBPF = v })
	case probe.ModeReplay:
		p.str("r", "capture.file", "pcap or pcapng `file` to replay", func(c *probe.Config, v string) { c.Capture.File = v })
	}
	p.str("regions", "regions", "micro-region `file` (regions.yaml format)", func(c *probe.Config, v string) { c.Regions = v })
	p.str("rules", "rules", "trigger rules `file` (deploy/rules.example.yaml)", func(c *probe.Config, v string) { c.Rules = v })
	p.str("attributes", "attributes", "subscriber attributes CSV `file` for rule filters", func(c *probe.Config, v string) { c.Attributes = v })
	p.dur("t3212", "t3212", "the network's periodic location update timer (default 2h)", func(c *probe.Config, v time.Duration) { c.T3212 = v })
	p.list("home-plmn", "home_plmns", "MCC+MNC of the operator's own IMSIs (default 00101)", func(c *probe.Config, v []string) { c.HomePLMNs = v })
	p.list("home-cc", "home_country_codes", "E.164 country code of the operator's own VLR numbers (default 999)", func(c *probe.Config, v []string) { c.HomeCountryCodes = v })
	outDefault := "none"
	if mode == probe.ModeRun {
		outDefault = "DATA-DIR/tables unless --clickhouse is given"
	}
	p.str("out", "output.dir", "`directory` for the table files, or off (default "+outDefault+")", func(c *probe.Config, v string) { c.Output.Dir = v })
	p.str("format", "output.format", "table file format: parquet (default) or jsonl", func(c *probe.Config, v string) { c.Output.Format = v })
	p.dur("flush-interval", "output.flush_interval", "live: rows reach the outputs at least this often (default 5s)", func(c *probe.Config, v time.Duration) { c.Output.FlushInterval = v })
	p.str("clickhouse", "output.clickhouse.dsn", "write the tables to ClickHouse at `DSN` (clickhouse://host:9000/db or http://host:8123/db)", func(c *probe.Config, v string) { c.Output.ClickHouse.DSN = v })
	p.str("clickhouse-spool", "output.clickhouse.spool_dir", "`directory` keeping blocks ClickHouse could not take (default DATA-DIR/spool/clickhouse)", func(c *probe.Config, v string) { c.Output.ClickHouse.SpoolDir = v })
	stateDefault := "off"
	if mode == probe.ModeRun {
		stateDefault = "DATA-DIR/state"
	}
	p.str("state", "state.dir", "state `directory`: checkpoints (and live, the write-ahead log); off for none (default "+stateDefault+")", func(c *probe.Config, v string) { c.State.Dir = v })
	p.dur("checkpoint-interval", "state.checkpoint_interval", "wall time between checkpoints (default 5m)", func(c *probe.Config, v time.Duration) { c.State.CheckpointInterval = v })
	p.str("messages", "messages", "also write every decoded message as a JSON line (as `sigprobe decode`) to `file` (- for stdout)", func(c *probe.Config, v string) { c.Messages = v })
	metricsDefault := "off"
	if mode == probe.ModeRun {
		metricsDefault = probe.DefaultMetricsListen
	}
	p.str("metrics", "metrics.listen", "serve /metrics, /healthz and /readyz on `address`, or off (default "+metricsDefault+")", func(c *probe.Config, v string) { c.Metrics.Listen = v })
	p.str("nats", "nats.url / nats.embedded.store_dir", "publish triggers to NATS JetStream: `embedded` (a server of the probe's own, store in DATA-DIR/nats) or a nats:// URL", func(c *probe.Config, v string) {
		if v == "embedded" {
			c.NATS.URL, c.NATS.Embedded.StoreDir = "", c.EmbeddedNATSStore()
		} else {
			c.NATS.URL, c.NATS.Embedded.StoreDir = v, ""
		}
	})
	p.str("nats-listen", "nats.embedded.listen", "the embedded NATS server's `address`", func(c *probe.Config, v string) { c.NATS.Embedded.Listen = v })
	p.str("nats-creds", "nats.creds", "NATS credentials `file` for an external server", func(c *probe.Config, v string) { c.NATS.Creds = v })
	p.str("nats-nkey", "nats.nkey", "NATS nkey seed `file` (mode 0600) for an external server", func(c *probe.Config, v string) { c.NATS.Nkey = v })
	p.str("nats-users", "nats.embedded.users_file", "who may connect to the embedded NATS server: users `file` (default STORE-DIR/users.yaml, created at first start)", func(c *probe.Config, v string) { c.NATS.Embedded.UsersFile = v })
	p.str("nats-tls-cert", "nats.tls_cert", "client certificate `file` for NATS over TLS", func(c *probe.Config, v string) { c.NATS.TLSCert = v })
	p.str("nats-tls-key", "nats.tls_key", "client key `file` for NATS over TLS", func(c *probe.Config, v string) { c.NATS.TLSKey = v })
	p.str("nats-tls-ca", "nats.tls_ca", "CA `file` that signed the NATS server's certificate", func(c *probe.Config, v string) { c.NATS.TLSCA = v })
	p.str("pseudonymize", "privacy.pseudonymize", "identities every output gets pseudonymized: a comma-separated `list` of imsi, msisdn, imei, or none (per output: privacy.outputs)", func(c *probe.Config, v string) {
		c.Privacy.Pseudonymize = nil
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" && k != "none" {
				c.Privacy.Pseudonymize = append(c.Privacy.Pseudonymize, k)
			}
		}
	})
	p.str("pseudonym-key", "privacy.key_file", "the pseudonymization key `file` (mode 0600; sigprobe pseudonym --new-key makes one)", func(c *probe.Config, v string) { c.Privacy.KeyFile = v })
	return p
}

// load parses args and returns the configuration: defaults, then the
// --config file, then the flags.
func (p *probeFlags) load(args []string, stderr io.Writer) (probe.Config, error) {
	if err := parseFlags(p.fs, args, stderr); err != nil {
		return probe.Config{}, err
	}
	cfg := probe.DefaultConfig()
	if *p.config != "" {
		var err error
		if cfg, err = probe.LoadConfig(*p.config); err != nil {
			return cfg, err
		}
	}
	// --data-dir first: --nats embedded derives from it.
	for _, a := range p.apply {
		a(&cfg)
	}
	if p.visited("nats") && cfg.NATS.Embedded.StoreDir != "" {
		cfg.NATS.Embedded.StoreDir = cfg.EmbeddedNATSStore()
	}
	return cfg, nil
}

func (p *probeFlags) resetState() bool { return p.reset != nil && *p.reset }

// newLogger builds the daemon's logger from log.format and log.level.
func newLogger(w io.Writer, c probe.LogConfig) *slog.Logger {
	var lv slog.Level
	switch c.Level {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openProbe resolves cfg and opens the probe; configuration errors are
// usage errors (exit 2).
func openProbe(cfg probe.Config, opt probe.Options) (*probe.Probe, error) {
	p, err := probe.Open(cfg, opt)
	var fe *probe.FieldError
	if errors.As(err, &fe) {
		return nil, usageError{err}
	}
	return p, err
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

var _ = fmt.Sprint
var _ = os.Stdout
