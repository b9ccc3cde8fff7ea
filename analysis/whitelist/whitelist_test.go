package whitelist

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
)

func TestWeekdays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint8
	}{
		{"mon-fri", 0b0111110}, {"mon-sat", 0b1111110}, {"mon,wed,fri", 0b0101010}, {"fri-mon", 0b1100011}, {"sun", 1},
	} {
		got, err := Weekdays(c.in)
		if err != nil || got != c.want {
			t.Errorf("Weekdays(%q) = %07b, %v; want %07b", c.in, got, err, c.want)
		}
	}
	if _, err := Weekdays("mon-fry"); err == nil {
		t.Error("Weekdays(mon-fry): no error")
	}
}

// Integer widths of lac/ci and the times vary between Parquet writers: the
// same rows written as INT32 (uint16) and as INT64 give the same whitelist.
func TestIntegerWidths(t *testing.T) {
	type dwell16 struct {
		IMSI    string `parquet:"imsi"`
		LAC     uint16 `parquet:"lac"`
		CI      uint16 `parquet:"ci"`
		StartTS int64  `parquet:"start_ts"`
		EndTS   int64  `parquet:"end_ts"`
	}
	type dwell64 struct {
		IMSI    string `parquet:"imsi"`
		LAC     int64  `parquet:"lac"`
		CI      int64  `parquet:"ci"`
		StartTS int64  `parquet:"start_ts"`
		EndTS   int64  `parquet:"end_ts"`
	}
	type sub struct {
		IMSI   string `parquet:"imsi"`
		MSISDN string `parquet:"msisdn"`
	}
	rf := &regions.File{
		Regions: []regions.Region{{Name: "park", Kind: "office_park", Cells: []regions.Cell{{LAC: 300, CI: 40000}}}},
		Groups:  []regions.Group{{Name: "g", Region: "park", Workdays: "mon-fri", Start: "09:00", End: "18:00"}},
	}
	// Worker a: every weekday 09:00-17:00 in the park. Neighbour b: lives
	// there (home cell). Visitor c: one hour a day.
	var r16 []dwell16
	for d := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC); d.Month() == 10; d = d.AddDate(0, 0, 1) {
		base := d.Unix()
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			r16 = append(r16, dwell16{"a", 300, 40000, base + 9*3600, base + 17*3600})
			r16 = append(r16, dwell16{"c", 300, 40000, base + 11*3600, base + 12*3600})
		}
		r16 = append(r16, dwell16{"b", 300, 40000, base, base + 86400})
	}
	r64 := make([]dwell64, len(r16))
	for i, r := range r16 {
		r64[i] = dwell64{r.IMSI, int64(r.LAC), int64(r.CI), r.StartTS, r.EndTS}
	}
	subs := []sub{{"a", "1"}, {"b", "2"}, {"c", "3"}}
	run := func(write func(path string) error) []Member {
		t.Helper()
		dir := t.TempDir()
		for _, tbl := range []string{"dwell", "subscribers"} {
			os.MkdirAll(filepath.Join(dir, tbl), 0o755)
		}
		if err := write(filepath.Join(dir, "dwell", "part-0.parquet")); err != nil {
			t.Fatal(err)
		}
		if err := parquet.WriteFile(filepath.Join(dir, "subscribers", "part-0.parquet"), subs); err != nil {
			t.Fatal(err)
		}
		p := Defaults()
		p.Group, p.Month, p.Known, p.CallGraph = "g", time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), []string{"1"}, false
		res, err := Run(dir, rf, p)
		if err != nil {
			t.Fatal(err)
		}
		return res.Members
	}
	a := run(func(path string) error { return parquet.WriteFile(path, r16) })
	b := run(func(path string) error { return parquet.WriteFile(path, r64) })
	if !reflect.DeepEqual(a, b) {
		t.Errorf("INT32 and INT64 columns differ:\n%+v\n%+v", a, b)
	}
	if len(a) != 1 || a[0].IMSI != "a" || a[0].MSISDN != "1" || a[0].PresenceDays != 22 {
		t.Errorf("want only a, present 22 days; got %+v", a)
	}
}

// On a simulated month the Go whitelist reaches the 95% precision
// and recall for every group (the chDB test checks it equals the SQL).
func TestSimulatedMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a simulated month (about two minutes on first use)")
	}
	m, err := monthtest.Get(1, 5000, 31, nil)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := regions.Load(m.Regions())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rf.Groups {
		truth, _ := m.Members(g.Name)
		known, _ := m.Known(g.Name, 0.15, 1)
		p := Defaults()
		p.Group, p.Month, p.Known = g.Name, monthtest.Start, known
		res, err := Run(m.Dir, rf, p)
		if err != nil {
			t.Fatal(err)
		}
		ms := res.Members
		tp := 0
		for _, x := range ms {
			if truth[x.IMSI] {
				tp++
			}
		}
		pr, rc := float64(tp)/float64(max(len(ms), 1)), float64(tp)/float64(len(truth))
		t.Logf("%-8s members %3d listed %3d precision %.4f recall %.4f", g.Name, len(truth), len(ms), pr, rc)
		if pr < 0.95 || rc < 0.95 {
			t.Errorf("%s: precision %.4f recall %.4f, want >= 0.95", g.Name, pr, rc)
		}
	}
}
