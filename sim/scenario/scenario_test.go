package scenario

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The documented example in deploy/ is the built-in default, word for word.
func TestDeployExampleIsDefault(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "deploy", "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, DefaultYAML()) {
		t.Fatal("deploy/scenario.yaml differs from sim/scenario/default.yaml; copy one over the other")
	}
	if _, err := Parse(b, "deploy/scenario.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejects(t *testing.T) {
	edit := func(old, new string) string {
		s := string(DefaultYAML())
		if !strings.Contains(s, old) {
			t.Fatalf("default scenario has no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", edit("  mscs: 3 ", "  mscs: 3\n  msc_count: 3 "), "field msc_count not found"},
		{"typo in nested key", edit("calls_per_day:", "calls_per_dya:"), "calls_per_dya"},
		{"bad mcc", edit(`mcc: "001"`, `mcc: "01"`), "plmn.mcc"},
		{"t3212 out of range", edit("t3212_minutes: 120", "t3212_minutes: 2000"), "t3212_minutes"},
		{"la does not divide grid", edit("la_cols: 4", "la_cols: 5"), "la_cols"},
		{"unknown group region", edit("region: techpark", "region: nowhere"), "unknown region"},
		{"share above 1", edit("roamers: 0.03", "roamers: 1.5"), "population.roamers"},
		{"bad workdays", edit("workdays: mon-fri", "workdays: someday"), "workdays"},
		{"bad clock", edit(`start: "09:00"`, `start: "9am"`), "start"},
		{"region outside grid", edit("center: [5, 4]", "center: [50, 4]"), "outside"},
		{"not yaml", "network: [", "scenario x"},
		{"wrong type", edit("mscs: 3", "mscs: three"), "cannot unmarshal"},
		{"bad zone", edit("timezone: UTC", "timezone: Mars/Olympus"), "timezone: want an IANA zone"},
		{"no zone", edit("timezone: UTC ", "timezone: \"\" "), "timezone: missing"},
		{"missing calendar", edit(`calendar: ""`, `calendar: nowhere.csv`), "calendar: open nowhere.csv"},
		{"colleague share", edit("colleague_share: 0.7", "colleague_share: 7"), "traffic.colleague_share"},
		{"short shift", edit(`shift_end: "22:00"`, `shift_end: "14:30"`), "groups[0].shift_end"},
		{"jitter", edit("arrival_jitter_minutes: 30", "arrival_jitter_minutes: 300"), "groups[0].arrival_jitter_minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "x")
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want one line mentioning %q", err, tc.want)
			}
		})
	}
}
