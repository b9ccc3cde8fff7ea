package natsbus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/sigprobe/sigprobe/internal/tlstest"
	"github.com/sigprobe/sigprobe/sink"
)

// Nobody connects without credentials: no credentials, a stranger's nkey
// and a wrong password are all refused.
func TestUnauthenticatedRefused(t *testing.T) {
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	defer srv.Close()
	stranger, _ := nkeys.CreateUser()
	spub, _ := stranger.PublicKey()
	for _, tc := range []struct {
		name string
		opts []nats.Option
	}{
		{"no credentials", nil},
		{"unknown nkey", []nats.Option{nats.Nkey(spub, stranger.Sign)}},
		{"wrong password", []nats.Option{nats.UserInfo("ops", "guess")}},
		{"consumer name without its key", []nats.Option{nats.UserInfo("consumer", "")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := nats.Connect(srv.URL(), append(tc.opts, nats.Timeout(2*time.Second))...)
			if err == nil {
				nc.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
				t.Fatalf("err = %v, want an authorization error", err)
			}
		})
	}
	// The probe's own users exist in-process only.
	nc, err := nats.Connect(srv.URL(), srv.PublisherOptions()[1], nats.Timeout(2*time.Second))
	if err == nil {
		nc.Close()
		t.Fatal("the probe's publisher nkey connected over the network")
	}
}

// publishAll writes n triggers through the probe's own publisher and waits
// until the stream holds them.
func publishAll(t *testing.T, srv *testServer, n int) []sink.Trigger {
	t.Helper()
	p := newPublisher(t, srv.PublisherConfig())
	trs := triggers(n, 0)
	write(t, p, trs, 10)
	waitFor(t, func() bool { return p.Stats().Published == uint64(n) })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return trs
}

// streamMessages is what the stream holds, asked as the admin.
func streamMessages(t *testing.T, srv *testServer) uint64 {
	t.Helper()
	nc, err := nats.Connect(srv.URL(), srv.admin()...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// A consumer user reads and acknowledges with a durable pull consumer, and
// can neither purge, delete (stream, messages, consumers), change the
// stream nor publish: each attempt fails and the stream keeps every trigger.
func TestConsumerCannotPurge(t *testing.T) {
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	defer srv.Close()
	trs := publishAll(t, srv, 40)

	var violations errorLog
	opts := append(srv.consumer(t), nats.ErrorHandler(violations.handle))
	nc, err := nats.Connect(srv.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatalf("stream info as consumer: %v", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "sms-gateway", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("create a durable consumer: %v", err)
	}
	batch, err := cons.Fetch(len(trs), jetstream.FetchMaxWait(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatalf("ack: %v", err)
		}
		n++
	}
	if n != len(trs) {
		t.Fatalf("read %d of %d triggers", n, len(trs))
	}

	// A denied request gets no reply: it fails when its context ends. The
	// server's permission violations (checked below) say why.
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Second) }
	for _, tc := range []struct {
		name string
		do   func(context.Context) error
	}{
		{"purge", func(c context.Context) error { return stream.Purge(c) }},
		{"purge a subject", func(c context.Context) error {
			return stream.Purge(c, jetstream.WithPurgeSubject(SubjectPrefix+"dwell.mall"))
		}},
		{"delete a message", func(c context.Context) error { return stream.DeleteMsg(c, 1) }},
		{"delete the stream", func(c context.Context) error { return js.DeleteStream(c, StreamName) }},
		{"shrink the stream", func(c context.Context) error {
			_, err := js.UpdateStream(c, jetstream.StreamConfig{Name: StreamName, Subjects: []string{SubjectPrefix + ">"}, MaxMsgs: 1})
			return err
		}},
		{"delete a consumer", func(c context.Context) error { return js.DeleteConsumer(c, StreamName, "sms-gateway") }},
		{"publish a trigger", func(c context.Context) error {
			_, err := js.Publish(c, Subject("dwell", "mall"), []byte(`{"v":1,"id":"forged"}`))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cancel := short()
			defer cancel()
			if err := tc.do(c); err == nil {
				t.Fatal("allowed")
			}
		})
	}
	// A plain publish (no reply awaited) is refused by the server too.
	nc.Publish(Subject("dwell", "mall"), []byte("forged"))
	nc.Flush()
	time.Sleep(100 * time.Millisecond)
	if got := streamMessages(t, srv); got != uint64(len(trs)) {
		t.Fatalf("stream holds %d messages, want the %d published", got, len(trs))
	}
	joined := violations.String()
	for _, subj := range []string{"$js.api.stream.purge.", "$js.api.stream.delete.", "$js.api.stream.msg.delete.",
		"$js.api.stream.update.", "$js.api.consumer.delete.", "sigprobe.trigger.dwell.mall"} {
		if !strings.Contains(joined, "permissions violation for publish to \""+subj) {
			t.Errorf("no permissions violation reported for %s; got:\n%s", subj, joined)
		}
	}
}

// The probe's publisher may publish triggers and nothing else: no other
// subject, no JetStream API (not even to make or purge its own stream).
func TestPublisherOnlyPublishesTriggers(t *testing.T) {
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	defer srv.Close()
	publishAll(t, srv, 5)
	nc, err := nats.Connect("", srv.PublisherOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var violations errorLog
	nc.SetErrorHandler(violations.handle)
	js, _ := jetstream.New(nc)
	for name, do := range map[string]func(context.Context) error{
		"deleted the stream": func(c context.Context) error { return js.DeleteStream(c, StreamName) },
		"read the stream's info": func(c context.Context) error {
			_, err := js.Stream(c, StreamName)
			return err
		},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := do(ctx); err == nil {
			t.Errorf("the publisher %s", name)
		}
		cancel()
	}
	if err := nc.Publish("elsewhere", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(context.Background(), SubjectPrefix+"dwell.mall", []byte("x")); err != nil {
		t.Errorf("the publisher cannot publish a trigger: %v", err)
	}
	if got := streamMessages(t, srv); got != 6 {
		t.Errorf("stream holds %d messages, want 6", got)
	}
	nc.Flush()
	joined := violations.String()
	for _, subj := range []string{"$js.api.stream.delete.", "$js.api.stream.info.", "elsewhere"} {
		if !strings.Contains(joined, "permissions violation for publish to \""+subj) {
			t.Errorf("no permissions violation reported for %s; got:\n%s", subj, joined)
		}
	}
}

// The users file is generated at first start with mode 0600, its consumer
// seed beside it, and reused afterwards; a bad one names file, line and
// field.
func TestUsersFile(t *testing.T) {
	dir := t.TempDir()
	s, err := Embedded(EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(s.Generated) != 2 {
		t.Fatalf("generated %v", s.Generated)
	}
	for _, f := range s.Generated {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, st.Mode(), err)
		}
	}
	again, err := Embedded(EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	if len(again.Generated) != 0 {
		t.Errorf("regenerated %v", again.Generated)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"plain password", "users:\n  - name: a\n    role: admin\n    password: hunter2\n", "line 2: user \"a\": password: want a bcrypt hash"},
		{"bad role", "users:\n  - name: a\n    role: root\n    nkey: UAXYZ\n", `line 2: user "a": role "root"`},
		{"bad nkey", "users:\n  - name: a\n    role: consumer\n    nkey: UAXYZ\n", "not a user's public nkey"},
		{"both", "users:\n  - name: a\n    role: consumer\n    nkey: x\n    password: y\n", "exactly one of nkey and password"},
		{"unknown field", "users:\n  - name: a\n    rol: consumer\n", "line 3: field rol not found"},
		{"empty", "users: []\n", "no users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "users.yaml")
			os.WriteFile(f, []byte(tc.yaml), 0o600)
			_, err := LoadUsers(f)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), f) {
				t.Fatalf("err = %v, want %q and the file name", err, tc.want)
			}
		})
	}
}

