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
	// DSN is clickhouse://user:pass@host:9000/db (native protocol, LZ4) or
	// http://user:pass@host:8123/db, https://user:pass@host:8443/db
	// (ClickHouse's HTTP interface, gzip). Timeouts in the DSN are replaced
	// by the ones below.
	DSN string
	// BatchRows seals a table's block at this many rows (default 50,000).
	// Blocks are also sealed after every batch with Flush set, and at Close;
	// never on a timer, so that blocks and their deduplication tokens are a
	// function of the batch stream alone.
	BatchRows int
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
	// DialTimeout bounds connecting: TCP, TLS, and the native handshake or
	// the HTTP interface's hello query (default 5s).
	DialTimeout time.Duration
	// InsertTimeout bounds one insert attempt, connecting included
	// (default 30s). CloseTimeout bounds Close (default 30s): what is not
	// inserted by then is spooled for the next run.
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
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
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
// block with the same token (ClickHouse deduplication makes it so) and
// return soon after ctx ends.
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
	rows, batches, retries, spooled, replayed, rewound *metrics.Counter
	dropped                                            [nDrop]*metrics.Counter
	latency                                            *metrics.PrometheusHistogram
}

// Writer is the ClickHouse sink. Write only copies rows into per-table
// columnar blocks; a background sender inserts sealed blocks oldest first,
// from memory or from the spool, whichever is older. Write, Checkpoint and
// Close are called from one goroutine (the pipeline's); Stats from any.
type Writer struct {
	cfg   Config
	ins   inserter
	spool *spool
	log   *slog.Logger
	set   *metrics.Set
	m     []tableMetrics

	mu   sync.Mutex
	cond *sync.Cond // the queue changed, an attempt ended, or the writer is closing
	// The batch stream's state, carried across restarts by the checkpoint
	// position: each table's open block and its count of sealed blocks.
	open     []*block
	ordinals []uint64
	seq      uint64     // sequence number of the last sealed block (spool order)
	free     [][]*block // recycled blocks, per table
	pending  []*block   // sealed, in memory, oldest first
	inflight *block     // the memory block the sender is inserting
	spilling int        // spillPending calls writing blocks to the spool
	closed   bool

	closing    chan struct{}
	stop       context.Context // cancelled CloseTimeout after Close
	cancelStop context.CancelFunc
	senderDone chan struct{}
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("clickhouse: writer closed")

// New returns a sink writing to the ClickHouse at cfg.DSN. It does not wait
// for the server: while it is unreachable blocks go to the spool.
//
// pos is what Checkpoint returned, to continue after a restart from that
// checkpoint, or nil for an output that starts afresh. New restores
// the open blocks and block ordinals it holds and removes the spooled
// blocks sealed after it, which the probe writes again.
func New(cfg Config, pos []byte) (*Writer, error) {
	cfg.defaults()
	var p *position
	if len(pos) > 0 {
		var err error
		if p, err = decodePosition(pos); err != nil {
			return nil, err
		}
	}
	ins, err := openInserter(&cfg)
	if err != nil {
		return nil, err
	}
	w, err := newWriter(cfg, ins, p)
	if err != nil {
		ins.close()
		return nil, err
	}
	return w, nil
}

func newWriter(cfg Config, ins inserter, pos *position) (*Writer, error) {
	cfg.defaults()
	w := &Writer{
		cfg: cfg, ins: ins, log: cfg.Logger, set: metrics.NewSet(),
		open: make([]*block, len(tables)), ordinals: make([]uint64, len(tables)), free: make([][]*block, len(tables)),
		closing: make(chan struct{}), senderDone: make(chan struct{}),
	}
	w.cond = sync.NewCond(&w.mu)
	for _, t := range tables {
		l := fmt.Sprintf(`{sink="clickhouse",table=%q}`, t.name)
		tm := tableMetrics{
			rows:     w.set.NewCounter("sigprobe_sink_rows_total" + l),
			batches:  w.set.NewCounter("sigprobe_sink_batches_total" + l),
			retries:  w.set.NewCounter("sigprobe_sink_retries_total" + l),
			spooled:  w.set.NewCounter("sigprobe_sink_spooled_batches_total" + l),
			replayed: w.set.NewCounter("sigprobe_sink_replayed_batches_total" + l),
			rewound:  w.set.NewCounter("sigprobe_sink_rewound_batches_total" + l),
			latency:  w.set.NewPrometheusHistogram("sigprobe_sink_insert_seconds" + l),
		}
		for r, reason := range dropReasons {
			tm.dropped[r] = w.set.NewCounter(fmt.Sprintf(`sigprobe_sink_dropped_rows_total{sink="clickhouse",table=%q,reason=%q}`, t.name, reason))
		}
		w.m = append(w.m, tm)
	}
	if cfg.SpoolDir != "" {
		s, err := openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes)
		if err != nil {
			return nil, err
		}
		w.spool = s
		w.seq = s.lastSeq() // keep sequence numbers (and so order) across runs
		if pos != nil {
			gone, err := s.rewind(pos.seq)
			if err != nil {
				return nil, err
			}
			if len(gone) > 0 {
				rows := 0
				for _, e := range gone {
					rows += e.rows
					if i := tableIndex(e.table); i >= 0 {
						w.m[i].rewound.Inc()
					}
				}
				w.log.Info("removed spooled blocks sealed after the checkpoint; the probe writes their rows again",
					"blocks", len(gone), "rows", rows, "from_seq", gone[0].seq, "checkpoint_seq", pos.seq)
			}
		}
		if n, b := s.size(); n > 0 {
			w.log.Info("spool has blocks from an earlier run; replaying them first", "blocks", n, "bytes", b)
		}
	}
	w.set.NewGauge(`sigprobe_sink_spool_bytes{sink="clickhouse"}`, func() float64 {
		if w.spool == nil {
			return 0
		}
		_, b := w.spool.size()
		return float64(b)
	})
	if pos != nil {
		w.seq = pos.seq
		copy(w.ordinals, pos.ordinals)
		copy(w.open, pos.open)
		w.log.Info("continuing from checkpoint", "epoch", pos.epoch, "seq", pos.seq)
	}
	metrics.RegisterSet(w.set)
	w.stop, w.cancelStop = context.WithCancel(context.Background())
	go w.sender()
	return w, nil
}

