package main

import (
	"context"
	"fmt"
	"io"
	"time"

	ddl "github.com/sigprobe/sigprobe/deploy/clickhouse"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sink/clickhouse"
)

func init() {
	register("schema", "ClickHouse schema: 'schema apply --dsn DSN [--regions regions.yaml]' or 'schema print'", runSchema)
}

func runSchema(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "apply" && args[0] != "print") {
		return usageError{fmt.Errorf("want 'schema apply --dsn DSN [--cluster NAME] [--regions regions.yaml]' or 'schema print [--cluster NAME]'")}
	}
	verb := args[0]
	fs := newFlagSet("schema " + verb)
	cluster := fs.String("cluster", "", "cluster name: apply the Replicated + Distributed variant ON CLUSTER")
	var dsn, regionsPath *string
	var timeout *time.Duration
	if verb == "apply" {
		dsn = fs.String("dsn", "", "ClickHouse DSN, clickhouse://user:password@host:9000/database (native) or http(s)://user:password@host:8123/database (the database is created)")
		timeout = fs.Duration("timeout", 30*time.Second, "give up after this long")
		regionsPath = fs.String("regions", "", "regions.yaml: replace the regions, groups and calendar_days tables with it and its groups' calendars")
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
	var ref []string
	if *regionsPath != "" {
		// Read the files before touching the server: a bad file changes nothing.
		rf, err := regions.Load(*regionsPath)
		if err != nil {
			return err
		}
		if ref, err = ddl.ReferenceStatements(rf); err != nil {
			return fmt.Errorf("%s: %w", *regionsPath, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	n, err := clickhouse.Apply(ctx, *dsn, *cluster)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema applied: %d statements\n", n)
	if ref != nil {
		if err := ddl.Exec(ctx, *dsn, ref); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reference tables loaded from %s: %d statements\n", *regionsPath, len(ref))
	}
	return nil
}
