package chdb

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// Checks of every other query on the default seed against the truth.

type truthDwell struct {
	imsi     string
	lac, ci  uint16
	st, en   int64
	isRegion bool
}

// readDwell reads the truth dwell.csv.
func readDwell(t testing.TB, m *monthtest.Month) []truthDwell {
	t.Helper()
	f, err := os.Open(filepath.Join(m.Truth, "dwell.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	r.Read()
	var out []truthDwell
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		lac, _ := strconv.Atoi(rec[1])
		ci, _ := strconv.Atoi(rec[2])
		st, _ := strconv.ParseInt(rec[3], 10, 64)
		en, _ := strconv.ParseInt(rec[4], 10, 64)
		out = append(out, truthDwell{imsi: rec[0], lac: uint16(lac), ci: uint16(ci), st: st, en: en})
	}
}

// roles maps IMSI to its truth role.
func roles(t testing.TB, m *monthtest.Month) map[string][2]string {
	t.Helper()
	f, err := os.Open(filepath.Join(m.Truth, "subscribers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, r := range recs[1:] {
		out[r[0]] = [2]string{r[6], r[3] + "/" + r[4]} // role, home mcc/mnc
	}
	return out
}

func cellsOf(t testing.TB, m *monthtest.Month, region string) map[[2]uint16]bool {
	t.Helper()
	rf, err := regions.Load(m.Regions())
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]uint16]bool{}
	for _, r := range rf.Regions {
		if r.Name == region {
			for _, c := range r.Cells {
				out[[2]uint16{c.LAC, c.CI}] = true
			}
		}
	}
	return out
}

func unix(day string) int64 {
	t, _ := time.Parse("2006-01-02", day)
	return t.Unix()
}

func TestRegionReport(t *testing.T) {
	m, db := monthDB(t, 1)
	rows := db.query(t, "region_report", map[string]string{"region": "techpark", "from": "2026-10-06", "to": "2026-10-06", "max_gap_s": "60"})
	if len(rows.Recs) != 24 {
		t.Fatalf("%d hours, want 24", len(rows.Recs))
	}
	// Occupancy is everyone with a dwell interval in the region overlapping the hour.
	cells := cellsOf(t, m, "techpark")
	occ := make([]map[string]bool, 24)
	for i := range occ {
		occ[i] = map[string]bool{}
	}
	d0 := unix("2026-10-06")
	for _, d := range readDwell(t, m) {
		if !cells[[2]uint16{d.lac, d.ci}] {
			continue
		}
		for h := range 24 {
			if hs := d0 + int64(h)*3600; d.st < hs+3600 && max(d.en, d.st+1) > hs {
				occ[h][d.imsi] = true
			}
		}
	}
	oc, ic, outc := rows.Col(t, "occupancy"), rows.Col(t, "inflow"), rows.Col(t, "outflow")
	var in, out float64
	for h, r := range rows.Recs {
		if got := int(atof(t, r[oc])); got != len(occ[h]) {
			t.Errorf("hour %d: occupancy %d, truth %d", h, got, len(occ[h]))
		}
		in += atof(t, r[ic])
		out += atof(t, r[outc])
	}
	// Workers arrive in the morning and leave in the evening.
	at := func(h, c int) float64 { return atof(t, rows.Recs[h][c]) }
	if at(11, oc) < 1.3*at(3, oc) || at(8, ic) < 3*at(3, ic) || at(18, outc) < 3*at(3, outc) {
		t.Errorf("no working-day profile: occupancy 03h %v 11h %v, inflow 08h %v, outflow 18h %v", at(3, oc), at(11, oc), at(8, ic), at(18, outc))
	}
	if math.Abs(in-out) > 0.1*in {
		t.Errorf("inflow %v and outflow %v over a day should nearly balance", in, out)
	}
	t.Logf("techpark 2026-10-06: occupancy 03h %v 11h %v; inflow %v outflow %v", at(3, oc), at(11, oc), in, out)
}

