package probe

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/pcapfile"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
)

// ReplayStats summarises a replay.
type ReplayStats struct {
	Packets   uint64
	Truncated uint64
	Decode    decode.Stats
	Resolver  track.ResolverStats
	State     track.StateStats
	Rows      uint64
	Triggers  uint64
	Elapsed   time.Duration
	FirstTS   int64
	LastTS    int64
}

// MessagesPerSecond is the end-to-end rate.
func (s *ReplayStats) MessagesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Decode.Messages) / s.Elapsed.Seconds()
}

// Replay runs a capture file through the same pipeline a live probe runs,
// as fast as it can, writing rows to out (which it closes). Triggers fire
// when rules is not nil.
func Replay(ctx context.Context, path string, cfg track.Config, out sink.Writer) (st ReplayStats, err error) {
	return ReplayWithRules(ctx, path, cfg, nil, out)
}

// ReplayWithRules is Replay with a trigger rules engine. The file is read
// and decoded in this goroutine while the pipeline tracks in its own.
func ReplayWithRules(ctx context.Context, path string, cfg track.Config, eng *rules.Engine, out sink.Writer) (st ReplayStats, err error) {
	began := time.Now()
	defer func() { st.Elapsed = time.Since(began) }()
	r, err := pcapfile.Open(path)
	if err != nil {
		out.Close()
		return st, err
	}
	defer r.Close()
	p := NewPipeline(cfg, eng, out)
	stack := decode.NewStack()
	stack.SCCPEvents = true
	b := p.Batch()
	for {
		if r.Frame%4096 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		data, ci, lt, rerr := r.Next()
		if rerr == io.EOF {
			break
		}
		if errors.Is(rerr, pcapfile.ErrTruncated) {
			st.Truncated++
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
		st.Packets++
		ts := ci.Timestamp.UnixNano()
		if st.FirstTS == 0 {
			st.FirstTS = ts
		}
		st.LastTS = ts
		b.Msgs, _ = stack.Decode(b.Msgs, lt, r.Frame, ts, data)
		if len(b.Msgs) >= batchSize-16 {
			p.Feed(b)
			b = p.Batch()
		}
	}
	p.Feed(b)
	pst, perr := p.Close(st.LastTS)
	st.Decode, st.Resolver, st.State, st.Rows = stack.Stats, pst.Resolver, pst.State, pst.Rows
	if eng != nil {
		for _, r := range eng.Stats().Rules {
			st.Triggers += r.Fired
		}
	}
	if err == nil {
		err = perr
	}
	return st, err
}
