package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sigprobe/sigprobe/sink/clickhouse"
)

func init() {
	register("schema", "ClickHouse schema: 'schema apply --dsn DSN' or 'schema print'", runSchema)
}

func runSchema(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "apply" && args[0] != "print") {
		return usageError{fmt.Errorf("want 'schema apply --dsn DSN [--cluster NAME]' or 'schema print [--cluster NAME]'")}
	}
	verb := args[0]
	fs := newFlagSet("schema " + verb)
	cluster := fs.String("cluster", "", "cluster name: apply the Replicated + Distributed variant ON CLUSTER")
	var dsn *string
	var timeout *time.Duration
	if verb == "apply" {
		dsn = fs.String("dsn", "", "ClickHouse DSN, clickhouse://user:password@host:9000/database (native) or http(s)://user:password@host:8123/database (the database is created)")
		timeout = fs.Duration("timeout", 30*time.Second, "give up after this long")
	}
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if verb == "print" {
		_, err := io.WriteString(stdout, clickhouse.Schema(*cluster))
		return err
	}
	if *dsn == "" {
		return usageError{fmt.Errorf("--dsn is required")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	n, err := clickhouse.Apply(ctx, *dsn, *cluster)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema applied: %d statements\n", n)
	return nil
}
