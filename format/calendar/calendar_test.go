package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLoadAndWorks(t *testing.T) {
	c, err := Load("testdata/cn-2026.csv")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "cn-2026" || len(c.Days) != 10 {
		t.Fatalf("name %q, %d days", c.Name, len(c.Days))
	}
	const monFri = 0b0111110
	for _, tc := range []struct {
		d    int
		kind Kind
		work bool
	}{
		{1, Holiday, false}, // a Thursday
		{8, Holiday, false},
		{9, None, true},     // Friday
		{10, Workday, true}, // make-up Saturday
		{11, None, false},   // Sunday
		{12, None, true},    // Monday
		{17, None, false},   // Saturday
	} {
		if k := c.Kind(2026, time.October, tc.d); k != tc.kind {
			t.Errorf("Oct %d: kind %v, want %v", tc.d, k, tc.kind)
		}
		if w := c.Works(2026, time.October, tc.d, monFri); w != tc.work {
			t.Errorf("Oct %d: works %v, want %v", tc.d, w, tc.work)
		}
	}
	var nilCal *Calendar
	if !nilCal.Works(2026, time.October, 1, monFri) || nilCal.Works(2026, time.October, 3, monFri) {
		t.Error("a nil calendar must follow the weekly pattern")
	}
	var buf bytes.Buffer
	if err := c.Write(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(buf.Bytes(), "written")
	if err != nil || len(again.Days) != len(c.Days) || again.Days[9] != c.Days[9] {
		t.Fatalf("round trip: %v %+v", err, again)
	}
}

func TestParseErrorsNameFileLineField(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "x.csv: line 1: empty calendar"},
		{"no header", "2026-10-01,holiday,x\n", "x.csv: line 1: want the header"},
		{"bad date", "date,kind,name\n2026-13-01,holiday,x\n", "x.csv: line 2: date: want YYYY-MM-DD"},
		{"bad kind", "date,kind,name\n# c\n2026-10-01,vacation,x\n", "x.csv: line 3: kind: want holiday or workday"},
		{"short", "date,kind,name\n2026-10-01\n", "x.csv: line 2: want date,kind"},
		{"twice", "date,kind,name\n2026-10-01,holiday\n2026-10-01,workday\n", "x.csv: line 3: date: 2026-10-01 is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), "x.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
