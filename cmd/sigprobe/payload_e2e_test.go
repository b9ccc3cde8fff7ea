package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/natsbus"
)

// payloadSchema compiles deploy/trigger-payload.v1.schema.json.
func payloadSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	schemaPath := filepath.Join("..", "..", "deploy", "trigger-payload.v1.schema.json")
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	if err := c.AddResource("trigger-payload.v1.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("trigger-payload.v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestPayloadSchemaAgreesWithDocs: the payload example of
// sink/natsbus/README.md and what NewPayload writes validate against the
// schema (a field added to one and not the other fails here).
func TestPayloadSchemaAgreesWithDocs(t *testing.T) {
	sch := payloadSchema(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "sink", "natsbus", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Payload")
	_, rest, ok2 := strings.Cut(rest, "```json\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("sink/natsbus/README.md has no JSON example under ## Payload")
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(example))
	if err != nil {
		t.Fatalf("README example is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("README example does not match the schema: %v", err)
	}
	tr := sink.Trigger{ID: "0123456789abcdef0123456789abcdef", Rule: "r", Kind: "call", TS: 1790001800, IMSI: sink.MakeDigits("001010000000042"),
		LAC: 1, CI: 2, HomeMCC: "001", HomeMNC: "01", Peer: sink.MakeDigits("999801234567"), DurationS: 3, Cause: 16}
	js, _ := json.Marshal(natsbus.NewPayload(&tr))
	v, _ = jsonschema.UnmarshalJSON(bytesReader(js))
	if err := sch.Validate(v); err != nil {
		t.Errorf("NewPayload %s does not match the schema: %v", js, err)
	}
}

// TestPublishedTriggersMatchSchema: every trigger the replay published to
// NATS validates against deploy/trigger-payload.v1.schema.json, and what was
// published is exactly the triggers table without the campaigns' control
// groups.
func TestPublishedTriggersMatchSchema(t *testing.T) {
	tw := town(t)
	sch := payloadSchema(t)

	// The replay's embedded server kept its store in its data directory;
	// read it as the consumer the first start generated.
	store := filepath.Join(tw.dir, "nats")
	srv, err := natsbus.Embedded(natsbus.EmbeddedConfig{StoreDir: store, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	seed, err := nats.NkeyOptionFromSeed(filepath.Join(store, "consumer.nk"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.URL(), seed)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsbus.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]bool{}
	kinds := map[string]int{}
	bad := 0
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			v, err := jsonschema.UnmarshalJSON(bytesReader(m.Data()))
			if err != nil {
				t.Fatalf("not JSON: %s", m.Data())
			}
			if err := sch.Validate(v); err != nil {
				if bad++; bad <= 5 {
					t.Errorf("payload %s\ndoes not match the schema: %v", m.Data(), err)
				}
			}
			var p struct {
				ID, Kind string
			}
			json.Unmarshal(m.Data(), &p)
			if published[p.ID] {
				t.Errorf("trigger %s published twice", p.ID)
			}
			published[p.ID] = true
			kinds[p.Kind]++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var rows, control int
	for _, r := range readJSONLines(t, filepath.Join(tw.out, "triggers.jsonl")) {
		rows++
		id := str(r["id"])
		switch {
		case r["control"].(bool):
			control++
			if published[id] {
				t.Errorf("control-group trigger %s (%s) was published", id, str(r["rule"]))
			}
		case !published[id]:
			t.Errorf("trigger %s (%s) was not published", id, str(r["rule"]))
		}
	}
	t.Logf("%d triggers in the table, %d held out as control groups, %d published (%d invalid); by kind %v", rows, control, len(published), bad, kinds)
	if control == 0 || len(published) != rows-control {
		t.Errorf("published %d of %d triggers with %d in control groups", len(published), rows, control)
	}
	if len(kinds) < 12 {
		t.Errorf("published %d trigger kinds, want all 12: %v", len(kinds), kinds)
	}
}

func bytesReader(b []byte) *bytesR { return &bytesR{b: b} }

type bytesR struct{ b []byte }

func (r *bytesR) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
