package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/jsonl"
	"github.com/sigprobe/sigprobe/sink/natsbus"
	"github.com/sigprobe/sigprobe/sink/parquet"
)

// Config is the probe's configuration file (see deploy/sigprobe.example.yaml):
// what to capture, the tracking and trigger inputs, and the outputs. Command
// line flags override its values. Zero values take the defaults of
// DefaultConfig.
type Config struct {
	Capture    CaptureConfig `yaml:"capture"`
	Regions    string        `yaml:"regions"`    // micro-region file (regions.yaml format)
	Rules      string        `yaml:"rules"`      // trigger rules file; needs Regions
	Attributes string        `yaml:"attributes"` // subscriber attributes CSV for rule filters
	T3212      time.Duration `yaml:"t3212"`      // the network's periodic location update timer
	HomePLMNs  []string      `yaml:"home_plmns"` // MCC+MNC of the operator's own IMSIs
	Output     OutputConfig  `yaml:"output"`
	// Messages, when set, receives every decoded message as a JSON line, the
	// same as `sigprobe decode` ("-": standard output).
	Messages string        `yaml:"messages"`
	Metrics  MetricsConfig `yaml:"metrics"`
	NATS     NATSConfig    `yaml:"nats"`
}

// CaptureConfig is the live capture stage.
type CaptureConfig struct {
	Interfaces   []string      `yaml:"interfaces"`
	Workers      int           `yaml:"workers"`       // 0: one per core
	BlockSize    int           `yaml:"block_size"`    // bytes, a multiple of the page size
	NumBlocks    int           `yaml:"num_blocks"`    // ring blocks per socket
	BlockTimeout time.Duration `yaml:"block_timeout"` // hand over a partly filled block after this
	EBPF         string        `yaml:"ebpf"`          // auto, require or off
	Ports        []uint16      `yaml:"ports"`         // SCTP ports kept (default 2905, 3565)
	PPIDs        []uint32      `yaml:"ppids"`         // SCTP payload protocol ids kept (default 3, 5)
}

// OutputConfig says where the tables go. An empty Dir writes no tables.
type OutputConfig struct {
	Dir    string `yaml:"dir"`
	Format string `yaml:"format"` // jsonl or parquet
}

// MetricsConfig is the Prometheus endpoint.
type MetricsConfig struct {
	Listen string `yaml:"listen"` // host:port of /metrics; "off" disables it
}

// NATSConfig publishes triggers to NATS JetStream: to an embedded server
// storing under Embedded.StoreDir, or to an external one at URL.
type NATSConfig struct {
	Embedded struct {
		StoreDir string `yaml:"store_dir"`
		Listen   string `yaml:"listen"` // default 127.0.0.1:4222
	} `yaml:"embedded"`
	URL     string `yaml:"url"`
	Creds   string `yaml:"creds"`
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	TLSCA   string `yaml:"tls_ca"`
}

// Defaults.
const (
	DefaultMetricsListen = "127.0.0.1:9090"
	DefaultNATSListen    = "127.0.0.1:4222"
)

// DefaultConfig is the configuration without a file: the simulator's
// network, JSON lines output, metrics on DefaultMetricsListen.
func DefaultConfig() Config {
	tc := track.DefaultConfig()
	return Config{
		T3212:     tc.T3212,
		HomePLMNs: tc.HomePLMNs,
		Output:    OutputConfig{Format: "jsonl"},
		Metrics:   MetricsConfig{Listen: DefaultMetricsListen},
		Capture:   CaptureConfig{EBPF: "auto"},
	}
}

// LoadConfig reads a configuration file over DefaultConfig. Unknown keys
// are errors; errors name the file and line.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(b, path)
}

// ParseConfig decodes a configuration file's content; name is used in errors.
func ParseConfig(b []byte, name string) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:")
		msg = strings.ReplaceAll(msg, " in type probe.", " in ")
		return Config{}, fmt.Errorf("%s: %s", name, strings.Join(strings.Fields(msg), " "))
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Validate checks the values a file or flags can get wrong.
func (c *Config) Validate() error {
	switch c.Output.Format {
	case "jsonl", "parquet":
	default:
		return fmt.Errorf("output.format %q: want jsonl or parquet", c.Output.Format)
	}
	if _, err := c.EBPFMode(); err != nil {
		return err
	}
	if c.Capture.Workers < 0 || c.Capture.BlockSize < 0 || c.Capture.NumBlocks < 0 || c.Capture.BlockTimeout < 0 {
		return errors.New("capture: workers, block_size, num_blocks and block_timeout must not be negative")
	}
	if c.T3212 <= 0 {
		return fmt.Errorf("t3212 %v: must be positive", c.T3212)
	}
	if c.Rules != "" && c.Regions == "" {
		return errors.New("rules need regions (rules name regions)")
	}
	if c.NATS.URL != "" && c.NATS.Embedded.StoreDir != "" {
		return errors.New("nats: give either url or embedded.store_dir, not both")
	}
	return nil
}

