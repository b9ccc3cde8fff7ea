package main

import (
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
