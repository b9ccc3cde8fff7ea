package natsbus

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sigprobe/sigprobe/sink"
)

// StreamName is the JetStream stream that holds the triggers.
const StreamName = "SIGPROBE_TRIGGERS"

// StreamConfig are the stream's limits. Zero values take the defaults.
type StreamConfig struct {
	MaxAge     time.Duration // how long triggers are kept (default 72h)
	MaxBytes   int64         // stream size limit, oldest dropped first (default 1 GiB)
	Duplicates time.Duration // Nats-Msg-Id deduplication window (default 2m)
	Replicas   int           // clustered NATS only (default 1)
}

// Config configures the publisher. Zero values take the defaults.
type Config struct {
	URL string // nats://host:4222 (Server.URL for the embedded one)
	// CredsFile is a NATS credentials file (JWT + NKey) for an external
	// server; NkeyFile the seed of an nkey user (mode 0600 or stricter).
	CredsFile, NkeyFile string
	// Options are added to the connection's (the embedded server's
	// in-process connection and credentials: Server.PublisherOptions).
	Options []nats.Option
	// StreamManaged: the stream exists and is not the publisher's to make
	// (the embedded server makes it; its publisher may not).
	StreamManaged bool
	// TLS: a client certificate and key, and the CA that signed the server's.
	TLSCert, TLSKey, TLSCA string
	Stream                 StreamConfig
	// MaxPending bounds the publishes awaiting their acknowledgement (default 256).
	MaxPending int
	// BufferMax bounds the triggers held while the server is unreachable
	// (default 100,000); past it new triggers are dropped and counted.
	BufferMax int
	// AckTimeout is how long to wait for an acknowledgement before sending
	// again under the same Msg-Id (default 5s).
	AckTimeout time.Duration
	// CloseTimeout bounds Close's final flush (default 10s).
	CloseTimeout time.Duration
	// CheckpointWait is how long Checkpoint waits for outstanding
	// acknowledgements before it keeps the rest in the position (default 1s).
	CheckpointWait time.Duration
	// Position is what Checkpoint returned before a restart (nil: a fresh
	// start): the triggers not acknowledged then are published first.
	Position []byte
	// AckFile, when set, records the sequence number up to which every
	// trigger is acknowledged (kept current as acks arrive, in the probe's
	// state directory). After a crash the probe fires the triggers since
	// its last checkpoint again; those up to this number are not published
	// twice, however long the probe was down. Without it the stream's
	// duplicate window alone guards against that.
	AckFile string
	// Latency observes sigprobe_trigger_latency_seconds: from the capture
	// time of the packet that fired a trigger to the stream's
	// acknowledgement (live capture only: a replay's capture times are old).
	Latency bool
	Logger  *slog.Logger
}

func (c *Config) defaults() {
	c.Stream.defaults()
	if c.MaxPending <= 0 {
		c.MaxPending = 256
	}
	if c.BufferMax <= 0 {
		c.BufferMax = 100_000
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 5 * time.Second
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 10 * time.Second
	}
	if c.CheckpointWait <= 0 {
		c.CheckpointWait = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func (s *StreamConfig) defaults() {
	if s.MaxAge <= 0 {
		s.MaxAge = 72 * time.Hour
	}
	if s.MaxBytes <= 0 {
		s.MaxBytes = 1 << 30
	}
	if s.Duplicates <= 0 {
		s.Duplicates = 2 * time.Minute
	}
	if s.Replicas <= 0 {
		s.Replicas = 1
	}
}

// jetstream is the stream's configuration.
func (s *StreamConfig) jetstream() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "sigprobe trigger events (sink/natsbus/README.md)",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      s.MaxAge,
		MaxBytes:    s.MaxBytes,
		Duplicates:  s.Duplicates,
		Replicas:    s.Replicas,
	}
}

// message is one encoded trigger waiting for its acknowledgement.
type message struct {
	subject, id string
	data        []byte
	seq         uint64 // sink.Trigger.Seq
	observed    int64  // capture time of the packet that fired it, ns
}