// SpoolBytes returns the bytes in the spool and its bound (0, 0 without a
// spool): the probe's /readyz fails when the spool is more than half full.
func (w *Writer) SpoolBytes() (used, limit int64) {
	if w.spool == nil {
		return 0, 0
	}
	_, b := w.spool.size()
	return b, w.cfg.SpoolMaxBytes
}

func tableIndex(name string) int {
	for i, t := range tables {
		if t.name == name {
			return i
		}
	}
	return -1
}

// Write copies the batch's rows into the open blocks, sealing those that
// reach BatchRows, and all non-empty ones when the batch has Flush set. It
// never waits for ClickHouse; the batch is not kept.
func (w *Writer) Write(b *sink.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		for i, t := range tables {
			w.m[i].dropped[dropClosed].Add(t.rows(b))
		}
		return ErrClosed
	}
	for i, t := range tables {
		n := t.rows(b)
		for from := 0; from < n; {
			blk := w.open[i]
			if blk == nil {
				blk = w.newBlockLocked(i)
				w.open[i] = blk
			}
			if blk.rows >= w.cfg.BatchRows { // restored from a run with a larger BatchRows
				w.sealLocked(i)
				continue
			}
			to := min(n, from+w.cfg.BatchRows-blk.rows)
			t.put(b, from, to, blk.cols)
			blk.rows += to - from
			from = to
			if blk.rows >= w.cfg.BatchRows {
				w.sealLocked(i)
			}
		}
		if b.Flush && w.open[i] != nil && w.open[i].rows > 0 {
			w.sealLocked(i)
		}
	}
	return nil
}

func (w *Writer) newBlockLocked(i int) *block {
	if f := w.free[i]; len(f) > 0 {
		b := f[len(f)-1]
		w.free[i] = f[:len(f)-1]
		return b
	}
	return newBlock(tables[i])
}

// recycleLocked keeps a few inserted blocks per table for reuse.
func (w *Writer) recycleLocked(b *block) {
	i := w.index(b.table)
	b.reset()
	if len(w.free[i]) < 2 {
		w.free[i] = append(w.free[i], b)
	}
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
	w.ordinals[i]++
	b.seal(w.seq, w.ordinals[i])
	w.cond.Broadcast()
	if len(w.pending) < w.cfg.MaxPending {
		w.pending = append(w.pending, b)
		return
	}
	if w.spool == nil {
		w.m[i].dropped[dropQueueFull].Add(b.rows)
		w.recycleLocked(b)
		return
	}
	w.toSpool(b)
	w.recycleLocked(b)
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

// next picks the oldest sealed block, in memory or spooled, waiting for one.
// A memory block becomes the in-flight one. ok is false once the writer is
// closing and nothing is left.
func (w *Writer) next() (mem *block, sp spoolEntry, fromSpool, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		var e spoolEntry
		var has bool
		if w.spool != nil {
			e, has = w.spool.head()
		}
		switch {
		case has && (len(w.pending) == 0 || e.seq < w.pending[0].seq):
			return nil, e, true, true
		case len(w.pending) > 0:
			w.inflight = w.pending[0]
			return w.inflight, spoolEntry{}, false, true
		case w.isClosing():
			return nil, spoolEntry{}, false, false
		}
		w.cond.Wait()
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
					if i := tableIndex(e.table); i >= 0 {
						w.m[i].dropped[dropSpoolError].Add(e.rows)
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
		}
		if fromSpool {
			if err == nil {
				w.spool.remove(e)
				tm.replayed.Inc()
				cached = nil
				w.mu.Lock()
				w.recycleLocked(b)
				w.mu.Unlock()
			}
		} else {
			w.finishMem(b, err == nil)
		}
		if err == nil {
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
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.stop.Done():
		case <-w.closing: // at Close, retry at once: Attempts bounds it
		}
		t.Stop()
	}
}

