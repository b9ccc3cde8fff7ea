package probe

import (
	"log/slog"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/internal/sdnotify"
	"github.com/sigprobe/sigprobe/probe/ckpt"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
)

// pipeline is everything after decoding, on one goroutine so the Resolver
// sees a single time line: it attributes messages to subscribers, tracks
// them, fires triggers and hands rows to the outputs. Triggers leave the
// moment their rule fires; table rows leave in batches — by row count, and
// live at least every flush interval of wall time. Checkpoints are taken
// between two message batches.
type pipeline struct {
	log   *slog.Logger
	res   *track.Resolver
	state *track.State
	eng   *rules.Engine
	rows  sink.Batch // the State appends here
	outs  []*output
	// tableOuts and trigOuts count the outputs of each kind.
	tableOuts, trigOuts int

	queue chan *MsgBatch
	ctl   chan func()
	done  chan struct{}
	// merge puts several live workers' batches into one time line (nil:
	// one worker, its batches are taken as they come).
	merge *merge

	live       bool
	flushEvery time.Duration
	wal        *wal
	walBuf     []byte
	ck         *checkpointer // nil: no state
	notify     *sdnotify.Notifier

	// Kept in checkpoints:
	epoch    uint64 // last checkpoint taken
	trigSeq  uint64 // triggers numbered so far
	pos      uint64 // source packets whose messages were handled
	lastTS   int64  // newest capture time handled, ns
	trigSent int    // rows.Triggers already sent to the trigger outputs

	curTS   int64 // capture time of the message being handled
	batches uint64
	rowsOut uint64
	m       *probeMetrics
}

// queueDepth batches may wait for the pipeline; a worker waits when full
// (its ring absorbs the wait; the kernel counts drops if it lasts).
const queueDepth = 256

func newPipeline(log *slog.Logger, tc track.Config, eng *rules.Engine) *pipeline {
	p := &pipeline{log: log, eng: eng, queue: make(chan *MsgBatch, queueDepth), ctl: make(chan func()), done: make(chan struct{})}
	p.state = track.NewState(tc, &p.rows, p.rowsFull)
	if eng != nil {
		p.state.SetRules(eng)
	}
	p.res = track.NewResolver(p.state)
	p.res.SetLimits(tc.MaxConnections, tc.MaxTransactions, tc.MaxHeld)
	p.res.Trace = tc.Trace
	return p
}

func (p *pipeline) addOutput(o *output) {
	p.outs = append(p.outs, o)
	if o.kind == tablesOutput {
		p.tableOuts++
	} else {
		p.trigOuts++
	}
}

// feed queues a batch; the pipeline owns it afterwards.
func (p *pipeline) feed(b *MsgBatch) { p.queue <- b }

// do runs fn on the pipeline's goroutine between two batches and waits.
func (p *pipeline) do(fn func()) {
	done := make(chan struct{})
	select {
	case p.ctl <- func() { fn(); close(done) }:
	case <-p.done:
		return
	}
	select {
	case <-done:
	case <-p.done:
	}
}

