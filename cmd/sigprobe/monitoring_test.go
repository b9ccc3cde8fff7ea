package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/internal/envtest"
	"github.com/sigprobe/sigprobe/internal/exposition"
	"github.com/sigprobe/sigprobe/probe/capture/nettest"
)

// The alert rules and the dashboard: promtool accepts them, the rules fire
// as alerts_test.yml says, the dashboard queries every exported family, and
// every metric either of them queries is exported by a running sigprobe.
func TestMonitoring(t *testing.T) {
	root := envtest.RepoRoot()
	rulesFile := filepath.Join(root, "deploy", "prometheus", "alerts.yml")
	dashFile := filepath.Join(root, "deploy", "grafana", "sigprobe.json")
	alertExprs := alertExpressions(t, rulesFile)
	dashExprs := dashboardExpressions(t, dashFile)

	t.Run("promtool", func(t *testing.T) {
		promtool := envtest.Tool(t, "promtool", "Debian package prometheus; make test unpacks its promtool into .cache/bin")
		for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = filepath.Dir(rulesFile)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "SUCCESS") {
				t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
		}
		// The dashboard's queries parse as PromQL: as recording rules,
		// with Grafana's variables replaced.
		var rules strings.Builder
		rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
		vars := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*")
		for i, e := range dashExprs {
			q, _ := json.Marshal(vars.Replace(e))
			fmt.Fprintf(&rules, "      - record: dashboard:query_%d\n        expr: %s\n", i, q)
		}
		f := filepath.Join(t.TempDir(), "dashboard-queries.yml")
		os.WriteFile(f, []byte(rules.String()), 0o644)
		if out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput(); err != nil {
			t.Errorf("the dashboard's queries are not valid PromQL: %v\n%s", err, out)
		}
	})

	t.Run("dashboard covers every family", func(t *testing.T) {
		queried := metricNames(dashExprs)
		for _, f := range exposition.Families() {
			if !queried[f] {
				t.Errorf("the dashboard does not show %s", f)
			}
		}
	})

	t.Run("queried metrics are exported", func(t *testing.T) {
		exported := map[string]bool{}
		var bodies []string
		for _, scrape := range []func(*testing.T) (map[string]bool, string){scrapeReplay, scrapeRun} {
			fams, body := scrape(t)
			for f := range fams {
				exported[f] = true
			}
			bodies = append(bodies, body)
		}
		// help.go (and so README's list, which a test ties to it) names
		// exactly the families a running sigprobe exports.
		for f := range exported {
			if _, ok := exposition.Help(f); strings.HasPrefix(f, "sigprobe_") && !ok {
				t.Errorf("a scrape has %s, which help.go does not describe", f)
			}
		}
		for _, f := range exposition.Families() {
			if !exported[f] {
				t.Errorf("help.go describes %s, which no scrape of sigprobe has", f)
			}
		}
		t.Run("promtool check metrics", func(t *testing.T) {
			promtool := envtest.Tool(t, "promtool", "Debian package prometheus; make test unpacks its promtool into .cache/bin")
			// Parse errors fail; lint remarks count for sigprobe's own
			// families (the go_* and process_* ones are the library's).
			for i, body := range bodies {
				cmd := exec.Command(promtool, "check", "metrics")
				cmd.Stdin = strings.NewReader(body)
				out, err := cmd.CombinedOutput()
				var ours []string
				for _, l := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(l, "sigprobe_") {
						ours = append(ours, l)
					}
				}
				if ee, ok := err.(*exec.ExitError); (err != nil && (!ok || ee.ExitCode() != 3)) || len(ours) > 0 {
					t.Errorf("scrape %d: promtool check metrics: %v\n%s", i, err, strings.Join(ours, "\n"))
					t.Logf("the scrape:\n%s\npromtool:\n%s", body, out)
				}
			}
		})
		// Prometheus makes up itself, per target.
		exported["up"] = true
		for _, c := range []struct {
			file  string
			exprs []string
		}{{rulesFile, alertExprs}, {dashFile, dashExprs}} {
			var missing []string
			for n := range metricNames(c.exprs) {
				if !exported[n] {
					missing = append(missing, n)
				}
			}
			slices.Sort(missing)
			if len(missing) > 0 {
				t.Errorf("%s queries metrics no scrape of sigprobe has: %s", filepath.Base(c.file), strings.Join(missing, ", "))
			}
		}
	})
}

// alertExpressions returns the expr of every rule.
func alertExpressions(t *testing.T, file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// expr: one line, or a block scalar (expr: |) indented below it.
	var exprs []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		key, val, ok := strings.Cut(strings.TrimSpace(lines[i]), "expr:")
		if !ok || key != "" {
			continue
		}
		val = strings.TrimSpace(val)
		if val == "|" || val == ">" {
			val = ""
			indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) > indent) {
				i++
				val += lines[i] + "\n"
			}
		}
		exprs = append(exprs, val)
	}
	if len(exprs) < 10 {
		t.Fatalf("%s: found %d expressions", file, len(exprs))
	}
	return exprs
}

// dashboardExpressions returns the expr of every panel target and the
// query of every variable.
func dashboardExpressions(t *testing.T, file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Query any
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var exprs []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			if s, ok := q["query"].(string); ok {
				// label_values(metric, label) names a metric.
				exprs = append(exprs, strings.TrimSuffix(strings.TrimPrefix(s, "label_values("), ", instance)"))
			}
		}
	}
	if len(exprs) < 20 {
		t.Fatalf("%s: found %d queries", file, len(exprs))
	}
	return exprs
}

