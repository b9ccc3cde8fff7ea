package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
)

// LiveConfig configures a live probe.
type LiveConfig struct {
	Capture capture.Config
	Track   track.Config
	Rules   *rules.Engine // nil: no triggers
	// Out receives the tables; Live closes it.
	Out sink.Writer
	// Messages, if not nil, receives every decoded message as the JSON line
	// of `sigprobe decode`, whole batches at a time. Live does not close it.
	Messages io.Writer
	// FlushInterval bounds how long a decoded message waits in its worker's
	// batch before it goes to the pipeline and to Messages (default 50ms).
	FlushInterval time.Duration
	// StatsInterval is how often the metrics are brought up to date
	// (default 1s).
	StatsInterval time.Duration
	Logger        *slog.Logger
}

// Defaults for zero LiveConfig intervals.
const (
	DefaultFlushInterval = 50 * time.Millisecond
	DefaultStatsInterval = time.Second
)

// LiveStats summarises a live run.
type LiveStats struct {
	Capture  capture.Stats
	Decode   decode.Stats // summed over the workers
	Resolver track.ResolverStats
	State    track.StateStats
	Rows     uint64
	Triggers uint64
	Lines    uint64 // JSON lines written to Messages
	Elapsed  time.Duration
}

// String is the one-line shutdown summary.
func (s *LiveStats) String() string {
	return fmt.Sprintf("packets=%d messages=%d subscribers=%d dwell=%d rows=%d triggers=%d decode_errors=%d unresolved=%d "+
		"kernel_packets=%d kernel_drops=%d queue_freezes=%d bpf_passed=%d bpf_dropped=%d mode=%s lines=%d elapsed=%s",
		s.Capture.Received, s.Decode.Messages, s.State.Subscribers, s.State.DwellRows, s.Rows, s.Triggers, s.Decode.Errors,
		s.Resolver.Unresolved, s.Capture.KernelPackets, s.Capture.KernelDrops, s.Capture.QueueFreezes,
		s.Capture.FilterPassed, s.Capture.FilterDropped, s.Capture.Mode, s.Lines, s.Elapsed.Round(time.Millisecond))
}

// Live is a running live probe: a capture whose workers each decode with
// their own stack and feed batches to one Pipeline. Open it, then Run it.
type Live struct {
	cfg     LiveConfig
	log     *slog.Logger
	cap     *capture.Capture
	p       *Pipeline
	workers []*liveWorker
	m       *liveMetrics

	msgMu  sync.Mutex // serialises writes to cfg.Messages
	msgErr error
	lines  uint64
}

// liveWorker is one capture worker's decode state. The capture calls the
// handler for a worker from one goroutine only; mu is there for the flusher
// and the metrics, which look at the worker from others, and is otherwise
// uncontended.
type liveWorker struct {
	mu    sync.Mutex
	stack *decode.Stack
	batch *MsgBatch
	lines []byte // rendered JSON lines not yet written
	n     uint64 // messages rendered into lines
	frame uint64 // packets seen by this worker (Message.Frame)
}

// OpenLive opens the capture and starts the pipeline; packets queue in the
// capture rings until Run. Capture errors wrap capture.ErrNoInterface,
// ErrPermission or ErrEBPF and say what to do. On error cfg.Out is closed.
func OpenLive(cfg LiveConfig) (*Live, error) {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = DefaultStatsInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Capture.Logger == nil {
		cfg.Capture.Logger = cfg.Logger.With("component", "capture")
	}
	l := &Live{cfg: cfg, log: cfg.Logger.With("component", "live")}
	c, err := capture.Open(cfg.Capture)
	if err != nil {
		cfg.Out.Close()
		return nil, err
	}
	l.cap = c
	if l.p, err = NewPipeline(cfg.Track, cfg.Rules, cfg.Out); err != nil {
		c.Close()
		return nil, err
	}
	l.workers = make([]*liveWorker, c.Workers())
	for i := range l.workers {
		st := decode.NewStack()
		st.SCCPEvents = true
		l.workers[i] = &liveWorker{stack: st, batch: l.p.Batch()}
	}
	l.m = newLiveMetrics(cfg.Rules)
	return l, nil
}

// RunLive opens and runs a live probe until ctx is done (see OpenLive and Run).
func RunLive(ctx context.Context, cfg LiveConfig) (LiveStats, error) {
	l, err := OpenLive(cfg)
	if err != nil {
		return LiveStats{}, err
	}
	return l.Run(ctx)
}

// Mode is the capture's fanout mode.
func (l *Live) Mode() capture.Mode { return l.cap.Mode() }

// Reload swaps in new micro-regions and trigger rules while the probe runs;
// subscriber state is kept (see track.State.Reconfigure).
func (l *Live) Reload(rf *regions.File, eng *rules.Engine) {
	l.p.Do(func(s *track.State) { s.Reconfigure(rf, eng) })
}

// Workers is the number of capture workers.
func (l *Live) Workers() int { return len(l.workers) }

