package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var regionNames = []string{"techpark", "downtown", "campus", "mall", "stadium", "airport", "riverside"}

func mustParse(t testing.TB, y string) *Set {
	t.Helper()
	s, err := Parse([]byte(y), "rules.yaml", regionNames)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExampleFileParses(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "rules.example.yaml")
	s, err := Load(path, regionNames)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for i := range s.rules {
		kinds[ruleKindNames[s.rules[i].kind]] = true
	}
	for _, k := range ruleKindNames {
		if !kinds[k] {
			t.Errorf("example has no %s rule", k)
		}
	}
	in, out := s.ConsentFiles()
	if want := filepath.Join("..", "..", "deploy", "consent", "opt_in.txt"); in != want {
		t.Errorf("opt_in resolved to %q, want %q", in, want)
	}
	if !strings.HasSuffix(out, filepath.Join("deploy", "consent", "opt_out.txt")) {
		t.Errorf("opt_out resolved to %q", out)
	}
	if s.loc.String() != "Europe/Berlin" || s.maxPerDay != 5 {
		t.Errorf("timezone %v, cap %d", s.loc, s.maxPerDay)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "deploy", "attributes.example.csv")); err != nil {
		t.Fatal(err)
	}
	if a, err := LoadAttributes(filepath.Join("..", "..", "deploy", "attributes.example.csv")); err != nil || a.Len() != 4 {
		t.Fatalf("example attributes: %v (%d rows)", err, a.Len())
	}
}

const base = `timezone: UTC
opt_in: in.txt
rules:
  - name: a
    kind: dwell
    regions: [mall]
    dwell: 10m
  - name: b
    kind: call
    direction: mo
`

