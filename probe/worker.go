package probe

import (
	"sync"
	"time"

	"github.com/sigprobe/sigprobe/decode"
)

// MsgBatch is a batch of decoded messages travelling from a decode worker to
// the pipeline (or, for `decode`, to the JSON lines).
type MsgBatch struct {
	Msgs []decode.Message
	// pos is the number of packets its worker had read when it handed the
	// batch on: for a capture file, the position a checkpoint records.
	pos uint64
	// cut marks a flush cut read back from the write-ahead log.
	cut bool
	// replayed: read back from the write-ahead log (not logged again).
	replayed bool
	// closeAt, read back from the log, is a graceful stop at that time (ns).
	closeAt int64
	// worker that decoded it, and upTo: the capture time up to which the
	// worker has handed on everything (its later messages are newer, but
	// for packets later than its reorder window). The pipeline merges the
	// workers' batches by it.
	worker int
	upTo   int64
}

const (
	// batchSize messages at most per batch.
	batchSize = 256
	// statsEvery packets a worker publishes its decode counters.
	statsEvery = 512
)

// batchPool recycles message batches between the workers and the pipeline.
var batchPool = sync.Pool{New: func() any { return &MsgBatch{Msgs: make([]decode.Message, 0, batchSize)} }}

func getBatch() *MsgBatch {
	b := batchPool.Get().(*MsgBatch)
	b.Msgs, b.pos, b.cut, b.replayed, b.closeAt, b.worker, b.upTo = b.Msgs[:0], 0, false, false, 0, 0, 0
	return b
}

func putBatch(b *MsgBatch) { batchPool.Put(b) }

// worker is the one decode loop: it owns a decode stack (and with it the
// reassembly state of the associations the kernel steers to it), decodes
// each packet into its current batch, and hands the batch on when it is
// nearly full or when its source has nothing waiting. Its methods run on
// the source's goroutine for this worker only.
type worker struct {
	id    int
	stack *decode.Stack
	batch *MsgBatch
	// ro puts packets in capture-time order before decoding (nil: none).
	ro *reorder
	// slack: live, how old a packet the kernel may still hand over when the
	// worker's rings are empty (a ring block's timeout and then some); 0
	// for files, whose workers are never idle.
	slack int64
	upTo  int64
	// marks: an idle worker tells the pipeline's merge how far it is
	// complete even with nothing new (several live workers); sent: the
	// upTo last handed on.
	marks bool
	sent  int64
	frame uint64 // packets decoded
	// skip is the number of packets whose messages a restored checkpoint
	// already holds: they are decoded (to rebuild reassembly state exactly)
	// but their messages are dropped.
	skip uint64
	hand func(*MsgBatch)
	msgs *messages // nil: no JSON lines
	// lines holds rendered JSON lines not yet written to msgs.
	lines  []byte
	nlines uint64

	mu      sync.Mutex // guards stats and roStats
	stats   decode.Stats
	roStats ReorderStats
}

// newWorker returns decode worker id; src tunes its reorder stage.
func newWorker(id int, hand func(*MsgBatch), msgs *messages, src *CaptureConfig) *worker {
	st := decode.NewStack()
	st.SCCPEvents = true
	st.VerifyChecksum = src == nil || src.verifyChecksum()
	w := &worker{id: id, stack: st, batch: getBatch(), hand: hand, msgs: msgs}
	if src != nil && (src.ReorderWindow > 0 || src.ClockSkew > 0) {
		w.ro = newReorder(src.ReorderWindow, src.ClockSkew, src.ReorderMaxPackets, w.decode)
	}
	return w
}

// packet takes one packet from the source.
func (w *worker) packet(p *packet) {
	if w.ro != nil {
		w.ro.add(p)
		return
	}
	w.decode(p)
}

