package scenario

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestControlMemberContract: the published vectors of the control-group
// contract; probe/rules checks the same ones.
func TestControlMemberContract(t *testing.T) {
	for _, v := range []struct {
		imsi    string
		control bool
	}{{"001010000000042", true}, {"001010000000043", false}, {"001010000000044", true}, {"001010000012345", false}} {
		if got := ControlMember("mall-offer", v.imsi, 0.3); got != v.control {
			t.Errorf("mall-offer/%s at 0.3: control %v, want %v", v.imsi, got, v.control)
		}
	}
	if ControlMember("mall-offer", "001010000000042", 0) {
		t.Error("control share 0 holds someone out")
	}
}

func TestMarketingRejects(t *testing.T) {
	edit := func(old, new string) string {
		s := string(DefaultYAML())
		if !strings.Contains(s, old) {
			t.Fatalf("default scenario has no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"departures", edit("departures_per_day: 0.003", "departures_per_day: 0.5"), "outbound_roaming.departures_per_day"},
		{"trip days", edit("trip_days: [2, 7]", "trip_days: [3, 2]"), "outbound_roaming.trip_days"},
		{"flight", edit("flight_hours: [2, 10]", "flight_hours: [0, 10]"), "outbound_roaming.flight_hours"},
		{"campaign region", edit("contact_region: mall", "contact_region: moon"), "campaigns[0].contact_region: unknown region"},
		{"control share", edit("control_share: 0.2", "control_share: 2"), "campaigns[0].control_share"},
		{"reply number", edit(`reply_number: "999800100200"`, `reply_number: "+49"`), "campaigns[0].reply_number"},
		{"window", edit("respond_within_hours: 48", "respond_within_hours: 0"), "campaigns[0].respond_within_hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.yaml), "x"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// Every town the sweep and the docs use loads: a scenario without an
// outbound_roaming section has no roam-out rather than an error.
func TestShippedScenariosLoad(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "bench", "sweep", "*.yaml"))
	files = append(files, filepath.Join("..", "..", "deploy", "scenario.yaml"))
	if len(files) < 2 {
		t.Fatalf("no sweep scenarios found: %v", files)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	s := string(DefaultYAML())
	i := strings.Index(s, "outbound_roaming:")
	j := strings.Index(s, "campaigns:")
	if i < 0 || j < i {
		t.Fatal("default scenario: no outbound_roaming section before campaigns")
	}
	if _, err := Parse([]byte(s[:i]+s[j:]), "x"); err != nil {
		t.Errorf("default scenario without outbound_roaming: %v", err)
	}
}
