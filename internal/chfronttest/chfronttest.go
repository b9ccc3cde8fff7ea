// Package chfronttest starts a real ClickHouse engine for tests:
// deploy/clickhouse/chdb/front.js serves a chDB database (ClickHouse 26
// in-process, the npm package chdb) over ClickHouse's HTTP interface, so
// that clickhouse-go talks to it as to a server. Test-only.
package chfronttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..")
}

// Modules finds a node_modules directory holding chdb the way the chDB
// analysis harness (deploy/clickhouse/chdb) does: $SIGPROBE_CHDB_MODULES,
// else .cache/chdb/node_modules where .ci/run installs it. Without node or
// chdb the test is skipped, saying which is missing (and what installs it).
func Modules(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("skipped: node not installed; the chDB engine tests need node and the npm package chdb (.ci/run installs both)")
	}
	dir := os.Getenv("SIGPROBE_CHDB_MODULES")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), ".cache", "chdb", "node_modules")
	}
	cmd := exec.Command("node", "-e", "require('chdb')")
	cmd.Env = append(os.Environ(), "NODE_PATH="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		t.Skipf("skipped: npm package chdb not found in %s (run .ci/run, or npm install --prefix .cache/chdb chdb): %v %s", dir, err, first)
	}
	return dir
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Front is one front.js process over a database directory.
type Front struct {
	t       testing.TB
	dir     string
	modules string
	Addr    string // 127.0.0.1:port, kept across restarts
	cmd     *exec.Cmd
	stderr  *lockedBuffer
}

// Start starts front.js on a free loopback port over a new database in a
// temporary directory, and stops it when the test ends.
func Start(t testing.TB) *Front {
	t.Helper()
	f := &Front{t: t, dir: filepath.Join(t.TempDir(), "chdb"), modules: Modules(t)}
	f.start("127.0.0.1:0")
	t.Cleanup(f.Stop)
	return f
}

func (f *Front) start(listen string) {
	f.t.Helper()
	f.stderr = &lockedBuffer{}
	cmd := exec.Command("node", filepath.Join(RepoRoot(), "deploy", "clickhouse", "chdb", "front.js"), "--db", f.dir, "--listen", listen)
	cmd.Env = append(os.Environ(), "NODE_PATH="+f.modules)
	cmd.Stderr = f.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			f.t.Fatalf("front.js did not start: %q %s", s, f.stderr.String())
		}
		f.Addr = addr
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		f.t.Fatalf("front.js not listening after a minute: %s", f.stderr.String())
	}
	f.cmd = cmd
}

// Kill ends the front abruptly (SIGKILL), as a crashed server.
func (f *Front) Kill() {
	if f.cmd != nil {
		f.cmd.Process.Kill()
		f.cmd.Wait()
		f.cmd = nil
	}
}

// Restart starts the front again on the same port (after Kill, or killing it).
func (f *Front) Restart() {
	f.t.Helper()
	f.Kill()
	f.start(f.Addr)
}

// Stop ends the front gracefully; its stderr is logged if the test failed.
func (f *Front) Stop() {
	if f.cmd != nil {
		f.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { f.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			f.Kill()
		}
		f.cmd = nil
	}
	if f.t.Failed() {
		f.t.Logf("front.js stderr:\n%s", f.stderr.String())
	}
}

// DSN is the clickhouse-go DSN of database db behind the front.
func (f *Front) DSN(db string) string { return "http://default:@" + f.Addr + "/" + db }

// Keys are, per table, the columns that tell its rows apart, for comparing
// what reached ClickHouse with the JSON lines of the same run.
var Keys = []struct {
	Table string
	Cols  []string
}{
	{"dwell", []string{"imsi", "lac", "ci", "start_ts", "end_ts", "reason"}},
	{"trajectories", []string{"imsi", "ts", "lac", "ci"}},
	{"events", []string{"imsi", "ts", "kind", "lac", "ci", "peer"}},
	{"region_minute", []string{"region", "minute_ts", "occupancy", "inflow", "outflow"}},
	{"triggers", []string{"id", "rule"}},
	{"subscribers", []string{"imsi", "msisdn", "imei"}},
}

// TableRows reads cols of a ClickHouse table as a multiset of "a|b|c"
// (times as unix seconds).
func TableRows(t testing.TB, dsn, table string, cols []string) map[string]int {
	t.Helper()
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ch.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exprs := make([]string, len(cols))
	for i, col := range cols {
		exprs[i] = fmt.Sprintf("toString(%s)", col)
		if strings.HasSuffix(col, "ts") {
			exprs[i] = fmt.Sprintf("toString(toUnixTimestamp(%s))", col)
		}
	}
	rows, err := c.Query(context.Background(), "SELECT "+strings.Join(exprs, ",")+" FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	vals := make([]string, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m[strings.Join(vals, "|")]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// JSONRows reads cols of a JSON lines table the same way.
func JSONRows(t testing.TB, path string, cols []string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		vals := make([]string, len(cols))
		for i, col := range cols {
			if v, ok := r[col].(float64); ok {
				vals[i] = fmt.Sprint(int64(v))
			} else {
				vals[i] = fmt.Sprint(r[col])
			}
		}
		m[strings.Join(vals, "|")]++
	}
	return m
}

// Diff is how many rows of a b lacks; Count how many a holds.
func Diff(a, b map[string]int) (n int) {
	for k, v := range a {
		n += max(0, v-b[k])
	}
	return n
}

func Count(a map[string]int) (n int) {
	for _, v := range a {
		n += v
	}
	return n
}
