package whitelist

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
)

// Integer widths of lac/ci and the times vary between Parquet writers: the
// same rows written as INT32 (uint16) and as INT64, times as unix seconds or
// as TIMESTAMP(MILLIS) (sink/parquet) or TIMESTAMP(MICROS), give the same
// whitelist.
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
	type dwellMillis struct {
		IMSI    string `parquet:"imsi"`
		LAC     uint16 `parquet:"lac"`
		CI      uint16 `parquet:"ci"`
		StartTS int64  `parquet:"start_ts,timestamp(millisecond)"`
		EndTS   int64  `parquet:"end_ts,timestamp(millisecond)"`
	}
	type dwellTime struct {
		IMSI    string    `parquet:"imsi"`
		LAC     uint16    `parquet:"lac"`
		CI      uint16    `parquet:"ci"`
		StartTS time.Time `parquet:"start_ts,timestamp(microsecond)"`
		EndTS   time.Time `parquet:"end_ts,timestamp(microsecond)"`
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
	rms := make([]dwellMillis, len(r16))
	rtm := make([]dwellTime, len(r16))
	for i, r := range r16 {
		r64[i] = dwell64{r.IMSI, int64(r.LAC), int64(r.CI), r.StartTS, r.EndTS}
		rms[i] = dwellMillis{r.IMSI, r.LAC, r.CI, r.StartTS * 1000, r.EndTS * 1000}
		rtm[i] = dwellTime{r.IMSI, r.LAC, r.CI, time.Unix(r.StartTS, 0), time.Unix(r.EndTS, 0)}
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
	if c := run(func(path string) error { return parquet.WriteFile(path, rms) }); !reflect.DeepEqual(a, c) {
		t.Errorf("seconds and TIMESTAMP(MILLIS) columns differ:\n%+v\n%+v", a, c)
	}
	if c := run(func(path string) error { return parquet.WriteFile(path, rtm) }); !reflect.DeepEqual(a, c) {
		t.Errorf("seconds and TIMESTAMP(MICROS) columns differ:\n%+v\n%+v", a, c)
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

// One day of data gives a reason, not an empty list.
func TestTooLittleDataFromParquet(t *testing.T) {
	type dwell struct {
		IMSI    string `parquet:"imsi"`
		LAC     uint16 `parquet:"lac"`
		CI      uint16 `parquet:"ci"`
		StartTS int64  `parquet:"start_ts"`
		EndTS   int64  `parquet:"end_ts"`
	}
	type sub struct {
		IMSI   string `parquet:"imsi"`
		MSISDN string `parquet:"msisdn"`
	}
	dir := t.TempDir()
	for _, tbl := range []string{"dwell", "subscribers", "events"} {
		os.MkdirAll(filepath.Join(dir, tbl), 0o755)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d0 := time.Date(2026, 10, 9, 0, 0, 0, 0, loc).Unix() // a local Friday
	if err := parquet.WriteFile(filepath.Join(dir, "dwell", "p.parquet"), []dwell{{"a", 300, 40000, d0 + 9*3600, d0 + 17*3600}}); err != nil {
		t.Fatal(err)
	}
	parquet.WriteFile(filepath.Join(dir, "subscribers", "p.parquet"), []sub{{"a", "1"}})
	type ev struct {
		IMSI string `parquet:"imsi"`
		TS   int64  `parquet:"ts"`
		Peer string `parquet:"peer"`
	}
	parquet.WriteFile(filepath.Join(dir, "events", "p.parquet"), []ev{{"a", d0 + 10*3600, "2"}})
	rf := &regions.File{
		Regions: []regions.Region{{Name: "park", Kind: "office_park", Cells: []regions.Cell{{LAC: 300, CI: 40000}}}},
		Groups:  []regions.Group{{Name: "g", Region: "park", Workdays: "mon-fri", Start: "09:00", End: "18:00", Timezone: "Asia/Shanghai"}},
	}
	p := Defaults()
	p.Group, p.Month = "g", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	_, err := Run(dir, rf, p)
	if !errors.Is(err, ErrTooLittleData) || !strings.Contains(err.Error(), "1 day(s) of data in 2026-10; the method needs at least 14") {
		t.Fatalf("one day of data: %v", err)
	}
	// The same day is a presence day on the local axis: 8 slots from 09:00 local.
	in, err := Features(dir, rf, p)
	if err != nil || len(in.Pool) != 1 || in.Pool[0].PDays != 1 || in.Month.Rest != 9 || in.Month.DataDays != 1 {
		t.Fatalf("features %+v, %v", in, err)
	}
}

// A holiday is a rest day and a make-up Saturday a working day, in local time.
func TestCalendarDays(t *testing.T) {
	type dwell struct {
		IMSI    string `parquet:"imsi"`
		LAC     uint16 `parquet:"lac"`
		CI      uint16 `parquet:"ci"`
		StartTS int64  `parquet:"start_ts"`
		EndTS   int64  `parquet:"end_ts"`
	}
	type sub struct {
		IMSI   string `parquet:"imsi"`
		MSISDN string `parquet:"msisdn"`
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	var rows []dwell
	for _, d := range []int{1, 9, 10, 11} { // holiday Thursday, Friday, make-up Saturday, Sunday
		d0 := time.Date(2026, 10, d, 0, 0, 0, 0, loc).Unix()
		rows = append(rows, dwell{"a", 300, 40000, d0 + 9*3600, d0 + 17*3600})
	}
	dir := t.TempDir()
	for _, tbl := range []string{"dwell", "subscribers"} {
		os.MkdirAll(filepath.Join(dir, tbl), 0o755)
	}
	parquet.WriteFile(filepath.Join(dir, "dwell", "p.parquet"), rows)
	parquet.WriteFile(filepath.Join(dir, "subscribers", "p.parquet"), []sub{{"a", "1"}})
	rf := &regions.File{
		Regions: []regions.Region{{Name: "park", Kind: "office_park", Cells: []regions.Cell{{LAC: 300, CI: 40000}}}},
		Groups: []regions.Group{{Name: "g", Region: "park", Workdays: "mon-fri", Start: "09:00", End: "18:00",
			Timezone: "Asia/Shanghai", Calendar: "../../format/calendar/testdata/cn-2026.csv"}},
	}
	p := Defaults()
	p.Group, p.Month, p.CallGraph = "g", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), false
	in, err := Features(dir, rf, p)
	if err != nil {
		t.Fatal(err)
	}
	// October 2026: 22 weekdays, 6 of them holidays (1-2 and 5-8; the
	// weekend 3-4 rests anyway), one make-up Saturday: 17 working days.
	if x := in.Pool[0]; x.PDays != 2 || x.Offdays != 2 || in.Month.Rest != 31-17 {
		t.Fatalf("presence days %d, days off %d, rest days %d; want 2, 2, 14", x.PDays, x.Offdays, in.Month.Rest)
	}
}
