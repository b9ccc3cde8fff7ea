package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

var testKey = func() *Key {
	k, err := NewKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	return k
}()

func d(s string) sink.Digits { return sink.MakeDigits(s) }

// The pseudonym is the documented HMAC, recomputed here from its
// definition: first 8 bytes of HMAC-SHA-256(key, "kind:digits"), top bit
// cleared, 16 hex digits.
func TestOfIsTheDocumentedHMAC(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		id   string
	}{{IMSI, "001010000012345"}, {MSISDN, "491700000042"}, {IMEI, "35209900176148"}, {IMSI, "0"}} {
		m := hmac.New(sha256.New, []byte("0123456789abcdef0123456789abcdef"))
		m.Write([]byte(tc.kind.String() + ":" + tc.id))
		want := fmt.Sprintf("%016x", binary.BigEndian.Uint64(m.Sum(nil))&(1<<63-1))
		got := testKey.Of(tc.kind, d(tc.id))
		if got.String() != want || !got.IsPseudonym() {
			t.Errorf("%s %s: %s, want %s", tc.kind, tc.id, got, want)
		}
		if txt, err := testKey.OfText(tc.kind, tc.id); err != nil || txt != want {
			t.Errorf("OfText(%s, %s) = %q, %v", tc.kind, tc.id, txt, err)
		}
		// A pseudonym given again is left alone (nothing is hashed twice).
		if again, _ := testKey.OfText(tc.kind, want); again != want {
			t.Errorf("OfText of a pseudonym changed it: %s -> %s", want, again)
		}
	}
	if testKey.Of(IMSI, d("001010000012345")) == testKey.Of(MSISDN, d("001010000012345")) {
		t.Error("the same digits as IMSI and as MSISDN give the same pseudonym")
	}
	if testKey.Of(IMSI, 0) != 0 {
		t.Error("unknown identity pseudonymized")
	}
	if _, err := testKey.OfText(IMSI, "12ab"); err == nil {
		t.Error("OfText accepted 12ab")
	}
	other, _ := NewKey([]byte("another key of at least thirty-two bytes"))
	if other.Of(IMSI, d("001010000012345")) == testKey.Of(IMSI, d("001010000012345")) || other.ID() == testKey.ID() || len(testKey.ID()) != 8 {
		t.Errorf("keys: ids %s %s", testKey.ID(), other.ID())
	}
}

func batch() *sink.Batch {
	return &sink.Batch{
		Dwell:         []sink.Dwell{{IMSI: d("001010000000001"), MSISDN: d("491700000001"), LAC: 1, CI: 2, StartTS: 10, EndTS: 20, Reason: "cell"}},
		Trajectories:  []sink.TrajectoryPoint{{IMSI: d("001010000000001"), TS: 10, LAC: 1, CI: 2}},
		RegionMinutes: []sink.RegionMinute{{Region: "mall", MinuteTS: 60, Occupancy: 3}},
		Events: []sink.Event{{TS: 11, IMSI: d("001010000000001"), MSISDN: d("491700000001"), Kind: sink.EventCallMO,
			Peer: d("491700000002")}, {TS: 12, IMSI: d("001010000000002"), Kind: sink.EventLU}},
		Triggers: []sink.Trigger{{ID: "00112233445566778899aabbccddeeff", Rule: "r", Kind: "dwell", TS: 12,
			IMSI: d("001010000000001"), MSISDN: d("491700000001"), Region: "mall", HomeMCC: "001", HomeMNC: "01", Seq: 7}},
		Subscribers: []sink.Subscriber{{IMSI: d("001010000000001"), MSISDN: d("491700000001"), IMEI: d("35209900176148"), HomeMCC: "001", HomeMNC: "01"},
			{IMSI: d("001010000000002")}},
		Flush: true,
	}
}