// EBPFMode maps capture.ebpf to the capture package's mode.
func (c *Config) EBPFMode() (capture.EBPFMode, error) {
	switch c.Capture.EBPF {
	case "", "auto":
		return capture.EBPFAuto, nil
	case "require":
		return capture.EBPFRequire, nil
	case "off":
		return capture.EBPFOff, nil
	}
	return 0, fmt.Errorf("capture.ebpf %q: want auto, require or off", c.Capture.EBPF)
}

// CaptureConfig returns the capture stage's configuration.
func (c *Config) CaptureConfig() (capture.Config, error) {
	mode, err := c.EBPFMode()
	if err != nil {
		return capture.Config{}, err
	}
	cc := c.Capture
	return capture.Config{Interfaces: cc.Interfaces, Workers: cc.Workers, BlockSize: cc.BlockSize, NumBlocks: cc.NumBlocks,
		BlockTimeout: cc.BlockTimeout, Ports: cc.Ports, PPIDs: cc.PPIDs, EBPF: mode}, nil
}

// TrackConfig loads the regions file and returns the tracking configuration.
func (c *Config) TrackConfig() (track.Config, error) {
	tc := track.DefaultConfig()
	tc.T3212 = c.T3212
	if len(c.HomePLMNs) > 0 {
		tc.HomePLMNs = c.HomePLMNs
	}
	if c.Regions != "" {
		rf, err := regions.Load(c.Regions)
		if err != nil {
			return tc, err
		}
		tc.Regions = rf
	}
	return tc, nil
}

// Engine loads the rules, attributes and consent lists; nil without rules.
// rf is the regions the rules name (TrackConfig's Regions).
func (c *Config) Engine(rf *regions.File) (*rules.Engine, error) {
	if c.Rules == "" {
		return nil, nil
	}
	if rf == nil {
		return nil, errors.New("rules need regions (rules name regions)")
	}
	set, err := rules.Load(c.Rules, regionNames(rf))
	if err != nil {
		return nil, err
	}
	attrs, consent, err := c.lists(set)
	if err != nil {
		return nil, err
	}
	return rules.New(set, attrs, consent), nil
}

func regionNames(rf *regions.File) []string {
	names := make([]string, len(rf.Regions))
	for i, r := range rf.Regions {
		names[i] = r.Name
	}
	return names
}

func (c *Config) lists(set *rules.Set) (*rules.Attributes, *rules.Consent, error) {
	var attrs *rules.Attributes
	if c.Attributes != "" {
		var err error
		if attrs, err = rules.LoadAttributes(c.Attributes); err != nil {
			return nil, nil, err
		}
	}
	consent, err := rules.LoadConsent(set.ConsentFiles())
	if err != nil {
		return nil, nil, err
	}
	return attrs, consent, nil
}

// ReloadLists reads the attributes file and the consent lists the rules file
// names again and swaps them into eng, which keeps running: what SIGHUP
// does. The rules file is parsed again only to validate it and find the
// consent lists; changed rule definitions and regions take a restart.
func (c *Config) ReloadLists(eng *rules.Engine, rf *regions.File) error {
	if eng == nil || c.Rules == "" {
		return nil
	}
	set, err := rules.Load(c.Rules, regionNames(rf))
	if err != nil {
		return err
	}
	attrs, consent, err := c.lists(set)
	if err != nil {
		return err
	}
	eng.SetAttributes(attrs)
	eng.SetConsent(consent)
	return nil
}

// Outputs opens the table writer (nothing when Output.Dir is empty) and the
// NATS trigger publisher, with an embedded NATS server if configured. stop
// shuts the embedded server down; call it after the writer is closed.
func (c *Config) Outputs() (w sink.Writer, stop func(), err error) {
	var ws []sink.Writer
	stop = func() {}
	fail := func(err error) (sink.Writer, func(), error) {
		for _, w := range ws {
			w.Close()
		}
		stop()
		return nil, func() {}, err
	}
	switch {
	case c.Output.Dir == "":
	case c.Output.Format == "parquet":
		w, err := parquet.New(c.Output.Dir, parquet.Options{})
		if err != nil {
			return fail(err)
		}
		ws = append(ws, w)
	default:
		w, err := jsonl.New(c.Output.Dir)
		if err != nil {
			return fail(err)
		}
		ws = append(ws, w)
	}
	url := c.NATS.URL
	if c.NATS.Embedded.StoreDir != "" {
		listen := c.NATS.Embedded.Listen
		if listen == "" {
			listen = DefaultNATSListen
		}
		srv, err := natsbus.Embedded(c.NATS.Embedded.StoreDir, listen)
		if err != nil {
			return fail(err)
		}
		stop = srv.Close
		url = srv.URL()
	}
	if url != "" {
		p, err := natsbus.NewPublisher(natsbus.Config{URL: url, CredsFile: c.NATS.Creds,
			TLSCert: c.NATS.TLSCert, TLSKey: c.NATS.TLSKey, TLSCA: c.NATS.TLSCA})
		if err != nil {
			return fail(err)
		}
		ws = append(ws, p)
	}
	switch len(ws) {
	case 0:
		return noTables{}, stop, nil
	case 1:
		return ws[0], stop, nil
	}
	return sink.Multi(ws...), stop, nil
}

// noTables is the table writer when no output directory is given.
type noTables struct{}

func (noTables) Write(*sink.Batch) error { return nil }
func (noTables) Close() error            { return nil }
