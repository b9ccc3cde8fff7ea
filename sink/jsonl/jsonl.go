// Package jsonl writes the tables as JSON lines, one file per table
// (DIR/<table>.jsonl), field names as in sink's rows: the simplest output,
// for tests, jq and quick looks.
package jsonl

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigprobe/sigprobe/sink"
)

// Options configure a Writer.
type Options struct {
	// Position is what Checkpoint returned before a restart (nil: a fresh
	// start). Each file is cut back to its length at that checkpoint: the
	// lines after it (a crash's torn or uncommitted tail) are written again
	// by the probe.
	Position []byte
	// FileMode and DirMode are the permissions of what the writer creates
	// (defaults 0640 and 0750: tables hold personal data).
	FileMode, DirMode os.FileMode
}

// Writer appends batches to DIR/<table>.jsonl. Files are never truncated
// at start: a Writer without a position appends to what is there.
type Writer struct {
	dir   string
	files []*os.File // in sink.Tables order
	bufs  []*bufio.Writer
	encs  []*json.Encoder
	Rows  map[string]uint64
	// Discarded is the number of bytes cut at open (after the position).
	Discarded int64
}

// New opens (creating if needed) one file per table in dir.
func New(dir string, opts Options) (*Writer, error) {
	if opts.FileMode == 0 {
		opts.FileMode = 0o640
	}
	if opts.DirMode == 0 {
		opts.DirMode = 0o750
	}
	var sizes []int64
	if opts.Position != nil {
		var err error
		if sizes, err = decodePosition(opts.Position); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, opts.DirMode); err != nil {
		return nil, err
	}
	// Whatever the umask; a set-group-ID bit (deploy/systemd) stays, so new
	// files belong to the directory's group.
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, opts.DirMode|st.Mode()&os.ModeSetgid); err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, Rows: map[string]uint64{}}
	for i, t := range sink.Tables {
		path := filepath.Join(dir, t+".jsonl")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, opts.FileMode)
		if err == nil {
			err = f.Chmod(opts.FileMode) // whatever the umask
		}
		if err != nil {
			w.Close()
			return nil, err
		}
		if sizes != nil {
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				w.Close()
				return nil, err
			}
			if fi.Size() < sizes[i] {
				f.Close()
				w.Close()
				return nil, fmt.Errorf("jsonl: %s has %d bytes, the checkpoint recorded %d: the table lost rows it had committed", path, fi.Size(), sizes[i])
			}
			if fi.Size() > sizes[i] {
				w.Discarded += fi.Size() - sizes[i]
				if err := f.Truncate(sizes[i]); err != nil {
					f.Close()
					w.Close()
					return nil, err
				}
			}
		}
		b := bufio.NewWriterSize(f, 1<<16)
		w.files, w.bufs, w.encs = append(w.files, f), append(w.bufs, b), append(w.encs, json.NewEncoder(b))
	}
	return w, nil
}

const positionMagic = "JL1:"

func decodePosition(p []byte) ([]int64, error) {
	if len(p) != len(positionMagic)+8*len(sink.Tables) || string(p[:len(positionMagic)]) != positionMagic {
		return nil, fmt.Errorf("jsonl: checkpoint position is not this writer's (%d bytes)", len(p))
	}
	p = p[len(positionMagic):]
	s := make([]int64, len(sink.Tables))
	for i := range s {
		s[i] = int64(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return s, nil
}

func write[T any](w *Writer, i int, rows []T) error {
	enc := w.encs[i]
	for j := range rows {
		if err := enc.Encode(&rows[j]); err != nil {
			return fmt.Errorf("%s: %w", sink.Tables[i], err)
		}
	}
	w.Rows[sink.Tables[i]] += uint64(len(rows))
	return nil
}

// Write appends the batch's rows; with b.Flush they are flushed to the
// files (not synced) so readers see them.
func (w *Writer) Write(b *sink.Batch) error {
	if err := errors.Join(
		write(w, 0, b.Trajectories), write(w, 1, b.Dwell), write(w, 2, b.RegionMinutes),
		write(w, 3, b.Events), write(w, 4, b.Triggers), write(w, 5, b.Subscribers)); err != nil {
		return err
	}
	if b.Flush {
		return w.flush()
	}
	return nil
}

func (w *Writer) flush() error {
	var errs []error
	for _, b := range w.bufs {
		errs = append(errs, b.Flush())
	}
	return errors.Join(errs...)
}

// Checkpoint flushes and syncs every file and returns their lengths.
func (w *Writer) Checkpoint(uint64) ([]byte, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	p := []byte(positionMagic)
	for _, f := range w.files {
		if err := f.Sync(); err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		p = binary.LittleEndian.AppendUint64(p, uint64(fi.Size()))
	}
	return p, nil
}

// Close flushes, syncs and closes every file.
func (w *Writer) Close() error {
	var errs []error
	for i, f := range w.files {
		errs = append(errs, w.bufs[i].Flush(), f.Sync(), f.Close())
	}
	w.files = nil
	return errors.Join(errs...)
}
