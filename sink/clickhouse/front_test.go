package clickhouse

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/sigprobe/sigprobe/internal/chfronttest"
)

// A real ClickHouse engine for tests: deploy/clickhouse/chdb/front.js
// serves a chDB database (ClickHouse 26 in-process, the npm package chdb)
// over ClickHouse's HTTP interface, and the sink talks to it through
// clickhouse-go like to a server.

// chdbFront is the front with the sink's helpers for reading back.
type chdbFront struct {
	*chfronttest.Front
	t testing.TB
}

// startFront starts front.js on a free loopback port over a new database
// in a temporary directory, and stops it when the test ends.
func startFront(t testing.TB) *chdbFront { return &chdbFront{chfronttest.Start(t), t} }

func (f *chdbFront) dsn(db string) string { return f.DSN(db) }
func (f *chdbFront) kill()                { f.Kill() }
func (f *chdbFront) restart()             { f.Restart() }

// conn opens a clickhouse-go connection to the front for reading back.
func (f *chdbFront) conn(db string) driver.Conn {
	f.t.Helper()
	opts, err := openOptions(f.dsn(db))
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := ch.Open(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// setup applies the deployed schema through the front and stops merges of
// the ReplacingMergeTree, which would hide a doubled row.
func (f *chdbFront) setup(ctx context.Context, db string) driver.Conn {
	f.t.Helper()
	if _, err := Apply(ctx, f.dsn(db), ""); err != nil {
		f.t.Fatalf("schema through the front: %v", err)
	}
	c := f.conn(db)
	if err := c.Exec(ctx, "SYSTEM STOP MERGES subscribers"); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// tableKeys reads a table back and renders each row as streamKeys does.
func tableKeys(ctx context.Context, t testing.TB, c driver.Conn, table string) []string {
	t.Helper()
	rows, err := c.Query(ctx, "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	vals := make([]any, len(types))
	var out []string
	for rows.Next() {
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if tm, ok := v.(*time.Time); ok {
				parts[i] = fmt.Sprint(tm.Unix())
			} else {
				parts[i] = fmt.Sprint(reflect.ValueOf(v).Elem().Interface())
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// checkTables compares every table with the stream: each row once.
func checkTables(ctx context.Context, t testing.TB, c driver.Conn, want map[string][]string) {
	t.Helper()
	for _, tb := range tables {
		got := tableKeys(ctx, t, c, tb.name)
		var n uint64
		if err := c.QueryRow(ctx, "SELECT count() FROM "+tb.name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != uint64(len(want[tb.name])) || !slices.Equal(got, want[tb.name]) {
			t.Errorf("%s: %d rows in the table (%d read back), want the %d written, each once", tb.name, n, len(got), len(want[tb.name]))
			for i := range min(len(got), len(want[tb.name])) {
				if got[i] != want[tb.name][i] {
					t.Errorf("%s: first difference:\n got %s\nwant %s", tb.name, got[i], want[tb.name][i])
					break
				}
			}
		}
	}
}

// The front rewrites chDB's Native output for clickhouse-go's protocol
// revision by walking each column's data: nested, nullable, low-cardinality
// and fixed-size types, and results of several blocks, read back intact.
func TestFrontNativeTypes(t *testing.T) {
	f := startFront(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := f.conn("default")
	rows, err := c.Query(ctx, `SELECT number AS x, if(number = 1, NULL, toUInt8(number)) AS n,
		[toLowCardinality('a'), toLowCardinality(toString(number))] AS alc, map('k', toUInt32(number)) AS m,
		tuple(toUInt16(number), concat('t', toString(number))) AS tp, toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + number AS dt64,
		toFixedString('ab', 2) AS fs, toUUID('00000000-0000-0000-0000-00000000000a') AS u, toDecimal64(1.25, 2) AS d,
		if(number = 2, 'y', NULL) AS ns, toLowCardinality(toNullable('lc')) AS lcn
		FROM numbers(3)`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	types := rows.ColumnTypes()
	vals := make([]any, len(types))
	for rows.Next() {
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			e := reflect.ValueOf(v).Elem()
			if e.Kind() == reflect.Pointer {
				if e.IsNil() {
					parts = append(parts, "NULL")
					continue
				}
				e = e.Elem()
			}
			if tm, ok := e.Interface().(time.Time); ok {
				parts = append(parts, tm.UTC().Format("2006-01-02T15:04:05.000"))
				continue
			}
			parts = append(parts, fmt.Sprint(e.Interface()))
		}
		got = append(got, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0 | 0 | [a 0] | map[k:0] | [0 t0] | 2026-01-01T00:00:00.000 | ab | 00000000-0000-0000-0000-00000000000a | 1.25 | NULL | lc",
		"1 | NULL | [a 1] | map[k:1] | [1 t1] | 2026-01-01T00:00:01.000 | ab | 00000000-0000-0000-0000-00000000000a | 1.25 | NULL | lc",
		"2 | 2 | [a 2] | map[k:2] | [2 t2] | 2026-01-01T00:00:02.000 | ab | 00000000-0000-0000-0000-00000000000a | 1.25 | y | lc",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read back\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var n, sum uint64
	if err := c.QueryRow(ctx, "SELECT count(), sum(length(s)) FROM (SELECT toString(number) AS s FROM numbers(300000))").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	many, err := c.Query(ctx, "SELECT number, toString(number) FROM numbers(300000)")
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	for many.Next() {
		var x uint64
		var s string
		if err := many.Scan(&x, &s); err != nil {
			t.Fatal(err)
		}
		if s != fmt.Sprint(x) {
			t.Fatalf("row %d reads %q", x, s)
		}
		count++
	}
	if err := many.Err(); err != nil || count != 300000 || n != 300000 {
		t.Fatalf("read %d of 300000 rows over several blocks (count() %d): %v", count, n, err)
	}
}
