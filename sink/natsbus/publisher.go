package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	// CredsFile is a NATS credentials file (JWT + NKey) for an external server.
	CredsFile string
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
	Logger       *slog.Logger
}

func (c *Config) defaults() {
	s := &c.Stream
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
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// message is one encoded trigger waiting for its acknowledgement.
type message struct {
	subject, id string
	data        []byte
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

	kick    chan struct{}
	closing chan struct{}
	done    chan struct{}
	stop    context.Context
	cancel  context.CancelFunc

	published, retries, duplicates *metrics.Counter
	dropFull, dropClosed, dropLeft *metrics.Counter
	latency                        *metrics.PrometheusHistogram
}

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
	p.stop, p.cancel = context.WithCancel(context.Background())
	opts := []nats.Option{
		nats.Name("sigprobe"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1), // we buffer ourselves: fail fast while disconnected
		nats.ConnectHandler(func(*nats.Conn) { p.notify() }),
		nats.ReconnectHandler(func(*nats.Conn) { p.log.Info("nats reconnected"); p.notify() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			p.log.Warn("nats disconnected; buffering triggers", "err", err)
		}),
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(cfg.MaxPending))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	p.nc, p.js = nc, js
	l := `{sink="nats",table="triggers"`
	p.published = p.set.NewCounter("sigprobe_sink_rows_total" + l + "}")
	p.retries = p.set.NewCounter("sigprobe_sink_retries_total" + l + "}")
	p.duplicates = p.set.NewCounter("sigprobe_sink_duplicates_total" + l + "}")
	p.dropFull = p.set.NewCounter("sigprobe_sink_dropped_rows_total" + l + `,reason="buffer_full"}`)
	p.dropClosed = p.set.NewCounter("sigprobe_sink_dropped_rows_total" + l + `,reason="closed"}`)
	p.dropLeft = p.set.NewCounter("sigprobe_sink_dropped_rows_total" + l + `,reason="unavailable"}`)
	p.latency = p.set.NewPrometheusHistogram("sigprobe_sink_publish_seconds" + l + "}")
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
	for i := range b.Triggers {
		t := &b.Triggers[i]
		if t.Control {
			continue // a campaign's control group: recorded in the triggers table, never published
		}
		if len(p.queue) >= p.cfg.BufferMax {
			p.dropFull.Add(len(b.Triggers) - i)
			break
		}
		data, _ := json.Marshal(NewPayload(t)) // cannot fail: strings and numbers
		p.queue = append(p.queue, message{subject: Subject(t.Kind, t.Region), id: t.ID, data: data})
		p.bytes += len(data)
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
		if connected && !streamReady {
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
	ctx, cancel := context.WithTimeout(p.stop, 5*time.Second)
	defer cancel()
	s := p.cfg.Stream
	_, err := p.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
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
	})
	return err
}

func (p *Publisher) dropRest() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLeft.Add(len(p.queue))
	p.queue, p.bytes = nil, 0
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
	metrics.UnregisterSet(p.set, true)
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
