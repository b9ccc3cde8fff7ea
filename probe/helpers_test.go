package probe

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// replayConfig is a replay of pcap into out as JSON lines.
func replayConfig(pcap, out string) Config {
	c := DefaultConfig()
	c.Capture.File = pcap
	c.Output.Dir, c.Output.Format = out, "jsonl"
	return c
}

// quiet is a logger for tests; SIGPROBE_TEST_LOG=1 shows the probe's log.
func quiet() *slog.Logger {
	if os.Getenv("SIGPROBE_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}

// replay runs cfg through a replay probe and fails t on error.
func replay(t testing.TB, cfg Config, opt Options) Stats {
	t.Helper()
	opt.Mode = ModeReplay
	if opt.Logger == nil {
		opt.Logger = quiet()
	}
	p, err := Open(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