// finishMem ends an attempt on the memory block b. A checkpoint may have
// taken b into the spool meanwhile; inserted, its spool copy goes.
func (w *Writer) finishMem(b *block, inserted bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight = nil
	w.cond.Broadcast()
	if len(w.pending) > 0 && w.pending[0] == b {
		if inserted {
			w.pending = w.pending[1:]
			w.recycleLocked(b)
		}
		return
	}
	if inserted && w.spool != nil {
		w.spool.removeSeq(b.seq)
	}
}

// spillPending moves every block in memory to the spool. It writes the
// files without holding the lock, so Write does not wait for the disk
// meanwhile; a Checkpoint waits for it (spilling).
func (w *Writer) spillPending() {
	w.mu.Lock()
	p := w.pending
	w.pending = nil
	w.spilling++
	w.mu.Unlock()
	for _, b := range p {
		w.toSpool(b)
	}
	w.mu.Lock()
	for _, b := range p {
		w.recycleLocked(b)
	}
	w.spilling--
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *Writer) dropPending(reason int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range w.pending {
		w.m[w.index(b.table)].dropped[reason].Add(b.rows)
	}
	w.pending = nil
}

// Checkpoint implements sink.Checkpointer. It returns once every sealed
// block is inserted or in the spool (files and directory synced), without
// waiting for ClickHouse: blocks still in memory are spooled, the one being
// inserted too (its spool copy goes again if that insert succeeds). The
// position holds each table's open block and block ordinal and the
// sequence number of the last sealed block; New(cfg, position) continues
// from there.
//
// Without a spool the sealed blocks are durable only once inserted:
// Checkpoint waits for that up to InsertTimeout, then fails, and the
// checkpoint must not be committed.
func (w *Writer) Checkpoint(epoch uint64) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spool == nil {
		if err := w.drainLocked(w.cfg.InsertTimeout); err != nil {
			return nil, err
		}
	} else {
		for _, b := range w.pending {
			w.toSpool(b)
			if b != w.inflight {
				w.recycleLocked(b)
			}
		}
		w.pending = nil
		for w.spilling > 0 { // blocks the sender took out of memory are not in the spool yet
			w.cond.Wait()
		}
		if err := w.spool.sync(); err != nil {
			return nil, err
		}
	}
	return encodePosition(nil, &position{epoch: epoch, seq: w.seq, ordinals: w.ordinals, open: w.open}), nil
}

// drainLocked waits until the memory queue is inserted, for at most d.
func (w *Writer) drainLocked(d time.Duration) error {
	expired := false
	t := time.AfterFunc(d, func() {
		w.mu.Lock()
		expired = true
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer t.Stop()
	for len(w.pending) > 0 && !expired && !w.closed {
		w.cond.Wait()
	}
	if n := len(w.pending); n > 0 {
		rows := 0
		for _, b := range w.pending {
			rows += b.rows
		}
		return fmt.Errorf("clickhouse: checkpoint: %d sealed blocks (%d rows) not inserted within %v and no spool directory to keep them", n, rows, d)
	}
	return nil
}

// Close seals the open blocks and waits until everything is inserted, or
// CloseTimeout passes or ClickHouse fails Attempts times; what is left is
// spooled for the next run (or dropped and counted without a spool).
// Checkpoint after Close returns the final position.
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
	close(w.closing)
	w.cond.Broadcast()
	w.mu.Unlock()
	t := time.AfterFunc(w.cfg.CloseTimeout, w.cancelStop)
	<-w.senderDone
	t.Stop()
	w.cancelStop()
	var err error
	if w.spool != nil {
		w.spillPending()
		err = w.spool.sync()
		if n, b := w.spool.size(); n > 0 {
			err = errors.Join(err, fmt.Errorf("clickhouse: %d blocks (%d bytes) left in spool %s for the next run", n, b, w.cfg.SpoolDir))
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
	Rewound                                   uint64            // spooled blocks removed by New, sealed after the checkpoint
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
		s.Rewound += tm.rewound.Get()
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

var _ sink.Checkpointer = (*Writer)(nil)