// decode decodes one packet into the current batch.
func (w *worker) decode(p *packet) {
	w.frame++
	w.upTo = max(w.upTo, p.ts)
	frame := p.frame
	if frame == 0 {
		frame = w.frame
	}
	n := len(w.batch.Msgs)
	w.batch.Msgs, _ = w.stack.Decode(w.batch.Msgs, p.lt, frame, p.ts, p.data)
	if w.frame <= w.skip {
		w.batch.Msgs = w.batch.Msgs[:n]
	} else if w.msgs != nil {
		for i := n; i < len(w.batch.Msgs); i++ {
			m := &w.batch.Msgs[i]
			if m.Proto == decode.ProtoNone { // SCCP connection events: not messages of `decode`
				continue
			}
			w.lines = decode.AppendJSON(w.lines, m)
			w.lines = append(w.lines, '\n')
			w.nlines++
		}
		if len(w.lines) >= 1<<16 {
			w.msgs.write(w.lines, w.nlines)
			w.lines, w.nlines = w.lines[:0], 0
		}
	}
	if w.frame%statsEvery == 0 {
		w.publishStats()
	}
	if len(w.batch.Msgs) >= batchSize-16 {
		w.handOn()
	}
}

// handOn passes the current batch on (if it holds anything).
func (w *worker) handOn() {
	if len(w.lines) > 0 {
		w.msgs.write(w.lines, w.nlines)
		w.lines, w.nlines = w.lines[:0], 0
	}
	if len(w.batch.Msgs) == 0 && !(w.marks && w.upTo > w.sent) {
		return
	}
	w.batch.pos, w.batch.worker, w.batch.upTo = w.frame, w.id, w.upTo
	w.sent = w.upTo
	w.hand(w.batch)
	w.batch = getBatch()
}

// idle: the source has nothing waiting. A live worker releases what its
// reorder window held long enough by the wall clock, and says when the
// oldest packet it still holds is due, so that it is released then even
// if no other packet comes. Beside other workers it also wakes every slack
// to tell the merge how far it is complete: the merge holds their messages
// until it does, and a worker whose flows are quiet would otherwise sleep
// the capture's whole poll interval (50 ms).
func (w *worker) idle() time.Duration {
	var due time.Duration
	if w.slack > 0 {
		now := time.Now().UnixNano()
		h := now - w.slack
		if w.ro != nil {
			h = w.ro.releaseUntil(h)
			if ts, ok := w.ro.oldest(); ok {
				due = time.Duration(max(ts+w.slack-now, 1))
			}
		}
		w.upTo = max(w.upTo, h)
		if w.marks && (due == 0 || due > time.Duration(w.slack)) {
			due = time.Duration(w.slack)
		}
	}
	w.handOn()
	w.publishStats()
	return due
}

// flush decodes what the reorder window still holds: the source ended.
func (w *worker) flush() {
	if w.ro != nil {
		w.ro.flush()
	}
}

func (w *worker) publishStats() {
	w.mu.Lock()
	w.stats = w.stack.Stats
	if w.ro != nil {
		w.roStats = w.ro.stats
	}
	w.mu.Unlock()
}

// reorderStats returns the worker's reorder counters as last published.
func (w *worker) reorderStats() ReorderStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.roStats
}

// decodeStats returns the worker's counters as last published.
func (w *worker) decodeStats() decode.Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// slackMargin is what a live worker waits beyond the ring block timeout
// before it takes a packet as complete: the kernel's block timer firing
// late, the wake-up after it.
const slackMargin = time.Millisecond

// workers dispatches a source's callbacks to its workers.
type workers []*worker

func (ws workers) packet(i int, p *packet)  { ws[i].packet(p) }
func (ws workers) idle(i int) time.Duration { return ws[i].idle() }

func (ws workers) decodeStats() decode.Stats {
	var sum decode.Stats
	for _, w := range ws {
		s := w.decodeStats()
		addDecodeStats(&sum, &s)
	}
	return sum
}

func addDecodeStats(dst, s *decode.Stats) { dst.Add(s) }

func (ws workers) reorderStats() ReorderStats {
	var sum ReorderStats
	for _, w := range ws {
		s := w.reorderStats()
		sum.add(&s)
	}
	return sum
}

// messages is the JSON lines output (--messages): one writer shared by the
// workers, whole buffers at a time. The first write error stops it (logged
// by the caller through err).
type messages struct {
	mu    sync.Mutex
	w     interface{ Write([]byte) (int, error) }
	lines uint64
	err   error
}

func (m *messages) write(p []byte, n uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return
	}
	if _, err := m.w.Write(p); err != nil {
		m.err = err
		return
	}
	m.lines += n
}

func (m *messages) counts() (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lines, m.err
}
