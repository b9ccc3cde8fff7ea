package main

import (
	"fmt"
	"io"

	"github.com/sigprobe/sigprobe/internal/progress"
	"github.com/sigprobe/sigprobe/probe"
	report "github.com/sigprobe/sigprobe/sink/summary"
)

func init() {
	register("replay", "run a capture through the probe pipeline and write its tables", runReplay)
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	pf := newProbeFlags("replay", probe.ModeReplay)
	wantSummary := pf.fs.Bool("summary", false, "print a short report of regions and triggers to stdout")
	linger := pf.fs.Bool("keep-serving", false, "with --nats embedded: keep the NATS server serving after the replay, until interrupted")
	cfg, err := pf.load(args, stderr)
	if err != nil {
		return err
	}
	// The log and the progress line share stderr: a log line erases the
	// progress line, which is drawn again below it.
	con := progress.NewConsole(stderr)
	log := newLogger(con, cfg.Log)
	opt := probe.Options{Mode: probe.ModeReplay, Logger: log, Stdout: stdout, ResetState: pf.resetState(), Version: version(), Linger: *linger}
	var tally *report.Writer
	if *wantSummary {
		tally = report.New()
		opt.Extra = append(opt.Extra, probe.NamedWriter{Name: "summary", W: tally})
	}
	p, err := openProbe(cfg, opt)
	if err != nil {
		return err
	}
	if u := p.NATSURL(); u != "" {
		fmt.Fprintf(stdout, "nats: embedded JetStream server at %s (stream SIGPROBE_TRIGGERS, subjects sigprobe.trigger.<kind>.<region>; users in %s)\n", u, p.NATSUsersFile())
	}
	ctx, stop := signalContext()
	defer stop()
	// Progress in bytes of the capture read: a line on a terminal, a log
	// line every 10 s otherwise. The reader counts; the reporter asks.
	_, size := p.CaptureProgress()
	rep := progress.New(con, size, "bytes", progress.Options{Name: "replay", Logger: log,
		Poll: func() int64 { n, _ := p.CaptureProgress(); return n }})
	st, err := p.Run(ctx)
	rep.Done()
	if tally != nil {
		tally.Report(stdout)
	}
	if err == nil && *linger && p.NATSURL() != "" {
		log.Info("replay done; the embedded NATS server keeps serving until interrupted", "url", p.NATSURL())
		p.Linger(ctx)
	}
	fmt.Fprintf(stderr, "replay: packets=%d messages=%d subscribers=%d unidentified=%d dwell=%d triggers=%d decode_errors=%d unresolved=%d held=%d no_connection=%d evicted=%d reorder_late=%d clock_outliers=%d truncated=%d checkpoints=%d msgs_per_s=%.0f\n",
		st.Packets, st.Decode.Messages, st.State.Subscribers, st.Unidentified(), st.State.DwellRows, st.Triggers, st.Decode.Errors,
		st.Resolver.Unresolved, st.HeldObservations, st.NoConnection(), st.Evicted(), st.Reorder.Late, st.Reorder.Outliers,
		st.Truncated, st.Checkpoints, st.MessagesPerSecond())
	return err
}
