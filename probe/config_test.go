package probe

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/track"
)

func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "deploy", "sigprobe.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Capture.Interfaces, ","); got != "eth1,eth2" {
		t.Errorf("interfaces %q", got)
	}
	if err := c.Resolve(ModeRun); err != nil {
		t.Fatal(err)
	}
	if c.T3212 != 2*time.Hour || c.Output.Format != "parquet" || c.Metrics.Listen != "127.0.0.1:9090" ||
		c.Capture.BlockTimeout != 2*time.Millisecond || c.NATS.Embedded.StoreDir == "" || c.State.Dir != "/var/lib/sigprobe/state" ||
		c.State.CheckpointInterval != 5*time.Minute || c.Output.FlushInterval != 5*time.Second || c.NATS.Duplicates != 10*time.Minute {
		t.Errorf("config %+v", c)
	}
	// What each output gets: tables pseudonymized, the bus keeps the MSISDN.
	for out, want := range map[string]string{"files": "imsi,msisdn,imei", "clickhouse": "imsi,msisdn,imei", "nats": "imsi"} {
		if got := c.PseudonymSet(out).String(); got != want {
			t.Errorf("example config: %s gets %q pseudonymized, want %q", out, got, want)
		}
	}
	if c.Privacy.KeyFile != "/etc/sigprobe/pseudonym.key" || c.NATS.Embedded.UsersFile == "" || c.Messages != "" {
		t.Errorf("privacy %+v, users file %q, messages %q", c.Privacy, c.NATS.Embedded.UsersFile, c.Messages)
	}
	if c.Capture.ReorderWindow != DefaultReorderWindow || c.Capture.ReorderMaxPackets != DefaultReorderMaxPackets || c.Capture.ClockSkew != DefaultClockSkew ||
		c.Subscribers != 1_000_000 || c.Limits != (LimitsConfig{track.DefaultMaxConnections, track.DefaultMaxTransactions, track.DefaultMaxHeld}) {
		t.Errorf("the example's reorder, clock, subscribers and limits keys are not the defaults it states: %+v %+v %d", c.Capture, c.Limits, c.Subscribers)
	}
	cc := c.captureConfig()
	if cc.EBPF != capture.EBPFAuto || cc.BlockSize != 1<<20 || len(cc.Ports) != 2 {
		t.Errorf("capture config %+v", cc)
	}
}

