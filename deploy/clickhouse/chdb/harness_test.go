package chdb

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	ddl "github.com/sigprobe/sigprobe/deploy/clickhouse"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/envtest"
	"github.com/sigprobe/sigprobe/internal/monthtest"
)

// here is this package's directory; the repository root is three levels up.
func here() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Dir(f)
}

func repoRoot() string { return filepath.Join(here(), "..", "..", "..") }

// nodePath finds a node_modules directory holding chdb: $SIGPROBE_CHDB_MODULES,
// or .cache/chdb/node_modules where .ci/run installs it.
func nodePath(t testing.TB) string {
	t.Helper()
	envtest.Tool(t, "node", "the chDB analysis tests need node and the npm package chdb; make test installs both")
	dir := os.Getenv("SIGPROBE_CHDB_MODULES")
	if dir == "" {
		dir = filepath.Join(repoRoot(), ".cache", "chdb", "node_modules")
	}
	cmd := exec.Command("node", "-e", "require('chdb')")
	cmd.Env = append(os.Environ(), "NODE_PATH="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		envtest.Skip(t, "npm package chdb not found in %s (make test installs it, or npm install --prefix .cache/chdb chdb): %v %s", dir, err, firstLine(out))
	}
	return dir
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// DB is a chDB database directory with the month's tables loaded.
type DB struct {
	dir, modules string
	members      map[string][]string // group -> whitelist stored in group_members
}

// schemaFile is $SIGPROBE_SCHEMA, else the deployed DDL.
func schemaFile() string {
	if f := os.Getenv("SIGPROBE_SCHEMA"); f != "" {
		return f
	}
	return filepath.Join(repoRoot(), "deploy", "clickhouse", "schema.sql")
}

// run invokes run.js; args follow the database flag.
func (db *DB) run(args ...string) ([]byte, error) {
	cmd := exec.Command("node", append([]string{filepath.Join(here(), "run.js"), "--db", db.dir}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+db.modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run.js %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

var (
	tmpRoot string // removed by TestMain
	dbMu    sync.Mutex
	dbs     = map[string]*DB{} // by month directory
)

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "sigprobe-chdb-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// monthDB returns the simulated month for seed, loaded into chDB once per
// test binary.
func monthDB(t testing.TB, seed uint64) (*monthtest.Month, *DB) {
	t.Helper()
	nodePath(t)
	dbMu.Lock()
	defer dbMu.Unlock()
	m, err := monthtest.Get(seed, subscribers, days, probeTables)
	if err != nil {
		t.Fatal(err)
	}
	return m, monthDBOf(t, m)
}

// monthDBOf loads month m into chDB once per test binary; the caller holds dbMu.
func monthDBOf(t testing.TB, m *monthtest.Month) *DB {
	t.Helper()
	if db := dbs[m.Dir]; db != nil {
		return db
	}
	db := load(t, m, filepath.Join(tmpRoot, fmt.Sprintf("db-%d", len(dbs))))
	dbs[m.Dir] = db
	return db
}

// load creates the schema and loads the month's Parquet tables and the
// reference tables from its regions.yaml into a fresh database in dir.
func load(t testing.TB, m *monthtest.Month, dir string) *DB {
	t.Helper()
	db := &DB{dir: dir, modules: nodePath(t), members: map[string][]string{}}
	rf, err := regions.Load(m.Regions())
	if err != nil {
		t.Fatal(err)
	}
	var sql strings.Builder
	for _, tbl := range []string{"dwell", "events", "subscribers", "trajectories", "region_minute", "triggers"} {
		files, _ := filepath.Glob(filepath.Join(m.Dir, tbl, "*.parquet"))
		if len(files) == 0 {
			continue
		}
		// Columns the files lack take their defaults.
		fmt.Fprintf(&sql, "INSERT INTO %s SELECT * FROM file('%s', Parquet) SETTINGS use_structure_from_insertion_table_in_table_functions = 1, input_format_parquet_allow_missing_columns = 1;\n",
			tbl, filepath.Join(m.Dir, tbl, "*.parquet"))
	}
	// The reference tables as `sigprobe schema apply --regions` loads them.
	ref, err := refStatements(rf)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range ref {
		sql.WriteString(st + ";\n")
	}
	loadSQL := dir + "-load.sql"
	if err := os.WriteFile(loadSQL, []byte(sql.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The real schema expires rows after 90 days: the simulated month is
	// fixed in October 2026, so the tests keep it whatever the date.
	args := []string{"--exec", schemaFile()}
	for _, tbl := range []string{"dwell", "events", "subscribers", "trajectories", "region_minute", "triggers"} {
		args = append(args, "--try", "ALTER TABLE "+tbl+" REMOVE TTL")
	}
	if _, err := db.run(args...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.run("--exec", loadSQL); err != nil {
		t.Fatal(err)
	}
	return db
}

func quote(s string) string { return ddl.Quote(s) }

func refStatements(rf *regions.File) ([]string, error) { return ddl.ReferenceStatements(rf) }

// Rows is a query result: a header and records.
type Rows struct {
	Header []string
	Recs   [][]string
}

// Col returns the index of column name.
func (r *Rows) Col(t testing.TB, name string) int {
	t.Helper()
	for i, h := range r.Header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, r.Header)
	return -1
}

// query runs queries/<name>.sql with parameters.
func (db *DB) query(t testing.TB, name string, params map[string]string) *Rows {
	t.Helper()
	args := []string{"--query", filepath.Join(here(), "..", "queries", name+".sql")}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--param", k+"="+params[k])
	}
	out, err := db.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no header", name)
	}
	return &Rows{Header: recs[0], Recs: recs[1:]}
}

// sqlArray formats strings as a ClickHouse Array(String) parameter value.
func sqlArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func atof(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// setMembers stores a group's whitelist for October 2026 in group_members.
func (db *DB) setMembers(t testing.TB, group string, imsis []string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "ALTER TABLE group_members DELETE WHERE group_name = %s SETTINGS mutations_sync = 1", quote(group))
	if _, err := db.run("--sql", b.String()); err != nil {
		t.Fatal(err)
	}
	if len(imsis) > 0 {
		b.Reset()
		b.WriteString("INSERT INTO group_members VALUES ")
		for i, s := range imsis {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(%s, '2026-10-01', %s)", quote(group), quote(s))
		}
		if _, err := db.run("--sql", b.String()); err != nil {
			t.Fatal(err)
		}
	}
	db.members[group] = imsis
}
