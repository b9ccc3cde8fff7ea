package probe

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/VictoriaMetrics/metrics"
)

// checkModes fails for anything under root that its group may write or
// others may read, write or enter: files at most 0640, directories 0750.
// It returns how many files and directories it checked.
func checkModes(t *testing.T, root string) (files, dirs int) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		limit := os.FileMode(0o640)
		if d.IsDir() {
			limit = 0o750
			dirs++
		} else {
			files++
		}
		if m := info.Mode().Perm(); m&^limit != 0 {
			t.Errorf("%s: mode %04o, want at most %04o", path, m, limit)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, dirs
}

// With umask 000, what a replay creates — Parquet and JSON lines tables,
// state (checkpoint, lock), the ClickHouse spool, the embedded NATS store
// and its users file, the messages file — and a live output's spill are at
// most 0640 (files) and 0750 (directories).
func TestFileModesWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	data := t.TempDir()
	os.Chmod(data, 0o750)
	pcap := simPcapN(t, 200, 20000)
	for _, format := range []string{"parquet", "jsonl"} {
		root := filepath.Join(data, format)
		if err := os.Mkdir(root, 0o750); err != nil {
			t.Fatal(err)
		}
		cfg := replayConfig(pcap, filepath.Join(root, "tables"))
		cfg.Output.Format = format
		cfg.State.Dir = filepath.Join(root, "state")
		cfg.Output.ClickHouse = ClickHouseConfig{DSN: "clickhouse://" + closedPort(t) + "/x", SpoolDir: filepath.Join(root, "spool", "clickhouse"),
			DialTimeout: 100e6, InsertTimeout: 100e6, CloseTimeout: 100e6}
		cfg.NATS.Embedded.StoreDir = filepath.Join(root, "nats")
		cfg.Messages = filepath.Join(root, "messages.jsonl")
		p, err := Open(cfg, Options{Mode: ModeReplay, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Run(context.Background()); err != nil {
			t.Logf("replay: %v", err) // ClickHouse is down: rows are spooled
		}
	}
	// A live output's spill.
	w := &slowWriter{release: make(chan struct{})}
	o, err := newOutput("files", tablesOutput, w, true, 1, filepath.Join(data, "spool"), 1<<30, privacy{}, metrics.NewSet(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		o.send(item{b: dwellBatch(i, 3)})
	}
	spill := filepath.Join(data, "spool", "files", "spill")
	if _, err := os.Stat(spill); err != nil {
		t.Fatalf("no spill: %v", err)
	}
	files, dirs := checkModes(t, data)
	close(w.release)
	o.close()
	for _, must := range []string{"parquet/tables/dwell", "jsonl/tables/dwell.jsonl", "parquet/state/checkpoint", "jsonl/nats/users.yaml",
		"jsonl/nats/consumer.nk", "parquet/nats/jetstream", "jsonl/messages.jsonl"} {
		if _, err := os.Stat(filepath.Join(data, must)); err != nil {
			t.Errorf("%s was not written: the check missed it", must)
		}
	}
	if spooled, _ := filepath.Glob(filepath.Join(data, "*", "spool", "clickhouse", "*.blk")); len(spooled) == 0 {
		t.Error("nothing in the ClickHouse spool: the check missed it")
	}
	t.Logf("umask 000: %d files and %d directories, none open to others", files, dirs)
}

// The systemd unit gives the tables directory to the analysts' group with
// the set-group-ID bit: every table file the probe writes there belongs to
// that group and is 0640, and the writers keep the bit on the directories
// they make and chmod.
func TestTablesKeepTheirGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another group")
	}
	const analysts = 4242
	pcap := simPcapN(t, 100, 5000)
	for _, format := range []string{"parquet", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			tables := filepath.Join(t.TempDir(), "tables")
			if err := os.Mkdir(tables, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(tables, -1, analysts); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(tables, 0o750|os.ModeSetgid); err != nil {
				t.Fatal(err)
			}
			cfg := replayConfig(pcap, tables)
			cfg.Output.Format = format
			replay(t, cfg, Options{})
			n := 0
			filepath.WalkDir(tables, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				info, _ := d.Info()
				st := info.Sys().(*syscall.Stat_t)
				if st.Gid != analysts {
					t.Errorf("%s: group %d, want %d", path, st.Gid, analysts)
				}
				if d.IsDir() && info.Mode()&os.ModeSetgid == 0 {
					t.Errorf("%s: lost the set-group-ID bit (%v)", path, info.Mode())
				}
				if !d.IsDir() && info.Mode().Perm() != 0o640 {
					t.Errorf("%s: mode %v, want 0640", path, info.Mode().Perm())
				}
				n++
				return nil
			})
			if n < 3 {
				t.Fatalf("only %d entries under %s", n, tables)
			}
		})
	}
}
