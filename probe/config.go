package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink/natsbus"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// Config is the probe's configuration (deploy/sigprobe.example.yaml): where
// packets come from, the tracking and trigger inputs, the state and the
// outputs. It is the one way from a YAML file and command-line flags to a
// running probe, for `run`, `replay` and `decode`: each flag overrides the
// key of the same meaning. Load a file with LoadConfig, set flags on the
// result, then call Resolve, which applies the defaults of the mode and
// validates.
type Config struct {
	// DataDir is where the probe keeps what it writes unless a key below
	// says otherwise: tables (DataDir/tables), state (DataDir/state), spools
	// (DataDir/spool) and the embedded NATS store (DataDir/nats). Default:
	// $STATE_DIRECTORY (set by systemd's StateDirectory=), else ./sigprobe-data.
	DataDir    string        `yaml:"data_dir"`
	Capture    CaptureConfig `yaml:"capture"`
	Regions    string        `yaml:"regions"`    // micro-region file (regions.yaml format)
	Rules      string        `yaml:"rules"`      // trigger rules file; needs Regions
	Attributes string        `yaml:"attributes"` // subscriber attributes CSV for rule filters
	T3212      time.Duration `yaml:"t3212"`      // the network's periodic location update timer
	HomePLMNs  []string      `yaml:"home_plmns"` // MCC+MNC of the operator's own IMSIs
	// HomeCountryCodes are the E.164 country codes of the operator's own
	// VLR numbers: a home subscriber updating its location from a VLR
	// numbered otherwise is abroad (roam-out, roam_out/roam_return rules).
	HomeCountryCodes []string `yaml:"home_country_codes"`
	// Subscribers is about how many subscribers the probe will track: the
	// tables are sized for them up front (at most 64 bytes each, TMSI
	// included, where growing as they come costs up to a fifth more).
	// 0: grow as they come.
	Subscribers int          `yaml:"subscribers"`
	Limits      LimitsConfig `yaml:"limits"`
	State       StateConfig  `yaml:"state"`
	Output      OutputConfig `yaml:"output"`
	// Messages, when set, receives every decoded message as a JSON line, the
	// same as `sigprobe decode` ("-": standard output). A debugging aid: it
	// is not part of checkpoints.
	Messages string        `yaml:"messages"`
	Metrics  MetricsConfig `yaml:"metrics"`
	NATS     NATSConfig    `yaml:"nats"`
	Log      LogConfig     `yaml:"log"`
	Privacy  PrivacyConfig `yaml:"privacy"`

	src *configSource // the file it was parsed from, for Check's line numbers
}

// PrivacyConfig says which subscriber identities each output gets
// pseudonymized (sink/pseudonym, deploy/SECURITY.md). Tracking works on
// clear identities in memory; a pseudonymized output never sees them, in
// its files, spool or queue.
type PrivacyConfig struct {
	// KeyFile is the secret key (mode 0600 or stricter; `sigprobe
	// pseudonym --new-key FILE` makes one). Needed when anything is
	// pseudonymized.
	KeyFile string `yaml:"key_file"`
	// Pseudonymize lists the identities (imsi, msisdn, imei) every output
	// gets pseudonymized, unless Outputs names the output. Default: none.
	Pseudonymize []string `yaml:"pseudonymize"`
	// Outputs overrides Pseudonymize for one output: files (output.dir),
	// clickhouse, nats (the trigger bus) or messages (decoded messages,
	// which can only be clear: give [] to accept that). An empty list
	// means clear identities for that output.
	Outputs map[string][]string `yaml:"outputs"`
}

// PrivacyOutputs are the outputs privacy.outputs may name.
var PrivacyOutputs = []string{"files", "clickhouse", "nats", "messages"}

// PseudonymSet is what output gets pseudonymized (validated by Resolve).
func (c *Config) PseudonymSet(output string) pseudonym.Set {
	l, ok := c.Privacy.Outputs[output]
	if !ok {
		l = c.Privacy.Pseudonymize
	}
	s, _ := pseudonym.ParseSet(l)
	return s
}

