package probe

import (
	"sync"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
)

// Pipeline is everything after decoding: it attributes messages to
// subscribers, tracks them, fires triggers and writes rows. Decoders (one per
// capture worker, or the replay reader) hand it batches of messages through
// Feed; one goroutine consumes them, in the order fed, so the Resolver sees a
// single time line. Feed blocks when the bounded queue is full: replay then
// runs at the pipeline's speed; a live capture, whose ring buffers absorb the
// wait, counts kernel drops if it lasts.
type Pipeline struct {
	res   *track.Resolver
	state *track.State
	batch sink.Batch
	out   sink.Writer

	cfg   track.Config
	saved int64 // capture time of the last snapshot
	every int64
	queue chan *MsgBatch
	ctl   chan func(*track.State)
	m     *pipeMetrics
	fed   uint64
	pool  sync.Pool
	done  chan struct{}
	werr  error
	rows  uint64
	last  int64
}

// MsgBatch is a batch of decoded messages travelling to the pipeline.
type MsgBatch struct {
	Msgs []decode.Message
}

// queueDepth batches of up to batchSize messages may wait for the pipeline.
const (
	queueDepth = 64
	batchSize  = 256
)

// NewPipeline restores the state from cfg.StateDir (if set) and starts the
// pipeline's goroutine. eng may be nil (no triggers).
func NewPipeline(cfg track.Config, eng *rules.Engine, out sink.Writer) (*Pipeline, error) {
	p := &Pipeline{cfg: cfg, out: out, queue: make(chan *MsgBatch, queueDepth), ctl: make(chan func(*track.State), 1), done: make(chan struct{})}
	p.pool.New = func() any { return &MsgBatch{Msgs: make([]decode.Message, 0, batchSize)} }
	p.state = track.NewState(cfg, &p.batch, p.flush)
	if eng != nil {
		p.state.SetRules(eng)
	}
	p.res = track.NewResolver(p.state.Observe)
	p.res.Trace = cfg.Trace
	var names []string
	if cfg.Regions != nil {
		for _, r := range cfg.Regions.Regions {
			names = append(names, r.Name)
		}
	}
	p.m = newPipeMetrics(names)
	if p.cfg.StateDir != "" {
		ts, err := track.Restore(p.cfg.StateDir, p.state, p.res)
		if err != nil {
			p.m.close()
			return nil, err
		}
		p.state.Persist = true
		p.saved = ts
		p.every = int64(p.cfg.SnapshotEvery)
		if p.every <= 0 {
			p.every = int64(5 * time.Minute)
		}
	}
	go p.loop()
	return p, nil
}

// Batch returns an empty batch to fill and Feed.
func (p *Pipeline) Batch() *MsgBatch {
	b := p.pool.Get().(*MsgBatch)
	b.Msgs = b.Msgs[:0]
	return b
}

// Feed queues a filled batch; the pipeline owns it afterwards.
func (p *Pipeline) Feed(b *MsgBatch) { p.queue <- b }

// Do runs fn on the pipeline's goroutine between two batches and waits for
// it: the only safe way to touch the tracking state while it runs. After the
// pipeline has stopped it does nothing.
func (p *Pipeline) Do(fn func(*track.State)) {
	done := make(chan struct{})
	select {
	case p.ctl <- func(s *track.State) { fn(s); close(done) }:
	case <-p.done:
		return
	}
	select {
	case <-done:
	case <-p.done:
	}
}

func (p *Pipeline) loop() {
	defer close(p.done)
	for {
		var b *MsgBatch
		select {
		case fn := <-p.ctl:
			fn(p.state)
			continue
		case x, ok := <-p.queue:
			if !ok {
				return
			}
			b = x
		}
		for i := range b.Msgs {
			m := &b.Msgs[i]
			p.last = max(p.last, m.TsNs)
			p.res.Handle(m)
		}
		p.pool.Put(b)
		if p.fed++; p.fed%64 == 0 {
			p.update()
		}
		if p.every > 0 && p.last-p.saved >= p.every {
			p.snapshot()
		}
	}
}

func (p *Pipeline) snapshot() {
	if err := track.Save(p.cfg.StateDir, p.state, p.res, p.last); err != nil && p.werr == nil {
		p.werr = err
	}
	p.saved = p.last
}

func (p *Pipeline) flush(b *sink.Batch) {
	p.rows += uint64(b.Len())
	if err := p.out.Write(b); err != nil {
		p.m.writeErrors.Inc()
		if p.werr == nil {
			p.werr = err
		}
	}
	b.Reset()
}

// PipelineStats are the pipeline's counters after Close.
type PipelineStats struct {
	Resolver track.ResolverStats
	State    track.StateStats
	Rows     uint64
}

// Close drains the queue, ends open calls and dwells at end (ns; 0: the
// last message's time), writes the subscriber table and closes the writer.
func (p *Pipeline) Close(end int64) (PipelineStats, error) {
	close(p.queue)
	<-p.done
	if end == 0 {
		end = p.last
	}
	p.res.Flush()
	p.state.Close(end)
	if p.cfg.StateDir != "" {
		p.snapshot()
	}
	p.update()
	p.m.close()
	st := PipelineStats{Resolver: p.res.Stats, State: p.state.Stats, Rows: p.rows}
	err := p.werr
	if cerr := p.out.Close(); err == nil {
		err = cerr
	}
	return st, err
}
