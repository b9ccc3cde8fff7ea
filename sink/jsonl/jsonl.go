// Package jsonl writes the tables as JSON lines, one file per table
// (DIR/<table>.jsonl), field names as in sink's rows: the simplest output,
// for tests, jq and quick looks.
package jsonl

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigprobe/sigprobe/sink"
)

// Writer writes batches to DIR/<table>.jsonl.
type Writer struct {
	files map[string]*os.File
	bufs  map[string]*bufio.Writer
	encs  map[string]*json.Encoder
	Rows  map[string]uint64
}

// New creates dir and one empty file per table.
func New(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &Writer{files: map[string]*os.File{}, bufs: map[string]*bufio.Writer{}, encs: map[string]*json.Encoder{}, Rows: map[string]uint64{}}
	for _, t := range sink.Tables {
		f, err := os.Create(filepath.Join(dir, t+".jsonl"))
		if err != nil {
			w.Close()
			return nil, err
		}
		b := bufio.NewWriterSize(f, 1<<16)
		w.files[t], w.bufs[t], w.encs[t] = f, b, json.NewEncoder(b)
	}
	return w, nil
}

func write[T any](w *Writer, table string, rows []T) error {
	enc := w.encs[table]
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	w.Rows[table] += uint64(len(rows))
	return nil
}

// Write appends the batch's rows.
func (w *Writer) Write(b *sink.Batch) error {
	for _, err := range []error{
		write(w, "trajectories", b.Trajectories), write(w, "dwell", b.Dwell), write(w, "region_minute", b.RegionMinutes),
		write(w, "events", b.Events), write(w, "triggers", b.Triggers), write(w, "subscribers", b.Subscribers),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Close flushes and closes every file.
func (w *Writer) Close() error {
	var first error
	for t, f := range w.files {
		if err := w.bufs[t].Flush(); err != nil && first == nil {
			first = err
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