// Apply replaces exactly the identities of its set, everywhere they occur,
// sets the key id on every row with identities, leaves the input alone and
// is idempotent.
func TestApply(t *testing.T) {
	ps := func(k Kind, s string) sink.Digits { return testKey.Of(k, d(s)) }
	for _, tc := range []struct {
		name string
		set  Set
	}{{"all", All}, {"imsi and imei (triggers for an SMS gateway)", 1<<IMSI | 1<<IMEI}, {"msisdn only", 1 << MSISDN}} {
		t.Run(tc.name, func(t *testing.T) {
			in := batch()
			orig := batch()
			p := New(testKey, tc.set, nil)
			out := p.Apply(in)
			if !reflect.DeepEqual(in, orig) {
				t.Fatal("Apply changed its input")
			}
			want := batch()
			pick := func(k Kind, v sink.Digits) sink.Digits {
				if tc.set.Has(k) && v != 0 {
					return testKey.Of(k, v)
				}
				return v
			}
			for i := range want.Dwell {
				r := &want.Dwell[i]
				r.IMSI, r.MSISDN, r.KeyID = pick(IMSI, r.IMSI), pick(MSISDN, r.MSISDN), testKey.ID()
			}
			for i := range want.Trajectories {
				r := &want.Trajectories[i]
				r.IMSI, r.KeyID = pick(IMSI, r.IMSI), testKey.ID()
			}
			for i := range want.Events {
				r := &want.Events[i]
				r.IMSI, r.MSISDN, r.Peer, r.KeyID = pick(IMSI, r.IMSI), pick(MSISDN, r.MSISDN), pick(MSISDN, r.Peer), testKey.ID()
			}
			for i := range want.Subscribers {
				r := &want.Subscribers[i]
				r.IMSI, r.MSISDN, r.IMEI, r.KeyID = pick(IMSI, r.IMSI), pick(MSISDN, r.MSISDN), pick(IMEI, r.IMEI), testKey.ID()
			}
			tr := &want.Triggers[0]
			tr.IMSI, tr.MSISDN, tr.KeyID = pick(IMSI, tr.IMSI), pick(MSISDN, tr.MSISDN), testKey.ID()
			gotID := out.Triggers[0].ID
			if tc.set.Has(IMSI) {
				if gotID == tr.ID || len(gotID) != 32 {
					t.Errorf("trigger id %q: not replaced by a 32-digit keyed hash", gotID)
				}
				tr.ID = gotID
			}
			if !reflect.DeepEqual(out, want) {
				t.Errorf("got  %+v\nwant %+v", out, want)
			}
			// The peer who is a subscriber has the pseudonym of that
			// subscriber's MSISDN: call graphs survive.
			if tc.set.Has(MSISDN) && out.Events[0].Peer != ps(MSISDN, "491700000002") {
				t.Error("peer pseudonym differs from the MSISDN's")
			}
			// Again, on the result (rows spilled pseudonymized): unchanged.
			snapshot := *out
			snapshot.Dwell = append([]sink.Dwell(nil), out.Dwell...)
			snapshot.Triggers = append([]sink.Trigger(nil), out.Triggers...)
			snapshot.Events = append([]sink.Event(nil), out.Events...)
			snapshot.Subscribers = append([]sink.Subscriber(nil), out.Subscribers...)
			snapshot.Trajectories = append([]sink.TrajectoryPoint(nil), out.Trajectories...)
			again := New(testKey, tc.set, nil).Apply(&snapshot)
			if !reflect.DeepEqual(again, &snapshot) {
				t.Errorf("applying twice differs from once:\n%+v\n%+v", again, &snapshot)
			}
			// Another pseudonymizer of the same key gives the same trigger id.
			if id := New(testKey, tc.set, nil).Apply(batch()).Triggers[0].ID; id != gotID {
				t.Errorf("trigger id not deterministic: %s vs %s", id, gotID)
			}
		})
	}
}

// A small cache rotates its generations and still gives the same pseudonyms.
func TestCacheGenerations(t *testing.T) {
	c := NewCache(8)
	p := New(testKey, All, c)
	var b sink.Batch
	for round := range 3 {
		for i := range 50 {
			b.Reset()
			imsi := d(fmt.Sprintf("0010100000%05d", i))
			b.Trajectories = append(b.Trajectories, sink.TrajectoryPoint{IMSI: imsi})
			if got := p.Apply(&b).Trajectories[0].IMSI; got != testKey.Of(IMSI, imsi) {
				t.Fatalf("round %d imsi %d: %s", round, i, got)
			}
		}
	}
	if n := len(c.cur[IMSI]); n > 8 || len(c.old[IMSI]) > 8 {
		t.Errorf("cache holds %d + %d, max 8 per generation", n, len(c.old[IMSI]))
	}
}

