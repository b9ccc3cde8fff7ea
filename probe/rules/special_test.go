package rules

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// TestAfter: a rule with after fires only if the named rule matched the
// subscriber within the window before (a call to a competitor's sales
// line, then the mall within 2h), whether or not that rule's own trigger
// was suppressed by a cap.
func TestAfter(t *testing.T) {
	set := mustParse(t, `rules:
  - name: competitor
    kind: call
    direction: mo
    peer_prefix: "999801234567"
    min_interval: 30d
  - name: then-mall
    kind: region_enter
    regions: [mall]
    after: {rule: competitor, within: 2h}
  - name: call-after-call
    kind: call
    after: {rule: competitor, within: 1h}
`)
	e := New(set, nil, nil)
	got := fired(run(e, []Fact{
		fact(RegionEnter, time.Hour, in(mall)), // nothing before
		fact(Call, 2*time.Hour, mo, peer("999801234567")),
		fact(RegionEnter, 3*time.Hour, in(mall)),
		fact(RegionEnter, 4*time.Hour+time.Second, in(mall)), // 2h and 1s after
		fact(Call, 5*time.Hour, mo, peer("999801234567")),    // matches again (its trigger is capped); the one before is 3h old
		fact(Call, 5*time.Hour+30*time.Minute, peer("999700000009")),
		fact(RegionEnter, 7*time.Hour, in(campus)),
		fact(RegionEnter, 7*time.Hour, in(mall)), // exactly 2h after
		fact(RegionEnter, 7*time.Hour, in(mall), imsi("001010000000002")),
	}))
	want := "competitor@01-01T02:00:00 then-mall@01-01T03:00:00 call-after-call@01-01T05:30:00 then-mall@01-01T07:00:00"
	if got != want {
		t.Fatalf("fired %q\nwant  %q", got, want)
	}
	if s := e.Stats().Rules[0]; s.MinInterval != 1 {
		t.Fatalf("competitor stats %+v", s)
	}
}

// TestControlGroup: the control group is FNV-1a 64 of "campaign/IMSI"
// modulo 10000 below control_share x 10000 (checked here with the standard
// library's FNV); its triggers are written with Control set.
func TestControlGroup(t *testing.T) {
	set := mustParse(t, `rules:
  - name: offer
    kind: location_update
    campaign: mall-offer
    control_share: 0.3
  - name: plain
    kind: location_update
    campaign: plain-offer
`)
	e := New(set, nil, nil)
	var facts []Fact
	want := map[string]bool{}
	for i := range 2000 {
		im := fmt.Sprintf("0010100%08d", i)
		facts = append(facts, fact(LocationUpdate, time.Duration(i)*time.Second, imsi(im)))
		h := fnv.New64a()
		h.Write([]byte("mall-offer/" + im))
		want[im] = h.Sum64()%10000 < 3000
	}
	var control int
	for _, tr := range run(e, facts) {
		if tr.Campaign == "plain-offer" {
			if tr.Control {
				t.Fatal("control without control_share")
			}
			continue
		}
		if tr.Campaign != "mall-offer" || tr.Control != want[tr.IMSI.String()] {
			t.Fatalf("%s: campaign %q control %v, want %v", tr.IMSI, tr.Campaign, tr.Control, want[tr.IMSI.String()])
		}
		if tr.Control {
			control++
		}
	}
	if control < 520 || control > 680 {
		t.Fatalf("%d of 2000 in a 30%% control group", control)
	}
	if s := e.Stats().Rules[0]; s.Fired != 2000 || s.Control != uint64(control) {
		t.Fatalf("stats %+v", s)
	}
	// The published contract: these vectors are also checked by the simulator.
	for _, v := range []struct {
		imsi    string
		control bool
	}{{"001010000000042", true}, {"001010000000043", false}, {"001010000000044", true}, {"001010000012345", false}} {
		if got := controlMember("mall-offer", sink.MakeDigits(v.imsi), 3000); got != v.control {
			t.Errorf("mall-offer/%s at 0.3: control %v, want %v", v.imsi, got, v.control)
		}
	}
}

func TestParseSpecialErrors(t *testing.T) {
	for _, tc := range []struct{ name, rule, want string }{
		{"count on dwell", "kind: dwell\n    dwell: 5m\n    count: {n: 2, within: 1h}", "line 6: rules[0].count: only for region_enter"},
		{"count n too small", "kind: call\n    count: {n: 1, within: 1h}", "line 5: rules[0].count.n: want 2 to 16, got 1"},
		{"count without within", "kind: call\n    count: {n: 3}", "line 5: rules[0].count.within: missing"},
		{"count unknown key", "kind: call\n    count: {n: 3, within: 1h, per: day}", "line 5: rules[0].count.per: unknown key"},
		{"count not a mapping", "kind: call\n    count: 3", "line 5: rules[0].count: want a mapping"},
		{"after unknown rule", "kind: call\n    after: {rule: nope, within: 1h}", "line 5: rules[0].after.rule: no rule named \"nope\""},
		{"after itself", "kind: call\n    after: {rule: r, within: 1h}", "line 5: rules[0].after.rule: a rule cannot follow itself"},
		{"after bad window", "kind: call\n    after: {rule: r, within: soon}", "line 5: rules[0].after.within: want a duration like 10m, got \"soon\""},
		{"answered on sms", "kind: sms\n    answered: true", "line 5: rules[0].answered: only for call rules, not sms"},
		{"bad cause", "kind: call\n    causes: [17, 200]", "line 5: rules[0].causes: want CC cause values 1-127"},
		{"max below min", "kind: call\n    min_duration: 1m\n    max_duration: 30s", "line 6: rules[0].max_duration: shorter than min_duration"},
		{"max on unanswered", "kind: call\n    answered: false\n    max_duration: 30s", "line 6: rules[0].max_duration: unanswered calls have no duration"},
		{"country on call", "kind: call\n    country_codes: [\"33\"]", "line 5: rules[0].country_codes: only for roam_out and roam_return rules, not call"},
		{"country too long", "kind: roam_out\n    country_codes: [\"3312\"]", "line 5: rules[0].country_codes: want 1-3 digits, got \"3312\""},
		{"control without campaign", "kind: call\n    control_share: 0.1", "line 5: rules[0].control_share: needs campaign:"},
		{"control out of range", "kind: call\n    campaign: c\n    control_share: 1.5", "line 6: rules[0].control_share: want a share from 0 to 1"},
		{"campaign with space", "kind: call\n    campaign: \"a b\"", "line 5: rules[0].campaign: want a name without spaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := "timezone: UTC\nrules:\n  - name: r\n    " + tc.rule + "\n"
			_, err := Parse([]byte(y), "rules.yaml", regionNames)
			if err == nil || !strings.Contains(err.Error(), "rules.yaml: "+tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	y := "rules:\n  - name: a\n    kind: call\n    after: {rule: b, within: 1h}\n  - name: b\n    kind: sms\n    after: {rule: a, within: 1h}\n"
	if _, err := Parse([]byte(y), "rules.yaml", regionNames); err == nil || !strings.Contains(err.Error(), "line 4: rules[0].after.rule: rules that follow each other in a circle never fire") {
		t.Fatalf("cycle: %v", err)
	}
}
