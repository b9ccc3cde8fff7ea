package probe

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sigprobe/sigprobe/sink/natsbus"
)

// checkFiles writes a small set of inputs into dir: regions, rules that
// name them and consent lists, attributes, a capture.
func checkFiles(t *testing.T, dir string) {
	t.Helper()
	writeFile(t, dir, "regions.yaml", "regions:\n  - name: mall\n    kind: mall\n    cells: [{lac: 1, ci: 10}]\n  - name: airport\n    kind: transport\n    cells: [{lac: 1, ci: 11}]\n")
	os.MkdirAll(filepath.Join(dir, "consent"), 0o755)
	writeFile(t, dir, "consent/opt_in.txt", "# MSISDNs\n999701000000\n")
	writeFile(t, dir, "rules.yaml", "opt_in: consent/opt_in.txt\nrules:\n  - name: mall-visit\n    kind: region_enter\n    regions: [mall]\n  - name: airport-dwell\n    kind: dwell\n    dwell: 10m\n    regions: [airport]\n")
	writeFile(t, dir, "attributes.csv", "msisdn,segment,tags\n999700000001,gold,business\n")
	b, err := os.ReadFile(simPcap(t, 200))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "a.pcap", string(b))
}

// A replay configuration over checkFiles, {D} standing for the directory.
const checkBase = `regions: {D}/regions.yaml
rules: {D}/rules.yaml
attributes: {D}/attributes.csv
capture:
  file: {D}/a.pcap
output:
  dir: {D}/out
metrics:
  listen: 127.0.0.1:0
`