// Publisher implements sink.Writer for Batch.Triggers only: each trigger is
// published as JSON on sigprobe.trigger.<kind>.<region> with its id as
// Nats-Msg-Id, asynchronously with a bounded number of pending acks. A
// trigger stays buffered until the stream acknowledges it, so a lost
// connection or a timed-out ack means sending again, and the stream's
// duplicate window keeps that from storing it twice.
type Publisher struct {
	cfg Config
	log *slog.Logger
	nc  *nats.Conn
	js  jetstream.JetStream
	set *metrics.Set

	mu     sync.Mutex
	queue  []message // oldest first
	bytes  int
	closed bool
	// acked: every trigger with a sequence number up to it is acknowledged
	// (or was before a restart); maxSeq: the highest queued so far.
	acked, maxSeq, written uint64
	ackFile                *os.File
	drained                *sync.Cond // signalled when the queue shrinks
	// kept: the last Checkpoint holds every trigger still queued (no Write
	// came after it), so what Close cannot deliver is not lost.
	kept        bool
	keptAtClose int

	// streamDenied: the server refused our stream create/update request
	// (a publish-only user); streamTry cancels the request waiting for its
	// reply, which a denied request never gets.
	streamDenied atomic.Bool
	streamMu     sync.Mutex
	streamTry    context.CancelFunc

	kick    chan struct{}
	closing chan struct{}
	done    chan struct{}
	stop    context.Context
	cancel  context.CancelFunc

	published, retries, duplicates, skipped *metrics.Counter
	dropFull, dropClosed, dropLeft          *metrics.Counter
	latency, triggerLatency                 *metrics.PrometheusHistogram
}

// TriggerLatencyBuckets are the upper bounds (seconds) of
// sigprobe_trigger_latency_seconds: fine below 10 ms, where the goal is.
var TriggerLatencyBuckets = []float64{0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("natsbus: publisher closed")

// NewPublisher connects to cfg.URL. An unreachable server is not an error:
// triggers are buffered until it is there.
func NewPublisher(cfg Config) (*Publisher, error) {
	cfg.defaults()
	if cfg.URL == "" {
		return nil, errors.New("natsbus: no URL")
	}
	p := &Publisher{cfg: cfg, log: cfg.Logger, set: metrics.NewSet(),
		kick: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{})}
	p.drained = sync.NewCond(&p.mu)
	p.stop, p.cancel = context.WithCancel(context.Background())
	if cfg.AckFile != "" {
		f, err := os.OpenFile(cfg.AckFile, os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("natsbus: %w", err)
		}
		var b [8]byte
		if n, _ := f.ReadAt(b[:], 0); n == 8 {
			p.acked = binary.LittleEndian.Uint64(b[:])
		}
		p.ackFile, p.written, p.maxSeq = f, p.acked, p.acked
	}
	if cfg.Position != nil {
		q, err := decodeQueue(cfg.Position)
		if err != nil {
			p.closeAckFile()
			return nil, err
		}
		for _, m := range q {
			if m.seq != 0 && m.seq <= p.acked {
				continue
			}
			p.queue = append(p.queue, m)
			p.bytes += len(m.data)
			p.maxSeq = max(p.maxSeq, m.seq)
		}
	}
	opts := []nats.Option{
		nats.Name("sigprobe"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1), // we buffer ourselves: fail fast while disconnected
		nats.ConnectHandler(func(*nats.Conn) { p.notify() }),
		nats.ReconnectHandler(func(*nats.Conn) { p.log.Info("nats reconnected"); p.notify() }),
		nats.ErrorHandler(p.asyncError),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own Close
				p.log.Warn("nats disconnected; buffering triggers", "err", err)
			}
		}),
	}
	co, err := cfg.connectOptions()
	if err != nil {
		p.closeAckFile()
		return nil, err
	}
	nc, err := nats.Connect(cfg.URL, append(opts, co...)...)
	if err != nil {
		p.closeAckFile()
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(cfg.MaxPending))
	if err != nil {
		nc.Close()
		p.closeAckFile()
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	p.nc, p.js = nc, js
	// The stream exists from start-up, so a consumer started before the
	// first trigger finds it. A server not reachable yet gets it later.
	if nc.IsConnected() && !cfg.StreamManaged {
		if err := p.ensureStream(); err != nil {
			p.log.Warn("cannot create the trigger stream yet; retrying while publishing", "err", err)
		}
	} else {
		p.log.Warn("NATS not reachable; triggers are buffered until it is", "url", cfg.URL, "buffer_max", cfg.BufferMax)
	}
	l := `{sink="nats",table="triggers"`
	p.published = p.set.NewCounter("sigprobe_sink_rows_total" + l + "}")
	p.retries = p.set.NewCounter("sigprobe_sink_retries_total" + l + "}")
	p.duplicates = p.set.NewCounter("sigprobe_sink_duplicates_total" + l + "}")
	p.dropFull = p.set.NewCounter("sigprobe_sink_dropped_rows_total" + l + `,reason="buffer_full"}`)
	p.dropClosed = p.set.NewCounter("sigprobe_sink_dropped_rows_total" + l + `,reason="closed"}`)
	p.dropLeft = p.set.NewCounter("sigprobe_sink_dropped_rows_total" + l + `,reason="unavailable"}`)
	p.latency = p.set.NewPrometheusHistogram("sigprobe_sink_publish_seconds" + l + "}")
	p.skipped = p.set.NewCounter("sigprobe_sink_skipped_rows_total" + l + `,reason="acknowledged_before_restart"}`)
	if cfg.Latency {
		p.triggerLatency = p.set.NewPrometheusHistogramExt("sigprobe_trigger_latency_seconds", TriggerLatencyBuckets)
	}
	p.set.NewGauge("sigprobe_sink_buffered_bytes"+l+"}", func() float64 {
		p.mu.Lock()
		defer p.mu.Unlock()
		return float64(p.bytes)
	})
	metrics.RegisterSet(p.set)
	go p.run()
	return p, nil
}

