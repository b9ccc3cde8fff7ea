package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sigprobe/sigprobe/probe"
)

func init() {
	register("check", "validate a configuration as run (or replay) would load it and print the effective configuration", runCheck)
}

// runCheck is `sigprobe check --config FILE [--mode run|replay] [flags]`:
// the flags of the mode are accepted (they override the file as they
// would), the effective configuration goes to stdout, one line per check
// to stderr, and the exit status is 1 when a run would not start.
func runCheck(args []string, stdout, stderr io.Writer) error {
	mode, err := checkMode(args)
	if err != nil {
		return usageError{err}
	}
	pf := newProbeFlags("check", mode)
	pf.fs.String("mode", "run", "check the configuration as `run` or replay would use it")
	quiet := pf.fs.Bool("quiet", false, "print only warnings and errors, not the effective configuration")
	timeout := pf.fs.Duration("timeout", 3*time.Second, "how long ClickHouse and NATS may take to answer")
	cfg, err := pf.load(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	rep := probe.Check(ctx, cfg, mode, probe.CheckOptions{Timeout: *timeout, ResetState: pf.resetState()})
	source := *pf.config
	if source == "" {
		source = "no configuration file"
	}
	if !*quiet && rep.Resolved {
		fmt.Fprintf(stdout, "# The effective configuration of `sigprobe %s` (%s, flags and defaults; passwords hidden).\n", mode, source)
		if err := rep.WriteConfig(stdout); err != nil {
			return err
		}
	}
	for _, f := range rep.Findings {
		switch {
		case f.Severity != probe.OK:
			fmt.Fprintf(stderr, "%-7s %s\n", f.Severity, f)
		case !*quiet:
			fmt.Fprintf(stderr, "%-7s %s: %s\n", f.Severity, f.Key, f.Msg)
		}
	}
	errs, warns := rep.Count(probe.Error), rep.Count(probe.Warning)
	if errs > 0 {
		return fmt.Errorf("%s: %s, %s: `sigprobe %s` would not start", source, plural(errs, "error"), plural(warns, "warning"), mode)
	}
	if !*quiet || warns > 0 {
		fmt.Fprintf(stderr, "sigprobe check: %s: no error, %s: `sigprobe %s` would start\n", source, plural(warns, "warning"), mode)
	}
	return nil
}

// checkMode finds --mode among args before the flags are defined: which
// flags check takes depends on it.
func checkMode(args []string) (probe.Mode, error) {
	v := "run"
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "mode" {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return 0, fmt.Errorf("--mode needs a value: run or replay")
			}
			val = args[i+1]
		}
		v = val
	}
	switch v {
	case "run":
		return probe.ModeRun, nil
	case "replay":
		return probe.ModeReplay, nil
	}
	return 0, fmt.Errorf("--mode %q: want run or replay", v)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
