package regions

import (
	"bytes"
	"strings"
	"testing"
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
