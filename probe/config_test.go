package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/probe/capture"
)

func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "deploy", "sigprobe.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Capture.Interfaces, ","); got != "eth1,eth2" {
		t.Errorf("interfaces %q", got)
	}
	if c.T3212 != 2*time.Hour || c.Output.Format != "parquet" || c.Metrics.Listen != "127.0.0.1:9090" ||
		c.Capture.BlockTimeout != 50*time.Millisecond || c.NATS.Embedded.StoreDir == "" {
		t.Errorf("config %+v", c)
	}
	cc, err := c.CaptureConfig()
	if err != nil || cc.EBPF != capture.EBPFAuto || cc.BlockSize != 1<<20 || len(cc.Ports) != 2 {
		t.Errorf("capture config %+v, %v", cc, err)
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := ParseConfig(nil, "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics.Listen != DefaultMetricsListen || c.Output.Format != "jsonl" || c.T3212 != 2*time.Hour || len(c.HomePLMNs) != 1 {
		t.Errorf("defaults %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "capture:\n  interfaces: [eth1]\n  wokers: 2\n", "c.yaml: line 3: field wokers not found"},
		{"unknown top key", "output:\n  dir: x\nmesages: y\n", "c.yaml: line 3: field mesages not found"},
		{"bad type", "capture:\n  workers: many\n", "c.yaml: line 2: cannot unmarshal"},
		{"bad duration", "t3212: soon\n", "c.yaml: line 1"},
		{"bad format", "output:\n  format: csv\n", `c.yaml: output.format "csv"`},
		{"bad ebpf", "capture:\n  ebpf: maybe\n", `capture.ebpf "maybe"`},
		{"rules without regions", "rules: r.yaml\n", "rules need regions"},
		{"two nats", "nats:\n  url: nats://x:4222\n  embedded: {store_dir: /tmp/x}\n", "either url or embedded"},
		{"negative", "capture:\n  workers: -1\n", "must not be negative"},
		{"zero t3212", "t3212: 0s\n", "t3212"},
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

func TestConfigOutputs(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig()
	w, stop, err := c.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	stop()
	c.Output.Dir = filepath.Join(dir, "tables")
	if w, stop, err = c.Outputs(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	stop()
	if _, err := os.Stat(filepath.Join(dir, "tables", "subscribers.jsonl")); err != nil {
		t.Error(err)
	}
}

func TestConfigEngineReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := DefaultConfig()
	c.Regions = write("regions.yaml", "regions:\n  - name: mall\n    kind: mall\n    cells: [{lac: 1, ci: 1}]\n")
	c.Rules = write("rules.yaml", "rules:\n  - name: on\n    kind: power_on\n    regions: [mall]\n")
	tc, err := c.TrackConfig()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := c.Engine(tc.Regions)
	if err != nil || eng == nil {
		t.Fatalf("Engine: %v, %v", eng, err)
	}
	if err := c.ReloadLists(eng, tc.Regions); err != nil {
		t.Fatal(err)
	}
	// A broken rules file on reload is an error and leaves the engine alone.
	write("rules.yaml", "rules:\n  - name: on\n    kind: power_on\n    regions: [nowhere]\n")
	if err := c.ReloadLists(eng, tc.Regions); err == nil || !strings.Contains(err.Error(), "rules.yaml: line 4") {
		t.Errorf("reload of a bad rules file: %v", err)
	}
	c.Attributes = filepath.Join(dir, "missing.csv")
	if err := c.ReloadLists(eng, tc.Regions); err == nil {
		t.Error("reload with a missing attributes file: no error")
	}
}