// Run captures until ctx is done or a socket fails, then shuts down in
// order: stop the capture, hand the workers' last batches to the pipeline,
// close the pipeline (which ends open dwells and writes and closes the
// tables). Each step's duration is logged, then a summary line. Run may be
// called once.
func (l *Live) Run(ctx context.Context) (st LiveStats, err error) {
	began := time.Now()
	l.m.register()
	defer l.m.unregister()
	l.log.Info("capturing", "interfaces", strings.Join(l.cfg.Capture.Interfaces, ","), "workers", len(l.workers), "mode", l.cap.Mode())

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); l.flusher(stop) }()
	go func() { defer bg.Done(); l.statser(stop) }()

	runErr := l.cap.Run(ctx, l.handle)

	t := time.Now()
	close(stop)
	bg.Wait()
	l.cap.Close()
	l.log.Info("capture stopped", "took", time.Since(t))

	t = time.Now()
	for _, w := range l.workers {
		w.mu.Lock()
		l.flush(w)
		w.mu.Unlock()
	}
	l.log.Info("workers drained", "took", time.Since(t))

	t = time.Now()
	pst, perr := l.p.Close(0)
	l.log.Info("pipeline closed, tables written", "took", time.Since(t))

	st = l.update()
	st.Resolver, st.State, st.Rows = pst.Resolver, pst.State, pst.Rows
	st.Elapsed = time.Since(began)
	l.msgMu.Lock()
	st.Lines, err = l.lines, l.msgErr
	l.msgMu.Unlock()
	if err != nil {
		err = fmt.Errorf("messages: %w", err)
	}
	l.log.Info("summary " + st.String())
	return st, errors.Join(runErr, perr, err)
}

// handle decodes one packet into its worker's batch. p.Data is only read
// here: the messages hold no references into it.
func (l *Live) handle(worker int, p *capture.Packet) {
	w := l.workers[worker]
	w.mu.Lock()
	w.frame++
	n := len(w.batch.Msgs)
	w.batch.Msgs, _ = w.stack.Decode(w.batch.Msgs, layers.LinkTypeEthernet, w.frame, p.CI.Timestamp.UnixNano(), p.Data)
	if l.cfg.Messages != nil {
		for i := n; i < len(w.batch.Msgs); i++ {
			m := &w.batch.Msgs[i]
			if m.Proto == decode.ProtoNone { // SCCP connection events: not messages of `decode`
				continue
			}
			w.lines = decode.AppendJSON(w.lines, m)
			w.lines = append(w.lines, '\n')
			w.n++
		}
	}
	if len(w.batch.Msgs) >= batchSize-16 {
		l.flush(w)
	}
	w.mu.Unlock()
}

// flush feeds the worker's batch to the pipeline and writes its lines. The
// caller holds w.mu.
func (l *Live) flush(w *liveWorker) {
	if len(w.batch.Msgs) > 0 {
		l.m.batches.Inc()
		l.p.Feed(w.batch)
		w.batch = l.p.Batch()
	}
	if len(w.lines) > 0 {
		l.msgMu.Lock()
		if l.msgErr == nil {
			if _, err := l.cfg.Messages.Write(w.lines); err != nil {
				l.msgErr = err
				l.log.Error("writing messages failed; no more are written", "err", err)
			} else {
				l.lines += w.n
			}
		}
		l.msgMu.Unlock()
		w.lines, w.n = w.lines[:0], 0
	}
}

// flusher hands every worker's messages on at least every FlushInterval, so
// they do not wait for a full batch at low rates or when traffic stops.
func (l *Live) flusher(stop <-chan struct{}) {
	tick := time.NewTicker(l.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for _, w := range l.workers {
			w.mu.Lock()
			l.flush(w)
			w.mu.Unlock()
		}
	}
}

// statser brings the metrics up to date every StatsInterval.
func (l *Live) statser(stop <-chan struct{}) {
	tick := time.NewTicker(l.cfg.StatsInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			l.update()
		}
	}
}

// update reads the capture's and the workers' counters into the metrics and
// returns them.
func (l *Live) update() LiveStats {
	var st LiveStats
	st.Capture = l.cap.Stats()
	for _, w := range l.workers {
		w.mu.Lock()
		addDecodeStats(&st.Decode, &w.stack.Stats)
		w.mu.Unlock()
	}
	if l.cfg.Rules != nil {
		rs := l.cfg.Rules.Stats().Rules
		for _, r := range rs {
			st.Triggers += r.Fired
		}
		l.m.setRules(rs)
	}
	l.msgMu.Lock()
	st.Lines = l.lines
	l.msgMu.Unlock()
	l.m.set(&st)
	return st
}

func addDecodeStats(dst, s *decode.Stats) {
	dst.Packets += s.Packets
	dst.Messages += s.Messages
	dst.Errors += s.Errors
	for i := range s.ByLayer {
		dst.ByLayer[i] += s.ByLayer[i]
	}
	for i := range s.ByReason {
		dst.ByReason[i] += s.ByReason[i]
	}
	dst.Retransmissions += s.Retransmissions
	dst.Fragments += s.Fragments
	dst.NotSCTP += s.NotSCTP
	dst.Control += s.Control
	dst.OtherPPID += s.OtherPPID
	dst.AdaptationMgmt += s.AdaptationMgmt
	dst.NotSCCP += s.NotSCCP
	dst.NoUserData += s.NoUserData
	dst.Returned += s.Returned
	dst.OutOfScope += s.OutOfScope
	dst.NoComponents += s.NoComponents
	dst.Rejects += s.Rejects
	dst.FlowResets += s.FlowResets
}