// configSource is a configuration file's name and parsed YAML.
type configSource struct {
	name string
	root *yaml.Node
}

// CaptureConfig is where packets come from: tap interfaces (run) or a
// capture file (replay, decode).
type CaptureConfig struct {
	Interfaces   []string      `yaml:"interfaces"`
	File         string        `yaml:"file"`          // pcap or pcapng (replay, decode)
	Workers      int           `yaml:"workers"`       // 0: one per core
	BlockSize    int           `yaml:"block_size"`    // bytes, a multiple of the page size
	NumBlocks    int           `yaml:"num_blocks"`    // ring blocks per socket
	BlockTimeout time.Duration `yaml:"block_timeout"` // hand over a partly filled block after this
	EBPF         string        `yaml:"ebpf"`          // auto, require or off
	Ports        []uint16      `yaml:"ports"`         // SCTP ports kept (default 2905, 3565)
	PPIDs        []uint32      `yaml:"ppids"`         // SCTP payload protocol ids kept (default 3, 5)
	// VerifyChecksum drops packets whose SCTP CRC32c or IPv4 header
	// checksum is wrong (default true): a corrupted packet must not become
	// a message with a made-up identity. Turn it off only for captures
	// taken on a sending host before checksum offload filled the field in.
	VerifyChecksum *bool `yaml:"verify_checksum"`
	// ReorderWindow: packets are put back in capture-time order within this
	// window before they are decoded (a tap aggregator delivers its ports'
	// packets in the order its queues release them; a live worker drains
	// its interfaces' rings one after the other). It delays every packet
	// by as much. Default 100ms; 0: arrival order.
	ReorderWindow time.Duration `yaml:"reorder_window"`
	// ReorderMaxPackets bounds the packets a worker holds in its window
	// (default 100,000); past it the oldest leave early, counted.
	ReorderMaxPackets int `yaml:"reorder_max_packets"`
	// ClockSkew: a packet stamped further than this from the running clock
	// is counted and decoded at the clock's time instead of its own, unless
	// the packets after it agree on the new time. Default 1h; 0: trust
	// every timestamp.
	ClockSkew time.Duration `yaml:"clock_skew"`
}

// LimitsConfig bounds what the tracking holds for what is not settled yet;
// past a bound the entries idle longest are dropped first, and counted
// (sigprobe_track_evicted_total{what}).
type LimitsConfig struct {
	// Connections: open SCCP connections (default 1,000,000, about
	// track.ConnBytes bytes each).
	Connections int `yaml:"connections"`
	// Transactions: open TCAP transactions (default 1,000,000).
	Transactions int `yaml:"transactions"`
	// Held: observations held for phones whose IMSI is not known yet
	// (default 2,000,000).
	Held int `yaml:"held"`
}

// verifyChecksum is capture.verify_checksum with its default.
func (c *CaptureConfig) verifyChecksum() bool { return c.VerifyChecksum == nil || *c.VerifyChecksum }

