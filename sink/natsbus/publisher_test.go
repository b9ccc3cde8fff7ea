package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/sigprobe/sigprobe/sink"
)

// triggers returns n triggers with ids t-<base>..; every fourth is a dwell
// trigger in region "mall".
func triggers(n, base int) []sink.Trigger {
	out := make([]sink.Trigger, n)
	kinds := []string{"dwell", "enter", "dwell", "roamer_arrival"}
	regions := []string{"mall", "mall", "station", ""}
	for i := range out {
		k := base + i
		out[i] = sink.Trigger{ID: fmt.Sprintf("t-%d", k), Rule: "r1", Kind: kinds[k%4], TS: 1_790_000_000 + int64(k),
			IMSI: sink.MakeDigits(fmt.Sprintf("00101%010d", k)), MSISDN: sink.MakeDigits("491700000001"),
			Region: regions[k%4], LAC: 7, CI: uint16(k), DwellS: 1800, HomeMCC: "001", HomeMNC: "01", Attrs: "segment=a"}
	}
	return out
}

func write(t *testing.T, p *Publisher, trs []sink.Trigger, step int) {
	t.Helper()
	b := &sink.Batch{}
	for i := 0; i < len(trs); i += step {
		b.Reset()
		b.Triggers = append(b.Triggers, trs[i:min(i+step, len(trs))]...)
		b.Dwell = append(b.Dwell, sink.Dwell{}) // other tables are ignored
		if err := p.Write(b); err != nil {
			t.Fatal(err)
		}
		for j := range b.Triggers {
			b.Triggers[j] = sink.Trigger{ID: "scribbled"}
		}
	}
}

// consumer is a durable pull consumer collecting payloads by id.
type consumer struct {
	t    *testing.T
	cons jetstream.Consumer
	got  chan Payload
	cc   jetstream.ConsumeContext
}