// run consumes batches until the queue is closed.
func (p *pipeline) run(ckptEvery time.Duration) {
	defer close(p.done)
	var flushC, ckptC, syncC <-chan time.Time
	if p.live && p.flushEvery > 0 {
		t := time.NewTicker(p.flushEvery)
		defer t.Stop()
		flushC = t.C
	}
	if p.ck != nil && ckptEvery > 0 {
		t := time.NewTicker(ckptEvery)
		defer t.Stop()
		ckptC = t.C
	}
	if p.wal != nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		syncC = t.C
	}
	// systemd's watchdog hears from this goroutine, between two batches:
	// a pipeline that stops turning gets the probe restarted.
	var dogC <-chan time.Time
	if d := p.notify.WatchdogInterval(); d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		dogC = t.C
	}
	dogWarned := false
	for {
		select {
		case fn := <-p.ctl:
			fn()
		case b, ok := <-p.queue:
			if !ok {
				if p.merge != nil {
					p.merge.release(p.handle, true)
				}
				return
			}
			if p.merge != nil {
				p.merge.add(b)
				p.merge.release(p.handle, false)
				continue
			}
			p.handle(b)
		case <-flushC:
			if p.wal != nil {
				if err := p.wal.appendCut(); err != nil {
					p.walFailed(err)
				}
			}
			p.cut(true)
			p.updateMetrics()
		case <-ckptC:
			p.checkpoint(false)
		case <-syncC:
			if err := p.wal.sync(); err != nil {
				p.walFailed(err)
			}
		case <-dogC:
			if err := p.notify.Notify("WATCHDOG=1"); err != nil && !dogWarned {
				p.log.Warn("cannot reach systemd's watchdog", "err", err)
				dogWarned = true
			}
		}
	}
}

// handle tracks one batch. A live batch is logged first, so that nothing
// the pipeline acts on can be lost by a crash.
func (p *pipeline) handle(b *MsgBatch) {
	if b.cut {
		p.cut(true)
		putBatch(b)
		return
	}
	if b.closeAt != 0 {
		p.end(b.closeAt)
		putBatch(b)
		return
	}
	if p.wal != nil && !b.replayed {
		var err error
		if p.walBuf, err = p.wal.appendBatch(b.Msgs, p.walBuf); err != nil {
			p.walFailed(err)
		}
	}
	for i := range b.Msgs {
		m := &b.Msgs[i]
		p.curTS = m.TsNs
		p.lastTS = max(p.lastTS, m.TsNs)
		p.res.Handle(m)
		if len(p.rows.Triggers) > p.trigSent {
			p.sendTriggers()
		}
	}
	if b.pos > p.pos {
		p.pos = b.pos
	}
	putBatch(b)
	if p.batches++; p.batches%64 == 0 {
		p.updateMetrics()
	}
}

func (p *pipeline) walFailed(err error) {
	p.m.walErrors.Inc()
	p.log.Error("write-ahead log failed: a crash now would lose messages", "err", err)
}

// sendTriggers numbers the triggers fired since the last call and sends
// them to the trigger outputs at once.
func (p *pipeline) sendTriggers() {
	t := p.rows.Triggers[p.trigSent:]
	for i := range t {
		p.trigSeq++
		t[i].Seq = p.trigSeq
		t[i].Observed = p.curTS
	}
	p.trigSent = len(p.rows.Triggers)
	if p.trigOuts == 0 {
		return
	}
	b := copyBatch(&sink.Batch{Triggers: t}, p.trigOuts)
	for _, o := range p.outs {
		if o.kind == triggersOutput {
			o.send(item{b: b})
		}
	}
}

// rowsFull is the State's callback when its batch holds enough rows.
func (p *pipeline) rowsFull(*sink.Batch) { p.cut(false) }

// cut hands the rows gathered so far to the table outputs; flush asks them
// to make the rows visible now.
func (p *pipeline) cut(flush bool) {
	if len(p.rows.Triggers) > p.trigSent {
		p.sendTriggers()
	}
	if p.rows.Len() == 0 && !flush {
		return
	}
	p.rows.Flush = flush
	p.rowsOut += uint64(p.rows.Len())
	if p.tableOuts > 0 {
		b := copyBatch(&p.rows, p.tableOuts)
		for _, o := range p.outs {
			if o.kind == tablesOutput {
				o.send(item{b: b})
			}
		}
	}
	p.rows.Reset()
	p.trigSent = 0
}

