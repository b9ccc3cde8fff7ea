package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/sigprobe/sigprobe/analysis/whitelist"
	"github.com/sigprobe/sigprobe/format/regions"
)

func init() {
	register("whitelist", "list a group's members from a month of probe data (CSV)", runWhitelist)
}

func runWhitelist(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("whitelist")
	d := whitelist.Defaults()
	group := fs.String("group", "", "group name (regions.yaml groups)")
	month := fs.String("month", "", "month, YYYY-MM (local to the group's timezone)")
	known := fs.String("known", "", "CSV of known members (header: imsi or msisdn first): calibrate k and seed the call graph")
	data := fs.String("data", "", "directory of the probe's Parquet tables (DIR/dwell, DIR/events, DIR/subscribers)")
	dsn := fs.String("dsn", "", "ClickHouse native DSN, clickhouse://user:password@host:9000/database: run deploy/clickhouse/queries/group_whitelist.sql there")
	regionsPath := fs.String("regions", "", "regions.yaml with --data (default DIR/regions.yaml)")
	timeout := fs.Duration("timeout", 10*time.Minute, "with --dsn, give up after this long")
	fs.Float64Var(&d.K, "k", d.K, "presence factor; 0 calibrates it (on --known, or from the presence distribution)")
	fs.Float64Var(&d.KnownPass, "known-pass", d.KnownPass, "share of known members the first threshold must pass")
	fs.Float64Var(&d.BandZ, "band-z", d.BandZ, "lower k while the call graph confirms more of what each step admits than chance, by this many standard deviations")
	fs.Float64Var(&d.Alpha, "alpha", d.Alpha, "call-graph significance: the chance of as many member peers calling at random")
	fs.IntVar(&d.MinSlots, "min-slots", d.MinSlots, "present hourly slots that make a presence day")
	fs.IntVar(&d.MaxOffdays, "max-offdays", d.MaxOffdays, "presence days on days off above which a subscriber is not a member")
	fs.BoolVar(&d.CallGraph, "call-graph", d.CallGraph, "admit candidates through the call graph (off: presence and location alone)")
	fs.IntVar(&d.MinPeers, "min-peers", d.MinPeers, "member peers a candidate needs in the call graph")
	fs.Float64Var(&d.MinPeerLift, "min-peer-lift", d.MinPeerLift, "call-graph threshold (1 = calls at random)")
	fs.IntVar(&d.MinDays, "min-days", d.MinDays, "days with data the month needs")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"k", d.K}, {"known-pass", d.KnownPass}, {"band-z", d.BandZ}, {"alpha", d.Alpha}, {"min-peer-lift", d.MinPeerLift}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return usageError{fmt.Errorf("--%s: want a number of at least 0, got %v", f.name, f.v)}
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"min-slots", d.MinSlots}, {"max-offdays", d.MaxOffdays}, {"min-peers", d.MinPeers}, {"min-days", d.MinDays}} {
		if f.v < 0 {
			return usageError{fmt.Errorf("--%s: want a whole number of at least 0, got %d", f.name, f.v)}
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
	var res *whitelist.Result
	if *dsn != "" {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		rows, err := whitelist.QueryClickHouse(ctx, *dsn, d)
		if err != nil {
			return err
		}
		in, sharing, err := whitelist.FromRows(rows)
		if err != nil {
			return fmt.Errorf("group %q: %w", *group, err)
		}
		if res, err = whitelist.Select(in, d, sharing); err != nil {
			return err
		}
	} else {
		if *regionsPath == "" {
			*regionsPath = filepath.Join(*data, "regions.yaml")
		}
		rf, err := regions.Load(*regionsPath)
		if err != nil {
			return err
		}
		if res, err = whitelist.Run(*data, rf, d); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "whitelist %s %s: %d members, k %.4f (%s, %d steps)\n", *group, *month, len(res.Members), res.K, res.Method, res.Rounds)
	return whitelist.WriteCSV(stdout, res.Members)
}
