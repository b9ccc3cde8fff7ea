package chdb

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigprobe/sigprobe/internal/monthtest"
	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/sink/parquet"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// The analysis queries run on what the probe wrote: the simulated month's
// capture goes through `sigprobe replay` (probe.Replay) into Parquet, not
// the simulator's truth. SIGPROBE_MONTH_FROM=truth switches back, to tell a
// query's fault from the probe's.
var probeTables = func() monthtest.Probe {
	if os.Getenv("SIGPROBE_MONTH_FROM") == "truth" {
		return nil
	}
	return func(pcap, dir string) error {
		cfg := probe.DefaultConfig()
		cfg.Capture.File, cfg.Output.Dir = pcap, dir
		// The same replay writes the tables a second time, every identity
		// pseudonymized, beside dir (pseudoMonth): the files output stays
		// clear, the extra one takes privacy.pseudonymize.
		root := filepath.Dir(dir)
		key := filepath.Join(root, "pseudonym.key")
		os.Remove(key)
		if _, err := pseudonym.GenerateKeyFile(key); err != nil {
			return err
		}
		pw, err := parquet.New(filepath.Join(root, "pseudo"), parquet.Options{})
		if err != nil {
			return err
		}
		cfg.Privacy = probe.PrivacyConfig{KeyFile: key, Pseudonymize: []string{"imsi", "msisdn", "imei"}, Outputs: map[string][]string{"files": {}}}
		p, err := probe.Open(cfg, probe.Options{Mode: probe.ModeReplay, Logger: slog.New(slog.DiscardHandler),
			Extra: []probe.NamedWriter{{Name: "pseudonymized", W: pw}}})
		if err != nil {
			pw.Close()
			return err
		}
		_, err = p.Run(context.Background())
		return err
	}
}()

// pseudoMonth is m with the pseudonymized tables (nil when the month is
// the simulator's truth) and the key they were made with.
func pseudoMonth(t testing.TB, m *monthtest.Month) (*monthtest.Month, *pseudonym.Key, string) {
	t.Helper()
	root := filepath.Dir(m.Dir)
	keyFile := filepath.Join(root, "pseudonym.key")
	key, err := pseudonym.LoadKey(keyFile)
	if err != nil {
		t.Fatalf("the month's pseudonymization key: %v", err)
	}
	pm := *m
	pm.Dir = filepath.Join(root, "pseudo")
	return &pm, key, keyFile
}