func (p *Publisher) notify() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Write encodes the batch's triggers and queues them; it never waits for
// the server. Other tables are ignored.
func (p *Publisher) Write(b *sink.Batch) error {
	if len(b.Triggers) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.dropClosed.Add(len(b.Triggers))
		return ErrClosed
	}
	p.kept = false
	for i := range b.Triggers {
		t := &b.Triggers[i]
		if t.Control {
			continue // a campaign's control group: recorded in the triggers table, never published
		}
		if t.Seq != 0 && t.Seq <= p.acked {
			p.skipped.Inc() // published before a crash; fired again by the replay from the checkpoint
			continue
		}
		if len(p.queue) >= p.cfg.BufferMax {
			p.dropFull.Add(len(b.Triggers) - i)
			break
		}
		data, _ := json.Marshal(NewPayload(t)) // cannot fail: strings and numbers
		p.queue = append(p.queue, message{subject: Subject(t.Kind, t.Region), id: t.ID, data: data, seq: t.Seq, observed: t.Observed})
		p.bytes += len(data)
		p.maxSeq = max(p.maxSeq, t.Seq)
	}
	p.notify()
	return nil
}

// run publishes the oldest MaxPending buffered triggers at a time and
// removes those the stream acknowledged; the rest are sent again.
func (p *Publisher) run() {
	defer close(p.done)
	streamReady := false
	var wasConnected bool
	for {
		p.mu.Lock()
		n := min(len(p.queue), p.cfg.MaxPending)
		window := p.queue[:n:n]
		closed := p.closed
		p.mu.Unlock()
		if n == 0 {
			if closed {
				return
			}
			select {
			case <-p.kick:
			case <-p.closing:
			}
			continue
		}
		connected := p.nc.IsConnected()
		if connected && !wasConnected {
			streamReady = false // a restarted server may have lost the stream
		}
		wasConnected = connected
		if connected && !streamReady && !p.cfg.StreamManaged {
			if err := p.ensureStream(); err != nil {
				p.log.Warn("cannot create the trigger stream", "err", err)
				connected = false
			} else {
				streamReady = true
			}
		}
		if !connected {
			select {
			case <-p.kick:
			case <-time.After(250 * time.Millisecond):
			case <-p.stop.Done():
				p.dropRest()
				return
			}
			continue
		}
		acked := p.publish(window)
		p.mu.Lock()
		var keep []message
		for i, m := range window {
			if !acked[i] {
				keep = append(keep, m)
			} else {
				p.bytes -= len(m.data)
			}
		}
		p.queue = append(keep, p.queue[n:]...)
		p.noteAckedLocked()
		p.drained.Broadcast()
		p.mu.Unlock()
		if len(keep) > 0 {
			p.retries.Add(len(keep))
			select { // do not spin on a server that refuses
			case <-time.After(100 * time.Millisecond):
			case <-p.stop.Done():
				p.dropRest()
				return
			}
		}
		if p.stop.Err() != nil {
			p.dropRest()
			return
		}
	}
}