func TestParseErrorsNameFileLineField(t *testing.T) {
	rep := func(old, new string) string {
		if !strings.Contains(base, old) {
			panic(old)
		}
		return strings.Replace(base, old, new, 1)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"not yaml", "rules: [", "rules.yaml: line 1:"},
		{"empty", "", "rules.yaml: line 1: rules: no rules defined"},
		{"top not mapping", "- a\n", "rules.yaml: line 1: (top): want a mapping"},
		{"no rules", "timezone: UTC\n", "rules.yaml: line 1: rules: want a non-empty list"},
		{"empty rules", "rules: []\n", "rules.yaml: line 1: rules: want a non-empty list"},
		{"unknown top key", rep("timezone: UTC", "timezone: UTC\ncolour: red"), "rules.yaml: line 2: colour: unknown key"},
		{"unknown rule key", rep("dwell: 10m", "dwell: 10m\n    colour: red"), "rules.yaml: line 8: rules[0].colour: unknown key"},
		{"bad timezone", rep("timezone: UTC", "timezone: Mars/Olympus"), "rules.yaml: line 1: timezone: unknown time zone \"Mars/Olympus\""},
		{"bad duration", rep("dwell: 10m", "dwell: ten"), "rules.yaml: line 7: rules[0].dwell: want a duration like 10m, got \"ten\""},
		{"negative duration", rep("dwell: 10m", "dwell: -5m"), "rules[0].dwell: want a duration like 10m, got \"-5m\""},
		{"zero days", rep("dwell: 10m", "dwell: 0d"), "rules[0].dwell: want a duration"},
		{"unknown region", rep("regions: [mall]", "regions: [mall, moon]"), "rules.yaml: line 6: rules[0].regions: unknown region \"moon\""},
		{"empty regions", rep("regions: [mall]", "regions: []"), "line 6: rules[0].regions: want a non-empty list"},
		{"duplicate rule", rep("name: b", "name: a"), "rules.yaml: line 8: rules[1].name: duplicate rule \"a\""},
		{"bad name", rep("name: b", "name: b.c"), "line 8: rules[1].name: want a non-empty name"},
		{"missing name", rep("  - name: b\n", "  - min_interval: 1h\n"), "line 8: rules[1].name: missing"},
		{"missing kind", rep("    kind: call\n", ""), "line 8: rules[1].kind: missing"},
		{"bad kind", rep("kind: call", "kind: teleport"), "line 9: rules[1].kind: want one of region_enter"},
		{"dwell key on call", rep("direction: mo", "direction: mo\n    dwell: 5m"), "line 11: rules[1].dwell: only for dwell rules, not call"},
		{"direction on dwell", rep("dwell: 10m", "dwell: 10m\n    direction: mo"), "line 8: rules[0].direction: only for call and sms rules, not dwell"},
		{"dwell without dwell", rep("    dwell: 10m\n", ""), "line 4: rules[0].dwell: dwell rules need dwell:"},
		{"silent without for", rep("kind: call\n    direction: mo", "kind: silent"), "line 8: rules[1].for: silent rules need for:"},
		{"bad direction", rep("direction: mo", "direction: up"), "line 10: rules[1].direction: want mo, mt or any, got \"up\""},
		{"bad window", rep("direction: mo", "direction: mo\n    hours: \"8-20\""), "line 11: rules[1].hours: want a window like \"08:00-20:00\""},
		{"empty window", rep("direction: mo", "direction: mo\n    hours: \"08:00-08:00\""), "rules[1].hours: want a window"},
		{"24:00 start", rep("direction: mo", "direction: mo\n    hours: \"24:00-08:00\""), "rules[1].hours: want a window"},
		{"bad minute", rep("direction: mo", "direction: mo\n    hours: [\"08:00-20:00\", \"09:61-10:00\"]"), "line 11: rules[1].hours: want a window like \"08:00-20:00\" (may wrap midnight, not empty), got \"09:61-10:00\""},
		{"bad weekday", rep("direction: mo", "direction: mo\n    weekdays: mon-fry"), "line 11: rules[1].weekdays: want days like mon-fri"},
		{"prefix not digits", rep("direction: mo", "direction: mo\n    peer_prefix: [\"+49\"]"), "line 11: rules[1].peer_prefix: want 1-15 digits, got \"+49\""},
		{"prefix too long", rep("direction: mo", "direction: mo\n    imsi_prefix: \"0010100000000001\""), "rules[1].imsi_prefix: want 1-15 digits"},
		{"plmn length", rep("direction: mo", "direction: mo\n    home_plmns: [\"0010\"]"), "rules[1].home_plmns: want MCC+MNC, 5 or 6 digits"},
		{"zero cap", rep("timezone: UTC", "timezone: UTC\nmax_per_subscriber_per_day: 0"), "line 2: max_per_subscriber_per_day: want a positive integer, got \"0\""},
		{"negative rate", rep("direction: mo", "direction: mo\n    max_per_minute: -3"), "line 11: rules[1].max_per_minute: want a positive integer, got \"-3\""},
		{"rate not int", rep("direction: mo", "direction: mo\n    max_per_minute: lots"), "rules[1].max_per_minute: want a positive integer"},
		{"bad min_interval", rep("direction: mo", "direction: mo\n    min_interval: 1 hour"), "line 11: rules[1].min_interval: want a duration like 10m, got \"1 hour\""},
		{"bad roamers", rep("direction: mo", "direction: mo\n    roamers: some"), "rules[1].roamers: want only, exclude or any"},
		{"roamers on roam_in", rep("kind: call\n    direction: mo", "kind: roam_in\n    roamers: only"), "line 10: rules[1].roamers: roam_in rules are for roamers already"},
		{"consent needs opt_in", strings.Replace(rep("direction: mo", "direction: mo\n    require_consent: true"), "opt_in: in.txt\n", "", 1), "line 10: rules[1].require_consent: needs an opt_in list"},
		{"consent not bool", rep("direction: mo", "direction: mo\n    require_consent: maybe"), "rules[1].require_consent: want true or false"},
		{"list of lists", rep("regions: [mall]", "regions: [[mall]]"), "line 6: rules[0].regions[0]: want a single value"},
		{"rule not mapping", rep("  - name: b\n    kind: call\n    direction: mo\n", "  - b\n"), "line 8: rules[1]: want a mapping"},
		{"duplicate key", rep("dwell: 10m", "dwell: 10m\n    dwell: 5m"), "rules.yaml: line 8: rules[0].dwell: duplicate key (first at line 7)"},
		{"duplicate top key", rep("timezone: UTC", "timezone: UTC\ntimezone: UTC"), "rules.yaml: line 2: timezone: duplicate key (first at line 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "rules.yaml", regionNames)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	s := mustParse(t, `rules:
  - name: r
    kind: call
    peer_prefix: 999801234567
    imsi_prefix: [00101, "310"]
    hours: ["22:00-02:00", "12:00-24:00"]
    weekdays: [fri-mon, wed]
    min_duration: 3d
`)
	r := &s.rules[0]
	if len(r.peerPfx) != 1 || r.peerPfx[0] != (prefix{999801234567, 12}) {
		t.Errorf("peer prefix %+v", r.peerPfx)
	}
	if len(r.imsiPfx) != 2 || r.imsiPfx[0] != (prefix{101, 5}) {
		t.Errorf("imsi prefix %+v (leading zeros must survive)", r.imsiPfx)
	}
	if r.hours[0] != (window{22 * 60, 2 * 60}) || r.hours[1] != (window{12 * 60, 24 * 60}) {
		t.Errorf("hours %+v", r.hours)
	}
	// sun mon wed fri sat
	if r.days != 1<<0|1<<1|1<<3|1<<5|1<<6 {
		t.Errorf("weekdays %07b", r.days)
	}
	if r.minDur != int64(72*3600e9) {
		t.Errorf("3d = %d", r.minDur)
	}
	if s.loc.String() != "UTC" {
		t.Errorf("default zone %v", s.loc)
	}
}
