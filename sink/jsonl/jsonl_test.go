package jsonl

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

func dwells(from, to int) *sink.Batch {
	b := &sink.Batch{}
	for i := from; i < to; i++ {
		b.Dwell = append(b.Dwell, sink.Dwell{IMSI: sink.Digits(1000 + i), LAC: 1, CI: uint16(i), StartTS: int64(i), EndTS: int64(i + 1), Reason: "cell"})
	}
	return b
}

func readDwell(t *testing.T, dir string) []sink.Dwell {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "dwell.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []sink.Dwell
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d sink.Dwell
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %d: %v (%q)", len(rows)+1, err, sc.Text())
		}
		rows = append(rows, d)
	}
	return rows
}

// A crash leaves uncommitted and torn lines after the checkpoint; a writer
// reopened at the checkpoint's position cuts them, and the rows written
// again are not doubled.
func TestCheckpointResume(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(dwells(0, 10))
	pos, err := w.Checkpoint(1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(dwells(10, 15))
	w.Write(&sink.Batch{Flush: true})
	f, _ := os.OpenFile(filepath.Join(dir, "dwell.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"imsi":"1015","la`) // torn line
	f.Close()

	w2, err := New(dir, Options{Position: pos})
	if err != nil {
		t.Fatal(err)
	}
	if w2.Discarded == 0 {
		t.Error("nothing discarded")
	}
	w2.Write(dwells(10, 20))
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	rows := readDwell(t, dir)
	if len(rows) != 20 {
		t.Fatalf("%d rows, want 20", len(rows))
	}
	for i, r := range rows {
		if r.CI != uint16(i) {
			t.Fatalf("row %d has ci %d", i, r.CI)
		}
	}

	// Without a position nothing is cut: the file is appended to.
	w3, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w3.Write(dwells(20, 21))
	w3.Close()
	if n := len(readDwell(t, dir)); n != 21 {
		t.Errorf("%d rows after an append, want 21", n)
	}

	// A file shorter than its committed length is an error, not a silent reset.
	os.Truncate(filepath.Join(dir, "dwell.jsonl"), 10)
	if _, err := New(dir, Options{Position: pos}); err == nil || !strings.Contains(err.Error(), "lost rows") {
		t.Errorf("short file: %v", err)
	}
	if _, err := New(dir, Options{Position: []byte("x")}); err == nil {
		t.Error("a foreign position was accepted")
	}
}

func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "tables")
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o750 {
		t.Errorf("dir mode %v", fi.Mode().Perm())
	}
	for _, tb := range sink.Tables {
		if fi, _ := os.Stat(filepath.Join(dir, tb+".jsonl")); fi.Mode().Perm() != 0o640 {
			t.Errorf("%s mode %v", tb, fi.Mode().Perm())
		}
	}
}