// publish sends a window and reports which messages the stream acknowledged.
func (p *Publisher) publish(window []message) []bool {
	t0 := time.Now()
	acked := make([]bool, len(window))
	futures := make([]jetstream.PubAckFuture, 0, len(window))
	for _, m := range window {
		f, err := p.js.PublishMsgAsync(&nats.Msg{Subject: m.subject, Data: m.data}, jetstream.WithMsgID(m.id))
		if err != nil {
			break
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(p.cfg.AckTimeout)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			acked[i] = true
			p.published.Inc()
			if ack.Duplicate {
				p.duplicates.Inc()
			}
			if p.triggerLatency != nil && window[i].observed > 0 {
				p.triggerLatency.Update(float64(time.Now().UnixNano()-window[i].observed) / 1e9)
			}
		case <-f.Err():
		case <-timeout.C:
			return acked
		case <-p.stop.Done():
			return acked
		}
	}
	if len(futures) > 0 {
		p.latency.UpdateDuration(t0)
	}
	return acked
}

func (p *Publisher) ensureStream() error {
	if p.streamDenied.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(p.stop, 5*time.Second)
	defer cancel()
	p.streamMu.Lock()
	p.streamTry = cancel
	p.streamMu.Unlock()
	_, err := p.js.CreateOrUpdateStream(ctx, p.cfg.Stream.jetstream())
	if err != nil && p.streamDenied.Load() {
		// The operator made the stream and gave us publish rights only
		// (what the embedded server does too): publish to it as it is. A
		// stream that does not exist shows as unacknowledged publishes.
		p.log.Warn("the probe's NATS user may not create or update the trigger stream; publishing to it as the server's operator made it",
			"stream", p.cfg.Stream.jetstream().Name)
		return nil
	}
	return err
}

// asyncError logs what the server reports outside a request's reply:
// permission violations, slow-consumer notices.
func (p *Publisher) asyncError(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), "$JS.API.STREAM.") {
		if !p.streamDenied.Swap(true) {
			p.streamMu.Lock()
			if p.streamTry != nil {
				p.streamTry()
			}
			p.streamMu.Unlock()
		}
		return
	}
	p.log.Warn("nats error", "err", err)
}

func (p *Publisher) dropRest() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept {
		p.keptAtClose = len(p.queue) // in the checkpoint: not lost
	} else {
		p.dropLeft.Add(len(p.queue))
	}
	p.queue, p.bytes = nil, 0
	p.drained.Broadcast()
}

// noteAckedLocked advances the acknowledged prefix and records it in the
// ack file: everything before the oldest trigger still queued is acked.
func (p *Publisher) noteAckedLocked() {
	a := p.maxSeq
	for _, m := range p.queue {
		if m.seq != 0 {
			a = m.seq - 1
			break
		}
	}
	if a <= p.acked {
		return
	}
	p.acked = a
	if p.ackFile != nil && a != p.written {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], a)
		if _, err := p.ackFile.WriteAt(b[:], 0); err != nil {
			p.log.Warn("cannot record acknowledged triggers", "file", p.cfg.AckFile, "err", err)
		}
		p.written = a
	}
}

