package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	pq "github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/sink"
)

// Options tune rotation. Zero values take the defaults.
type Options struct {
	MaxRows      int64         // rows per file before rotating (default 1,000,000)
	MaxAge       time.Duration // age of a file before rotating (default 1h)
	RowGroupRows int64         // rows per row group (default 131,072)
	// Now is the clock used to name and age files (default time.Now).
	Now func() time.Time
	// Position is what Checkpoint returned before a restart (nil: a fresh
	// start). Files written after it — a crash's partial work, which the
	// probe writes again — are removed when the writer opens.
	Position []byte
	// FileMode and DirMode are the permissions of what the writer creates
	// (defaults 0640 and 0750: tables hold personal data).
	FileMode, DirMode os.FileMode
}

// Writer writes every table of a sink.Batch to its own series of Parquet
// files, dir/<table>/<table>-e<epoch>-<start-unix>-<seq>.parquet. A file is
// written under a hidden temporary name and renamed when it is complete, so
// a reader globbing *.parquet never sees half a file. Files rotate by row
// count and by age (checked on each Write), at every Checkpoint and on
// Close. Empty tables produce no files.
//
// The epoch in a file's name is the checkpoint that commits it: after
// Checkpoint(e) returns, every row written so far is in closed, synced
// files of epochs up to e, and new files carry epoch e+1. A writer opened
// with the position of checkpoint e removes the files of later epochs.
//
// Write converts and copies the batch's rows; it does not keep the batch.
// A Writer is safe for concurrent use.
type Writer struct {
	dir  string
	opts Options
	set  *metrics.Set

	mu        sync.Mutex
	tables    []table
	closed    bool
	epoch     uint64 // epoch of the files being written
	discarded int
}

// table is one table's file series.
type table interface {
	write(b *sink.Batch, now time.Time) error
	rotateIfOld(now time.Time) error
	close() error
}

// New creates dir (and a folder per table) and returns a Writer. Files are
// opened lazily on a table's first row. Existing files are kept, except
// those after opts.Position.
func New(dir string, opts Options) (*Writer, error) {
	if opts.MaxRows <= 0 {
		opts.MaxRows = 1_000_000
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = time.Hour
	}
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 128 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FileMode == 0 {
		opts.FileMode = 0o640
	}
	if opts.DirMode == 0 {
		opts.DirMode = 0o750
	}
	w := &Writer{dir: dir, opts: opts, set: metrics.NewSet(), epoch: 1}
	if opts.Position != nil {
		e, err := decodePosition(opts.Position)
		if err != nil {
			return nil, err
		}
		w.epoch = e + 1
	}
	for _, t := range sink.Tables {
		d := filepath.Join(dir, t)
		if err := mkdir(d, opts.DirMode); err != nil {
			return nil, fmt.Errorf("parquet: %w", err)
		}
		if opts.Position != nil {
			if err := w.discardAfter(d, t, w.epoch-1); err != nil {
				return nil, err
			}
		}
	}
	w.tables = []table{
		newSeries[sink.TrajectoryPoint, trajectoryRow](w, "trajectories", func(b *sink.Batch) []sink.TrajectoryPoint { return b.Trajectories }),
		newSeries[sink.Dwell, dwellRow](w, "dwell", func(b *sink.Batch) []sink.Dwell { return b.Dwell }),
		newSeries[sink.RegionMinute, regionMinuteRow](w, "region_minute", func(b *sink.Batch) []sink.RegionMinute { return b.RegionMinutes }),
		newSeries[sink.Event, eventRow](w, "events", func(b *sink.Batch) []sink.Event { return b.Events }),
		newSeries[sink.Trigger, triggerRow](w, "triggers", func(b *sink.Batch) []sink.Trigger { return b.Triggers }),
		newSeries[sink.Subscriber, subscriberRow](w, "subscribers", func(b *sink.Batch) []sink.Subscriber { return b.Subscribers }),
	}
	metrics.RegisterSet(w.set)
	return w, nil
}

// mkdir creates dir and its parents with mode, whatever the umask. A
// set-group-ID bit stays: in a directory that has it (deploy/systemd), new
// files belong to the directory's group, the analysts who may read them.
func mkdir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	return os.Chmod(dir, mode|st.Mode()&os.ModeSetgid)
}

// positionMagic prefixes an encoded position.
const positionMagic = "PQ1:"

func decodePosition(p []byte) (uint64, error) {
	if len(p) != len(positionMagic)+8 || string(p[:len(positionMagic)]) != positionMagic {
		return 0, fmt.Errorf("parquet: checkpoint position %q is not this writer's", p)
	}
	return binary.LittleEndian.Uint64(p[len(positionMagic):]), nil
}

// fileEpoch reads the epoch from a file name written by open, ok false for
// files of other shapes (left alone).
func fileEpoch(name, table string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, table+"-e")
	if !ok {
		return 0, false
	}
	es, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	e, err := strconv.ParseUint(es, 10, 64)
	return e, err == nil
}

// discardAfter removes the table's files of epochs after last and any
// temporary file: what a crash left behind the last checkpoint.
func (w *Writer) discardAfter(dir, table string, last uint64) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	n := 0
	for _, de := range des {
		name := de.Name()
		e, ok := fileEpoch(strings.TrimPrefix(name, "."), table)
		tmp := strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
		if tmp || (ok && e > last) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("parquet: %w", err)
			}
			n++
		}
	}
	if n > 0 {
		w.discarded += n
		return syncDir(dir)
	}
	return nil
}