func newConsumer(t *testing.T, srv *testServer, durable, filter string) *consumer {
	t.Helper()
	nc, err := nats.Connect(srv.URL(), srv.consumer(t)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The publisher creates the stream; wait for it.
	for {
		if _, err := js.Stream(ctx, StreamName); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("stream not created")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable: durable, FilterSubject: filter, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &consumer{t: t, cons: cons, got: make(chan Payload, 100_000)}
}

func (c *consumer) start() {
	cc, err := c.cons.Consume(func(m jetstream.Msg) {
		var p Payload
		if err := json.Unmarshal(m.Data(), &p); err != nil {
			c.t.Errorf("bad payload %q: %v", m.Data(), err)
		}
		c.got <- p
		m.Ack()
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.cc = cc
}

func (c *consumer) stopConsuming() { c.cc.Stop(); <-c.cc.Closed() }

// collect receives until it has want distinct ids, failing on duplicates,
// then checks that nothing more arrives for a moment.
func (c *consumer) collect(seen map[string]bool, want int) {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for len(seen) < want {
		select {
		case p := <-c.got:
			if seen[p.ID] {
				c.t.Fatalf("duplicate delivery of %s", p.ID)
			}
			seen[p.ID] = true
		case <-deadline:
			c.t.Fatalf("received %d of %d", len(seen), want)
		}
	}
	select {
	case p := <-c.got:
		c.t.Fatalf("unexpected extra delivery %s", p.ID)
	case <-time.After(300 * time.Millisecond):
	}
}

// testServer is an embedded server whose users file has the generated
// consumer and an admin with a password.
type testServer struct {
	*Server
	dir string
}

const adminPassword = "correct horse battery staple"

func startServer(t *testing.T, dir, listen string) *testServer {
	t.Helper()
	users := filepath.Join(dir, "users.yaml")
	if _, err := os.Stat(users); err != nil {
		if err := GenerateUsers(users, filepath.Join(dir, "consumer.nk")); err != nil {
			t.Fatal(err)
		}
		h, err := bcrypt.GenerateFromPassword([]byte(adminPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.OpenFile(users, os.O_APPEND|os.O_WRONLY, 0)
		fmt.Fprintf(f, "  - name: ops\n    role: admin\n    password: %s\n", h)
		f.Close()
	}
	s, err := Embedded(EmbeddedConfig{StoreDir: dir, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{s, dir}
}

// consumer are the connect options of the generated consumer user.
func (s *testServer) consumer(t *testing.T) []nats.Option {
	t.Helper()
	o, err := nats.NkeyOptionFromSeed(filepath.Join(s.dir, "consumer.nk"))
	if err != nil {
		t.Fatal(err)
	}
	return []nats.Option{o}
}

// admin connects over the network as the admin user: it survives a
// restart of the server, which the probe's in-process user does not.
func (s *testServer) admin() []nats.Option { return []nats.Option{nats.UserInfo("ops", adminPassword)} }

func newPublisher(t *testing.T, cfg Config) *Publisher {
	t.Helper()
	p, err := NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func wantIDs(trs []sink.Trigger, keep func(*sink.Trigger) bool) map[string]bool {
	m := map[string]bool{}
	for i := range trs {
		if keep(&trs[i]) {
			m[trs[i].ID] = true
		}
	}
	return m
}

func sameIDs(t *testing.T, got, want map[string]bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d ids, want %d", len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("missing %s", id)
		}
	}
}

// One region's dwell triggers reach a durable consumer exactly once, also
// while it is disconnected for part of the run; publishing the same
// triggers again is deduplicated by the stream through Nats-Msg-Id.
func TestPublishToDurableConsumer(t *testing.T) {
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	defer srv.Close()
	cfg := srv.PublisherConfig()
	cfg.MaxPending = 64
	p := newPublisher(t, cfg)
	all := triggers(4000, 0)
	write(t, p, all[:10], 10) // creates the stream
	mall := newConsumer(t, srv, "mall-dwell", Subject("dwell", "mall"))
	every := newConsumer(t, srv, "everything", SubjectPrefix+">")
	mall.start()
	every.start()

	write(t, p, all[10:1500], 37)
	mallSeen, allSeen := map[string]bool{}, map[string]bool{}
	mall.collect(mallSeen, len(wantIDs(all[:1500], isMallDwell)))

	mall.stopConsuming() // the marketing system goes away for a while
	write(t, p, all[1500:], 101)
	every.collect(allSeen, len(all))
	mall.start() // and comes back: the durable consumer resumes where it was
	mall.collect(mallSeen, len(wantIDs(all, isMallDwell)))
	sameIDs(t, mallSeen, wantIDs(all, isMallDwell))
	sameIDs(t, allSeen, wantIDs(all, func(*sink.Trigger) bool { return true }))

	// A retry (here: a second publisher sending the same triggers) is
	// deduplicated by the stream.
	p2 := newPublisher(t, srv.PublisherConfig())
	write(t, p2, all[:500], 500)
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	if st := p2.Stats(); st.Duplicates != 500 || st.Published != 500 {
		t.Fatalf("re-publish stats %+v, want 500 acknowledged as duplicates", st)
	}
	every.collect(allSeen, len(all)) // nothing new arrives
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Published != uint64(len(all)) || st.Duplicates != 0 || len(st.Dropped) != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func isMallDwell(t *sink.Trigger) bool { return t.Kind == "dwell" && t.Region == "mall" }

// While the server is down triggers are buffered; when it is back (same
// store, same port) they are all delivered, once.
func TestBufferWhileServerDown(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir, "127.0.0.1:0")
	addr := srv.Addr()
	p := newPublisher(t, Config{URL: srv.URL(), AckTimeout: time.Second, Options: srv.admin()})
	all := triggers(900, 0)
	write(t, p, all[:300], 50)
	waitFor(t, func() bool { return p.Stats().Published == 300 })
	srv.Close()
	write(t, p, all[300:600], 50)
	time.Sleep(300 * time.Millisecond)
	if st := p.Stats(); st.Buffered != 300 {
		t.Fatalf("while down: %d buffered, want 300", st.Buffered)
	}
	srv = startServer(t, dir, addr)
	defer srv.Close()
	write(t, p, all[600:], 50)
	waitFor(t, func() bool { return p.Stats().Published >= 900 })
	c := newConsumer(t, srv, "all", SubjectPrefix+">")
	c.start()
	seen := map[string]bool{}
	c.collect(seen, len(all))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// With nothing listening, Close gives up after CloseTimeout and counts
// what it could not deliver; the buffer bound drops and counts the excess.
func TestUnavailableCounted(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	p, err := NewPublisher(Config{URL: "nats://" + addr, BufferMax: 100, CloseTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	write(t, p, triggers(150, 0), 50)
	if err := p.Close(); err == nil {
		t.Fatal("Close reported no loss")
	}
	st := p.Stats()
	if st.Dropped["buffer_full"] != 50 || st.Dropped["unavailable"] != 100 {
		t.Fatalf("dropped %v, want 50 buffer_full + 100 unavailable", st.Dropped)
	}
	if err := p.Write(&sink.Batch{Triggers: triggers(1, 0)}); err != ErrClosed {
		t.Fatalf("Write after Close: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

func TestSubjectAndPayload(t *testing.T) {
	for _, tc := range []struct{ kind, region, want string }{
		{"dwell", "mall", "sigprobe.trigger.dwell.mall"},
		{"dwell", "", "sigprobe.trigger.dwell.none"},
		{"", "a.b c>*", "sigprobe.trigger.none.a_b_c__"},
	} {
		if got := Subject(tc.kind, tc.region); got != tc.want {
			t.Errorf("Subject(%q, %q) = %q, want %q", tc.kind, tc.region, got, tc.want)
		}
	}
	tr := triggers(1, 0)[0]
	js, _ := json.Marshal(NewPayload(&tr))
	want := `{"v":1,"id":"t-0","rule":"r1","kind":"dwell","ts":1790000000,"imsi":"001010000000000","msisdn":"491700000001","region":"mall","lac":7,"ci":0,"dwell_s":1800,"home_mcc":"001","home_mnc":"01","attrs":"segment=a","peer":"","duration_s":0,"cause":0,"campaign":""}`
	if string(js) != want {
		t.Fatalf("payload\n%s\nwant\n%s", js, want)
	}
}

// With the server down, Checkpoint returns at once with the waiting
// triggers in its position, Close does not call them lost, and a publisher
// opened with the position (the restart) delivers them; an ack file keeps
// triggers acknowledged before a crash from being published again.
func TestCheckpointKeepsUnacknowledged(t *testing.T) {
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there
	ack := filepath.Join(dir, "acked")
	p, err := NewPublisher(Config{URL: "nats://" + addr, CheckpointWait: 200 * time.Millisecond, CloseTimeout: 300 * time.Millisecond, AckFile: ack})
	if err != nil {
		t.Fatal(err)
	}
	var b sink.Batch
	for i := range 5 {
		b.Triggers = append(b.Triggers, sink.Trigger{ID: fmt.Sprintf("t%d", i), Kind: "dwell", Region: "mall", Seq: uint64(i + 1)})
	}
	p.Write(&b)
	t0 := time.Now()
	pos, err := p.Checkpoint(1)
	if err != nil || time.Since(t0) > 2*time.Second {
		t.Fatalf("Checkpoint: %v after %v", err, time.Since(t0))
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close reported kept triggers as lost: %v", err)
	}

	srv := startServer(t, filepath.Join(dir, "nats"), "127.0.0.1:0")
	defer srv.Close()
	cfg := srv.PublisherConfig()
	cfg.Position, cfg.AckFile = pos, ack
	p2, err := NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	if st := p2.Stats(); st.Published != 5 {
		t.Errorf("after the restart %d of 5 triggers published", st.Published)
	}
	// A crash after the acks, before the next checkpoint: the pipeline fires
	// the same triggers again; the ack file says they are stored.
	p3, err := NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p3.Write(&b)
	p3.Close()
	if st := p3.Stats(); st.Published != 0 {
		t.Errorf("%d triggers published twice", st.Published)
	}
}

// A server whose operator made the stream and gave the probe a user that
// may only publish (as the embedded server's own publisher user): creating
// or updating the stream is refused, and the publisher publishes anyway,
// saying once that the stream is not its to manage.
func TestPublishOnlyUser(t *testing.T) {
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	defer srv.Close()
	var logs strings.Builder
	cfg := srv.PublisherConfig()
	cfg.StreamManaged = false
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	p := newPublisher(t, cfg)
	var b sink.Batch
	for i := range 20 {
		b.Triggers = append(b.Triggers, sink.Trigger{ID: fmt.Sprintf("t%d", i), Kind: "dwell", Region: "mall"})
	}
	t0 := time.Now()
	p.Write(&b)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Published != 20 {
		t.Errorf("%d of 20 triggers published by a publish-only user", st.Published)
	}
	if n := strings.Count(logs.String(), "may not create or update the trigger stream"); n != 1 {
		t.Errorf("%d warnings about the stream permission, want 1:\n%s", n, logs.String())
	}
	t.Logf("20 triggers through a publish-only user in %v", time.Since(t0).Round(time.Millisecond))
}
