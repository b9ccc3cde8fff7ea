package probe

import (
	"sync"

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

	queue chan *MsgBatch
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

// NewPipeline starts the pipeline's goroutine. eng may be nil (no triggers).
func NewPipeline(cfg track.Config, eng *rules.Engine, out sink.Writer) *Pipeline {
	p := &Pipeline{out: out, queue: make(chan *MsgBatch, queueDepth), done: make(chan struct{})}
	p.pool.New = func() any { return &MsgBatch{Msgs: make([]decode.Message, 0, batchSize)} }
	p.state = track.NewState(cfg, &p.batch, p.flush)
	if eng != nil {
		p.state.SetRules(eng)
	}
	p.res = track.NewResolver(p.state.Observe)
	p.res.Trace = cfg.Trace
	go p.loop()
	return p
}

// Batch returns an empty batch to fill and Feed.
func (p *Pipeline) Batch() *MsgBatch {
	b := p.pool.Get().(*MsgBatch)
	b.Msgs = b.Msgs[:0]
	return b
}

// Feed queues a filled batch; the pipeline owns it afterwards.
func (p *Pipeline) Feed(b *MsgBatch) { p.queue <- b }

func (p *Pipeline) loop() {
	defer close(p.done)
	for b := range p.queue {
		for i := range b.Msgs {
			m := &b.Msgs[i]
			p.last = max(p.last, m.TsNs)
			p.res.Handle(m)
		}
		p.pool.Put(b)
	}
}

func (p *Pipeline) flush(b *sink.Batch) {
	p.rows += uint64(b.Len())
	if err := p.out.Write(b); err != nil && p.werr == nil {
		p.werr = err
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
	st := PipelineStats{Resolver: p.res.Stats, State: p.state.Stats, Rows: p.rows}
	err := p.werr
	if cerr := p.out.Close(); err == nil {
		err = cerr
	}
	return st, err
}
