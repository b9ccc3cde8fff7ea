package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/sink"
)

// Config configures the ClickHouse sink. Zero values take the defaults.
type Config struct {
	// DSN is a clickhouse-go v2 DSN, clickhouse://user:pass@host:9000/db.
	// The sink always uses the native protocol with LZ4 compression.
	DSN string
	// BatchRows seals a table's block at this many rows (default 50,000).
	BatchRows int
	// MaxAge seals a non-empty block this long after its first row
	// (default 1s): about one insert per second per table.
	MaxAge time.Duration
	// SpoolDir holds blocks that could not be inserted, replayed in order
	// when ClickHouse is back (also after a restart). Empty: no spool, and
	// blocks that cannot be kept in memory are dropped and counted.
	SpoolDir string
	// SpoolMaxBytes bounds the spool (default 1 GiB); past it blocks are
	// dropped and counted (reason "spool_full").
	SpoolMaxBytes int64
	// RetryMin and RetryMax bound the exponential backoff between failed
	// inserts (defaults 250ms and 10s).
	RetryMin, RetryMax time.Duration
	// Attempts is how often a block in memory is tried before it and
	// everything queued behind it go to the spool (default 3).
	Attempts int
	// MaxPending is the number of sealed blocks kept in memory (default 8);
	// more go to the spool, or without a spool are dropped ("queue_full").
	MaxPending int
	// InsertTimeout bounds one insert (default 30s); CloseTimeout bounds
	// Close's final flush (default 30s), after which the rest is spooled.
	InsertTimeout, CloseTimeout time.Duration
	// Settings are added to every insert, e.g. distributed_foreground_insert
	// for the Distributed tables of schema-cluster.sql.
	Settings map[string]any
	Logger   *slog.Logger
}

