package chdb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	ddl "github.com/sigprobe/sigprobe/deploy/clickhouse"
	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// TestParquetREADME runs the fenced examples of sink/parquet/README.md, as
// written, on Parquet tables a replay of a simulated day wrote: the sh
// blocks' clickhouse-local commands on chDB's engine (the same SQL), the js
// block with node. Each block starts in a directory of its own holding out/.
func TestParquetREADME(t *testing.T) {
	modules := nodePath(t)
	out, rows := replayedTables(t)
	readme, err := os.ReadFile(filepath.Join(repoRoot(), "sink", "parquet", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(sh|js)\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	var sh, js int
	hour := regexp.MustCompile(`(?m)^"?2026-10-01 \d\d:00:00"?[\t,]\d+`)
	for i, b := range blocks {
		lang, body := b[1], b[2]
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		os.MkdirAll(dir, 0o755)
		if err := os.Symlink(out, filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
		var printed string
		switch lang {
		case "sh":
			sh++
			printed = runShell(t, dir, modules, body)
		case "js":
			js++
			cmd := exec.Command("node", "-e", body)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
			os.WriteFile(filepath.Join(dir, "schema.sql"), []byte(ddl.SchemaSQL), 0o644) // from the sh block before it
			o, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("README js block: %v\n%s", err, o)
			}
			printed = string(o)
		}
		// Every block ends with the hourly dwell query: hours as times
		// prove the timestamp columns are times, not numbers.
		if n := len(hour.FindAllString(printed, -1)); n != 5 {
			t.Errorf("README %s block %d: %d hourly rows, want 5:\n%s", lang, i, n, printed)
		}
		if _, err := os.Stat(filepath.Join(dir, "db")); err == nil {
			// The times arrive as the same seconds.
			got := chdbQuery(t, modules, filepath.Join(dir, "db"), "SELECT sum(toUnixTimestamp(start_ts)) + sum(toUnixTimestamp(end_ts)) FROM dwell")
			if strings.TrimSpace(got) != fmt.Sprint(dwellSeconds) {
				t.Errorf("README %s block %d: dwell times sum to %s s in ClickHouse, %d s in the files", lang, i, strings.TrimSpace(got), dwellSeconds)
			}
			// The block loaded the tables: every row of every file is there.
			for table, want := range rows {
				got := chdbQuery(t, modules, filepath.Join(dir, "db"), "SELECT count() FROM "+table)
				if strings.TrimSpace(got) != fmt.Sprint(want) && (lang == "js" || table == "dwell") {
					t.Errorf("README %s block %d: %s has %s rows, the files %d", lang, i, table, strings.TrimSpace(got), want)
				}
			}
		}
	}
	if sh != 2 || js != 1 {
		t.Errorf("README has %d sh and %d js blocks, the test expects 2 and 1: update it with the README", sh, js)
	}
}

// dwellSeconds is the sum of start_ts and end_ts over the dwell files, in
// unix seconds.
var dwellSeconds int64

// replayedTables simulates a day of a small town, replays it into Parquet
// and returns the directory and the rows of each table.
func replayedTables(t *testing.T) (string, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pcap, truth := filepath.Join(dir, "day.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 3, Subscribers: 400, Days: 1, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cfg := probe.DefaultConfig()
	cfg.Capture.File, cfg.Output.Dir, cfg.Regions = pcap, out, filepath.Join(truth, "regions.yaml")
	p, err := probe.Open(cfg, probe.Options{Mode: probe.ModeReplay, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, table := range []string{"trajectories", "dwell", "region_minute", "events", "triggers", "subscribers"} {
		files, _ := filepath.Glob(filepath.Join(out, table, "*.parquet"))
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := fh.Stat()
			pf, err := pq.OpenFile(fh, st.Size())
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			rows[table] += pf.NumRows()
			fh.Close()
		}
	}
	// The dwell times, in seconds, to compare with what ClickHouse loaded.
	type span struct {
		Start int64 `parquet:"start_ts,timestamp(millisecond)"`
		End   int64 `parquet:"end_ts,timestamp(millisecond)"`
	}
	files, _ := filepath.Glob(filepath.Join(out, "dwell", "*.parquet"))
	for _, f := range files {
		spans, err := pq.ReadFile[span](f)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range spans {
			dwellSeconds += x.Start/1000 + x.End/1000
		}
	}
	if rows["dwell"] == 0 || rows["events"] == 0 {
		t.Fatalf("the replay wrote no dwell or events rows: %v", rows)
	}
	return out, rows
}

// runShell runs a README sh block: "sigprobe schema print > F" writes the
// schema sigprobe prints, "clickhouse local [--path P] (-q SQL |
// --queries-file F)" runs on chDB. Anything else fails the test.
func runShell(t *testing.T, dir, modules, body string) string {
	t.Helper()
	var printed strings.Builder
	for _, cmd := range shellCommands(t, body) {
		switch {
		case len(cmd) == 5 && strings.Join(cmd[:4], " ") == "sigprobe schema print >":
			if err := os.WriteFile(filepath.Join(dir, cmd[4]), []byte(ddl.SchemaSQL), 0o644); err != nil {
				t.Fatal(err)
			}
		case len(cmd) >= 2 && cmd[0] == "clickhouse" && cmd[1] == "local":
			var path, sql string
			for i := 2; i < len(cmd); i++ {
				if i+1 >= len(cmd) {
					t.Fatalf("README: %v: flag %s without a value", cmd, cmd[i])
				}
				switch cmd[i] {
				case "--path":
					path = filepath.Join(dir, cmd[i+1])
				case "-q", "--query":
					sql = cmd[i+1]
				case "--queries-file":
					b, err := os.ReadFile(filepath.Join(dir, cmd[i+1]))
					if err != nil {
						t.Fatal(err)
					}
					sql = string(b)
				default:
					t.Fatalf("README: clickhouse local flag %s: the test does not know it", cmd[i])
				}
				i++
			}
			printed.WriteString(chdbRun(t, modules, dir, path, sql, "TSV"))
		default:
			t.Fatalf("README sh block: the test cannot run %q", strings.Join(cmd, " "))
		}
	}
	return printed.String()
}

// shellCommands splits a block into commands and their words: newlines end
// commands outside double quotes; a double-quoted word may span lines.
func shellCommands(t *testing.T, body string) [][]string {
	var cmds [][]string
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	for _, r := range body {
		switch {
		case quoted && r == '"':
			quoted = false
		case quoted:
			w.WriteRune(r)
		case r == '"':
			quoted, inWord = true, true
		case r == ' ' || r == '\t':
			flush()
		case r == '\n':
			flush()
			if len(words) > 0 {
				cmds = append(cmds, words)
				words = nil
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatal("README sh block: unterminated quote")
	}
	flush()
	if len(words) > 0 {
		cmds = append(cmds, words)
	}
	return cmds
}

// chdbRun runs SQL (several statements allowed) in a chDB session at path
// (a temporary one when empty) from dir and returns what it printed.
func chdbRun(t *testing.T, modules, dir, path, sql, format string) string {
	t.Helper()
	sess := "new Session()"
	if path != "" {
		sess = "new Session(" + jsString(path) + ")"
	}
	script := "const { Session } = require('chdb'); const s = " + sess + "; try { process.stdout.write(s.query(" +
		jsString(sql) + ", " + jsString(format) + ")); } finally { s.close(); }"
	cmd := exec.Command("node", "-e", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	o, err := cmd.Output()
	if err != nil {
		t.Fatalf("chDB: %v: %s\nSQL: %s", err, stderr.String(), sql)
	}
	return string(o)
}

func chdbQuery(t *testing.T, modules, path, sql string) string {
	return chdbRun(t, modules, filepath.Dir(path), path, sql, "CSV")
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