// What each command does with no configuration at all.
func TestConfigDefaults(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "")
	c, err := ParseConfig(nil, "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := c
	run.Capture.Interfaces = []string{"eth1"}
	if err := run.Resolve(ModeRun); err != nil {
		t.Fatal(err)
	}
	if run.Output.Dir != filepath.Join(DefaultDataDir, "tables") || run.Output.Format != "parquet" || run.State.Dir != filepath.Join(DefaultDataDir, "state") ||
		run.Metrics.Listen != DefaultMetricsListen || run.T3212 != 2*time.Hour || len(run.HomePLMNs) != 1 {
		t.Errorf("run defaults %+v", run)
	}
	t.Setenv("STATE_DIRECTORY", "/var/lib/sigprobe")
	sd := c
	sd.Capture.Interfaces = []string{"eth1"}
	sd.Output.ClickHouse.DSN = "clickhouse://ch:9000/sigprobe"
	if err := sd.Resolve(ModeRun); err != nil {
		t.Fatal(err)
	}
	if sd.Output.Dir != "" || sd.Output.ClickHouse.SpoolDir != "/var/lib/sigprobe/spool/clickhouse" || sd.State.Dir != "/var/lib/sigprobe/state" {
		t.Errorf("with ClickHouse only and systemd's STATE_DIRECTORY: %+v", sd.Output)
	}
	rp := c
	rp.Capture.File, rp.Output.Dir = "x.pcap", "out"
	if err := rp.Resolve(ModeReplay); err != nil {
		t.Fatal(err)
	}
	if rp.State.Dir != "" || rp.Metrics.Listen != "" || rp.Output.Format != "parquet" {
		t.Errorf("replay defaults %+v", rp)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "capture:\n  interfaces: [eth1]\n  wokers: 2\n", "c.yaml: line 3: field wokers not found"},
		{"unknown top key", "output:\n  dir: x\nmesages: y\n", "c.yaml: line 3: field mesages not found"},
		{"bad type", "capture:\n  workers: many\n", "c.yaml: line 2: cannot unmarshal"},
		{"bad duration", "t3212: soon\n", "c.yaml: line 1"},
		{"bad format", "output:\n  format: csv\n", `c.yaml: line 2: output.format: "csv"`},
		{"bad ebpf", "capture:\n  ebpf: maybe\n", `line 2: capture.ebpf: "maybe"`},
		{"rules without regions", "rules: r.yaml\n", "line 1: rules: rules name regions"},
		{"two nats", "nats:\n  url: nats://x:4222\n  embedded: {store_dir: /tmp/x}\n", "either url or embedded"},
		{"negative", "capture:\n  workers: -1\n", "line 2: capture.workers: must not be negative"},
		{"zero t3212", "t3212: 0s\n", "line 1: t3212: 0s: TS 24.008 allows"},
		{"tiny t3212", "t3212: 1ns\n", "t3212: 1ns"},
		{"negative t3212", "t3212: -1h\n", "line 1: t3212: -1h0m0s: TS 24.008 allows 6 minutes"},
		{"t3212 under a deci-hour", "t3212: 5m\n", "line 1: t3212: 5m0s: TS 24.008 allows 6 minutes"},
		{"t3212 over 255 deci-hours", "t3212: 26h\n", "t3212: 26h0m0s"},
		{"negative reorder window", "capture:\n  reorder_window: -1ms\n", "line 2: capture.reorder_window: must not be negative"},
		{"reorder window too long", "capture:\n  reorder_window: 1m\n", "line 2: capture.reorder_window: 1m0s: at most 10s"},
		{"clock skew inside the window", "capture:\n  reorder_window: 1s\n  clock_skew: 1s\n", "line 3: capture.clock_skew: 1s: must exceed twice capture.reorder_window"},
		{"negative limit", "limits:\n  connections: -5\n", "line 2: limits.connections: must not be negative"},
		{"too many subscribers", "subscribers: 999999999\n", "line 1: subscribers: 999999999: at most"},
		{"bad plmn", "home_plmns: [abcde]\n", `home_plmns: "abcde"`},
		{"bad dsn", "output:\n  clickhouse:\n    dsn: mysql://x\n", "line 3: output.clickhouse.dsn"},
		{"bad listen", "metrics:\n  listen: 9090\n", "metrics.listen"},
		{"bad log level", "log:\n  level: loud\n", "log.level"},
		{"block timeout", "capture:\n  block_timeout: 100us\n", "capture.block_timeout"},
		{"unknown identity", "privacy:\n  key_file: k\n  pseudonymize: [imsi, tmsi]\n", `line 3: privacy.pseudonymize: "tmsi": want imsi, msisdn or imei`},
		{"unknown output", "privacy:\n  key_file: k\n  outputs:\n    kafka: [imsi]\n", "line 4: privacy.outputs.kafka: no such output"},
		{"bad output identity", "privacy:\n  key_file: k\n  outputs:\n    nats: [name]\n", `line 4: privacy.outputs.nats: "name"`},
		{"pseudonyms without key", "privacy:\n  pseudonymize: [imsi]\n", "line 1: privacy.key_file: pseudonymizing needs a key file"},
		{"nats beyond loopback", "nats:\n  embedded:\n    store_dir: x\n    listen: 0.0.0.0:4222\n", "line 4: nats.embedded.listen: \"0.0.0.0:4222\" is not a loopback address"},
		{"nats cert without key", "nats:\n  embedded:\n    tls_cert: c.pem\n", "nats.embedded.tls_cert: give both"},
		{"nats creds and nkey", "nats:\n  url: nats://x:4222\n  creds: a\n  nkey: b\n", "line 4: nats.nkey: give either creds or nkey"},
		{"metrics beyond loopback", "metrics:\n  listen: 0.0.0.0:9090\n", "line 2: metrics.listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml), "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestConfigResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode Mode
		edit func(*Config)
		want string
	}{
		{"run without interface", ModeRun, func(*Config) {}, "no interface"},
		{"run with a file", ModeRun, func(c *Config) { c.Capture.Interfaces, c.Capture.File = []string{"eth1"}, "x.pcap" }, "sigprobe replay"},
		{"replay without file", ModeReplay, func(c *Config) { c.Output.Dir = "out" }, "no capture file"},
		{"pseudonymized messages", ModeReplay, func(c *Config) {
			c.Capture.File, c.Output.Dir, c.Messages = "x.pcap", "out", "m.jsonl"
			c.Privacy = PrivacyConfig{KeyFile: "k", Pseudonymize: []string{"imsi"}}
		}, "messages: decoded messages carry clear identities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			if err := c.Resolve(tc.mode); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// Which output gets what: privacy.pseudonymize for every output, unless
// privacy.outputs names it (an empty list: clear).
func TestPseudonymSets(t *testing.T) {
	c, err := ParseConfig([]byte("privacy:\n  key_file: k\n  pseudonymize: [imsi, msisdn, imei]\n  outputs:\n    nats: [imsi]\n    messages: []\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for out, want := range map[string]string{"files": "imsi,msisdn,imei", "clickhouse": "imsi,msisdn,imei", "nats": "imsi", "messages": "", "summary": "imsi,msisdn,imei"} {
		if got := c.PseudonymSet(out).String(); got != want {
			t.Errorf("%s: %q, want %q", out, got, want)
		}
	}
	c.Capture.File, c.Messages = "x.pcap", "m.jsonl"
	if err := c.Resolve(ModeReplay); err != nil {
		t.Errorf("messages accepted in clear: %v", err)
	}
	if d := DefaultConfig(); d.PseudonymSet("files") != 0 {
		t.Error("the default pseudonymizes without a key")
	}
}
