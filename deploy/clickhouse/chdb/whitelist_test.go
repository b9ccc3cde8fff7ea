package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/analysis/whitelist"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
)

// Default size of the simulated month (the floor).
const (
	subscribers = 5000
	days        = 31
)

// knownShare is the share of true members an account manager knows: 0.15,
// or $SIGPROBE_KNOWN_SHARE.
var knownShare = func() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("SIGPROBE_KNOWN_SHARE"), 64); err == nil && v > 0 && v <= 1 {
		return v
	}
	return 0.15
}()

// seeds are the simulator seeds to check: 1 by default, more with
// SIGPROBE_SEEDS=1,2,3 (the robustness run).
func seeds(t testing.TB) []uint64 {
	v := os.Getenv("SIGPROBE_SEEDS")
	if v == "" {
		return []uint64{1}
	}
	var out []uint64
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("SIGPROBE_SEEDS: %v", err)
		}
		out = append(out, n)
	}
	return out
}

// params are the defaults of `sigprobe whitelist` for October 2026.
func params(group string, known []string) whitelist.Params {
	p := whitelist.Defaults()
	p.Group, p.Month, p.Known = group, monthtest.Start, known
	return p
}

// sqlFeatures runs group_whitelist.sql on chDB and parses its rows the way
// QueryClickHouse scans them.
func sqlFeatures(t testing.TB, db *DB, p whitelist.Params) []whitelist.Row {
	t.Helper()
	rows := db.query(t, "group_whitelist", p.QueryParams())
	if !slices.Equal(rows.Header, whitelist.Columns) {
		t.Fatalf("group_whitelist.sql columns %v, want %v", rows.Header, whitelist.Columns)
	}
	out := make([]whitelist.Row, len(rows.Recs))
	n := func(s string) int64 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("group_whitelist.sql: not an integer: %q", s)
		}
		return v
	}
	for i, r := range rows.Recs {
		var peers []string
		for _, x := range strings.Split(strings.Trim(r[7], "[]"), ",") {
			if x = strings.Trim(x, "'"); x != "" {
				peers = append(peers, x)
			}
		}
		out[i] = whitelist.Row{IMSI: r[0], MSISDN: r[1], Known: n(r[2]), PDays: n(r[3]), Offdays: n(r[4]), Nights: n(r[5]),
			Degree: n(r[6]), Peers: peers, Days: n(r[8]), Rest: n(r[9]), Data: n(r[10]), Numbers: n(r[11]), GroupsInRegion: n(r[12])}
	}
	return out
}

// sqlWhitelist is what `sigprobe whitelist --dsn` does: the SQL features,
// then the shared selection.
func sqlWhitelist(t testing.TB, db *DB, p whitelist.Params) (*whitelist.Input, *whitelist.Result, error) {
	t.Helper()
	in, sharing, err := whitelist.FromRows(sqlFeatures(t, db, p))
	if err != nil {
		t.Fatal(err)
	}
	res, err := whitelist.Select(in, p, sharing)
	return in, res, err
}

// score compares a whitelist with the truth.
func score(got []whitelist.Member, truth map[string]bool) (precision, recall float64, fp, fn int) {
	tp := 0
	for _, s := range got {
		if truth[s.IMSI] {
			tp++
		} else {
			fp++
		}
	}
	fn = len(truth) - tp
	if len(got) > 0 {
		precision = float64(tp) / float64(len(got))
	}
	if len(truth) > 0 {
		recall = float64(tp) / float64(len(truth))
	}
	return precision, recall, fp, fn
}

func imsis(ms []whitelist.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.IMSI
	}
	return out
}

// sameFeatures reports the first difference between the Go and SQL features.
func sameFeatures(a, b *whitelist.Input) error {
	if a.Month != b.Month {
		return fmt.Errorf("month facts: Go %+v, SQL %+v", a.Month, b.Month)
	}
	if len(a.Pool) != len(b.Pool) {
		return fmt.Errorf("pool: Go %d subscribers, SQL %d", len(a.Pool), len(b.Pool))
	}
	for i := range a.Pool {
		x, y := a.Pool[i], b.Pool[i]
		if len(x.Peers) == 0 && len(y.Peers) == 0 {
			x.Peers, y.Peers = nil, nil
		}
		if !reflect.DeepEqual(x, y) {
			return fmt.Errorf("pool row %d: Go %+v, SQL %+v", i, x, y)
		}
	}
	return nil
}