// Check finds what keeps a run from starting (an error naming the file,
// the line and the key), what a run survives but should be fixed (a
// warning), and says what it checked.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	checkFiles(t, dir)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	deadAddr := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()
	natsStore := t.TempDir()
	nats, err := natsbus.Embedded(natsbus.EmbeddedConfig{StoreDir: natsStore, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Close()
	consumerSeed := filepath.Join(natsStore, "consumer.nk") // generated at first start
	// A state directory with a corrupt checkpoint, and one a process holds.
	badState := filepath.Join(dir, "bad-state")
	os.MkdirAll(badState, 0o750)
	writeFile(t, badState, checkpointFile, "not a checkpoint")
	heldState := filepath.Join(dir, "held-state")
	lock, _, err := openState(heldState, false, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	type want struct {
		sev   Severity
		key   string
		where string // "" any; else the Where of the finding
		msg   string // part of Msg
	}
	for _, tc := range []struct {
		name  string
		mode  Mode
		reset bool   // --reset-state
		yaml  string // appended to checkBase, or replacing it when it starts with "!"
		want  []want // findings that must be there (besides OKs)
		ok    []want // OK findings that must be there
	}{
		{name: "good", mode: ModeReplay, ok: []want{
			{OK, "capture.file", "", "a capture file of"},
			{OK, "regions", "c.yaml: line 1: ", "2 regions, 0 groups"},
			{OK, "rules", "", "2 rules"},
			{OK, "rules", "", "consent lists: " + dir + "/consent/opt_in.txt"},
			{OK, "attributes", "", "1 subscribers"},
			{OK, "output.dir", "", "writable"},
			{OK, "metrics.listen", "", "free"},
		}},
		{name: "no output", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\n",
			want: []want{{Error, "output", "c.yaml: ", "no output: give --out"}}},
		{name: "run without interfaces", mode: ModeRun, yaml: "!regions: {D}/regions.yaml\n",
			want: []want{{Error, "capture.interfaces", "c.yaml: ", "no interface to capture on"}}},
		{name: "interfaces", mode: ModeRun, yaml: "!capture:\n  interfaces: [lo, sigprobe-none0]\nmetrics:\n  listen: off\nstate:\n  dir: {D}/run-state\noutput:\n  dir: {D}/run-out\n",
			want: []want{{Error, "capture.interfaces", "c.yaml: line 2: ", "sigprobe-none0: no such interface"}}},
		{name: "bad regions", mode: ModeReplay, yaml: "!regions: {D}/dup-regions.yaml\nrules: {D}/rules.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/out\n",
			want: []want{{Error, "regions", "c.yaml: line 1: ", "dup-regions.yaml: line 5: regions[1].name: duplicate region \"mall\""},
				{Warning, "rules", "c.yaml: line 2: ", "not checked"}}},
		{name: "missing rules", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\noutput:\n  dir: {D}/out\ncapture:\n  file: {D}/a.pcap\nrules: {D}/nope.yaml\n",
			want: []want{{Error, "rules", "c.yaml: line 6: ", "nope.yaml: no such file"}}},
		{name: "rule names an unknown region", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\nrules: {D}/bad-rules.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/out\n",
			want: []want{{Error, "rules", "c.yaml: line 2: ", "bad-rules.yaml: line 4: rules[0].regions: unknown region \"harbour\""}}},
		{name: "bad consent list", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\nrules: {D}/consent-rules.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/out\n",
			want: []want{{Error, "rules", "c.yaml: line 2: ", "bad_in.txt: line 2: want an MSISDN or IMSI"}}},
		{name: "bad attributes", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\nrules: {D}/rules.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/out\nattributes: {D}/bad-attrs.csv\n",
			want: []want{{Error, "attributes", "c.yaml: line 7: ", "bad-attrs.csv: line 3: msisdn: want 1-15 digits"}}},
		{name: "missing capture", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/none.pcap\noutput:\n  dir: {D}/out\n",
			want: []want{{Error, "capture.file", "c.yaml: line 3: ", "none.pcap: no such file"}}},
		{name: "listen address in use", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/out\nmetrics:\n  listen: " + busy.Addr().String() + "\n",
			want: []want{{Error, "metrics.listen", "c.yaml: line 7: ", "address already in use"}}},
		{name: "output dir is a file", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/a.pcap/tables\n",
			want: []want{{Error, "output.dir", "c.yaml: line 5: ", "a.pcap: not a directory"}}},
		{name: "corrupt checkpoint", mode: ModeReplay, yaml: "state:\n  dir: " + badState + "\n",
			want: []want{{Error, "state.dir", "c.yaml: line 11: ", "the checkpoint cannot be used"}}},
		{name: "corrupt checkpoint with --reset-state", mode: ModeReplay, reset: true, yaml: "state:\n  dir: " + badState + "\n",
			want: []want{{Warning, "state.dir", "c.yaml: line 11: ", "(--reset-state moves it aside)"}}},
		{name: "state in use", mode: ModeReplay, yaml: "state:\n  dir: " + heldState + "\n",
			want: []want{{Warning, "state.dir", "", fmt.Sprintf("in use by a running sigprobe (pid %d)", os.Getpid())}}},
		{name: "listen address in use by the running probe", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  dir: {D}/out\nstate:\n  dir: " + heldState + "\nmetrics:\n  listen: " + busy.Addr().String() + "\n",
			want: []want{{Warning, "metrics.listen", "", "in use, presumably by the running sigprobe"}, {Warning, "state.dir", "", "in use by a running sigprobe"}}},
		{name: "ClickHouse does not answer", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\noutput:\n  clickhouse:\n    dsn: clickhouse://probe:s3cret@" + deadAddr + "/db\n",
			want: []want{{Warning, "output.clickhouse.dsn", "c.yaml: line 6: ", "clickhouse://probe:***@" + deadAddr + "/db does not answer"}}},
		{name: "NATS answers", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\nnats:\n  url: " + nats.URL() + "\n  nkey: " + consumerSeed + "\n",
			ok: []want{{OK, "nats.url", "", "answers, JetStream too"}}},
		{name: "NATS refuses who has no credentials", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\nnats:\n  url: " + nats.URL() + "\n",
			want: []want{{Warning, "nats.url", "", "does not answer"}}},
		{name: "NATS does not answer", mode: ModeReplay, yaml: "!regions: {D}/regions.yaml\ncapture:\n  file: {D}/a.pcap\nnats:\n  url: nats://" + deadAddr + "\n",
			want: []want{{Warning, "nats.url", "c.yaml: line 5: ", "does not answer"}}},
		{name: "NATS credentials missing", mode: ModeReplay, yaml: "nats:\n  url: " + nats.URL() + "\n  creds: {D}/none.creds\n",
			want: []want{{Error, "nats.creds", "c.yaml: line 12: ", "none.creds: no such file"}}},
		{name: "NATS client certificate bad", mode: ModeReplay, yaml: "nats:\n  url: " + nats.URL() + "\n  tls_cert: {D}/regions.yaml\n  tls_key: {D}/regions.yaml\n",
			want: []want{{Error, "nats.tls_cert", "c.yaml: line 12: ", "certificate"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Broken inputs for the cases that name them.
			writeFile(t, dir, "dup-regions.yaml", "regions:\n  - name: mall\n    kind: mall\n    cells: [{lac: 1, ci: 10}]\n  - name: mall\n    kind: mall\n    cells: [{lac: 1, ci: 11}]\n")
			writeFile(t, dir, "bad-rules.yaml", "rules:\n  - name: x\n    kind: region_enter\n    regions: [harbour]\n")
			writeFile(t, dir, "consent-rules.yaml", "opt_in: bad_in.txt\nrules:\n  - name: x\n    kind: power_on\n")
			writeFile(t, dir, "bad_in.txt", "999701000000\nnot-a-number\n")
			writeFile(t, dir, "bad-attrs.csv", "msisdn,segment,tags\n999700000001,gold,x\nabc,silver,y\n")
			text := checkBase + tc.yaml
			if strings.HasPrefix(tc.yaml, "!") {
				text = tc.yaml[1:]
			}
			cfg, err := ParseConfig([]byte(strings.ReplaceAll(text, "{D}", dir)), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			r := Check(context.Background(), cfg, tc.mode, CheckOptions{Timeout: time.Second, ResetState: tc.reset})
			var lines []string
			for _, f := range r.Findings {
				lines = append(lines, f.Severity.String()+" "+f.String())
			}
			all := strings.Join(lines, "\n")
			for _, w := range append(tc.want, tc.ok...) {
				found := false
				for _, f := range r.Findings {
					if f.Severity == w.sev && f.Key == w.key && (w.where == "" || f.Where == w.where) && strings.Contains(f.Msg, strings.ReplaceAll(w.msg, "{D}", dir)) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s %s%s: ...%s...; found:\n%s", w.sev, w.where, w.key, w.msg, all)
				}
			}
			// The cases list every problem they expect.
			for _, f := range r.Findings {
				if f.Severity == OK {
					continue
				}
				expected := false
				for _, w := range tc.want {
					expected = expected || (f.Severity == w.sev && f.Key == w.key)
				}
				if !expected {
					t.Errorf("unexpected %s %s", f.Severity, f)
				}
			}
			if strings.Contains(all, "s3cret") {
				t.Errorf("a password in the findings:\n%s", all)
			}
		})
	}
}

// The effective configuration Check prints reads back, for the same mode,
// as the same configuration; passwords in URLs are hidden.
func TestCheckWriteConfig(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "")
	example, err := os.ReadFile(filepath.Join("..", "deploy", "sigprobe.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mode Mode
		yaml string
	}{
		{"the example", ModeRun, string(example)},
		{"run with ClickHouse only", ModeRun, "capture:\n  interfaces: [lo]\noutput:\n  clickhouse:\n    dsn: http://u@ch:8123/db\n    settings: {insert_quorum: \"2\"}\n"},
		{"replay defaults", ModeReplay, "capture:\n  file: x.pcap\noutput:\n  dir: out\n"},
		{"replay to NATS", ModeReplay, "capture:\n  file: x.pcap\nnats:\n  embedded:\n    store_dir: n\nstate:\n  dir: st\nmetrics:\n  listen: 127.0.0.1:9999\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tc.yaml), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			r := &Report{Mode: tc.mode, Config: cfg}
			if err := r.Config.Resolve(tc.mode); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := r.WriteConfig(&out); err != nil {
				t.Fatal(err)
			}
			back, err := ParseConfig(out.Bytes(), "effective.yaml")
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if err := back.Resolve(tc.mode); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			// Every exported field is in the YAML, so equal encodings are
			// equal configurations (a nil list reads back empty).
			again, _ := yaml.Marshal(&back)
			want, _ := yaml.Marshal(&r.Config)
			if !bytes.Equal(again, want) {
				t.Errorf("read back:\n%s\nwant\n%s", again, want)
			}
			if back.State.Dir != r.Config.State.Dir || back.Output.Dir != r.Config.Output.Dir || back.Metrics.Listen != r.Config.Metrics.Listen ||
				back.NATS.Embedded != r.Config.NATS.Embedded || !slices.Equal(back.Capture.Interfaces, r.Config.Capture.Interfaces) {
				t.Errorf("read back %+v, want %+v", back, r.Config)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Capture.File, cfg.Output.ClickHouse.DSN, cfg.NATS.URL = "x.pcap", "clickhouse://probe:s3cret@ch:9000/db", "nats://bus:pa55@nats:4222"
	r := &Report{Mode: ModeReplay, Config: cfg}
	var out bytes.Buffer
	r.WriteConfig(&out)
	if s := out.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "pa55") || !strings.Contains(s, "clickhouse://probe:***@ch:9000/db") || !strings.Contains(s, "nats://bus:***@nats:4222") {
		t.Errorf("passwords not hidden:\n%s", s)
	}
}

// Check takes nothing it tries: the state's lock is free again and no
// directory was created.
func TestCheckLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	checkFiles(t, dir)
	st := filepath.Join(dir, "state")
	os.MkdirAll(st, 0o750)
	writeFile(t, st, lockFile, "1\n")
	cfg, err := ParseConfig([]byte(strings.ReplaceAll(checkBase+"state:\n  dir: {D}/state\n", "{D}", dir)), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := Check(context.Background(), cfg, ModeReplay, CheckOptions{}); r.Count(Error)+r.Count(Warning) != 0 {
		t.Fatalf("%+v", r.Findings)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("the output directory was created: %v", err)
	}
	f, err := os.Open(filepath.Join(st, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Errorf("the state's lock is still taken: %v", err)
	}
}