// StateConfig keeps what the probe knows across restarts.
type StateConfig struct {
	// Dir holds the checkpoints (and, for live capture, the write-ahead log
	// of decoded messages since the last one). "off": no state. Default:
	// DataDir/state for run, off for replay.
	Dir string `yaml:"dir"`
	// CheckpointInterval is the wall time between checkpoints (default 5m);
	// one is also taken at shutdown.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

// OutputConfig says where the tables go: files (Dir, Format) and/or
// ClickHouse. Triggers also go to NATS (Config.NATS).
type OutputConfig struct {
	// Dir is the directory of the table files; "off": none. Default
	// DataDir/tables when neither Dir nor ClickHouse is given (run), none
	// otherwise.
	Dir    string `yaml:"dir"`
	Format string `yaml:"format"` // parquet (default) or jsonl
	// FlushInterval bounds how long a row waits before the outputs are asked
	// to make it visible (ClickHouse insert, JSON lines flushed) in a live
	// run (default 5s of wall time). A replay flushes by row count.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// QueueBatches bounds each output's in-memory queue (default 64
	// batches). Live: an output that falls behind spills to SpoolDir, then
	// drops and counts; capture and tracking never wait. Replay waits.
	QueueBatches int `yaml:"queue_batches"`
	// SpoolDir holds the batches of outputs that fall behind (live).
	// Default DataDir/spool.
	SpoolDir string `yaml:"spool_dir"`
	// SpoolMaxBytes bounds each output's spill (default 1 GiB).
	SpoolMaxBytes int64            `yaml:"spool_max_bytes"`
	Parquet       ParquetConfig    `yaml:"parquet"`
	ClickHouse    ClickHouseConfig `yaml:"clickhouse"`
}

// ParquetConfig tunes file rotation (files also close at every checkpoint).
type ParquetConfig struct {
	MaxRows int64         `yaml:"max_rows"` // rows per file (default 1,000,000)
	MaxAge  time.Duration `yaml:"max_age"`  // age of a file (default 1h)
}

// ClickHouseConfig is the ClickHouse output (sink/clickhouse/README.md).
type ClickHouseConfig struct {
	// DSN: clickhouse://user:pass@host:9000/db (native protocol) or
	// http(s)://user:pass@host:8123/db (HTTP interface). Empty: no ClickHouse.
	DSN string `yaml:"dsn"`
	// SpoolDir keeps blocks ClickHouse could not take, in order, across
	// restarts (default DataDir/spool/clickhouse). It is what lets a
	// checkpoint complete while ClickHouse is down.
	SpoolDir      string        `yaml:"spool_dir"`
	SpoolMaxBytes int64         `yaml:"spool_max_bytes"` // default 1 GiB
	BatchRows     int           `yaml:"batch_rows"`      // rows per insert (default 50,000)
	DialTimeout   time.Duration `yaml:"dial_timeout"`    // default 5s
	InsertTimeout time.Duration `yaml:"insert_timeout"`  // default 30s
	CloseTimeout  time.Duration `yaml:"close_timeout"`   // default 30s
	// Settings are added to every insert (e.g. distributed_foreground_insert
	// for the Distributed tables of schema-cluster.sql).
	Settings map[string]string `yaml:"settings"`
}

// MetricsConfig is the Prometheus endpoint. Beyond loopback it needs TLS
// and basic auth: metric labels name regions and rules, and nothing on the
// network should scrape the probe unasked.
type MetricsConfig struct {
	Listen string `yaml:"listen"` // host:port of /metrics; "off" disables it
	// BasicAuthFile holds "user:bcrypt-hash" lines (htpasswd -nB user):
	// /metrics asks for one of them (/healthz and /readyz do not).
	BasicAuthFile string `yaml:"basic_auth_file"`
	// TLSCert and TLSKey serve the endpoint over HTTPS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
}

// NATSConfig publishes triggers to NATS JetStream: to an embedded server
// (Embedded.StoreDir) or to an external one (URL).
type NATSConfig struct {
	Embedded struct {
		StoreDir string `yaml:"store_dir"`
		// Listen is the embedded server's address (default 127.0.0.1:4222
		// for run, a free loopback port for replay). Beyond loopback it
		// needs TLS.
		Listen string `yaml:"listen"`
		// UsersFile lists who may connect: consumers and admins, by nkey or
		// bcrypt password (sink/natsbus/README.md). Default
		// STORE_DIR/users.yaml, created (0600) at first start with one
		// consumer whose seed is STORE_DIR/consumer.nk.
		UsersFile string `yaml:"users_file"`
		// TLSCert and TLSKey make the server require TLS; with TLSCA,
		// clients must present a certificate it signed.
		TLSCert string `yaml:"tls_cert"`
		TLSKey  string `yaml:"tls_key"`
		TLSCA   string `yaml:"tls_ca"`
	} `yaml:"embedded"`
	URL string `yaml:"url"`
	// Creds (a JWT credentials file) or Nkey (an nkey seed file, mode
	// 0600 or stricter) authenticate the probe to an external server;
	// TLSCert/TLSKey are its client certificate, TLSCA the CA of the
	// server's.
	Creds   string `yaml:"creds"`
	Nkey    string `yaml:"nkey"`
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	TLSCA   string `yaml:"tls_ca"`
	// Duplicates is the stream's Nats-Msg-Id deduplication window (default
	// 10m): a trigger published again after a restart within it is stored
	// once.
	Duplicates time.Duration `yaml:"duplicates"`
}

// LogConfig is the daemon's log.
type LogConfig struct {
	Format string `yaml:"format"` // text (default) or json
	Level  string `yaml:"level"`  // debug, info (default), warn, error
}

// Mode is what a Config is resolved for.
type Mode int

const (
	ModeRun    Mode = iota // live capture from interfaces
	ModeReplay             // a capture file through the whole pipeline
	ModeDecode             // a capture file to JSON lines only
)

func (m Mode) String() string { return [...]string{"run", "replay", "decode"}[m] }

// Defaults.
const (
	DefaultMetricsListen      = "127.0.0.1:9090"
	DefaultNATSListen         = "127.0.0.1:4222"
	DefaultDataDir            = "sigprobe-data"
	DefaultCheckpointInterval = 5 * time.Minute
	DefaultFlushInterval      = 5 * time.Second
	DefaultQueueBatches       = 64
	DefaultSpoolMaxBytes      = 1 << 30
	DefaultReorderWindow      = 100 * time.Millisecond
	DefaultReorderMaxPackets  = 100_000
	DefaultClockSkew          = time.Hour
	MaxReorderWindow          = 10 * time.Second
	DefaultNATSDuplicates     = 10 * time.Minute
	// DefaultBlockTimeout is short so that a trigger leaves within a few
	// milliseconds of its packet even at low rates.
	DefaultBlockTimeout = 2 * time.Millisecond
	// Off disables a directory or listener.
	Off = "off"
)

// DefaultConfig is the configuration without a file.
func DefaultConfig() Config {
	tc := track.DefaultConfig()
	return Config{T3212: tc.T3212, HomePLMNs: tc.HomePLMNs, HomeCountryCodes: tc.HomeCountryCodes,
		Capture: CaptureConfig{ReorderWindow: DefaultReorderWindow, ClockSkew: DefaultClockSkew},
		Limits:  LimitsConfig{Connections: tc.MaxConnections, Transactions: tc.MaxTransactions, Held: tc.MaxHeld}}
}

// LoadConfig reads a configuration file over DefaultConfig. Unknown keys
// and bad values are errors naming the file, line and key.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(b, path)
}

