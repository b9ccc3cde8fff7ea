package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigprobe/sigprobe/analysis/whitelist"
	"github.com/sigprobe/sigprobe/format/regions"
)

func init() {
	register("whitelist", "list a group's members from a month of probe data (CSV)", runWhitelist)
}

// errDSN: ClickHouse mode is the SQL itself, run by the analyst's client.
var errDSN = errors.New("ClickHouse mode is not built into sigprobe: run deploy/clickhouse/queries/group_whitelist.sql")

func runWhitelist(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("whitelist")
	d := whitelist.Defaults()
	group := fs.String("group", "", "group name (regions.yaml groups)")
	month := fs.String("month", "", "month, YYYY-MM")
	known := fs.String("known", "", "CSV of known members (header: imsi or msisdn first) to calibrate k")
	data := fs.String("data", "", "directory of the probe's Parquet tables (DIR/dwell, DIR/events, DIR/subscribers)")
	dsn := fs.String("dsn", "", "ClickHouse DSN (prints the query to run instead)")
	regionsPath := fs.String("regions", "", "regions.yaml (default DIR/regions.yaml)")
	fs.Float64Var(&d.K, "k", d.K, "presence factor; 0 calibrates it on --known")
	fs.Float64Var(&d.KMargin, "k-margin", d.KMargin, "how much a calibrated k is lowered")
	fs.BoolVar(&d.CallGraph, "call-graph", d.CallGraph, "keep only candidates who call other candidates")
	fs.Float64Var(&d.MinPeerLift, "min-peer-lift", d.MinPeerLift, "call-graph threshold (1 = calls at random)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"k", d.K}, {"k-margin", d.KMargin}, {"min-peer-lift", d.MinPeerLift}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return usageError{fmt.Errorf("--%s: want a number of at least 0, got %v", f.name, f.v)}
		}
	}
	if *group == "" {
		return usageError{errors.New("--group is required")}
	}
	m, err := time.Parse("2006-01", *month)
	if err != nil {
		return usageError{fmt.Errorf("--month: want YYYY-MM, got %q", *month)}
	}
	if (*data == "") == (*dsn == "") {
		return usageError{errors.New("give exactly one of --data DIR and --dsn DSN")}
	}
	d.Group, d.Month = *group, m
	if *known != "" {
		f, err := os.Open(*known)
		if err != nil {
			return err
		}
		d.Known, err = whitelist.ReadKnown(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *known, err)
		}
	}
	if *dsn != "" {
		var b strings.Builder
		for _, kv := range d.QueryParams() {
			fmt.Fprintf(&b, " --param_%s=%q", kv[0], kv[1])
		}
		return fmt.Errorf("%w, e.g. clickhouse-client%s --queries-file deploy/clickhouse/queries/group_whitelist.sql --format CSVWithNames", errDSN, b.String())
	}
	if *regionsPath == "" {
		*regionsPath = filepath.Join(*data, "regions.yaml")
	}
	rf, err := regions.Load(*regionsPath)
	if err != nil {
		return err
	}
	ms, err := whitelist.Run(*data, rf, d)
	if err != nil {
		return err
	}
	return whitelist.WriteCSV(stdout, ms)
}
