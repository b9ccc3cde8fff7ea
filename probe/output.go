package probe

import (
	"bufio"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// shared is a batch of rows handed to several outputs at once: read-only
// once sent, returned to the pool when the last output is done with it.
type shared struct {
	sink.Batch
	refs atomic.Int32
}

var sharedPool = sync.Pool{New: func() any { return new(shared) }}

// copyBatch returns a shared copy of b's rows.
func copyBatch(b *sink.Batch, refs int) *shared {
	s := sharedPool.Get().(*shared)
	s.Batch.Reset()
	s.Dwell = append(s.Dwell, b.Dwell...)
	s.Trajectories = append(s.Trajectories, b.Trajectories...)
	s.RegionMinutes = append(s.RegionMinutes, b.RegionMinutes...)
	s.Events = append(s.Events, b.Events...)
	s.Triggers = append(s.Triggers, b.Triggers...)
	s.Subscribers = append(s.Subscribers, b.Subscribers...)
	s.Flush = b.Flush
	s.refs.Store(int32(refs))
	return s
}

func (s *shared) release() {
	if s.refs.Add(-1) == 0 {
		sharedPool.Put(s)
	}
}

// outputKind says which batches an output receives: whole table batches,
// or triggers alone, the moment they fire.
type outputKind int

const (
	tablesOutput outputKind = iota
	triggersOutput
)

// item is what travels to an output: rows, or a checkpoint barrier.
type item struct {
	b     *shared
	epoch uint64
	reply chan<- barrierReply // non-nil: a barrier
	enq   int64               // wall time it was queued, ns
}

type barrierReply struct {
	output   string
	position []byte
	err      error
}

// output runs one sink.Writer on its own goroutine behind a bounded queue,
// so that a slow destination never holds up tracking. In a replay the queue
// pushes back (nothing is lost, the replay slows down); live, an output that
// falls behind spills to disk in order, and past SpoolMaxBytes drops rows and
// counts them — capture and tracking never wait.
type output struct {
	name  string
	kind  outputKind
	w     sink.Writer
	cp    sink.Checkpointer // nil: not part of checkpoints
	q     chan item
	live  bool
	spill *spill
	log   *slog.Logger
	where string // what the log says it writes to
	dirID string // a file output's directory id (checkpoint meta)
	// ps pseudonymizes what the writer gets, on this output's goroutine
	// (nil: clear identities). A spill has its own, used by the sender.
	ps *pseudonym.Pseudonymizer

	mu       sync.Mutex // guards spilling and the hand-over to the feeder
	spilling bool
	wake     chan struct{}
	feedDone chan struct{}
	done     chan struct{}

	busySince atomic.Int64 // enq of the item being written, 0 when idle
	rows      atomic.Uint64
	werr      atomic.Pointer[error] // first write error
	failing   atomic.Pointer[error] // the last write's error, nil after a good one (/readyz)
	lastLog   time.Time

	mRows, mErrors, mDropped *metrics.Counter
}

// privacy is what an output pseudonymizes; the zero value: nothing.
type privacy struct {
	key   *pseudonym.Key
	set   pseudonym.Set
	cache *pseudonym.Cache
}

func (p privacy) pseudonymizer() *pseudonym.Pseudonymizer {
	if p.key == nil || p.set == 0 {
		return nil
	}
	return pseudonym.New(p.key, p.set, p.cache)
}

func newOutput(name string, kind outputKind, w sink.Writer, live bool, queue int, spillDir string, spillMax int64, priv privacy, set *metrics.Set, log *slog.Logger) (*output, error) {
	o := &output{name: name, kind: kind, w: w, q: make(chan item, queue), live: live, ps: priv.pseudonymizer(),
		log: log.With("output", name), wake: make(chan struct{}, 1), feedDone: make(chan struct{}), done: make(chan struct{})}
	o.cp, _ = w.(sink.Checkpointer)
	if live {
		s, err := openSpill(filepath.Join(spillDir, name), spillMax)
		if err != nil {
			return nil, err
		}
		// Spilled rows are pseudonymized before they touch the disk; the
		// output's own pseudonymizer then leaves them as they are.
		s.ps = priv.pseudonymizer()
		o.spill = s
	}
	l := fmt.Sprintf(`{output=%q}`, name)
	o.mRows = set.NewCounter("sigprobe_output_rows_total" + l)
	o.mErrors = set.NewCounter("sigprobe_output_write_errors_total" + l)
	o.mDropped = set.NewCounter(fmt.Sprintf(`sigprobe_output_dropped_rows_total{output=%q,reason="spool_full"}`, name))
	set.NewGauge("sigprobe_output_queue_batches"+l, func() float64 { return float64(len(o.q)) })
	set.NewGauge("sigprobe_output_lag_seconds"+l, func() float64 {
		if t := o.busySince.Load(); t != 0 {
			return float64(time.Now().UnixNano()-t) / 1e9
		}
		return 0
	})
	set.NewGauge("sigprobe_output_spool_bytes"+l, func() float64 { return float64(o.spillSize()) })
	go o.run()
	if o.spill != nil {
		go o.feed()
	} else {
		close(o.feedDone)
	}
	return o, nil
}

// spillSize is the bytes the output has spilled and not read back.
func (o *output) spillSize() int64 {
	if o.spill == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.spill.size()
}

// send queues it. The caller (the pipeline) must not send after close.
func (o *output) send(it item) {
	it.enq = time.Now().UnixNano()
	if !o.live {
		o.q <- it
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.spilling {
		select {
		case o.q <- it:
			return
		default:
			o.spilling = true
			o.log.Warn("output falls behind; spilling to disk", "dir", o.spill.dir)
		}
	}
	if it.reply == nil && !o.spill.fits(it.b) {
		o.mDropped.Add(it.b.Len())
		it.b.release()
		return
	}
	if err := o.spill.push(it); err != nil {
		if it.reply != nil {
			it.reply <- barrierReply{output: o.name, err: fmt.Errorf("spill: %w", err)}
		} else {
			o.mDropped.Add(it.b.Len())
			it.b.release()
		}
		o.log.Error("spill failed; rows dropped", "err", err)
		return
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// feed moves spilled items back into the queue, oldest first.
func (o *output) feed() {
	defer close(o.feedDone)
	for {
		o.mu.Lock()
		it, ok, err := o.spill.pop()
		if err != nil {
			o.log.Error("spill unreadable; its rows are lost", "err", err)
		}
		if !ok {
			closed := o.spill.closed
			if o.spilling {
				o.log.Info("output caught up; spill empty")
			}
			o.spilling = false
			o.mu.Unlock()
			if closed {
				return
			}
			<-o.wake
			continue
		}
		o.mu.Unlock()
		o.q <- it
	}
}

func (o *output) run() {
	defer close(o.done)
	for it := range o.q {
		o.busySince.Store(it.enq)
		if it.reply != nil {
			var r barrierReply
			r.output = o.name
			if o.cp != nil {
				r.position, r.err = o.cp.Checkpoint(it.epoch)
			}
			it.reply <- r
			o.busySince.Store(0)
			continue
		}
		n := it.b.Len()
		b := &it.b.Batch
		if o.ps != nil {
			b = o.ps.Apply(b)
		}
		if err := o.w.Write(b); err != nil {
			o.mErrors.Inc()
			o.werr.CompareAndSwap(nil, &err)
			o.failing.Store(&err)
			if time.Since(o.lastLog) > 10*time.Second {
				o.log.Error("write failed", "err", err)
				o.lastLog = time.Now()
			}
		} else {
			o.mRows.Add(n)
			o.rows.Add(uint64(n))
			if o.failing.Load() != nil {
				o.failing.Store(nil)
			}
		}
		it.b.release()
		o.busySince.Store(0)
	}
}

// close waits until everything queued is written and closes the writer.
func (o *output) close() error {
	if o.spill != nil {
		o.mu.Lock()
		o.spill.closed = true
		o.mu.Unlock()
		select {
		case o.wake <- struct{}{}:
		default:
		}
		<-o.feedDone
	}
	close(o.q)
	<-o.done
	err := o.w.Close()
	if o.spill != nil {
		o.spill.remove()
	}
	if p := o.werr.Load(); p != nil {
		err = errors.Join(fmt.Errorf("output %s: %w", o.name, *p), err)
	}
	return err
}

// spill is an output's overflow on disk: items appended to one file and
// read back in order; the file is emptied whenever the reader catches up.
// It is not durable: rows spilled and not yet written are covered by no
// checkpoint, so after a crash the probe produces them again, and a spill
// left by a crash is removed at start.
type spill struct {
	dir      string
	max      int64
	f        *os.File
	w        *bufio.Writer
	r        *bufio.Reader
	written  int64 // bytes appended
	read     int64 // bytes consumed
	barriers map[uint64]chan<- barrierReply
	nextID   uint64
	closed   bool
	ps       *pseudonym.Pseudonymizer // nil: the output takes clear identities
}

func openSpill(dir string, max int64) (*spill, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return &spill{dir: dir, max: max, barriers: map[uint64]chan<- barrierReply{}}, nil
}

func (s *spill) size() int64 { return s.written - s.read }

func (s *spill) fits(b *shared) bool {
	// A row is well under 200 bytes gob-encoded; this is a cheap bound.
	return s.size()+int64(b.Len())*200 <= s.max
}

// spilled is the on-disk form of an item.
type spilled struct {
	Batch   *sink.Batch
	Barrier uint64 // id in barriers, 0: rows
	Epoch   uint64
	Enq     int64
}

func (s *spill) push(it item) error {
	if s.f == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, "spill"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
		if err != nil {
			return err
		}
		s.f, s.w, s.written, s.read = f, bufio.NewWriterSize(f, 1<<16), 0, 0
	}
	rec := spilled{Epoch: it.epoch, Enq: it.enq}
	if it.reply != nil {
		s.nextID++
		rec.Barrier = s.nextID
		s.barriers[s.nextID] = it.reply
	} else if s.ps != nil {
		rec.Batch = s.ps.Apply(&it.b.Batch)
	} else {
		rec.Batch = &it.b.Batch
	}
	var body bufferWriter
	if err := gob.NewEncoder(&body).Encode(&rec); err != nil {
		return err
	}
	if it.b != nil {
		it.b.release()
	}
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(body)))
	if _, err := s.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := s.w.Write(body); err != nil {
		return err
	}
	s.written += int64(len(body) + 4)
	return s.w.Flush()
}

// pop returns the oldest spilled item; ok is false when the spill is empty
// (and then the file is emptied).
func (s *spill) pop() (it item, ok bool, err error) {
	if s.f == nil || s.read >= s.written {
		if s.f != nil {
			s.f.Close()
			os.Remove(s.f.Name())
			s.f, s.w, s.r = nil, nil, nil
		}
		return item{}, false, nil
	}
	if s.r == nil {
		rf, err := os.Open(s.f.Name())
		if err != nil {
			return item{}, false, err
		}
		s.r = bufio.NewReaderSize(rf, 1<<16)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		s.read = s.written
		return item{}, false, err
	}
	body := make([]byte, binary.LittleEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(s.r, body); err != nil {
		s.read = s.written
		return item{}, false, err
	}
	s.read += int64(len(body) + 4)
	var rec spilled
	if err := gob.NewDecoder(byteReader(body)).Decode(&rec); err != nil {
		return item{}, false, err
	}
	it = item{epoch: rec.Epoch, enq: rec.Enq}
	if rec.Barrier != 0 {
		it.reply = s.barriers[rec.Barrier]
		delete(s.barriers, rec.Barrier)
	} else {
		sh := sharedPool.Get().(*shared)
		sh.Batch = *rec.Batch
		sh.refs.Store(1)
		it.b = sh
	}
	return it, true, nil
}

func (s *spill) remove() {
	if s.f != nil {
		s.f.Close()
	}
	os.RemoveAll(s.dir)
}

// bufferWriter is a byte slice that gob writes into.
type bufferWriter []byte

func (b *bufferWriter) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func byteReader(b []byte) io.Reader { return &sliceReader{b} }