// Discarded is the number of files removed at open because they came after
// the checkpoint position (or were never completed).
func (w *Writer) Discarded() int { return w.discarded }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Checkpoint completes every open file (footer, fsync, rename, directory
// fsync) and returns the position of epoch: after a restart from it, New
// keeps exactly the files written so far. Later files carry epoch+1.
func (w *Writer) Checkpoint(epoch uint64) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	var errs []error
	for _, t := range w.tables {
		errs = append(errs, t.close())
	}
	for _, t := range sink.Tables {
		errs = append(errs, syncDir(filepath.Join(w.dir, t)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	w.epoch = epoch + 1
	return binary.LittleEndian.AppendUint64([]byte(positionMagic), epoch), nil
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("parquet: writer closed")

// Write appends the batch's rows to the open files, rotating first those
// that are full or old.
func (w *Writer) Write(b *sink.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	now := w.opts.Now()
	var errs []error
	for _, t := range w.tables {
		if err := t.rotateIfOld(now); err != nil {
			errs = append(errs, err)
		}
		if err := t.write(b, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close completes every open file and unregisters the writer's metrics.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	for _, t := range w.tables {
		errs = append(errs, t.close())
	}
	for _, t := range sink.Tables {
		errs = append(errs, syncDir(filepath.Join(w.dir, t)))
	}
	metrics.UnregisterSet(w.set, true)
	return errors.Join(errs...)
}

// rowOf is a Parquet row type R filled from a sink row S.
type rowOf[S, R any] interface {
	*R
	set(*S)
}

// series writes one table: S is the sink row, R the Parquet row.
type series[S, R any, P rowOf[S, R]] struct {
	w     *Writer
	name  string
	rows  func(*sink.Batch) []S
	buf   []R // converted rows, reused
	seq   int
	file  *os.File
	pw    *pq.GenericWriter[R]
	tmp   string
	final string
	start time.Time
	n     int64

	rowsTotal, filesTotal, dropped *metrics.Counter
	latency                        *metrics.PrometheusHistogram
}

func newSeries[S, R any, P rowOf[S, R]](w *Writer, name string, rows func(*sink.Batch) []S) *series[S, R, P] {
	l := fmt.Sprintf(`{sink="parquet",table=%q}`, name)
	return &series[S, R, P]{
		w: w, name: name, rows: rows,
		rowsTotal:  w.set.NewCounter("sigprobe_sink_rows_total" + l),
		filesTotal: w.set.NewCounter("sigprobe_sink_files_total" + l),
		dropped:    w.set.NewCounter(fmt.Sprintf(`sigprobe_sink_dropped_rows_total{sink="parquet",table=%q,reason="write_error"}`, name)),
		latency:    w.set.NewPrometheusHistogram("sigprobe_sink_write_seconds" + l),
	}
}

func (s *series[S, R, P]) write(b *sink.Batch, now time.Time) error {
	in := s.rows(b)
	for len(in) > 0 {
		if s.pw == nil {
			if err := s.open(now); err != nil {
				s.dropped.AddInt64(int64(len(in)))
				return err
			}
		}
		n := min(int64(len(in)), s.w.opts.MaxRows-s.n)
		if err := s.append(in[:n]); err != nil {
			s.dropped.AddInt64(int64(len(in)))
			return err
		}
		in = in[n:]
		if s.n >= s.w.opts.MaxRows {
			if err := s.close(); err != nil {
				s.dropped.AddInt64(int64(len(in)))
				return err
			}
		}
	}
	return nil
}

func (s *series[S, R, P]) append(in []S) error {
	t0 := time.Now()
	if cap(s.buf) < len(in) {
		s.buf = make([]R, len(in))
	}
	s.buf = s.buf[:len(in)]
	for i := range in {
		P(&s.buf[i]).set(&in[i])
	}
	if _, err := s.pw.Write(s.buf); err != nil {
		return fmt.Errorf("parquet: %s: %w", s.tmp, err)
	}
	s.n += int64(len(in))
	s.rowsTotal.AddInt64(int64(len(in)))
	s.latency.UpdateDuration(t0)
	return nil
}

// open starts a new file named after now and the first free sequence number.
func (s *series[S, R, P]) open(now time.Time) error {
	dir := filepath.Join(s.w.dir, s.name)
	for {
		base := fmt.Sprintf("%s-e%d-%d-%d.parquet", s.name, s.w.epoch, now.Unix(), s.seq)
		s.seq++
		final := filepath.Join(dir, base)
		if _, err := os.Lstat(final); err == nil {
			continue // left by an earlier run in the same second
		}
		tmp := filepath.Join(dir, "."+base+".tmp")
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, s.w.opts.FileMode)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		if err := f.Chmod(s.w.opts.FileMode); err != nil { // whatever the umask
			f.Close()
			return fmt.Errorf("parquet: %w", err)
		}
		s.file, s.tmp, s.final, s.start, s.n = f, tmp, final, now, 0
		s.pw = pq.NewGenericWriter[R](f,
			pq.Compression(&pq.Zstd),
			pq.MaxRowsPerRowGroup(s.w.opts.RowGroupRows),
			pq.CreatedBy("sigprobe", "", ""),
		)
		return nil
	}
}

func (s *series[S, R, P]) rotateIfOld(now time.Time) error {
	if s.pw != nil && now.Sub(s.start) >= s.w.opts.MaxAge {
		return s.close()
	}
	return nil
}

// close completes the open file (footer, fsync, rename); an empty file is removed.
func (s *series[S, R, P]) close() error {
	if s.pw == nil {
		return nil
	}
	pw, f, tmp, final, n := s.pw, s.file, s.tmp, s.final, s.n
	s.pw, s.file = nil, nil
	if n == 0 {
		f.Close()
		return os.Remove(tmp)
	}
	err := pw.Close()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		s.dropped.AddInt64(n)
		return fmt.Errorf("parquet: %s: %w", final, err)
	}
	s.filesTotal.Inc()
	return nil
}
