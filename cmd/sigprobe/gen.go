package main

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/sigprobe/sigprobe/internal/progress"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

func init() {
	register("gen", "simulate a city's mobile network: signaling pcap + ground truth", runGen)
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gen")
	seed := fs.Uint64("seed", 1, "random seed; the same seed and scenario give the same capture")
	subs := fs.Int("subscribers", 10000, "number of subscribers")
	days := fs.Int("days", 1, "days to simulate")
	start := fs.String("start", "2026-10-01", "first day (YYYY-MM-DD, starting at midnight in the scenario's timezone)")
	scen := fs.String("scenario", "", "scenario YAML (default: the built-in scenario, see deploy/scenario.yaml)")
	out := fs.String("o", "", "output pcap file")
	truth := fs.String("truth", "", "directory for the ground-truth files")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	day, err := time.Parse("2006-01-02", *start)
	if err != nil {
		return usageError{fmt.Errorf("--start: want YYYY-MM-DD, got %q", *start)}
	}
	sc, err := scenario.Load(*scen)
	if err != nil {
		return err
	}
	cfg := sim.Config{Seed: *seed, Subscribers: *subs, Days: *days, Start: day, Scenario: sc, PCAP: *out, TruthDir: *truth}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	// Progress in simulated minutes: a line on a terminal, log lines otherwise.
	rep := progress.New(stderr, int64(*days)*24*60, "simulated minutes", progress.Options{Name: "gen"})
	cfg.Progress = func(done time.Duration) { rep.Set(int64(done / time.Minute)) }
	st, err := sim.Run(cfg)
	rep.Done()
	if err != nil {
		return err
	}
	roles := make([]string, 0, len(st.Roles))
	for r := range st.Roles {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	fmt.Fprintf(stdout, "scenario %s: %d subscribers over %d day(s) from %s\n", sc.Name, st.Subscribers, *days, day.Format("2006-01-02"))
	for _, r := range roles {
		fmt.Fprintf(stdout, "  %-10s %d\n", r, st.Roles[r])
	}
	fmt.Fprintf(stdout, "wrote %s: %d packets, %d messages, %.1f MB; %d dwell intervals in %s\n",
		*out, st.Packets, st.Messages, float64(st.Bytes)/1e6, st.Dwells, *truth)
	fmt.Fprintf(stderr, "gen: %d messages in %.1fs (%.0f messages/s)\n", st.Messages, st.Elapsed.Seconds(), float64(st.Messages)/st.Elapsed.Seconds())
	return nil
}
