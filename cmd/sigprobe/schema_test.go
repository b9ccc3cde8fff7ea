package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSchemaBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no verb", []string{"schema"}, 2, "schema apply"},
		{"unknown verb", []string{"schema", "drop"}, 2, "schema apply"},
		{"no dsn", []string{"schema", "apply"}, 2, "--dsn"},
		{"bad dsn", []string{"schema", "apply", "--dsn", "clickhouse://host:notaport/x"}, 1, "bad DSN"},
		{"bad scheme", []string{"schema", "apply", "--dsn", "postgres://127.0.0.1:5432/x"}, 1, `scheme "postgres"`},
		{"http unreachable", []string{"schema", "apply", "--dsn", "http://u:secret@127.0.0.1:1/x", "--timeout", "2s"}, 1, "127.0.0.1:1"},
		{"unreachable", []string{"schema", "apply", "--dsn", "clickhouse://127.0.0.1:1/x", "--timeout", "2s"}, 1, "127.0.0.1:1"},
		{"stray", []string{"schema", "apply", "--dsn", "clickhouse://h/x", "extra"}, 2, "unexpected argument"},
		{"missing regions", []string{"schema", "apply", "--dsn", "clickhouse://127.0.0.1:1/x", "--regions", "/nonexistent/regions.yaml"}, 1, "/nonexistent/regions.yaml"},
		{"bad calendar", []string{"schema", "apply", "--dsn", "clickhouse://127.0.0.1:1/x", "--regions", badCalendarRegions(t)}, 1, "line 2: kind: want holiday or workday"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("want a one-line error, got %q", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "secret") {
				t.Fatalf("stderr %q shows the password", stderr)
			}
		})
	}
}

func TestSchemaPrint(t *testing.T) {
	code, out, stderr := run("schema", "print")
	if code != 0 || !strings.Contains(out, "CREATE TABLE IF NOT EXISTS dwell\n") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, out, _ = run("schema", "print", "--cluster", "probes")
	if code != 0 || !strings.Contains(out, "ON CLUSTER 'probes'") || strings.Contains(out, "{cluster}") {
		t.Fatalf("cluster schema: exit %d", code)
	}
}

// badCalendarRegions writes a regions file whose group's calendar has a bad line.
func badCalendarRegions(t *testing.T) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cal.csv"), []byte("date,kind,name\n2026-10-01,vacation,x\n"), 0o644)
	p := filepath.Join(dir, "regions.yaml")
	os.WriteFile(p, []byte("regions:\n  - {name: park, kind: office_park, cells: [{lac: 1, ci: 2}]}\ngroups:\n  - {name: g, region: park, workdays: mon-fri, start: \"09:00\", end: \"18:00\", timezone: Asia/Shanghai, calendar: cal.csv}\n"), 0o644)
	return p
}