// Beyond loopback the server wants TLS; with it, a consumer connects over
// TLS and a plain-text client is refused.
func TestNonLoopbackNeedsTLS(t *testing.T) {
	dir := t.TempDir()
	for _, l := range []string{"0.0.0.0:0", ":0", "[::]:0", "example.net:0"} {
		if _, err := Embedded(EmbeddedConfig{StoreDir: dir, Listen: l}); !errors.Is(err, ErrPlainListen) {
			t.Errorf("listen %s without TLS: err = %v", l, err)
		}
	}
	ca, cert, key := tlstest.Certs(t, t.TempDir())
	srv := startServerTLS(t, dir, "0.0.0.0:0", cert, key)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "tls://") {
		t.Errorf("URL %s", srv.URL())
	}
	port := srv.Addr()[strings.LastIndex(srv.Addr(), ":")+1:]
	if nc, err := nats.Connect("nats://127.0.0.1:"+port, append(srv.consumer(t), nats.Timeout(2*time.Second))...); err == nil {
		nc.Close()
		t.Error("a client without TLS connected")
	}
	nc, err := nats.Connect("tls://127.0.0.1:"+port, append(srv.consumer(t), nats.RootCAs(ca))...)
	if err != nil {
		t.Fatalf("consumer over TLS: %v", err)
	}
	nc.Close()
}

func startServerTLS(t *testing.T, dir, listen, cert, key string) *testServer {
	t.Helper()
	if err := GenerateUsers(filepath.Join(dir, "users.yaml"), filepath.Join(dir, "consumer.nk")); err != nil {
		t.Fatal(err)
	}
	s, err := Embedded(EmbeddedConfig{StoreDir: dir, Listen: listen, TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{s, dir}
}

// errorLog collects a connection's asynchronous errors (permission
// violations).
type errorLog struct {
	mu sync.Mutex
	l  []string
}

func (e *errorLog) handle(_ *nats.Conn, _ *nats.Subscription, err error) {
	e.mu.Lock()
	e.l = append(e.l, err.Error())
	e.mu.Unlock()
}

func (e *errorLog) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.ToLower(strings.Join(e.l, "\n"))
}