// metricNames are the metric names in PromQL expressions: sigprobe_*,
// process_*, go_* and up; histogram series (_bucket, _sum, _count) count as
// their family.
func metricNames(exprs []string) map[string]bool {
	names := map[string]bool{}
	re := regexp.MustCompile(`\b((?:sigprobe|process|go)_[a-zA-Z0-9_]+|up)\b`)
	for _, e := range exprs {
		for _, m := range re.FindAllString(e, -1) {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				m = strings.TrimSuffix(m, suf)
			}
			names[m] = true
		}
	}
	return names
}

// families reads the metric families of a Prometheus text exposition.
func families(r io.Reader, into map[string]bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			into[f[2]] = true
		}
	}
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrapeReplay scrapes `sigprobe replay --metrics` over a simulated day
// with regions, rules, an embedded NATS and a ClickHouse that does not
// answer: the families of the pipeline, the decoder, the rules, the
// outputs, Parquet, NATS and ClickHouse (its blocks go to the spool, and
// the replay says so when it ends).
func scrapeReplay(t *testing.T) (map[string]bool, string) {
	dir := t.TempDir()
	pcap, truth := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "truth")
	if code, _, stderr := run("gen", "--seed", "6", "--subscribers", "3000", "-o", pcap, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	rules := filepath.Join(truth, "rules.yaml")
	b, err := os.ReadFile(filepath.Join(envtest.RepoRoot(), "deploy", "rules.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(rules, b, 0o644)
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "sigprobe.yaml")
	// Small blocks and a small spool: /readyz turns 503 once it is half full.
	os.WriteFile(cfg, []byte("output:\n  clickhouse:\n    batch_rows: 1000\n    spool_max_bytes: 262144\n    dial_timeout: 200ms\n    close_timeout: 1s\n"), 0o644)
	done := make(chan string)
	go func() {
		code, _, stderr := run("replay", "-r", pcap, "--config", cfg, "--regions", filepath.Join(truth, "regions.yaml"), "--rules", rules,
			"--attributes", filepath.Join(truth, "attributes.csv"), "--format", "parquet", "--nats", "embedded", "--data-dir", dir,
			"--out", filepath.Join(dir, "out"), "--clickhouse", "clickhouse://"+freeAddr(t)+"/sigprobe",
			"--clickhouse-spool", filepath.Join(dir, "spool"), "--metrics", addr)
		if code != 1 || !strings.Contains(stderr, "left in spool") {
			done <- fmt.Sprintf("exit %d, want 1 saying what is left in the ClickHouse spool: %s", code, stderr)
		}
		close(done)
	}()
	seen := map[string]bool{}
	var last string
	var unready []string // what /readyz said when not ready
	for {
		select {
		case stderr, ok := <-done:
			if ok {
				t.Fatalf("replay failed: %s", stderr)
			}
			if !slices.ContainsFunc(unready, func(s string) bool { return strings.Contains(s, "output clickhouse cannot deliver") }) {
				t.Errorf("/readyz never said the ClickHouse output's spool is past half full: %q", unready)
			}
			if !seen["sigprobe_sink_publish_seconds"] || !seen["sigprobe_sink_insert_seconds"] || !seen["sigprobe_track_subscribers"] {
				t.Fatalf("the replay ended before a scrape saw its outputs and pipeline: %v", seen)
			}
			return seen, last
		case <-time.After(20 * time.Millisecond):
		}
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if len(b) > len(last) {
				last = string(b)
			}
			families(strings.NewReader(string(b)), seen)
		}
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && !slices.Contains(unready, string(b)) {
				unready = append(unready, string(b))
			}
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("/healthz: %s", resp.Status)
			}
		}
	}
}

// scrapeRun scrapes `sigprobe run` capturing in a network namespace of the
// test's own, with an embedded NATS: the capture families, the trigger
// latency and the process metrics.
func scrapeRun(t *testing.T) (map[string]bool, string) {
	needRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "sigprobe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tn := newTestNet(t)
	nettest.Sh(t, "ip", "-n", tn.NS, "link", "set", "lo", "up")
	const addr = "127.0.0.1:9090" // the namespace's own loopback
	cmd := exec.Command("ip", "netns", "exec", tn.NS, bin, "run", "-i", tn.Cap, "--workers", "1",
		"--block-size", "262144", "--blocks", "8", "--metrics", addr, "--data-dir", filepath.Join(dir, "data"), "--nats", "embedded")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	waitFor(t, &logs, exited, "msg=capturing")
	seen := map[string]bool{}
	var body string
	tn.In(t, func() {
		// The dial creates its socket on this thread, in the namespace.
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("metrics endpoint in the namespace: %v\n%s", err, logs.String())
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
		b, _ := io.ReadAll(c)
		body = string(b)
	})
	_, body, _ = strings.Cut(body, "\r\n\r\n") // the HTTP header
	families(strings.NewReader(body), seen)
	if !seen["sigprobe_capture_packets_total"] || !seen["sigprobe_trigger_latency_seconds"] || !seen["process_resident_memory_bytes"] {
		t.Fatalf("sigprobe run's /metrics lacks the capture or process families:\n%s", body)
	}
	return seen, body
}