func TestGroupWhitelist(t *testing.T) {
	nodePath(t)
	for _, seed := range seeds(t) {
		m, db := monthDB(t, seed)
		rf, err := regions.Load(m.Regions())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			truth, err := m.Members(g.Name)
			if err != nil {
				t.Fatal(err)
			}
			known, err := m.Known(g.Name, knownShare, seed)
			if err != nil {
				t.Fatal(err)
			}
			p := params(g.Name, known)
			in, res, err := sqlWhitelist(t, db, p)
			if err != nil {
				t.Fatalf("seed %d group %s: %v", seed, g.Name, err)
			}
			// The Go path computes the same features from the Parquet files.
			goIn, err := whitelist.Features(m.Dir, rf, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameFeatures(goIn, in); err != nil {
				t.Errorf("seed %d group %s: %v", seed, g.Name, err)
			}
			pr, rc, fp, fn := score(res.Members, truth)
			t.Logf("seed %d %-8s members %3d known %2d k %.3f (%s) listed %3d precision %.4f recall %.4f (fp %d, fn %d)",
				seed, g.Name, len(truth), len(known), res.K, res.Method, len(res.Members), pr, rc, fp, fn)
			db.setMembers(t, g.Name, imsis(res.Members))
			if pr < 0.95 || rc < 0.95 {
				t.Errorf("seed %d group %s: precision %.4f recall %.4f, want >= 0.95 each", seed, g.Name, pr, rc)
			}
			// The Go path's selection on its own features lists the same members
			// (cmd/sigprobe tests `sigprobe whitelist --data` end to end).
			goRes, err := whitelist.Select(goIn, p, sharing(rf, g.Region))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := imsis(goRes.Members), imsis(res.Members); !slices.Equal(a, b) {
				t.Errorf("seed %d group %s: the Go path lists %d members, the SQL on chDB %d; differ: %v", seed, g.Name, len(a), len(b), symDiff(a, b))
			}
		}
	}
}

// Too little data: a month with only its first day gives a reason, not a header.
func TestWhitelistTooLittleData(t *testing.T) {
	m, db := monthDB(t, 1)
	dir := filepath.Join(t.TempDir(), "db")
	one := &DB{dir: dir, modules: db.modules, members: map[string][]string{}}
	rf, _ := regions.Load(m.Regions())
	if _, err := one.run("--exec", schemaFile()); err != nil {
		t.Fatal(err)
	}
	// The first day of dwell only, and the reference tables.
	first := monthtest.Start.Unix()
	var stmts []string
	stmts = append(stmts, fmt.Sprintf("INSERT INTO dwell SELECT * FROM file('%s', Parquet) WHERE toInt64(end_ts) < %d SETTINGS use_structure_from_insertion_table_in_table_functions = 1, input_format_parquet_allow_missing_columns = 1",
		filepath.Join(m.Dir, "dwell", "*.parquet"), first+86400))
	stmts = append(stmts, fmt.Sprintf("INSERT INTO subscribers SELECT * FROM file('%s', Parquet) SETTINGS use_structure_from_insertion_table_in_table_functions = 1, input_format_parquet_allow_missing_columns = 1",
		filepath.Join(m.Dir, "subscribers", "*.parquet")))
	refs, err := refStatements(rf)
	if err != nil {
		t.Fatal(err)
	}
	stmts = append(stmts, refs...)
	f := dir + "-load.sql"
	if err := os.WriteFile(f, []byte(strings.Join(stmts, ";\n")+";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := one.run("--exec", f); err != nil {
		t.Fatal(err)
	}
	_, _, err = sqlWhitelist(t, one, params("acme", nil))
	if !errors.Is(err, whitelist.ErrTooLittleData) || !strings.Contains(err.Error(), "1 day(s) of data in 2026-10; the method needs at least 14") {
		t.Fatalf("one day of data: %v", err)
	}
}

// sharing is the number of groups working in region.
func sharing(rf *regions.File, region string) int {
	n := 0
	for _, g := range rf.Groups {
		if g.Region == region {
			n++
		}
	}
	return n
}

func symDiff(a, b []string) []string {
	in := map[string]int{}
	for _, x := range a {
		in[x] |= 1
	}
	for _, x := range b {
		in[x] |= 2
	}
	var out []string
	for x, v := range in {
		if v != 3 {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// members returns the group's whitelist (known: 15% of the truth) as
// `sigprobe whitelist --dsn` computes it, storing it in group_members if no
// test did yet.
func members(t testing.TB, m *monthtest.Month, db *DB, group string) []string {
	t.Helper()
	if ms, ok := db.members[group]; ok {
		return ms
	}
	known, err := m.Known(group, knownShare, m.Seed)
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := sqlWhitelist(t, db, params(group, known))
	if err != nil {
		t.Fatal(err)
	}
	got := imsis(res.Members)
	db.setMembers(t, group, got)
	return got
}
