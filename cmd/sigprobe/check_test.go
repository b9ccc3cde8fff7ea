package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/internal/envtest"
	"github.com/sigprobe/sigprobe/probe"
)

// `sigprobe check` on the example configuration, its keys overridden by
// flags the way run takes them: the inputs from a simulated town and the
// example rules, everything written under a temporary directory. It exits
// 0, prints the effective configuration (which loads again) and says what
// it checked; a file the configuration names that is missing, an unknown
// key or a bad --mode make it exit non-zero with lines naming file, line
// and key.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	if code, _, stderr := run("gen", "--seed", "3", "--subscribers", "50", "-o", filepath.Join(dir, "a.pcap"), "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	rules, err := os.ReadFile(filepath.Join(envtest.RepoRoot(), "deploy", "rules.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(truth, "rules.yaml"), rules, 0o644) // next to the town's consent lists
	example := filepath.Join(envtest.RepoRoot(), "deploy", "sigprobe.example.yaml")
	data := filepath.Join(dir, "data")
	key := filepath.Join(dir, "pseudonym.key") // the example pseudonymizes its outputs
	if code, _, stderr := run("pseudonym", "--new-key", key); code != 0 {
		t.Fatal(stderr)
	}
	overrides := []string{"-i", "lo", "--data-dir", data, "--state", filepath.Join(data, "state"), "--out", filepath.Join(data, "tables"),
		"--clickhouse-spool", filepath.Join(data, "spool", "clickhouse"), "--nats", "embedded", "--nats-listen", "127.0.0.1:0",
		"--metrics", "127.0.0.1:0", "--rules", filepath.Join(truth, "rules.yaml"), "--attributes", filepath.Join(truth, "attributes.csv"),
		"--pseudonym-key", key}

	t.Run("ready", func(t *testing.T) {
		code, stdout, stderr := run(append([]string{"check", "--config", example, "--regions", filepath.Join(truth, "regions.yaml")}, overrides...)...)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		for _, want := range []string{"ok      capture.interfaces: lo: present", "ok      regions: ", "ok      rules: ", "ok      attributes: ",
			"ok      rules: consent lists: ", "ok      state.dir: " + filepath.Join(data, "state") + ": no checkpoint yet",
			"ok      metrics.listen: 127.0.0.1:0: free", "ok      nats.embedded.store_dir: " + filepath.Join(data, "nats") + ": writable",
			"sigprobe check: " + example + ": no error, 0 warnings: `sigprobe run` would start"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if !strings.HasPrefix(stdout, "# The effective configuration of `sigprobe run` ("+example+", flags and defaults; passwords hidden).\n") {
			t.Errorf("stdout:\n%s", stdout)
		}
		cfg, err := probe.ParseConfig([]byte(stdout), "effective.yaml")
		if err != nil {
			t.Fatalf("the effective configuration does not load: %v\n%s", err, stdout)
		}
		if err := cfg.Resolve(probe.ModeRun); err != nil || len(cfg.Capture.Interfaces) != 1 || cfg.Capture.Interfaces[0] != "lo" || cfg.State.Dir != filepath.Join(data, "state") {
			t.Errorf("the effective configuration: %v, %+v", err, cfg)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("check created %s: %v", data, err)
		}
	})

	t.Run("quiet", func(t *testing.T) {
		code, stdout, stderr := run(append([]string{"check", "--quiet", "--config", example, "--regions", filepath.Join(truth, "regions.yaml")}, overrides...)...)
		if code != 0 || stdout != "" || stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q: want 0 and nothing", code, stdout, stderr)
		}
	})

	t.Run("replay", func(t *testing.T) {
		code, _, stderr := run("check", "--mode", "replay", "-r", filepath.Join(dir, "a.pcap"), "--out", filepath.Join(dir, "out"), "--regions", filepath.Join(truth, "regions.yaml"))
		if code != 0 || !strings.Contains(stderr, "ok      capture.file: ") || !strings.Contains(stderr, "`sigprobe replay` would start") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	})

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("capture:\n  interfaces: [lo]\n  wokers: 2\n"), 0o644)
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		lines []string // lines of stderr, in order; "" matches the effective configuration's absence
	}{
		{"a missing regions file", append([]string{"check", "--quiet", "--config", example, "--regions", filepath.Join(dir, "none.yaml")}, overrides...), 1, []string{
			"error   " + example + fmt.Sprintf(": line %d: regions: open ", lineOf(t, example, "regions:")) + filepath.Join(dir, "none.yaml") + ": no such file or directory",
			"warning " + example + fmt.Sprintf(": line %d: rules: ", lineOf(t, example, "rules:")) + filepath.Join(truth, "rules.yaml") + ": not checked: the rules name regions, which did not load",
			"sigprobe check: " + example + ": 1 error, 1 warning: `sigprobe run` would not start"}},
		{"an unknown key", []string{"check", "--config", bad, "--quiet"}, 1, []string{bad + ": line 3: field wokers not found in CaptureConfig"}},
		{"bad mode", []string{"check", "--mode", "decode"}, 2, []string{`sigprobe check: --mode "decode": want run or replay`}},
		{"replay without a file", []string{"check", "--mode=replay", "--quiet", "--out", dir}, 1, []string{
			"error   capture.file: no capture file: give -r FILE", "sigprobe check: no configuration file: 1 error, 0 warnings: `sigprobe replay` would not start"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != tc.code || len(lines) != len(tc.lines) {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for i, want := range tc.lines {
				if !strings.Contains(lines[i], want) {
					t.Errorf("line %d: %q, want %q", i+1, lines[i], want)
				}
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
		})
	}
}

// lineOf is the number of the first line of file starting with prefix.
func lineOf(t *testing.T, file, prefix string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("%s: no line starts with %q", file, prefix)
	return 0
}
