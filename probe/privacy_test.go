package probe

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	pq "github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/natsbus"
	"github.com/sigprobe/sigprobe/sink/parquet"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// identities are the subscriber identities a search must not find: as
// text (digit strings of 10 or more digits, so a timestamp or a port in a
// path cannot match by chance) and as the 8 bytes of a sink.Digits, little-
// and big-endian (binary spools, gob).
type identities struct {
	text    map[string]bool
	lengths map[int]bool
	binary  map[[8]byte]string
}

func newIdentities() *identities {
	return &identities{text: map[string]bool{}, lengths: map[int]bool{}, binary: map[[8]byte]string{}}
}

func (ids *identities) add(s string) {
	d := sink.MakeDigits(s)
	if d == 0 {
		return
	}
	var le, be [8]byte
	binary.LittleEndian.PutUint64(le[:], uint64(d))
	binary.BigEndian.PutUint64(be[:], uint64(d))
	ids.binary[le], ids.binary[be] = s, s
	if len(s) >= 10 {
		ids.text[s] = true
		ids.lengths[len(s)] = true
	}
}

// findText returns an identity written as text in b, "" if none.
func (ids *identities) findText(b []byte) string {
	for i := 0; i < len(b); {
		if b[i] < '0' || b[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if run := b[i:j]; len(run) >= 10 {
			for n := range ids.lengths {
				for k := 0; k+n <= len(run); k++ {
					if ids.text[string(run[k:k+n])] {
						return string(run[k : k+n])
					}
				}
			}
		}
		i = j
	}
	return ""
}

// findBinary returns an identity held as a packed Digits in b, "" if none.
func (ids *identities) findBinary(b []byte) string {
	var w [8]byte
	for i := 0; i+8 <= len(b); i++ {
		copy(w[:], b[i:i+8])
		if s, ok := ids.binary[w]; ok {
			return s
		}
	}
	return ""
}

// parquetText is every value of every column of a Parquet file, as text.
func parquetText(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out bytes.Buffer
	r := pq.NewReader(pf)
	buf := make([]pq.Row, 128)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			for _, v := range row {
				out.WriteString(v.String())
				out.WriteByte('|')
			}
			out.WriteByte('\n')
		}
		if err != nil {
			break
		}
	}
	return out.Bytes()
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestReplayPseudonymized replays a simulated day twice: in clear, and with
// every identity pseudonymized in every output at once (JSON lines,
// Parquet, ClickHouse — down, so everything goes to its spool — and the
// embedded NATS). No IMSI, MSISDN or IMEI of the truth or of the clear run
// is anywhere in what the second run wrote: its tables, the ClickHouse
// spool, the NATS store and messages, its log. Each row is the clear
// run's row with the identities replaced by the key's pseudonyms, so the
// row counts are the same.
func TestReplayPseudonymized(t *testing.T) {
	dir := t.TempDir()
	sc, _ := scenario.Load("")
	pcap, truth := filepath.Join(dir, "day.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 61, Subscribers: 1500, Days: 1, Start: time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "pseudonym.key")
	key, err := pseudonym.GenerateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rules := writeFile(t, dir, "rules.yaml", truthRules)

	clearOut := filepath.Join(dir, "clear")
	cfg := replayConfig(pcap, clearOut)
	cfg.Regions, cfg.Rules = filepath.Join(truth, "regions.yaml"), rules
	stClear := replay(t, cfg, Options{})

	out, pqDir, chSpool, store := filepath.Join(dir, "pseudo"), filepath.Join(dir, "archive"), filepath.Join(dir, "chspool"), filepath.Join(dir, "nats")
	pcfg := replayConfig(pcap, out)
	pcfg.Regions, pcfg.Rules = cfg.Regions, rules
	pcfg.Privacy = PrivacyConfig{KeyFile: keyFile, Pseudonymize: []string{"imsi", "msisdn", "imei"}}
	pcfg.Output.ClickHouse = ClickHouseConfig{DSN: "clickhouse://" + closedPort(t) + "/sigprobe", SpoolDir: chSpool,
		DialTimeout: time.Second, InsertTimeout: time.Second, CloseTimeout: time.Second}
	pcfg.NATS.Embedded.StoreDir = store
	archive, err := parquet.New(pqDir, parquet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	p, err := Open(pcfg, Options{Mode: ModeReplay, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Extra: []NamedWriter{{Name: "archive", W: archive}}, Linger: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Run(context.Background())
	if err != nil && !strings.Contains(err.Error(), "clickhouse") {
		t.Fatal(err)
	}
	// The probe's own bus: nobody reads it without credentials.
	if nc, err := nats.Connect(p.NATSURL(), nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Error("an unauthenticated client connected to the probe's embedded NATS")
	}
	natsText := readStream(t, p.NATSURL(), filepath.Join(store, "consumer.nk"))
	lctx, stop := context.WithCancel(context.Background())
	stop()
	p.Linger(lctx)

	// The same rows.
	if st.State.DwellRows != stClear.State.DwellRows || st.State.DwellRows == 0 {
		t.Errorf("dwell rows: %d pseudonymized, %d clear", st.State.DwellRows, stClear.State.DwellRows)
	}
	for _, table := range sink.Tables {
		c, ps := readJSONL(t, filepath.Join(clearOut, table+".jsonl")), readJSONL(t, filepath.Join(out, table+".jsonl"))
		if len(c) != len(ps) {
			t.Errorf("%s: %d rows clear, %d pseudonymized", table, len(c), len(ps))
			continue
		}
		checkPseudonymized(t, table, key, c, ps)
	}

	// What must not be found: the truth's identities and every identity
	// the clear run wrote.
	ids := newIdentities()
	for _, s := range readCSV(t, filepath.Join(truth, "subscribers.csv")) {
		ids.add(s["imsi"])
		ids.add(s["msisdn"])
		ids.add(s["imei"])
		if len(s["imei"]) == 15 {
			ids.add(s["imei"][:14]) // an IMEI without its check digit, as IMEISV gives it
		}
	}
	for _, table := range sink.Tables {
		for _, r := range readJSONL(t, filepath.Join(clearOut, table+".jsonl")) {
			for _, col := range []string{"imsi", "msisdn", "imei", "peer"} {
				if s, ok := r[col].(string); ok {
					ids.add(s)
				}
			}
		}
	}
	if len(ids.text) < 3000 {
		t.Fatalf("only %d identities to look for", len(ids.text))
	}
	scanned := map[string]int{}
	check := func(what string, b []byte, binary bool) {
		t.Helper()
		scanned[what] += len(b)
		if s := ids.findText(b); s != "" {
			t.Errorf("%s holds the identity %s in clear", what, s)
		}
		if binary {
			if s := ids.findBinary(b); s != "" {
				t.Errorf("%s holds the identity %s packed in binary", what, s)
			}
		}
	}
	walk := func(root string, read func(path string) ([]byte, bool)) {
		t.Helper()
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, binary := read(path)
			check(path, b, binary)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	raw := func(path string) ([]byte, bool) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b, true
	}
	walk(out, raw)
	walk(chSpool, raw)
	walk(store, raw)
	walk(pqDir, func(path string) ([]byte, bool) {
		if filepath.Ext(path) != ".parquet" {
			return raw(path)
		}
		return parquetText(t, path), false // compressed: search the values
	})
	check("NATS messages", natsText, false)
	check("the log", logs.Bytes(), false)

	// The searches searched something: rows in each place, with pseudonyms
	// and the key id where the clear run had identities.
	pseudo := key.Of(pseudonym.IMSI, sink.MakeDigits(readJSONL(t, filepath.Join(clearOut, "triggers.jsonl"))[0]["imsi"].(string))).String()
	for _, where := range []string{out, chSpool, store, pqDir} {
		n := 0
		filepath.WalkDir(where, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		if n == 0 {
			t.Errorf("%s: no files", where)
		}
	}
	if !bytes.Contains(natsText, []byte(pseudo)) || !bytes.Contains(natsText, []byte(`"key_id":"`+key.ID()+`"`)) {
		t.Errorf("NATS messages lack the pseudonym %s or the key id %s", pseudo, key.ID())
	}
	if !bytes.Contains(logs.Bytes(), []byte("key_id="+key.ID())) || !bytes.Contains(logs.Bytes(), []byte("pseudonymized=")) {
		t.Errorf("the start log does not say what is pseudonymized:\n%.2000s", logs.Bytes())
	}
	t.Logf("%d dwell rows, %d triggers; searched %d identities in %d files and streams (%d bytes of NATS messages, %d of log)",
		st.State.DwellRows, st.Triggers, len(ids.text), len(scanned), len(natsText), len(logs.Bytes()))
}

// checkPseudonymized compares a table's rows: every identity column holds
// the pseudonym of the clear value (peers as MSISDNs), key_id names the key
// where the table has identities, and the other columns are unchanged
// (trigger ids are re-hashed).
func checkPseudonymized(t *testing.T, table string, key *pseudonym.Key, clear, ps []map[string]any) {
	t.Helper()
	kinds := map[string]pseudonym.Kind{"imsi": pseudonym.IMSI, "msisdn": pseudonym.MSISDN, "peer": pseudonym.MSISDN, "imei": pseudonym.IMEI}
	bad := 0
	for i := range clear {
		c, p := clear[i], ps[i]
		for col, v := range c {
			want := v
			if k, ok := kinds[col]; ok && v != "" {
				want = key.Of(k, sink.MakeDigits(v.(string))).String()
			}
			switch {
			case col == "key_id" || (table == "triggers" && col == "id"):
			case !equalJSON(p[col], want):
				bad++
				if bad < 5 {
					t.Errorf("%s row %d: %s = %v, want %v", table, i, col, p[col], want)
				}
			}
		}
		if _, has := c["imsi"]; has && p["key_id"] != key.ID() {
			t.Errorf("%s row %d: key_id %v", table, i, p["key_id"])
			return
		}
		if table == "triggers" && (p["id"] == c["id"] || len(p["id"].(string)) != 32) {
			t.Errorf("trigger %d: id %v not re-hashed", i, p["id"])
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// readStream returns every message in the trigger stream (headers and
// payload), read as the generated consumer user.
func readStream(t *testing.T, url, seed string) []byte {
	t.Helper()
	o, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, o)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{Durable: "audit", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			for k, vs := range m.Headers() {
				out.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
			}
			out.WriteString(m.Subject() + " ")
			out.Write(m.Data())
			out.WriteByte('\n')
			m.Ack()
			n++
		}
		if n == 0 {
			return out.Bytes()
		}
	}
}
