package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ddl "github.com/sigprobe/sigprobe/deploy/clickhouse"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// The roam-out and campaign queries (deploy/clickhouse/queries) run on a
// real ClickHouse engine (chDB in node, the harness of
// deploy/clickhouse/chdb) over the Parquet tables `sigprobe replay` writes
// for the end-to-end town, and are checked against the truth files.

const chdbDir = "../../deploy/clickhouse/chdb"

type chdbTown struct {
	db, modules string
}

var (
	chdbOnce sync.Once
	chdbT    chdbTown
	chdbErr  error
)

// chdbModules finds node and the npm package chdb as the harness does.
func chdbModules(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed: the chDB query tests need node and the npm package chdb (.ci/run installs both)")
	}
	dir := os.Getenv("SIGPROBE_CHDB_MODULES")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "..", ".cache", "chdb", "node_modules"))
	}
	cmd := exec.Command("node", "-e", "require('chdb')")
	cmd.Env = append(os.Environ(), "NODE_PATH="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm package chdb not found in %s (run .ci/run, or npm install --prefix .cache/chdb chdb): %v %s", dir, err, strings.TrimSpace(string(out)))
	}
	return dir
}

func (c *chdbTown) run(args ...string) ([]byte, error) {
	cmd := exec.Command("node", append([]string{filepath.Join(chdbDir, "run.js"), "--db", c.db}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+c.modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run.js %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// chdbTables replays the town into Parquet with the campaign's rule and
// loads the tables, the regions and the groups' true members into chDB.
func chdbTables(t testing.TB) *chdbTown {
	t.Helper()
	tw := town(t)
	modules := chdbModules(t)
	chdbOnce.Do(func() {
		chdbT.modules = modules
		pq := filepath.Join(tw.dir, "parquet")
		if code, _, stderr := run("replay", "-r", tw.pcap, "--regions", filepath.Join(tw.truth, "regions.yaml"),
			"--rules", filepath.Join("testdata", "campaign-rules.yaml"), "--out", pq, "--format", "parquet"); code != 0 {
			chdbErr = fmt.Errorf("replay: %s", stderr)
			return
		}
		var sql strings.Builder
		for _, tbl := range []string{"events", "dwell", "triggers", "subscribers"} {
			fmt.Fprintf(&sql, "INSERT INTO %s SELECT * FROM file('%s', Parquet) SETTINGS use_structure_from_insertion_table_in_table_functions = 1, input_format_parquet_allow_missing_columns = 1;\n",
				tbl, filepath.Join(pq, tbl, "*.parquet"))
		}
		rf, err := regions.Load(filepath.Join(tw.truth, "regions.yaml"))
		if err != nil {
			chdbErr = err
			return
		}
		ref, err := ddl.ReferenceStatements(rf) // as `sigprobe schema apply --regions` loads them
		if err != nil {
			chdbErr = err
			return
		}
		for _, st := range ref {
			sql.WriteString(st + ";\n")
		}
		for _, s := range readCSVFile(t, filepath.Join(tw.truth, "subscribers.csv")) {
			if s["role"] == "member" {
				fmt.Fprintf(&sql, "INSERT INTO group_members VALUES ('%s', '%s', '%s');\n", s["group"], e2eStart, s["imsi"])
			}
		}
		load := filepath.Join(tw.dir, "load.sql")
		if chdbErr = os.WriteFile(load, []byte(sql.String()), 0o644); chdbErr != nil {
			return
		}
		chdbT.db = filepath.Join(tw.dir, "chdb")
		args := []string{"--exec", filepath.Join("..", "..", "deploy", "clickhouse", "schema.sql")}
		for _, tbl := range []string{"events", "dwell", "triggers", "subscribers"} {
			args = append(args, "--try", "ALTER TABLE "+tbl+" REMOVE TTL") // the town is in October 2026 whatever today is
		}
		if _, chdbErr = chdbT.run(args...); chdbErr != nil {
			return
		}
		_, chdbErr = chdbT.run("--exec", load)
	})
	if chdbErr != nil {
		t.Fatal(chdbErr)
	}
	return &chdbT
}

// query runs queries/<name>.sql and returns its rows as maps.
func (c *chdbTown) query(t testing.TB, name string, params map[string]string) []map[string]string {
	t.Helper()
	args := []string{"--query", filepath.Join("..", "..", "deploy", "clickhouse", "queries", name+".sql")}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--param", k+"="+params[k])
	}
	out, err := c.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v %q", name, err, out)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// truthStays are the stays abroad from events.csv: a roam_out until the
// subscriber's next roaming event.
type truthStay struct {
	imsi, cc   string
	out, until int64 // until: MaxInt64 while still abroad
}

func truthRoaming(t testing.TB, dir string) (stays []truthStay, moves map[[3]string]int) {
	byIMSI := map[string][]map[string]string{}
	moves = map[[3]string]int{} // day, cc, kind
	for _, r := range readCSVFile(t, filepath.Join(dir, "events.csv")) {
		if r["kind"] == "roam_out" || r["kind"] == "roam_return" {
			byIMSI[r["imsi"]] = append(byIMSI[r["imsi"]], r)
			ts, _ := strconv.ParseInt(r["ts"], 10, 64)
			moves[[3]string{time.Unix(ts, 0).UTC().Format(time.DateOnly), e164CC(r["peer"]), r["kind"]}]++
		}
	}
	for imsi, rs := range byIMSI {
		sort.Slice(rs, func(i, j int) bool { return rs[i]["ts"] < rs[j]["ts"] })
		for i, r := range rs {
			if r["kind"] != "roam_out" {
				continue
			}
			s := truthStay{imsi: imsi, cc: e164CC(r["peer"]), until: math.MaxInt64}
			s.out, _ = strconv.ParseInt(r["ts"], 10, 64)
			if i+1 < len(rs) {
				s.until, _ = strconv.ParseInt(rs[i+1]["ts"], 10, 64)
			}
			stays = append(stays, s)
		}
	}
	return stays, moves
}

// TestRoamOutQueries: roam_out.sql (departures, returns and subscribers
// abroad by country and day) and group_abroad.sql (a group's members
// abroad by day) on the probe's tables give what the truth's roaming
// events say.
func TestRoamOutQueries(t *testing.T) {
	tw := town(t)
	db := chdbTables(t)
	stays, moves := truthRoaming(t, tw.truth)
	start, _ := time.Parse(time.DateOnly, e2eStart)
	days, _ := strconv.Atoi(e2eDays)
	last := start.AddDate(0, 0, days-1).Format(time.DateOnly)
	abroadOn := func(day string, keep func(truthStay) bool) map[string]map[string]bool { // cc -> imsis
		d0, _ := time.Parse(time.DateOnly, day)
		out := map[string]map[string]bool{}
		for _, s := range stays {
			if s.out < d0.Unix()+86400 && s.until > d0.Unix() && keep(s) {
				if out[s.cc] == nil {
					out[s.cc] = map[string]bool{}
				}
				out[s.cc][s.imsi] = true
			}
		}
		return out
	}
	rows := db.query(t, "roam_out", map[string]string{"from": e2eStart, "to": last})
	got := map[[2]string]map[string]string{}
	for _, r := range rows {
		got[[2]string{r["day"], r["country_code"]}] = r
	}
	var checked, departures int
	for d := range days {
		day := start.AddDate(0, 0, d).Format(time.DateOnly)
		for cc, imsis := range abroadOn(day, func(truthStay) bool { return true }) {
			r := got[[2]string{day, cc}]
			want := [3]int{moves[[3]string{day, cc, "roam_out"}], moves[[3]string{day, cc, "roam_return"}], len(imsis)}
			departures += want[0]
			if r == nil || r["departures"] != strconv.Itoa(want[0]) || r["returns"] != strconv.Itoa(want[1]) || r["abroad"] != strconv.Itoa(want[2]) {
				t.Errorf("%s +%s: got %v, truth departures %d returns %d abroad %d", day, cc, r, want[0], want[1], want[2])
			}
			checked++
			delete(got, [2]string{day, cc})
		}
	}
	for k, r := range got {
		t.Errorf("%v: %v not in the truth", k, r)
	}
	if checked < 5 || departures < 20 {
		t.Fatalf("only %d country-days and %d departures: the town does not exercise roam-out", checked, departures)
	}
	t.Logf("roam_out.sql: %d country-days, %d departures, as the truth says", checked, departures)

	// Each group's members abroad per day.
	memberOf := map[string]string{}
	groups := map[string]bool{}
	for _, s := range readCSVFile(t, filepath.Join(tw.truth, "subscribers.csv")) {
		if s["role"] == "member" {
			memberOf[s["imsi"]] = s["group"]
			groups[s["group"]] = true
		}
	}
	sc, _ := scenario.Load("")
	var away int
	for _, g := range sc.Groups {
		rows := db.query(t, "group_abroad", map[string]string{"group": g.Name, "from": e2eStart, "to": last})
		if len(rows) != days {
			t.Fatalf("%s: %d days, want %d", g.Name, len(rows), days)
		}
		for _, r := range rows {
			want := map[string]bool{}
			for _, imsis := range abroadOn(r["day"], func(s truthStay) bool { return memberOf[s.imsi] == g.Name }) {
				for i := range imsis {
					want[i] = true
				}
			}
			away += len(want)
			if r["abroad"] != strconv.Itoa(len(want)) {
				t.Errorf("%s %s: %s members abroad, truth %d", g.Name, r["day"], r["abroad"], len(want))
			}
		}
	}
	if away == 0 {
		t.Errorf("no group member travelled in the town: group_abroad.sql is not exercised")
	}
	t.Logf("group_abroad.sql: %d member-days abroad over %d groups, as the truth says", away, len(groups))
}

// TestCampaignResponse: campaign_response.sql on the probe's tables
// recovers the response the simulator's marketing model put in. The model
// (scenario campaigns): whoever first enters the mall is contacted, 20 %
// held out by the hash contract, and respond_share = 0.3 of those contacted
// call the reply number within the window because of it; everyone else
// calls it at the natural hotline rate. A contacted subscriber who would
// have called anyway counts once, so the modelled uplift is
// respond_share x (1 - control response rate).
//
// Tolerances: against the same measure computed from the truth files
// (campaigns.csv contacts, events.csv calls) within 0.02, the probe's
// triggers and calls being those of the truth; against the modelled uplift
// within 3 standard errors of the estimate (the query's 95 % half-width /
// 1.96 x 3), the sampling error of a few hundred contacts.
func TestCampaignResponse(t *testing.T) {
	tw := town(t)
	db := chdbTables(t)
	sc, err := scenario.Load(filepath.Join(tw.dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Campaigns[0]
	start, _ := time.Parse(time.DateOnly, e2eStart)
	days, _ := strconv.Atoi(e2eDays)
	until := start.AddDate(0, 0, days)
	rows := db.query(t, "campaign_response", map[string]string{"campaign": c.Name, "within_hours": strconv.Itoa(c.RespondWithinHours),
		"target_number": c.ReplyNumber, "target_region": "", "until": until.Format(time.DateTime)})
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	r := rows[0]
	f := func(k string) float64 { v, _ := strconv.ParseFloat(r[k], 64); return v }

	// The same measure from the truth alone.
	w := int64(c.RespondWithinHours) * 3600
	calls := map[string][]int64{}
	for _, e := range readCSVFile(t, filepath.Join(tw.truth, "events.csv")) {
		if e["kind"] == "call_mo" && e["peer"] == c.ReplyNumber {
			ts, _ := strconv.ParseInt(e["ts"], 10, 64)
			calls[e["imsi"]] = append(calls[e["imsi"]], ts)
		}
	}
	var n, resp [2]float64 // treated, control
	for _, ct := range readCSVFile(t, filepath.Join(tw.truth, "campaigns.csv")) {
		t0, _ := strconv.ParseInt(ct["contact_ts"], 10, 64)
		if ct["campaign"] != c.Name || t0+w > until.Unix() {
			continue
		}
		g := 0
		if ct["control"] == "true" {
			g = 1
		}
		n[g]++
		for _, ts := range calls[ct["imsi"]] {
			if ts > t0 && ts <= t0+w {
				resp[g]++
				break
			}
		}
	}
	truthUplift := resp[0]/n[0] - resp[1]/n[1]
	modelled := c.RespondShare * (1 - resp[1]/n[1])
	se := f("uplift_ci95") / 1.96
	t.Logf("campaign %s: treated %s (%s responded, %.4f), control %s (%s, %.4f); uplift recovered %.4f ± %.4f (95%%), "+
		"from the truth alone %.4f (treated %.0f, control %.0f), modelled %.4f = %.2f x (1 - %.4f)",
		c.Name, r["treated"], r["treated_responders"], f("treated_rate"), r["control"], r["control_responders"], f("control_rate"),
		f("uplift"), f("uplift_ci95"), truthUplift, n[0], n[1], modelled, c.RespondShare, resp[1]/n[1])
	if f("treated") < 200 || f("control") < 40 {
		t.Fatalf("too few contacts to measure: %v", r)
	}
	if math.Abs(f("uplift")-truthUplift) > 0.02 {
		t.Errorf("uplift %.4f from the probe's tables, %.4f from the truth", f("uplift"), truthUplift)
	}
	if math.Abs(f("uplift")-modelled) > 3*se {
		t.Errorf("uplift %.4f, modelled %.4f: more than 3 standard errors (%.4f) apart", f("uplift"), modelled, se)
	}
}
