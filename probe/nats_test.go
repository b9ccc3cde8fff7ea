package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/sigprobe/sigprobe/internal/tlstest"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink/natsbus"
)

// TestReplayTriggersReachNATS: a replay publishes its triggers to an
// external NATS JetStream over TLS, authenticated by an nkey seed file; a
// durable consumer that reads part of them, goes away
// for the rest of the run and comes back gets exactly the triggers the
// replay wrote, each once.
func TestReplayTriggersReachNATS(t *testing.T) {
	dir := t.TempDir()
	sc, _ := scenario.Load("")
	pcap, truth := filepath.Join(dir, "d.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 55, Subscribers: 1500, Days: 1, Start: time.Date(2026, 10, 9, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	// A secured NATS server of its own (TLS, nkeys): the generated consumer
	// reads, and the probe publishes as an admin user with an nkey seed.
	store := filepath.Join(dir, "nats")
	users, consumerSeed := filepath.Join(store, "users.yaml"), filepath.Join(store, "consumer.nk")
	if err := natsbus.GenerateUsers(users, consumerSeed); err != nil {
		t.Fatal(err)
	}
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	probeSeed := writeFile(t, dir, "probe.nk", string(seed))
	os.Chmod(probeSeed, 0o600)
	f, _ := os.OpenFile(users, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "  - name: upstream-probe\n    role: admin\n    nkey: %s\n", pub)
	f.Close()
	ca, cert, key := tlstest.Certs(t, dir)
	srv, err := natsbus.Embedded(natsbus.EmbeddedConfig{StoreDir: store, Listen: "127.0.0.1:0", TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	consumerOpts := func() []nats.Option {
		o, err := nats.NkeyOptionFromSeed(consumerSeed)
		if err != nil {
			t.Fatal(err)
		}
		return []nats.Option{o, nats.RootCAs(ca)}
	}
	// The durable consumer exists before the replay, reads a little while
	// the replay runs, then is gone.
	nc, err := nats.Connect(srv.URL(), consumerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	stream, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "marketing", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	read := func(max int) {
		for max > 0 {
			batch, err := cons.Fetch(min(max, 500), jetstream.FetchMaxWait(300*time.Millisecond))
			if err != nil {
				return
			}
			n := 0
			for m := range batch.Messages() {
				var p natsbus.Payload
				if err := json.Unmarshal(m.Data(), &p); err != nil {
					t.Fatal(err)
				}
				got[p.ID]++
				m.Ack()
				n++
			}
			if n == 0 {
				return
			}
			max -= n
		}
	}
	out := filepath.Join(dir, "out")
	cfg := replayConfig(pcap, out)
	cfg.Regions = filepath.Join(truth, "regions.yaml")
	cfg.Rules = writeFile(t, dir, "rules.yaml", truthRules)
	cfg.NATS.URL, cfg.NATS.Nkey, cfg.NATS.TLSCA = srv.URL(), probeSeed, ca
	p, err := Open(cfg, Options{Mode: ModeReplay, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := p.Run(ctx)
		done <- err
	}()
	read(50)
	nc.Close() // the consumer is away for the rest of the run
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Back: a new connection to the same durable consumer gets the rest.
	nc, err = nats.Connect(srv.URL(), consumerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ = jetstream.New(nc)
	if cons, err = js.Consumer(ctx, "SIGPROBE_TRIGGERS", "marketing"); err != nil {
		t.Fatal(err)
	}
	read(1 << 30)

	var want []string
	for _, r := range readJSONL(t, filepath.Join(out, "triggers.jsonl")) {
		want = append(want, r["id"].(string))
	}
	var ids []string
	for id, n := range got {
		if n != 1 {
			t.Errorf("trigger %s delivered %d times", id, n)
		}
		ids = append(ids, id)
	}
	slices.Sort(want)
	slices.Sort(ids)
	if len(want) < 100 || !slices.Equal(want, ids) {
		t.Fatalf("the replay wrote %d triggers, the consumer received %d", len(want), len(ids))
	}
	t.Logf("%d triggers written by the replay, all received once by the durable consumer (50 before it went away)", len(want))
}
