package regions

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `regions:
  - name: mall
    kind: mall
    cells: [{lac: 256, ci: 10001}, {lac: 256, ci: 10002}]
  - name: campus
    kind: campus
    cells: [{lac: 257, ci: 10100}]
groups:
  - name: acme
    region: campus
    workdays: mon-fri
    start: "09:00"
    end: "18:00"
`

func TestRoundTrip(t *testing.T) {
	f, err := Parse([]byte(good), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	g, err := Parse(buf.Bytes(), "written")
	if err != nil {
		t.Fatalf("written file does not parse: %v\n%s", err, buf.String())
	}
	if len(g.Regions) != 2 || len(g.Regions[0].Cells) != 2 || g.Regions[0].Cells[1].CI != 10002 || g.Groups[0].Region != "campus" {
		t.Fatalf("round trip lost data: %+v", g)
	}
}

func TestParseErrorsNameFileLineField(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", strings.Replace(good, "kind: mall", "kind: mall\n    colour: red", 1), "f.yaml: line 4: field colour not found"},
		{"duplicate region", strings.Replace(good, "name: campus", "name: mall", 1), "f.yaml: line 5: regions[1].name: duplicate region \"mall\""},
		{"no cells", strings.Replace(good, "cells: [{lac: 257, ci: 10100}]", "cells: []", 1), "f.yaml: line 5: regions[1].cells"},
		{"unknown group region", strings.Replace(good, "region: campus", "region: moon", 1), "f.yaml: line 9: groups[0].region: unknown region \"moon\""},
		{"ci out of range", strings.Replace(good, "ci: 10100", "ci: 70000", 1), "f.yaml: line 7"},
		{"bad name", strings.Replace(good, "name: mall", "name: big mall", 1), "regions[0].name"},
		{"not yaml", "regions: [", "f.yaml:"},
		{"bad zone", strings.Replace(good, "end: \"18:00\"", "end: \"18:00\"\n    timezone: Mars/Olympus", 1), "f.yaml: line 9: groups[0].timezone: want an IANA zone name"},
		{"unknown weekday", strings.Replace(good, "workdays: mon-fri", "workdays: funday", 1), "f.yaml: line 9: groups[0].workdays: want days like \"mon-fri\" or \"mon,wed\", got \"funday\""},
		{"hour 25", strings.Replace(good, `start: "09:00"`, `start: "25:00"`, 1), "f.yaml: line 9: groups[0].start: want HH:MM from 00:00 to 23:59, got \"25:00\""},
		{"end not a time", strings.Replace(good, `end: "18:00"`, `end: "6pm"`, 1), "f.yaml: line 9: groups[0].end: want HH:MM, got \"6pm\""},
		{"a list item without a value", "regions:\n  -", "f.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "f.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestZoneAndCalendar(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "regions.yaml")
	y := strings.Replace(good, "end: \"18:00\"", "end: \"18:00\"\n    timezone: Asia/Shanghai\n    calendar: cn.csv", 1)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g := &f.Groups[0]
	loc, err := g.Location()
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2026, 10, 1, 0, 0, 0, 0, loc).Zone(); off != 8*3600 {
		t.Errorf("Asia/Shanghai offset %d s, want 28800", off)
	}
	if p := f.CalendarPath(g); p != filepath.Join(dir, "cn.csv") {
		t.Errorf("calendar path %q", p)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "timezone: Asia/Shanghai") || !strings.Contains(buf.String(), "calendar: cn.csv") {
		t.Errorf("written file lost the zone or calendar:\n%s", buf.String())
	}
	// Without them: UTC and no calendar, and the keys are not written.
	h, _ := Parse([]byte(good), "good.yaml")
	if loc, _ := h.Groups[0].Location(); loc != time.UTC || h.CalendarPath(&h.Groups[0]) != "" {
		t.Error("a group without timezone must be UTC and without calendar")
	}
}

// The one parser of workdays the simulator, the probe and the whitelist
// share: ranges, lists and ranges that wrap past Saturday.
func TestParseWeekdays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint8
	}{
		{"mon-fri", 0b0111110}, {"mon-sat", 0b1111110}, {"mon,wed,fri", 0b0101010}, {"fri-mon", 0b1100011}, {"sun", 1},
	} {
		got, err := ParseWeekdays(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseWeekdays(%q) = %07b, %v; want %07b", c.in, got, err, c.want)
		}
	}
	if _, err := ParseWeekdays("mon-fry"); err == nil {
		t.Error("ParseWeekdays(mon-fry): no error")
	}
}