// Pseudonymizing a batch of known subscribers allocates nothing.
func TestApplyAllocs(t *testing.T) {
	p := New(testKey, All, nil)
	b := batch()
	p.Apply(b)
	b.Triggers = nil // a trigger id is carved from an arena: amortised, not zero
	if n := testing.AllocsPerRun(200, func() { p.Apply(b) }); n != 0 {
		t.Errorf("Apply allocates %v per batch", n)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	secret := strings.Repeat("k", 40)
	for _, tc := range []struct {
		name    string
		content string
		mode    os.FileMode
		err     error
		errText string
	}{
		{"0600", secret, 0o600, nil, ""},
		{"0400", secret + "\n", 0o400, nil, ""},
		{"group may read", secret, 0o640, ErrKeyMode, "mode 0640"},
		{"world may read", secret, 0o644, ErrKeyMode, "mode 0644"},
		{"short", "tooshort\n", 0o600, ErrKeyShort, "shorter than 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			k, err := LoadKey(path)
			if !errors.Is(err, tc.err) || (err != nil && !strings.Contains(err.Error(), tc.errText)) {
				t.Fatalf("err = %v, want %v (%q)", err, tc.err, tc.errText)
			}
			if err == nil {
				// A trailing newline is not part of the key.
				want, _ := NewKey([]byte(secret))
				if k.ID() != want.ID() {
					t.Errorf("key id %s, want %s", k.ID(), want.ID())
				}
			}
		})
	}
}

// A generated key file is 0600 whatever the umask and is never overwritten.
func TestGenerateKeyFile(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "key")
	k, err := GenerateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	back, err := LoadKey(path)
	if err != nil || back.ID() != k.ID() {
		t.Fatalf("load back: %v (%v vs %v)", err, back, k)
	}
	if _, err := GenerateKeyFile(path); err == nil {
		t.Error("an existing key file was overwritten")
	}
}

func TestParseSet(t *testing.T) {
	s, err := ParseSet([]string{"imei", "imsi"})
	if err != nil || s.String() != "imsi,imei" || s.Has(MSISDN) {
		t.Errorf("ParseSet = %v %v", s, err)
	}
	if _, err := ParseSet([]string{"imsi", "tmsi"}); err == nil || !strings.Contains(err.Error(), `"tmsi"`) {
		t.Errorf("tmsi: %v", err)
	}
}

// BenchmarkApply is the cost of pseudonymizing a batch of 1000 dwell rows
// (two identities each): "cached" for subscribers seen before, "hmac" for
// new ones every time (the cache defeated).
func BenchmarkApply(b *testing.B) {
	var in sink.Batch
	for i := range 1000 {
		in.Dwell = append(in.Dwell, sink.Dwell{IMSI: d(fmt.Sprintf("0010100000%05d", i)), MSISDN: d(fmt.Sprintf("4917%08d", i))})
	}
	b.Run("cached", func(b *testing.B) {
		p := New(testKey, All, nil)
		p.Apply(&in)
		b.ReportAllocs()
		b.SetBytes(int64(len(in.Dwell)))
		for b.Loop() {
			p.Apply(&in)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*len(in.Dwell)), "ns/identity")
	})
	b.Run("hmac", func(b *testing.B) {
		p := New(testKey, All, nil)
		b.ReportAllocs()
		b.SetBytes(int64(len(in.Dwell)))
		for b.Loop() {
			b.StopTimer()
			p.cache = NewCache(1 << 12)
			b.StartTimer()
			p.Apply(&in)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*len(in.Dwell)), "ns/identity")
	})
}

// BenchmarkHMAC is one pseudonym computed, no cache: what a cache miss costs.
func BenchmarkHMAC(b *testing.B) {
	p := New(testKey, All, nil)
	imsi := d("001010000012345")
	b.ReportAllocs()
	for b.Loop() {
		of(p.mac, &p.s, IMSI, imsi)
	}
}
