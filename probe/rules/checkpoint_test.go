package rules

import (
	"reflect"
	"slices"
	"testing"

	"github.com/sigprobe/sigprobe/probe/ckpt"
)

// Every field of an Engine is either in its checkpoint or derived from the
// rules (see checkpoint.go); a new field must be decided on.
func TestCheckpointCoversEveryField(t *testing.T) {
	for _, tc := range []struct {
		v              any
		saved, derived []string
	}{
		{Engine{}, []string{"slots", "free", "heap", "waits", "lastFired", "daily", "once", "counts", "countSlab", "countFree", "matched",
			"now", "nextSweep", "facts", "pending", "counters"},
			[]string{"set", "attrs", "consent", "index", "zone", "ids"}},
		{pend{}, []string{"key", "due", "since", "hi", "msisdn", "region", "lac", "ci", "roamer"}, nil},
		{limiter{}, []string{"minute", "n"}, []string{"mu"}},
	} {
		typ := reflect.TypeOf(tc.v)
		for i := range typ.NumField() {
			f := typ.Field(i).Name
			if !slices.Contains(tc.saved, f) && !slices.Contains(tc.derived, f) {
				t.Errorf("%s.%s is neither saved in checkpoints nor listed as derived: decide (checkpoint.go) and list it here", typ.Name(), f)
			}
		}
	}
}

// A restart from a checkpoint contacts nobody twice: the caps, the
// per-minute window and armed dwell timers come back, by rule and region
// name, also when the rules file changed order.
func TestCheckpointKeepsCaps(t *testing.T) {
	regions := []string{"mall", "park"}
	set, err := Parse([]byte(`max_per_subscriber_per_day: 2
rules:
  - name: on
    kind: power_on
    min_interval: 1h
  - name: mall-30m
    kind: dwell
    regions: [mall]
    dwell: 30m
`), "r.yaml", regions)
	if err != nil {
		t.Fatal(err)
	}
	const t0 = int64(1_790_000_000e9)
	e := New(set, nil, nil)
	on := Fact{Kind: PowerOn, TS: t0, IMSI: 1234, Region: -1, OffS: -1}
	if out := e.Observe(&on, nil); len(out) != 1 {
		t.Fatalf("first power_on fired %d", len(out))
	}
	enter := Fact{Kind: RegionEnter, TS: t0, IMSI: 99, Region: 0, OffS: -1}
	e.Observe(&enter, nil)

	enc := ckptEnc()
	e.SaveState(enc)
	// The rules file changed: a new rule first, the same two after it.
	set2, err := Parse([]byte(`max_per_subscriber_per_day: 2
rules:
  - name: new
    kind: power_off
  - name: mall-30m
    kind: dwell
    regions: [mall]
    dwell: 30m
  - name: on
    kind: power_on
    min_interval: 1h
`), "r.yaml", []string{"park", "mall"})
	if err != nil {
		t.Fatal(err)
	}
	e2 := New(set2, nil, nil)
	if err := e2.LoadState(ckptDec(enc.Bytes())); err != nil {
		t.Fatal(err)
	}
	on.TS += 10 * 60e9
	if out := e2.Observe(&on, nil); len(out) != 0 {
		t.Errorf("power_on within min_interval fired again after the restart: %+v", out)
	}
	// The dwell timer armed before the restart fires after it, in the mall.
	out := e2.Advance(t0+31*60e9, nil)
	if len(out) != 1 || out[0].Rule != "mall-30m" || out[0].Region != "mall" {
		t.Errorf("dwell after the restart: %+v", out)
	}
	st := e2.Stats()
	if st.Rules[2].Rule != "on" || st.Rules[2].Fired != 1 || st.Rules[2].MinInterval != 1 {
		t.Errorf("counters not carried by name: %+v", st.Rules)
	}
}

func ckptEnc() *ckpt.Enc         { return ckpt.NewEnc(256) }
func ckptDec(b []byte) *ckpt.Dec { return ckpt.NewDec(b) }