func TestRoamIn(t *testing.T) {
	m, db := monthDB(t, 1)
	rows := db.query(t, "roam_in", map[string]string{"from": "2026-10-01", "to": "2026-10-31", "home_mcc": "001", "home_mnc": "01"})
	want := map[string]int{}
	for _, r := range roles(t, m) {
		if r[0] == "roamer" {
			want[r[1]]++
		}
	}
	sc, _ := scenario.Load("")
	country := map[string]string{}
	for _, p := range sc.Roaming {
		country[p.PLMN.MCC+"/"+p.PLMN.MNC] = p.Country
	}
	got := map[string]int{}
	for _, r := range rows.Recs {
		plmn := r[rows.Col(t, "home_mcc")] + "/" + r[rows.Col(t, "home_mnc")]
		got[plmn] = int(atof(t, r[rows.Col(t, "roamers")]))
		if c := r[rows.Col(t, "country")]; c != country[plmn] {
			t.Errorf("%s: country %q, want %q", plmn, c, country[plmn])
		}
		if d := atof(t, r[rows.Col(t, "mean_stay_days")]); d < 0.5 || d > 7 {
			t.Errorf("%s: mean stay %v days, scenario stays are 1-6", plmn, d)
		}
	}
	for plmn, n := range want {
		// Roamers refused by the network are never seen in a cell.
		if got[plmn] < n-2 || got[plmn] > n {
			t.Errorf("%s: %d roamers, truth %d", plmn, got[plmn], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("networks %v, truth %v", got, want)
	}
	t.Logf("roam-in by network: %v (truth %v)", got, want)
}

func TestGroupReports(t *testing.T) {
	m, db := monthDB(t, 1)
	rf, _ := regions.Load(m.Regions())
	for _, g := range rf.Groups {
		ms := members(t, m, db, g.Name)
		mask, _ := regions.ParseWeekdays(g.Workdays)
		nWork := 0
		for d := monthtest.Start; d.Month() == monthtest.Start.Month(); d = d.AddDate(0, 0, 1) {
			if mask&(1<<d.Weekday()) != 0 {
				nWork++
			}
		}
		rows := db.query(t, "group_operating_rate", map[string]string{"group": g.Name, "month": "2026-10-01", "min_minutes": "60"})
		if len(rows.Recs) != nWork {
			t.Errorf("%s: operating rate for %d days, want the %d working days", g.Name, len(rows.Recs), nWork)
		}
		var sum float64
		for _, r := range rows.Recs {
			sum += atof(t, r[rows.Col(t, "operating_rate")])
			if n := int(atof(t, r[rows.Col(t, "members")])); n != len(ms) {
				t.Errorf("%s: %d members, whitelist has %d", g.Name, n, len(ms))
			}
		}
		// Members work from home now and then and part-timers one day less.
		mean := sum / float64(max(len(rows.Recs), 1))
		if mean < 0.7 || mean > 0.98 {
			t.Errorf("%s: mean operating rate %.3f, want 0.7-0.98", g.Name, mean)
		}
		rows = db.query(t, "group_reachable", map[string]string{"group": g.Name, "month": "2026-10-01"})
		if len(rows.Recs) != 31 {
			t.Errorf("%s: reachability for %d days, want 31", g.Name, len(rows.Recs))
		}
		minReach := 1.0
		for _, r := range rows.Recs {
			// Members never switch their phones off in the scenario; some
			// travel abroad, out of our network for whole days.
			share := atof(t, r[rows.Col(t, "reachable_share")])
			away := awayAllDay(t, m, ms, r[rows.Col(t, "day")])
			minReach = min(minReach, share)
			if share < 0.95*float64(len(ms)-away)/float64(len(ms)) {
				t.Errorf("%s %s: only %.3f of members reachable, %d of %d away all day", g.Name, r[rows.Col(t, "day")], share, away, len(ms))
			}
		}
		t.Logf("%s: %d members, mean operating rate %.3f over %d working days, lowest daily reachability %.3f", g.Name, len(ms), mean, nWork, minReach)
	}
	// Members of acme spend a working day at the techpark.
	rows := db.query(t, "region_dwell_time", map[string]string{"region": "techpark", "group": "acme", "from": "2026-10-05", "to": "2026-10-09"})
	for _, r := range rows.Recs {
		if h := atof(t, r[rows.Col(t, "median_hours")]); h < 7 || h > 11 {
			t.Errorf("acme %s: median %v hours at the techpark, want about 9", r[0], h)
		}
	}
	if len(rows.Recs) != 5 {
		t.Errorf("dwell time for %d days, want 5", len(rows.Recs))
	}
}

func TestSilentSubscribers(t *testing.T) {
	m, db := monthDB(t, 1)
	at := unix("2026-10-20") + 12*3600
	rows := db.query(t, "silent_subscribers", map[string]string{"at": "2026-10-20 12:00:00", "silent_hours": "24", "lookback_days": "7"})
	last := map[string]int64{}
	for _, d := range readDwell(t, m) {
		if d.st <= at && d.en >= at-7*86400 {
			last[d.imsi] = max(last[d.imsi], min(d.en, at))
		}
	}
	var want []string
	for imsi, l := range last {
		if at-l >= 24*3600 {
			want = append(want, imsi)
		}
	}
	var got []string
	for _, r := range rows.Recs {
		got = append(got, r[0])
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("silent: %d, truth %d; differ: %v", len(got), len(want), symDiff(got, want))
	}
	// In the scenario only inbound roamers leave for good, and our own
	// subscribers go abroad for a while (roam-out).
	rl := roles(t, m)
	away := abroadAt(t, m, at)
	for _, imsi := range got {
		if rl[imsi][0] != "roamer" && !away[imsi] {
			t.Errorf("%s (%s) silent for a day", imsi, rl[imsi][0])
		}
	}
	t.Logf("silent at 2026-10-20 12:00 for 24 h: %d subscribers", len(got))
}

func TestTraffic(t *testing.T) {
	m, db := monthDB(t, 1)
	files, _ := filepath.Glob(filepath.Join(m.Dir, "events", "*.parquet"))
	var evs []monthtest.Event
	for _, f := range files {
		part, err := parquet.ReadFile[monthtest.Event](f)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, part...)
	}
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	rows := db.query(t, "traffic_by_region", map[string]string{"from": "2026-10-01", "to": "2026-10-31"})
	rf, _ := regions.Load(m.Regions())
	for _, reg := range rf.Regions {
		cells := cellsOf(t, m, reg.Name)
		want := map[string]int{}
		for _, e := range evs {
			if cells[[2]uint16{e.LAC, e.CI}] {
				want[e.Kind]++
			}
		}
		got := map[string]int{}
		var byHour [24]float64
		for _, r := range rows.Recs {
			if r[0] != reg.Name {
				continue
			}
			for _, k := range []string{"call_mo", "call_mt", "sms_mo", "sms_mt"} {
				col := map[string]string{"call_mo": "calls_mo", "call_mt": "calls_mt", "sms_mo": "sms_mo", "sms_mt": "sms_mt"}[k]
				got[k] += int(atof(t, r[rows.Col(t, col)]))
			}
			h, _ := strconv.Atoi(r[1])
			byHour[h] = atof(t, r[rows.Col(t, "calls_per_day")])
		}
		for _, k := range []string{"call_mo", "call_mt", "sms_mo", "sms_mt"} {
			if got[k] != want[k] {
				t.Errorf("%s %s: %d, events say %d", reg.Name, k, got[k], want[k])
			}
		}
		// Calls peak in the late morning and fall to a few percent at night.
		if byHour[11] < 3*byHour[3] {
			t.Errorf("%s: calls per day at 11h %v vs 03h %v: no daily profile", reg.Name, byHour[11], byHour[3])
		}
	}
	// Destinations of a group's calls by area from the operator's prefixes.
	if _, err := db.run("--sql", "TRUNCATE TABLE number_prefixes", "--sql",
		"INSERT INTO number_prefixes VALUES ('999', 'home country'), ('99970', 'home mobile'), ('99971', 'home other mobile'), ('9998', 'home service'), ('44', 'GB'), ('33', 'FR'), ('49', 'DE'), ('1', 'NANP'), ('86', 'CN')"); err != nil {
		t.Fatal(err)
	}
	ms := members(t, m, db, "acme")
	isMember := map[string]bool{}
	for _, s := range ms {
		isMember[s] = true
	}
	wantCalls := 0
	for _, e := range evs {
		if isMember[e.IMSI] && e.Kind == "call_mo" && e.Peer != "" {
			wantCalls++
		}
	}
	rows = db.query(t, "group_destinations", map[string]string{"group": "acme", "month": "2026-10-01"})
	calls := 0
	for _, r := range rows.Recs {
		calls += int(atof(t, r[rows.Col(t, "calls")]))
	}
	// Events derived from the truth know on-net peers only (see monthtest).
	if calls != wantCalls || len(rows.Recs) == 0 || rows.Recs[0][0] != "home mobile" {
		t.Errorf("acme destinations %v: %d calls, want %d, mostly to 'home mobile'", rows.Recs, calls, wantCalls)
	}
}

func TestTerminals(t *testing.T) {
	m, db := monthDB(t, 1)
	members(t, m, db, "acme")
	sc, _ := scenario.Load("")
	weight, total := map[string]float64{}, 0.0
	for _, d := range sc.Devices {
		weight[d.TAC] = d.Weight
		total += d.Weight
	}
	rows := db.query(t, "terminal_tac", map[string]string{"from": "2026-10-01", "to": "2026-10-31"})
	seen := map[string]map[string]float64{}
	for _, r := range rows.Recs {
		scope := r[0] + ":" + r[1]
		tac := r[rows.Col(t, "tac")]
		if tac == "" {
			continue // subscribers whose IMEI the signaling never showed
		}
		if _, ok := weight[tac]; !ok {
			t.Errorf("%s: TAC %q is not one of the scenario's", scope, tac)
		}
		if seen[scope] == nil {
			seen[scope] = map[string]float64{}
		}
		seen[scope][tac] = atof(t, r[rows.Col(t, "share")])
	}
	for _, scope := range []string{"region:techpark", "region:downtown", "group:acme"} {
		if len(seen[scope]) < 4 {
			t.Errorf("%s: TACs %v, want the scenario's handsets", scope, seen[scope])
		}
	}
	// A region with hundreds of visitors mirrors the device mix.
	for tac, w := range weight {
		if got := seen["region:downtown"][tac]; math.Abs(got-w/total) > 0.08 {
			t.Errorf("downtown: TAC %s share %.3f, scenario %.3f", tac, got, w/total)
		}
	}
}

func TestCardFarm(t *testing.T) {
	m, db := monthDB(t, 1)
	rows := db.query(t, "card_farm", map[string]string{"from": "2026-10-01", "to": "2026-10-31", "window_s": "600", "min_sims": "10", "max_mo_per_day": "0.5"})
	rl := roles(t, m)
	farm := 0
	for _, r := range rl {
		if r[0] == "cardfarm" {
			farm++
		}
	}
	tp := 0
	cells := map[string]bool{}
	for _, r := range rows.Recs {
		if rl[r[0]][0] == "cardfarm" {
			tp++
		}
		cells[r[rows.Col(t, "lac")]+"-"+r[rows.Col(t, "ci")]] = true
	}
	t.Logf("card farm: %d SIMs flagged in cells %v, %d of the %d farm SIMs", len(rows.Recs), cells, tp, farm)
	if farm == 0 || tp < farm*9/10 || len(rows.Recs)-tp > farm/10 || len(cells) != 1 {
		t.Errorf("card farm: flagged %d (%d of %d farm SIMs) in %d cells", len(rows.Recs), tp, farm, len(cells))
	}
}

// roamOut reads the truth's roaming changes: per subscriber, its roam_out
// and roam_return times in order.
func roamOut(t testing.TB, m *monthtest.Month) map[string][][2]int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(m.Truth, "events.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, _ := r.Read()
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	out := map[string][][2]int64{} // imsi -> [out, back (MaxInt64: not back)]
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := strconv.ParseInt(rec[col["ts"]], 10, 64)
		imsi := rec[col["imsi"]]
		switch rec[col["kind"]] {
		case "roam_out":
			out[imsi] = append(out[imsi], [2]int64{ts, math.MaxInt64})
		case "roam_return":
			if n := len(out[imsi]); n > 0 {
				out[imsi][n-1][1] = ts
			}
		}
	}
}

// abroadAt: the subscribers registered abroad at ts.
func abroadAt(t testing.TB, m *monthtest.Month, ts int64) map[string]bool {
	out := map[string]bool{}
	for imsi, trips := range roamOut(t, m) {
		for _, tr := range trips {
			if tr[0] <= ts && ts < tr[1] {
				out[imsi] = true
			}
		}
	}
	return out
}

// awayAllDay counts the imsis on a trip abroad during day (YYYY-MM-DD)
// that the truth's dwell.csv does not show in our network at all that day
// (switched off for the flight the evening before, say).
func awayAllDay(t testing.TB, m *monthtest.Month, imsis []string, day string) int {
	d0 := unix(day)
	trips := roamOut(t, m)
	travelling := map[string]bool{}
	for _, imsi := range imsis {
		for _, tr := range trips[imsi] {
			if tr[0] < d0+86400 && tr[1] > d0 {
				travelling[imsi] = true
			}
		}
	}
	if len(travelling) == 0 {
		return 0
	}
	for _, d := range readDwell(t, m) {
		if travelling[d.imsi] && d.st < d0+86400 && d.en >= d0 {
			delete(travelling, d.imsi)
		}
	}
	return len(travelling)
}