func (c *Config) defaults() {
	if c.BatchRows <= 0 {
		c.BatchRows = 50_000
	}
	if c.MaxAge <= 0 {
		c.MaxAge = time.Second
	}
	if c.SpoolMaxBytes <= 0 {
		c.SpoolMaxBytes = 1 << 30
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 250 * time.Millisecond
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(10*time.Second, c.RetryMin)
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 8
	}
	if c.InsertTimeout <= 0 {
		c.InsertTimeout = 30 * time.Second
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// inserter inserts one block; the real one is the clickhouse-go driver,
// tests use a fake that fails on demand. insert must be idempotent for a
// block with the same token (ClickHouse deduplication makes it so).
type inserter interface {
	insert(ctx context.Context, b *block) error
	close() error
}

// Reasons for dropped rows (label reason of sigprobe_sink_dropped_rows_total).
const (
	dropQueueFull   = iota // no spool and the in-memory queue is full
	dropSpoolFull          // the spool reached SpoolMaxBytes
	dropSpoolError         // the spool could not be written or read back
	dropUnavailable        // no spool, ClickHouse down at Close
	dropClosed             // Write after Close
	nDrop
)

var dropReasons = [nDrop]string{"queue_full", "spool_full", "spool_error", "unavailable", "closed"}

type tableMetrics struct {
	rows, batches, retries, spooled, replayed *metrics.Counter
	dropped                                   [nDrop]*metrics.Counter
	latency                                   *metrics.PrometheusHistogram
}

// Writer is the ClickHouse sink. Write only copies rows into per-table
// columnar blocks; a background sender inserts sealed blocks oldest first,
// from memory or from the spool, whichever is older. Safe for concurrent use.
type Writer struct {
	cfg   Config
	ins   inserter
	spool *spool
	log   *slog.Logger
	set   *metrics.Set
	m     []tableMetrics

	mu      sync.Mutex
	open    []*block   // the block being filled, per table
	free    [][]*block // recycled blocks, per table
	pending []*block   // sealed, oldest first
	seq     uint64
	closed  bool

	kick, flushKick chan struct{}
	closing         chan struct{}
	stop            context.Context // cancelled CloseTimeout after Close
	cancelStop      context.CancelFunc
	senderDone      chan struct{}
	flusherDone     chan struct{}
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("clickhouse: writer closed")

// New returns a sink writing to the ClickHouse at cfg.DSN. It does not wait
// for the server: while it is unreachable blocks go to the spool.
func New(cfg Config) (*Writer, error) {
	ins, err := openInserter(cfg.DSN, cfg.Settings)
	if err != nil {
		return nil, err
	}
	w, err := newWriter(cfg, ins)
	if err != nil {
		ins.close()
		return nil, err
	}
	return w, nil
}

func newWriter(cfg Config, ins inserter) (*Writer, error) {
	cfg.defaults()
	w := &Writer{
		cfg: cfg, ins: ins, log: cfg.Logger, set: metrics.NewSet(),
		open: make([]*block, len(tables)), free: make([][]*block, len(tables)),
		kick: make(chan struct{}, 1), flushKick: make(chan struct{}, 1), closing: make(chan struct{}),
		senderDone: make(chan struct{}), flusherDone: make(chan struct{}),
	}
	if cfg.SpoolDir != "" {
		s, err := openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes)
		if err != nil {
			return nil, err
		}
		w.spool = s
		w.seq = s.lastSeq() // keep sequence numbers (and so order) across runs
		if n, b := s.size(); n > 0 {
			w.log.Info("spool has blocks from an earlier run; replaying them first", "blocks", n, "bytes", b)
		}
		w.set.NewGauge(`sigprobe_sink_spool_bytes{sink="clickhouse"}`, func() float64 { _, b := s.size(); return float64(b) })
	}
	for _, t := range tables {
		l := fmt.Sprintf(`{sink="clickhouse",table=%q}`, t.name)
		tm := tableMetrics{
			rows:     w.set.NewCounter("sigprobe_sink_rows_total" + l),
			batches:  w.set.NewCounter("sigprobe_sink_batches_total" + l),
			retries:  w.set.NewCounter("sigprobe_sink_retries_total" + l),
			spooled:  w.set.NewCounter("sigprobe_sink_spooled_batches_total" + l),
			replayed: w.set.NewCounter("sigprobe_sink_replayed_batches_total" + l),
			latency:  w.set.NewPrometheusHistogram("sigprobe_sink_insert_seconds" + l),
		}
		for r, reason := range dropReasons {
			tm.dropped[r] = w.set.NewCounter(fmt.Sprintf(`sigprobe_sink_dropped_rows_total{sink="clickhouse",table=%q,reason=%q}`, t.name, reason))
		}
		w.m = append(w.m, tm)
	}
	metrics.RegisterSet(w.set)
	w.stop, w.cancelStop = context.WithCancel(context.Background())
	go w.sender()
	go w.flusher()
	return w, nil
}

// Write copies the batch's rows into the open blocks, sealing those that
// reach BatchRows. It never waits for ClickHouse.
func (w *Writer) Write(b *sink.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		for i, t := range tables {
			w.m[i].dropped[dropClosed].Add(t.rows(b))
		}
		return ErrClosed
	}
	now := time.Now()
	for i, t := range tables {
		n := t.rows(b)
		for from := 0; from < n; {
			blk := w.open[i]
			if blk == nil {
				blk = w.newBlockLocked(i)
				w.open[i] = blk
			}
			if blk.rows == 0 {
				blk.first = now
				notify(w.flushKick)
			}
			to := min(n, from+w.cfg.BatchRows-blk.rows)
			t.put(b, from, to, blk.cols)
			blk.rows += to - from
			from = to
			if blk.rows >= w.cfg.BatchRows {
				w.sealLocked(i)
			}
		}
	}
	return nil
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (w *Writer) newBlockLocked(i int) *block {
	if f := w.free[i]; len(f) > 0 {
		b := f[len(f)-1]
		w.free[i] = f[:len(f)-1]
		return b
	}
	return newBlock(tables[i])
}

// recycle keeps a few inserted blocks per table for reuse.
func (w *Writer) recycle(b *block) {
	i := w.index(b.table)
	b.reset()
	w.mu.Lock()
	if len(w.free[i]) < 2 {
		w.free[i] = append(w.free[i], b)
	}
	w.mu.Unlock()
}

func (w *Writer) index(t *tableSpec) int {
	for i, x := range tables {
		if x == t {
			return i
		}
	}
	panic("clickhouse: unknown table " + t.name)
}

// sealLocked closes table i's open block and queues it: in memory while
// there is room, else in the spool, else it is dropped and counted.
func (w *Writer) sealLocked(i int) {
	b := w.open[i]
	w.open[i] = nil
	w.seq++
	b.seal(w.seq)
	if len(w.pending) < w.cfg.MaxPending {
		w.pending = append(w.pending, b)
		notify(w.kick)
		return
	}
	if w.spool == nil {
		w.m[i].dropped[dropQueueFull].Add(b.rows)
		b.reset()
		if len(w.free[i]) < 2 {
			w.free[i] = append(w.free[i], b)
		}
		return
	}
	w.toSpool(b)
	notify(w.kick)
}

// toSpool writes a sealed block to the spool, or counts it as dropped.
func (w *Writer) toSpool(b *block) {
	tm := &w.m[w.index(b.table)]
	if _, err := w.spool.push(b); err != nil {
		r := dropSpoolError
		if errors.Is(err, errSpoolFull) {
			r = dropSpoolFull
		}
		tm.dropped[r].Add(b.rows)
		w.log.Warn("block dropped", "table", b.table.name, "rows", b.rows, "err", err)
		return
	}
	tm.spooled.Inc()
}

// flusher seals blocks MaxAge after their first row.
func (w *Writer) flusher() {
	defer close(w.flusherDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		w.mu.Lock()
		now := time.Now()
		var next time.Time
		for i, b := range w.open {
			if b == nil || b.rows == 0 {
				continue
			}
			due := b.first.Add(w.cfg.MaxAge)
			if !now.Before(due) {
				w.sealLocked(i)
			} else if next.IsZero() || due.Before(next) {
				next = due
			}
		}
		w.mu.Unlock()
		if !next.IsZero() {
			t.Reset(next.Sub(now))
		}
		select {
		case <-t.C:
		case <-w.flushKick:
		case <-w.closing:
			t.Stop()
			return
		}
	}
}

// next picks the oldest sealed block, in memory or spooled, waiting for one.
// ok is false once the writer is closing and nothing is left.
func (w *Writer) next() (mem *block, sp spoolEntry, fromSpool, ok bool) {
	for {
		w.mu.Lock()
		var e spoolEntry
		var has bool
		if w.spool != nil {
			e, has = w.spool.head()
		}
		switch {
		case has && (len(w.pending) == 0 || e.seq < w.pending[0].seq):
			w.mu.Unlock()
			return nil, e, true, true
		case len(w.pending) > 0:
			b := w.pending[0]
			w.mu.Unlock()
			return b, spoolEntry{}, false, true
		}
		w.mu.Unlock()
		select {
		case <-w.kick:
		case <-w.closing:
			w.mu.Lock()
			done := len(w.pending) == 0 && (w.spool == nil || func() bool { n, _ := w.spool.size(); return n == 0 }())
			w.mu.Unlock()
			if done {
				return nil, spoolEntry{}, false, false
			}
		}
	}
}

func (w *Writer) isClosing() bool {
	select {
	case <-w.closing:
		return true
	default:
		return false
	}
}

// sender inserts blocks oldest first. After Attempts consecutive failures
// it treats ClickHouse as down: everything in memory goes to the spool and
// the oldest spooled block is retried with backoff until one succeeds.
func (w *Writer) sender() {
	defer close(w.senderDone)
	failures := 0
	var cached *block // the spool's head, loaded once for its retries
	for {
		mem, e, fromSpool, ok := w.next()
		if !ok {
			return
		}
		b := mem
		if fromSpool {
			if cached != nil && cached.seq == e.seq {
				b = cached
			} else {
				lb, err := w.spool.load(e)
				if err != nil {
					w.spool.remove(e)
					for i, t := range tables {
						if t.name == e.table {
							w.m[i].dropped[dropSpoolError].Add(e.rows)
						}
					}
					w.log.Error("unreadable spool file removed", "file", e.name(), "rows", e.rows, "err", err)
					continue
				}
				b, cached = lb, lb
			}
		}
		tm := &w.m[w.index(b.table)]
		t0 := time.Now()
		ctx, cancel := context.WithTimeout(w.stop, w.cfg.InsertTimeout)
		err := w.ins.insert(ctx, b)
		cancel()
		if err == nil {
			tm.latency.UpdateDuration(t0)
			tm.rows.Add(b.rows)
			tm.batches.Inc()
			if failures >= w.cfg.Attempts {
				w.log.Info("clickhouse reachable again", "after_failures", failures)
			}
			failures = 0
			if fromSpool {
				w.spool.remove(e)
				tm.replayed.Inc()
				cached = nil
			} else {
				w.mu.Lock()
				w.pending = w.pending[1:]
				w.mu.Unlock()
			}
			w.recycle(b)
			continue
		}
		tm.retries.Inc()
		failures++
		if failures == 1 || failures == w.cfg.Attempts {
			w.log.Warn("insert failed", "table", b.table.name, "rows", b.rows, "attempt", failures, "err", err)
		}
		if failures >= w.cfg.Attempts || w.stop.Err() != nil {
			if w.spool != nil {
				w.spillPending()
			}
			if w.isClosing() {
				if w.spool == nil {
					w.dropPending(dropUnavailable)
				}
				return // what is spooled waits for the next run
			}
		}
		wait := w.cfg.RetryMin << min(failures-1, 20)
		if wait > w.cfg.RetryMax || wait <= 0 {
			wait = w.cfg.RetryMax
		}
		select {
		case <-time.After(wait):
		case <-w.stop.Done():
		case <-w.closing: // at Close, retry at once: Attempts bounds it
		}
	}
}

// spillPending moves every block in memory to the spool.
func (w *Writer) spillPending() {
	w.mu.Lock()
	p := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, b := range p {
		w.toSpool(b)
	}
}

func (w *Writer) dropPending(reason int) {
	w.mu.Lock()
	p := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, b := range p {
		w.m[w.index(b.table)].dropped[reason].Add(b.rows)
	}
}

// Close seals the open blocks and waits until everything is inserted, or
// CloseTimeout passes or ClickHouse fails Attempts times; what is left is
// spooled for the next run (or dropped and counted without a spool).
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for i, b := range w.open {
		if b != nil && b.rows > 0 {
			w.sealLocked(i)
		}
	}
	w.mu.Unlock()
	close(w.closing)
	t := time.AfterFunc(w.cfg.CloseTimeout, w.cancelStop)
	<-w.senderDone
	<-w.flusherDone
	t.Stop()
	w.cancelStop()
	var err error
	if w.spool != nil {
		w.spillPending()
		if n, b := w.spool.size(); n > 0 {
			err = fmt.Errorf("clickhouse: %d blocks (%d bytes) left in spool %s for the next run", n, b, w.cfg.SpoolDir)
		}
	} else {
		w.dropPending(dropUnavailable)
	}
	metrics.UnregisterSet(w.set, true)
	return errors.Join(err, w.ins.close())
}

// Stats are the writer's totals over all tables.
type Stats struct {
	Rows, Batches, Retries, Spooled, Replayed uint64
	Dropped                                   map[string]uint64 // rows, by reason
	SpoolBlocks                               int
	SpoolBytes                                int64
}

// Stats returns the counters behind the writer's metrics.
func (w *Writer) Stats() Stats {
	s := Stats{Dropped: map[string]uint64{}}
	for _, tm := range w.m {
		s.Rows += tm.rows.Get()
		s.Batches += tm.batches.Get()
		s.Retries += tm.retries.Get()
		s.Spooled += tm.spooled.Get()
		s.Replayed += tm.replayed.Get()
		for r, c := range tm.dropped {
			if v := c.Get(); v > 0 {
				s.Dropped[dropReasons[r]] += v
			}
		}
	}
	if w.spool != nil {
		s.SpoolBlocks, s.SpoolBytes = w.spool.size()
	}
	return s
}