// ParseConfig decodes a configuration file's content; name is used in
// errors. It validates what the file itself can get wrong; Resolve checks
// the whole once flags are applied.
func ParseConfig(b []byte, name string) (Config, error) {
	c := DefaultConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return Config{}, yamlErr(name, err)
	}
	c.src = &configSource{name: name, root: &root}
	if len(root.Content) == 0 { // an empty file
		return c, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlErr(name, err)
	}
	if err := c.validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			if line := keyLine(&root, fe.Key); line > 0 {
				return Config{}, fmt.Errorf("%s: line %d: %w", name, line, err)
			}
		}
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// where says where key is set: "FILE: line N: " when the file sets it,
// "FILE: " when it came from a default or a flag, "" without a file.
func (c *Config) where(key string) string {
	if c.src == nil {
		return ""
	}
	if line := keyLineExact(c.src.root, key); line > 0 {
		return fmt.Sprintf("%s: line %d: ", c.src.name, line)
	}
	return c.src.name + ": "
}

// keyLineExact is keyLine for a key the document holds in full, else 0.
func keyLineExact(root *yaml.Node, key string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return 0
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return 0
		}
	}
	return line
}

// keyError is a failure to load what a configuration key names (the
// regions file, say). Its message is the loader's, which names the file,
// line and field at fault; Check adds where the key is set.
type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

func yamlErr(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	msg = strings.ReplaceAll(msg, " in type probe.", " in ")
	return fmt.Errorf("%s: %s", name, strings.Join(strings.Fields(msg), " "))
}