func (p *Publisher) closeAckFile() {
	if p.ackFile != nil {
		p.ackFile.Close()
		p.ackFile = nil
	}
}

// Checkpoint waits up to CheckpointWait for the buffered triggers to be
// acknowledged and returns the ones still waiting as the position: a
// publisher opened with it publishes them first, so a checkpoint never
// waits for a server that is down and nothing it covers is lost.
func (p *Publisher) Checkpoint(uint64) ([]byte, error) {
	deadline := time.Now().Add(p.cfg.CheckpointWait)
	t := time.AfterFunc(p.cfg.CheckpointWait, func() {
		p.mu.Lock()
		p.drained.Broadcast()
		p.mu.Unlock()
	})
	defer t.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) > 0 && time.Now().Before(deadline) && !p.closed {
		p.drained.Wait()
	}
	p.kept = true
	return encodeQueue(p.queue), nil
}

const queueMagic = "NQ1:"

func encodeQueue(q []message) []byte {
	b := []byte(queueMagic)
	b = binary.AppendUvarint(b, uint64(len(q)))
	for _, m := range q {
		for _, s := range []string{m.subject, m.id, string(m.data)} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		b = binary.AppendUvarint(b, m.seq)
		b = binary.AppendVarint(b, m.observed)
	}
	return b
}

func decodeQueue(b []byte) ([]message, error) {
	bad := errors.New("natsbus: checkpoint position is not this publisher's, or damaged")
	rest, ok := bytes.CutPrefix(b, []byte(queueMagic))
	if !ok {
		return nil, bad
	}
	uv := func() uint64 {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			ok = false
			return 0
		}
		rest = rest[n:]
		return v
	}
	str := func() string {
		n := uv()
		if !ok || n > uint64(len(rest)) {
			ok = false
			return ""
		}
		s := string(rest[:n])
		rest = rest[n:]
		return s
	}
	n := uv()
	if n > uint64(len(rest)) {
		return nil, bad
	}
	q := make([]message, 0, n)
	for range n {
		m := message{subject: str(), id: str()}
		m.data = []byte(str())
		m.seq = uv()
		v, k := binary.Varint(rest)
		if k <= 0 {
			ok = false
		} else {
			rest, m.observed = rest[k:], v
		}
		if !ok {
			return nil, bad
		}
		q = append(q, m)
	}
	if len(rest) != 0 {
		return nil, bad
	}
	return q, nil
}

// Close publishes what is buffered, waiting at most CloseTimeout; triggers
// still unacknowledged then are dropped and counted.
func (p *Publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	close(p.closing)
	t := time.AfterFunc(p.cfg.CloseTimeout, p.cancel)
	<-p.done
	t.Stop()
	p.cancel()
	p.nc.Close()
	p.mu.Lock()
	p.closeAckFile()
	p.drained.Broadcast()
	p.mu.Unlock()
	metrics.UnregisterSet(p.set, true)
	if p.keptAtClose > 0 {
		p.log.Warn("triggers not acknowledged at close are kept in the checkpoint and published at the next start", "triggers", p.keptAtClose)
	}
	if n := p.dropLeft.Get(); n > 0 {
		return fmt.Errorf("natsbus: %d triggers not acknowledged by the stream at close", n)
	}
	return nil
}

// Stats are the publisher's counters.
type Stats struct {
	Published, Retries, Duplicates uint64
	Buffered                       int
	Dropped                        map[string]uint64 // by reason
}

// Stats returns the counters behind the publisher's metrics.
func (p *Publisher) Stats() Stats {
	p.mu.Lock()
	buffered := len(p.queue)
	p.mu.Unlock()
	s := Stats{Published: p.published.Get(), Retries: p.retries.Get(), Duplicates: p.duplicates.Get(), Buffered: buffered, Dropped: map[string]uint64{}}
	for r, c := range map[string]*metrics.Counter{"buffer_full": p.dropFull, "closed": p.dropClosed, "unavailable": p.dropLeft} {
		if v := c.Get(); v > 0 {
			s.Dropped[r] = v
		}
	}
	return s
}
