package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sigprobe/sigprobe/internal/sdnotify"
	"github.com/sigprobe/sigprobe/probe"
)

func init() {
	register("run", "capture live from tap interfaces and run the probe pipeline", runRun)
}

func runRun(args []string, stdout, stderr io.Writer) error {
	pf := newProbeFlags("run", probe.ModeRun)
	cfg, err := pf.load(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.Log)
	// Under systemd (Type=notify): READY=1 once capturing, the watchdog.
	notify, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("not telling systemd about readiness", "err", err)
	}
	p, err := openProbe(cfg, probe.Options{Mode: probe.ModeRun, Logger: log, Stdout: stdout, ResetState: pf.resetState(), Version: version(), Notify: notify})
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				// A file that does not load keeps everything as it was.
				if err := p.Reload(); err != nil {
					log.Error("SIGHUP: reload failed, keeping the old configuration", "err", err)
					continue
				}
				log.Info("SIGHUP: reloaded regions, trigger rules, attributes and consent lists; subscriber state and caps kept")
			}
		}
	}()
	_, err = p.Run(ctx) // logs its summary
	return err
}