// keyLine finds the line of a dotted key ("output.format") in a YAML
// document, 0 if absent.
func keyLine(root *yaml.Node, key string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// FieldError is a bad value of one configuration key.
type FieldError struct {
	Key string // dotted, as in the file: "output.format"
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

func fieldErr(key, format string, args ...any) error {
	return &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// validate checks the values a file or flags can get wrong, whatever the mode.
func (c *Config) validate() error {
	switch c.Output.Format {
	case "", "jsonl", "parquet":
	default:
		return fieldErr("output.format", "%q: want parquet or jsonl", c.Output.Format)
	}
	if _, err := c.ebpfMode(); err != nil {
		return err
	}
	cc := c.Capture
	for k, v := range map[string]int64{"capture.workers": int64(cc.Workers), "capture.block_size": int64(cc.BlockSize),
		"capture.num_blocks": int64(cc.NumBlocks), "capture.block_timeout": int64(cc.BlockTimeout),
		"output.flush_interval": int64(c.Output.FlushInterval), "output.queue_batches": int64(c.Output.QueueBatches),
		"output.spool_max_bytes": c.Output.SpoolMaxBytes, "state.checkpoint_interval": int64(c.State.CheckpointInterval),
		"output.parquet.max_rows": c.Output.Parquet.MaxRows, "output.parquet.max_age": int64(c.Output.Parquet.MaxAge),
		"output.clickhouse.batch_rows": int64(c.Output.ClickHouse.BatchRows), "output.clickhouse.spool_max_bytes": c.Output.ClickHouse.SpoolMaxBytes,
		"output.clickhouse.dial_timeout": int64(c.Output.ClickHouse.DialTimeout), "output.clickhouse.insert_timeout": int64(c.Output.ClickHouse.InsertTimeout),
		"output.clickhouse.close_timeout": int64(c.Output.ClickHouse.CloseTimeout), "nats.duplicates": int64(c.NATS.Duplicates),
		"capture.reorder_window": int64(cc.ReorderWindow), "capture.reorder_max_packets": int64(cc.ReorderMaxPackets),
		"capture.clock_skew": int64(cc.ClockSkew), "limits.connections": int64(c.Limits.Connections),
		"limits.transactions": int64(c.Limits.Transactions), "limits.held": int64(c.Limits.Held), "subscribers": int64(c.Subscribers)} {
		if v < 0 {
			return fieldErr(k, "must not be negative")
		}
	}
	if c.Capture.BlockTimeout > 0 && c.Capture.BlockTimeout < time.Millisecond {
		return fieldErr("capture.block_timeout", "%v: the kernel counts in milliseconds; give at least 1ms", c.Capture.BlockTimeout)
	}
	if cc.ReorderWindow > MaxReorderWindow {
		return fieldErr("capture.reorder_window", "%v: at most %v (every packet waits this long)", cc.ReorderWindow, MaxReorderWindow)
	}
	if cc.ClockSkew > 0 && cc.ClockSkew <= 2*cc.ReorderWindow {
		return fieldErr("capture.clock_skew", "%v: must exceed twice capture.reorder_window (%v), or 0 to trust every timestamp", cc.ClockSkew, cc.ReorderWindow)
	}
	if c.Subscribers > track.MaxSubscribers {
		return fieldErr("subscribers", "%d: at most %d", c.Subscribers, track.MaxSubscribers)
	}
	if c.T3212 < 6*time.Minute || c.T3212 > 1530*time.Minute {
		return fieldErr("t3212", "%v: TS 24.008 allows 6 minutes to 25.5 hours (give e.g. 2h)", c.T3212)
	}
	for _, cc := range c.HomeCountryCodes {
		if len(cc) < 1 || len(cc) > 3 || strings.Trim(cc, "0123456789") != "" {
			return fieldErr("home_country_codes", "%q: want an E.164 country code, 1 to 3 digits", cc)
		}
	}
	for _, p := range c.HomePLMNs {
		if len(p) < 5 || len(p) > 6 || strings.Trim(p, "0123456789") != "" {
			return fieldErr("home_plmns", "%q: want MCC+MNC, 5 or 6 digits", p)
		}
	}
	if c.Rules != "" && c.Regions == "" {
		return fieldErr("rules", "rules name regions: give regions too")
	}
	if c.NATS.URL != "" && c.NATS.Embedded.StoreDir != "" {
		return fieldErr("nats", "give either url or embedded.store_dir, not both")
	}
	if c.NATS.URL != "" && !strings.Contains(c.NATS.URL, "://") {
		return fieldErr("nats.url", "%q: want nats://host:port (or tls://host:port)", c.NATS.URL)
	}
	if l := c.NATS.Embedded.Listen; l != "" {
		host, _, err := net.SplitHostPort(l)
		if err != nil {
			return fieldErr("nats.embedded.listen", "%q: want host:port", l)
		}
		if !natsbus.IsLoopback(host) && c.NATS.Embedded.TLSCert == "" {
			return fieldErr("nats.embedded.listen", "%q is not a loopback address: the trigger bus carries personal data, give nats.embedded.tls_cert and tls_key (clients authenticate as nats.embedded.users_file says)", l)
		}
	}
	if e := c.NATS.Embedded; (e.TLSCert == "") != (e.TLSKey == "") {
		return fieldErr("nats.embedded.tls_cert", "give both tls_cert and tls_key")
	}
	if (c.NATS.TLSCert == "") != (c.NATS.TLSKey == "") {
		return fieldErr("nats.tls_cert", "give both tls_cert and tls_key")
	}
	if c.NATS.Creds != "" && c.NATS.Nkey != "" {
		return fieldErr("nats.nkey", "give either creds or nkey, not both")
	}
	if l := c.Metrics.Listen; l != "" && l != Off {
		host, _, err := net.SplitHostPort(l)
		if err != nil {
			return fieldErr("metrics.listen", "%q: want host:port or off", l)
		}
		if !natsbus.IsLoopback(host) && (c.Metrics.TLSCert == "" || c.Metrics.BasicAuthFile == "") {
			return fieldErr("metrics.listen", "%q is not a loopback address: give metrics.tls_cert, tls_key and basic_auth_file, or listen on 127.0.0.1", l)
		}
	}
	if m := c.Metrics; (m.TLSCert == "") != (m.TLSKey == "") {
		return fieldErr("metrics.tls_cert", "give both tls_cert and tls_key")
	}
	if d := c.Output.ClickHouse.DSN; d != "" && !strings.HasPrefix(d, "clickhouse://") && !strings.HasPrefix(d, "http://") && !strings.HasPrefix(d, "https://") {
		return fieldErr("output.clickhouse.dsn", "%q: want clickhouse://host:9000/db, http://host:8123/db or https://...", d)
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		return fieldErr("log.format", "%q: want text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		return fieldErr("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	return c.validatePrivacy()
}

func (c *Config) validatePrivacy() error {
	pc := &c.Privacy
	used, err := pseudonym.ParseSet(pc.Pseudonymize)
	if err != nil {
		return fieldErr("privacy.pseudonymize", "%v", err)
	}
	for name, l := range pc.Outputs {
		if !slices.Contains(PrivacyOutputs, name) {
			return fieldErr("privacy.outputs."+name, "no such output: want one of %s", strings.Join(PrivacyOutputs, ", "))
		}
		s, err := pseudonym.ParseSet(l)
		if err != nil {
			return fieldErr("privacy.outputs."+name, "%v", err)
		}
		used |= s
	}
	if used != 0 && pc.KeyFile == "" {
		return fieldErr("privacy.key_file", "pseudonymizing needs a key file (make one with `sigprobe pseudonym --new-key FILE`)")
	}
	return nil
}

// Resolve applies the defaults of mode to what the file and flags left
// unset, and validates the result. It reads no file but the environment
// ($STATE_DIRECTORY).
func (c *Config) Resolve(mode Mode) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
		if d := os.Getenv("STATE_DIRECTORY"); d != "" {
			c.DataDir = strings.Split(d, ":")[0]
		}
	}
	in := func(name string) string { return filepath.Join(c.DataDir, name) }
	if c.Output.Format == "" {
		c.Output.Format = "parquet"
	}
	if c.Output.FlushInterval == 0 {
		c.Output.FlushInterval = DefaultFlushInterval
	}
	if c.Output.QueueBatches == 0 {
		c.Output.QueueBatches = DefaultQueueBatches
	}
	if c.Output.SpoolDir == "" {
		c.Output.SpoolDir = in("spool")
	}
	if c.Output.SpoolMaxBytes == 0 {
		c.Output.SpoolMaxBytes = DefaultSpoolMaxBytes
	}
	if c.State.CheckpointInterval == 0 {
		c.State.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.NATS.Duplicates == 0 {
		c.NATS.Duplicates = DefaultNATSDuplicates
	}
	if ch := &c.Output.ClickHouse; ch.DSN != "" && ch.SpoolDir == "" {
		ch.SpoolDir = filepath.Join(c.Output.SpoolDir, "clickhouse")
	}
	if c.Capture.BlockTimeout == 0 {
		c.Capture.BlockTimeout = DefaultBlockTimeout
	}
	if c.Capture.ReorderMaxPackets == 0 {
		c.Capture.ReorderMaxPackets = DefaultReorderMaxPackets
	}
	tc := track.DefaultConfig()
	for _, l := range []struct {
		v   *int
		def int
	}{{&c.Limits.Connections, tc.MaxConnections},
		{&c.Limits.Transactions, tc.MaxTransactions}, {&c.Limits.Held, tc.MaxHeld}} {
		if *l.v == 0 {
			*l.v = l.def
		}
	}
	switch mode {
	case ModeRun:
		if len(c.Capture.Interfaces) == 0 {
			return fieldErr("capture.interfaces", "no interface to capture on: give -i IFACE or capture.interfaces")
		}
		if c.Capture.File != "" {
			return fieldErr("capture.file", "run captures from interfaces; replay a file with `sigprobe replay`")
		}
		if c.Output.Dir == "" && c.Output.ClickHouse.DSN == "" {
			c.Output.Dir = in("tables")
		}
		if c.State.Dir == "" {
			c.State.Dir = in("state")
		}
		if c.Metrics.Listen == "" {
			c.Metrics.Listen = DefaultMetricsListen
		}
		if c.NATS.Embedded.StoreDir != "" && c.NATS.Embedded.Listen == "" {
			c.NATS.Embedded.Listen = DefaultNATSListen
		}
	case ModeReplay, ModeDecode:
		if c.Capture.File == "" {
			return fieldErr("capture.file", "no capture file: give -r FILE")
		}
		if c.State.Dir == "" {
			c.State.Dir = Off
		}
		if c.Metrics.Listen == "" {
			c.Metrics.Listen = Off
		}
		if c.NATS.Embedded.StoreDir != "" && c.NATS.Embedded.Listen == "" {
			c.NATS.Embedded.Listen = "127.0.0.1:0"
		}
	}
	if c.Output.Dir == Off {
		c.Output.Dir = ""
	}
	if c.State.Dir == Off {
		c.State.Dir = ""
	}
	if c.Output.ClickHouse.SpoolDir == Off {
		return fieldErr("output.clickhouse.spool_dir", "off is not supported: the spool keeps rows durable while ClickHouse is unreachable")
	}
	if c.Metrics.Listen == Off {
		c.Metrics.Listen = ""
	}
	if mode == ModeDecode {
		// decode prints what the capture holds, for whoever reads the
		// capture itself: nothing to pseudonymize there.
		c.Output = OutputConfig{}
		c.State.Dir, c.NATS, c.Privacy = "", NATSConfig{}, PrivacyConfig{}
		if c.Messages == "" {
			c.Messages = "-"
		}
	}
	if c.Messages != "" && c.PseudonymSet("messages") != 0 {
		return fieldErr("messages", "decoded messages carry clear identities and cannot be pseudonymized (privacy.pseudonymize): turn messages off, or accept clear identities there with privacy.outputs.messages: []")
	}
	return nil
}

// needOutput refuses a replay that writes nowhere (extra: outputs given
// in-process besides the configured ones).
func (c *Config) needOutput(mode Mode, extra int) error {
	if mode == ModeReplay && c.Output.Dir == "" && c.Output.ClickHouse.DSN == "" && c.NATS.URL == "" &&
		c.NATS.Embedded.StoreDir == "" && extra == 0 {
		return fieldErr("output", "no output: give --out DIR, --clickhouse DSN or --nats (config: output.dir, output.clickhouse.dsn, nats)")
	}
	return nil
}

// EmbeddedNATSStore is the store directory --nats embedded means.
func (c *Config) EmbeddedNATSStore() string {
	d := c.DataDir
	if d == "" {
		d = DefaultDataDir
	}
	return filepath.Join(d, "nats")
}

func (c *Config) ebpfMode() (capture.EBPFMode, error) {
	switch c.Capture.EBPF {
	case "", "auto":
		return capture.EBPFAuto, nil
	case "require":
		return capture.EBPFRequire, nil
	case "off":
		return capture.EBPFOff, nil
	}
	return 0, fieldErr("capture.ebpf", "%q: want auto, require or off", c.Capture.EBPF)
}

// captureConfig returns the capture stage's configuration.
func (c *Config) captureConfig() capture.Config {
	mode, _ := c.ebpfMode() // validated
	cc := c.Capture
	return capture.Config{Interfaces: cc.Interfaces, Workers: cc.Workers, BlockSize: cc.BlockSize, NumBlocks: cc.NumBlocks,
		BlockTimeout: cc.BlockTimeout, Ports: cc.Ports, PPIDs: cc.PPIDs, EBPF: mode}
}

// trackConfig loads the regions file and returns the tracking
// configuration (Open, Reload and Check load it this one way).
func (c *Config) trackConfig() (track.Config, error) {
	tc := track.DefaultConfig()
	tc.T3212 = c.T3212
	if len(c.HomeCountryCodes) > 0 {
		tc.HomeCountryCodes = c.HomeCountryCodes
	}
	tc.MaxConnections, tc.MaxTransactions, tc.MaxHeld = c.Limits.Connections, c.Limits.Transactions, c.Limits.Held
	tc.Subscribers = c.Subscribers
	if len(c.HomePLMNs) > 0 {
		tc.HomePLMNs = c.HomePLMNs
	}
	if c.Regions != "" {
		rf, err := regions.Load(c.Regions)
		if err != nil {
			return tc, &keyError{"regions", err}
		}
		tc.Regions = rf
	}
	return tc, nil
}

// engine loads the rules, attributes and consent lists; nil without rules.
// rf is the regions the rules name.
func (c *Config) engine(rf *regions.File) (*rules.Engine, error) {
	l, err := c.loadRules(rf)
	if err != nil || l == nil {
		return nil, err
	}
	return rules.New(l.set, l.attrs, l.consent), nil
}

// ruleInputs are the files the trigger engine is built from.
type ruleInputs struct {
	set     *rules.Set
	attrs   *rules.Attributes
	consent *rules.Consent
}

// loadRules loads the rules, attributes and consent lists (Open, Reload
// and Check load them this one way); nil without rules.
func (c *Config) loadRules(rf *regions.File) (*ruleInputs, error) {
	if c.Rules == "" {
		return nil, nil
	}
	if rf == nil {
		return nil, fieldErr("rules", "rules name regions: give regions too")
	}
	set, err := rules.Load(c.Rules, regionNames(rf))
	if err != nil {
		return nil, &keyError{"rules", err}
	}
	attrs, consent, err := c.lists(set)
	if err != nil {
		return nil, err
	}
	return &ruleInputs{set, attrs, consent}, nil
}

func regionNames(rf *regions.File) []string {
	if rf == nil {
		return nil
	}
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
			return nil, nil, &keyError{"attributes", err}
		}
	}
	consent, err := rules.LoadConsent(set.ConsentFiles())
	if err != nil {
		return nil, nil, &keyError{"rules", err} // the lists the rules file names
	}
	return attrs, consent, nil
}