// checkpoint cuts the rows, encodes the state and sends a barrier through
// every output; the checkpointer commits it once every output has made the
// rows before its barrier durable. Without final, a checkpoint is skipped
// while the previous one is still being committed.
func (p *pipeline) checkpoint(final bool) {
	if p.ck == nil {
		return
	}
	if !final && p.ck.busy() {
		p.m.ckptSkipped.Inc()
		return
	}
	p.cut(false)
	t0 := time.Now()
	p.epoch++
	var walPos *walPos
	if p.wal != nil {
		if err := p.wal.sync(); err != nil {
			p.walFailed(err)
		}
		pos := p.wal.position()
		walPos = &pos
	}
	snap := p.snapshot()
	reply := make(chan barrierReply, len(p.outs))
	for _, o := range p.outs {
		o.send(item{epoch: p.epoch, reply: reply})
	}
	p.m.ckptEncode.UpdateDuration(t0)
	p.ck.submit(pending{epoch: p.epoch, sections: snap, wal: walPos, pos: p.pos, lastTS: p.lastTS,
		outputs: len(p.outs), reply: reply, started: t0}, final)
}

// snapshot encodes everything the pipeline goroutine owns.
func (p *pipeline) snapshot() ckpt.Sections {
	pe := ckpt.NewEnc(64)
	pe.Uvarint(1)
	pe.U64(p.epoch)
	pe.U64(p.trigSeq)
	pe.U64(p.pos)
	pe.I64(p.lastTS)
	pe.U64(p.rowsOut)
	re := ckpt.NewEnc(1 << 16)
	p.res.SaveState(re)
	se := ckpt.NewEnc(64*p.state.Len() + 1<<16)
	p.state.SaveState(se)
	s := ckpt.Sections{{Name: "pipeline", Data: pe.Bytes()}, {Name: "resolver", Data: re.Bytes()}, {Name: "state", Data: se.Bytes()}}
	if p.eng != nil {
		ee := ckpt.NewEnc(1 << 12)
		p.eng.SaveState(ee)
		s = append(s, ckpt.Section{Name: "rules", Data: ee.Bytes()})
	}
	return s
}

// restore loads a snapshot into a fresh pipeline.
func (p *pipeline) restore(s ckpt.Sections) error {
	d := ckpt.NewDec(s.Get("pipeline"))
	if v := d.Uvarint(); d.Err() == nil && v != 1 {
		return track.ErrStateVersion
	}
	p.epoch, p.trigSeq, p.pos, p.lastTS, p.rowsOut = d.U64(), d.U64(), d.U64(), d.I64(), d.U64()
	if d.Err() != nil {
		return d.Err()
	}
	if err := p.res.LoadState(ckpt.NewDec(s.Get("resolver"))); err != nil {
		return err
	}
	if err := p.state.LoadState(ckpt.NewDec(s.Get("state"))); err != nil {
		return err
	}
	if p.eng != nil && s.Has("rules") {
		if err := p.eng.LoadState(ckpt.NewDec(s.Get("rules"))); err != nil {
			return err
		}
	}
	p.state.Persist = true
	return nil
}

// finish ends the run after the queue is drained: open calls are reported,
// open dwells end at end (unless the state persists: they continue after a
// restart), the subscriber table is written and, with a state, the last
// checkpoint is committed.
func (p *pipeline) finish(end int64) {
	if end == 0 {
		end = p.lastTS
	}
	if p.wal != nil {
		if err := p.wal.appendClose(end); err != nil {
			p.walFailed(err)
		}
	}
	p.end(end)
	p.checkpoint(true)
	p.updateMetrics()
}

// end reports the calls still open, ends the dwells (or keeps them for a
// restart), writes the subscriber table and asks every output to make all
// of it visible: the flush seals ClickHouse's open blocks, so the last
// checkpoint holds none and closing the outputs adds nothing it lacks.
func (p *pipeline) end(at int64) {
	p.res.Flush()
	p.state.Close(at)
	p.cut(true)
}

// msgStats are the counters of what was handled (pipeline goroutine or
// after it stopped).
func (p *pipeline) stats() (track.ResolverStats, track.StateStats) {
	return p.res.Stats, p.state.Stats
}

var _ = decode.ProtoNone
