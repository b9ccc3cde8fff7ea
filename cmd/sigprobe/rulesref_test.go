package main

import (
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sigprobe/sigprobe/format/regions"
)

// The reference: what a rules file should fire, computed from the
// simulator's truth files alone (subscribers.csv, dwell.csv, events.csv,
// regions.yaml, attributes.csv, consent lists) by following the semantics
// documented in deploy/rules.example.yaml. It shares no code with
// probe/rules: it reads the rules file on its own and works in whole
// seconds on the truth's rows.

// refRule is a rule as the reference reads it (lists always as lists).
type refRule struct {
	Name           string `yaml:"name"`
	Kind           string `yaml:"kind"`
	Regions        strs   `yaml:"regions"`
	Roamers        string `yaml:"roamers"`
	HomePLMNs      strs   `yaml:"home_plmns"`
	IMSIPrefix     strs   `yaml:"imsi_prefix"`
	MSISDNPrefix   strs   `yaml:"msisdn_prefix"`
	Hours          strs   `yaml:"hours"`
	Weekdays       strs   `yaml:"weekdays"`
	Segment        strs   `yaml:"segment"`
	TagsAny        strs   `yaml:"tags_any"`
	TagsAll        strs   `yaml:"tags_all"`
	RequireConsent bool   `yaml:"require_consent"`
	After          *struct {
		Rule   string `yaml:"rule"`
		Within string `yaml:"within"`
	} `yaml:"after"`
	Count *struct {
		N      int    `yaml:"n"`
		Within string `yaml:"within"`
	} `yaml:"count"`
	MinInterval  string  `yaml:"min_interval"`
	MaxPerMinute int     `yaml:"max_per_minute"`
	Campaign     string  `yaml:"campaign"`
	ControlShare float64 `yaml:"control_share"`
	Dwell        string  `yaml:"dwell"`
	For          string  `yaml:"for"`
	OffFor       string  `yaml:"off_for"`
	MinStay      string  `yaml:"min_stay"`
	Direction    string  `yaml:"direction"`
	PeerPrefix   strs    `yaml:"peer_prefix"`
	MinDuration  string  `yaml:"min_duration"`
	MaxDuration  string  `yaml:"max_duration"`
	Answered     *bool   `yaml:"answered"`
	Causes       []int   `yaml:"causes"`
	CountryCodes strs    `yaml:"country_codes"`
}

// strs is one value or a list, as the rules file allows.
type strs []string

func (x *strs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*x = strs{n.Value}
		return nil
	}
	var l []string
	err := n.Decode(&l)
	*x = l
	return err
}

type refFile struct {
	Timezone  string    `yaml:"timezone"`
	MaxPerDay int       `yaml:"max_per_subscriber_per_day"`
	OptIn     string    `yaml:"opt_in"`
	OptOut    string    `yaml:"opt_out"`
	Rules     []refRule `yaml:"rules"`
}

// secs parses 90s, 10m, 1h30m or 3d into seconds (0 for "").
func secs(t testing.TB, s string) int64 {
	if s == "" {
		return 0
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			t.Fatalf("duration %q", s)
		}
		return int64(n) * 86400
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("duration %q", s)
	}
	return int64(d / time.Second)
}

// A truth subscriber.
type tsub struct {
	imsi, msisdn string
	roamer       bool
	msisdnTS     int64 // ns: when the signaling tied the MSISDN to the IMSI; MaxInt64 never
}

// msisdnAt is the number as a probe knows it at ns.
func (s *tsub) msisdnAt(ns int64) string {
	if s.msisdnTS <= ns {
		return s.msisdn
	}
	return ""
}

type tinterval struct {
	cell       string
	start, end int64
}

type tevent struct {
	ts, ns                        int64 // s, and ns of the same
	kind, cell, peer              string
	setup, answer, release, cause int64
	releaseNS                     int64
}

// truthTown is the truth of a town, indexed for the reference.
type truthTown struct {
	subs        map[string]*tsub
	order       []string // IMSIs in file order
	dwell       map[string][]tinterval
	events      map[string][]tevent
	regionNames []string
	cellRegions map[string][]int // "lac-ci" -> region indices, in file order
	attrs       map[string][2]string
	optIn       map[string]bool
	optOut      map[string]bool
	end         int64 // the capture's last second
	timeoutS    int64 // the probe's silence timeout: 1.05 x T3212
}

func loadTruth(t testing.TB, dir string, rf *refFile) *truthTown {
	t.Helper()
	tt := &truthTown{subs: map[string]*tsub{}, dwell: map[string][]tinterval{}, events: map[string][]tevent{},
		cellRegions: map[string][]int{}, attrs: map[string][2]string{}, optIn: map[string]bool{}, optOut: map[string]bool{},
		timeoutS: int64(1.05 * 7200)}
	for _, r := range readCSVFile(t, filepath.Join(dir, "subscribers.csv")) {
		s := &tsub{imsi: r["imsi"], msisdn: r["msisdn"], roamer: r["role"] == "roamer", msisdnTS: math.MaxInt64}
		if r["msisdn_ts_ns"] != "" {
			s.msisdnTS, _ = strconv.ParseInt(r["msisdn_ts_ns"], 10, 64)
		}
		tt.subs[s.imsi] = s
		tt.order = append(tt.order, s.imsi)
	}
	for _, r := range readCSVFile(t, filepath.Join(dir, "dwell.csv")) {
		st, _ := strconv.ParseInt(r["start_ts"], 10, 64)
		en, _ := strconv.ParseInt(r["end_ts"], 10, 64)
		tt.dwell[r["imsi"]] = append(tt.dwell[r["imsi"]], tinterval{r["lac"] + "-" + r["ci"], st, en})
		tt.end = max(tt.end, en)
	}
	for _, iv := range tt.dwell {
		slices.SortFunc(iv, func(a, b tinterval) int { return int(a.start - b.start) })
	}
	for _, r := range readCSVFile(t, filepath.Join(dir, "events.csv")) {
		n := func(c string) int64 { v, _ := strconv.ParseInt(r[c], 10, 64); return v }
		e := tevent{ts: n("ts"), ns: n("ts_ns"), kind: r["kind"], peer: r["peer"], setup: n("setup_ts"), answer: n("answer_ts"),
			release: n("release_ts"), cause: n("cause"), releaseNS: n("release_ns")}
		if r["lac"] != "0" {
			e.cell = r["lac"] + "-" + r["ci"]
		}
		tt.events[r["imsi"]] = append(tt.events[r["imsi"]], e)
	}
	regs, err := regions.Load(filepath.Join(dir, "regions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, rg := range regs.Regions {
		tt.regionNames = append(tt.regionNames, rg.Name)
		for _, c := range rg.Cells {
			k := fmt.Sprintf("%d-%d", c.LAC, c.CI)
			tt.cellRegions[k] = append(tt.cellRegions[k], i)
		}
	}
	for _, r := range readCSVFile(t, filepath.Join(dir, "attributes.csv")) {
		tt.attrs[r["msisdn"]] = [2]string{r["segment"], r["tags"]}
	}
	for _, l := range []struct {
		name string
		set  map[string]bool
	}{{rf.OptIn, tt.optIn}, {rf.OptOut, tt.optOut}} {
		if l.name == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, l.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && line[0] != '#' {
				l.set[strings.TrimPrefix(line, "+")] = true
			}
		}
	}
	return tt
}

// A fact as the reference derives it from the truth.
type rfact struct {
	kind string // activity region_enter region_exit power_on power_off seen location_update call sms roam_out roam_return identity
	ts   int64
	// ns is when the probe learns the fact, for the MSISDN it knows then:
	// exact for events; a cell change from dwell.csv (whole seconds) is
	// taken as the start of its second, before a MAP dialogue of that second.
	ns       int64
	ord      int
	cell     string
	region   int // region_enter, region_exit
	stayS    int64
	offS     int64
	mo       bool
	peer     string
	durS     int64
	answered bool
	cause    int64
}

// facts derives a subscriber's facts in the order the probe sees them.
func (tt *truthTown) facts(imsi string) []rfact {
	var fs []rfact
	add := func(f rfact) { f.ord = len(fs); fs = append(fs, f) }
	ivs := tt.dwell[imsi]
	// Cell changes and region stays: at a change, exits, then the new
	// cell, then entries. A gap between intervals (detach, silence) ends
	// every stay.
	inside := map[int]int64{} // region -> stay start
	for k, iv := range ivs {
		contiguous := k > 0 && ivs[k-1].end == iv.start
		now := map[int]bool{}
		for _, g := range tt.cellRegions[iv.cell] {
			now[g] = true
		}
		if k > 0 {
			prevEnd := ivs[k-1].end
			for _, g := range tt.cellRegions[ivs[k-1].cell] {
				if s, ok := inside[g]; ok && (!contiguous || !now[g]) {
					add(rfact{kind: "region_exit", ts: prevEnd, region: g, stayS: prevEnd - s, cell: ivs[k-1].cell})
					delete(inside, g)
				}
			}
		}
		add(rfact{kind: "activity", ts: iv.start, cell: iv.cell})
		for _, g := range tt.cellRegions[iv.cell] {
			if _, ok := inside[g]; !ok {
				inside[g] = iv.start
				add(rfact{kind: "region_enter", ts: iv.start, region: g, cell: iv.cell})
			}
		}
	}
	if n := len(ivs); n > 0 && ivs[n-1].end < tt.end {
		last := ivs[n-1]
		for _, g := range tt.cellRegions[last.cell] {
			if s, ok := inside[g]; ok {
				add(rfact{kind: "region_exit", ts: last.end, region: g, stayS: last.end - s, cell: last.cell})
			}
		}
	}
	cellAt := func(ts int64) string { // the dwell cell at ts
		for _, iv := range ivs {
			if iv.start <= ts && ts <= iv.end {
				return iv.cell
			}
		}
		return ""
	}
	lastOff := int64(-1)
	for _, e := range tt.events[imsi] {
		f := rfact{ts: e.ts, ns: e.ns, cell: e.cell, offS: -1}
		if f.cell == "" {
			f.cell = cellAt(e.ts)
		}
		switch e.kind {
		case "attach":
			f.kind = "power_on"
			if lastOff > 0 {
				f.offS = e.ts - lastOff
			}
		case "detach":
			f.kind = "power_off"
			lastOff = e.ts
		case "implicit_detach":
			// Known once the silence exceeds the timeout, at the minute
			// boundary the probe's clock crosses; in the last cell.
			f.kind, f.ts = "power_off", (e.ts+tt.timeoutS)/60*60
			f.ns = f.ts * 1e9
			if f.ts >= tt.end/60*60 {
				continue // the capture ends before that minute does
			}
			for _, iv := range ivs {
				if iv.end == e.ts {
					f.cell = iv.cell
				}
			}
			lastOff = e.ts
		case "location_update":
			f.kind = "location_update"
		case "call_mo", "call_mt":
			f.kind, f.mo, f.peer, f.cause = "call", e.kind == "call_mo", e.peer, e.cause
			f.answered = e.answer != 0
			if e.release != 0 {
				f.ts, f.ns = e.release, e.releaseNS
				if f.answered {
					f.durS = e.release - e.answer
				}
			}
		case "sms_mo", "sms_mt":
			f.kind, f.mo, f.peer = "sms", e.kind == "sms_mo", e.peer
		case "roam_out":
			f.kind, f.peer, f.cell = "roam_out", e.peer, ""
		case "roam_return":
			f.kind, f.peer = "roam_return", e.peer
		default:
			f.kind = "activity"
		}
		add(f)
	}
	// First seen: the first observation of any kind, with its cell.
	s := tt.subs[imsi]
	seen := rfact{kind: "seen", ts: math.MaxInt64}
	for _, f := range fs {
		if f.kind != "power_off" && f.ts < seen.ts || f.kind == "power_off" && f.ts < seen.ts && f.cell != "" {
			seen.ts, seen.cell = f.ts, f.cell
		}
	}
	if s.msisdnTS/1e9 < seen.ts {
		seen.ts, seen.cell = s.msisdnTS/1e9, ""
	}
	if seen.ts != math.MaxInt64 {
		add(seen)
		if s.msisdnTS/1e9 >= seen.ts && s.msisdnTS != math.MaxInt64 {
			add(rfact{kind: "identity", ts: s.msisdnTS / 1e9, ns: s.msisdnTS, cell: cellAt(s.msisdnTS / 1e9)})
		}
	}
	for i := range fs {
		if fs[i].ns == 0 {
			fs[i].ns = fs[i].ts * 1e9
		}
	}
	// The probe sees a cell change, its region facts and the events of a
	// second in signaling order; seen comes right after its observation.
	rank := map[string]int{"region_exit": 0, "activity": 1, "region_enter": 2, "seen": 3}
	slices.SortStableFunc(fs, func(a, b rfact) int {
		if a.ts != b.ts {
			return int(a.ts - b.ts)
		}
		ra, oka := rank[a.kind]
		rb, okb := rank[b.kind]
		if oka && okb {
			return ra - rb
		}
		return a.ord - b.ord
	})
	return fs
}

// A candidate firing: passed the rule's kind, filters, after and count;
// consent and caps are applied in time order afterwards.
type cand struct {
	ts     int64
	rule   int
	imsi   string
	msisdn string
	region int
	cell   string
	peer   string
	durS   int64
	cause  int64
	seq    int
}

// A trigger the reference expects.
type refTrigger struct {
	rule, imsi, msisdn, region, cell, peer, campaign string
	ts, durS, cause                                  int64
	control                                          bool
}

type compiled struct {
	refRule
	regions          map[int]bool
	dwell, silentFor int64
	offFor, minStay  int64
	minDur, maxDur   int64
	minInterval      int64
	afterRule        int
	afterWithin      int64
	countWithin      int64
	followed         bool
	windows          [][2]int // minutes
	days             map[time.Weekday]bool
}

func compileRef(t testing.TB, rf *refFile, tt *truthTown) []*compiled {
	byName := map[string]int{}
	var cs []*compiled
	for i, r := range rf.Rules {
		c := &compiled{refRule: r, dwell: secs(t, r.Dwell), silentFor: secs(t, r.For), offFor: secs(t, r.OffFor), minStay: secs(t, r.MinStay),
			minDur: secs(t, r.MinDuration), maxDur: secs(t, r.MaxDuration), minInterval: secs(t, r.MinInterval), afterRule: -1}
		if r.Regions != nil {
			c.regions = map[int]bool{}
			for _, n := range r.Regions {
				c.regions[slices.Index(tt.regionNames, n)] = true
			}
		}
		if r.Count != nil {
			c.countWithin = secs(t, r.Count.Within)
		}
		for _, h := range r.Hours {
			a, b, _ := strings.Cut(h, "-")
			m := func(s string) int { x, _ := time.Parse("15:04", s); return x.Hour()*60 + x.Minute() }
			to := m(b)
			if b == "24:00" {
				to = 24 * 60
			}
			c.windows = append(c.windows, [2]int{m(a), to})
		}
		if r.Weekdays != nil {
			c.days = map[time.Weekday]bool{}
			names := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
			for _, w := range r.Weekdays {
				for _, part := range strings.Split(w, ",") {
					a, b, isRange := strings.Cut(part, "-")
					from := slices.Index(names, strings.TrimSpace(a))
					to := from
					if isRange {
						to = slices.Index(names, strings.TrimSpace(b))
					}
					for d := from; ; d = (d + 1) % 7 {
						c.days[time.Weekday(d)] = true
						if d == to {
							break
						}
					}
				}
			}
		}
		byName[r.Name] = i
		cs = append(cs, c)
	}
	for _, c := range cs {
		if c.After != nil {
			c.afterRule, c.afterWithin = byName[c.After.Rule], secs(t, c.After.Within)
			cs[c.afterRule].followed = true
		}
	}
	return cs
}

func hasAnyPrefix(ps []string, s string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// e164CC is the country code of an international number (E.164's
// prefix-free list, written out independently of package sink).
func e164CC(n string) string {
	if n == "" {
		return ""
	}
	if n[0] == '1' || n[0] == '7' {
		return n[:1]
	}
	two := map[string]bool{}
	for _, c := range strings.Fields("20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98") {
		two[c] = true
	}
	if len(n) >= 2 && two[n[:2]] {
		return n[:2]
	}
	if len(n) >= 3 {
		return n[:3]
	}
	return ""
}

// referenceTriggers computes the triggers rules should fire in the town.
func referenceTriggers(t testing.TB, rf *refFile, tt *truthTown) []refTrigger {
	loc, err := time.LoadLocation(rf.Timezone)
	if err != nil || rf.Timezone == "" {
		loc = time.UTC
	}
	cs := compileRef(t, rf, tt)
	var cands []cand
	for _, imsi := range tt.order {
		cands = append(cands, subscriberCandidates(cs, tt, tt.subs[imsi], loc)...)
	}
	// Consent and caps in capture order.
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].ts != cands[j].ts {
			return cands[i].ts < cands[j].ts
		}
		return cands[i].seq < cands[j].seq
	})
	lastFired := map[[2]string]int64{}
	daily := map[string][2]int64{}  // imsi -> day, count
	perMinute := map[int][2]int64{} // rule -> minute, count
	var out []refTrigger
	for _, c := range cands {
		r := cs[c.rule]
		s := tt.subs[c.imsi]
		if tt.optOut[c.imsi] || c.msisdn != "" && tt.optOut[c.msisdn] {
			continue
		}
		if r.RequireConsent && !tt.optIn[c.imsi] && (c.msisdn == "" || !tt.optIn[c.msisdn]) {
			continue
		}
		k := [2]string{c.imsi, r.Name}
		if last, ok := lastFired[k]; ok && r.minInterval > 0 && c.ts-last < r.minInterval {
			continue
		}
		day := time.Unix(c.ts, 0).In(loc)
		dayKey := int64(day.Year()*400 + day.YearDay())
		if rf.MaxPerDay > 0 {
			if d := daily[c.imsi]; d[0] == dayKey && d[1] >= int64(rf.MaxPerDay) {
				continue
			}
		}
		if r.MaxPerMinute > 0 {
			m := perMinute[c.rule]
			if m[0] != c.ts/60 {
				m = [2]int64{c.ts / 60, 0}
			}
			if m[1] >= int64(r.MaxPerMinute) {
				continue
			}
			m[1]++
			perMinute[c.rule] = m
		}
		if r.minInterval > 0 {
			lastFired[k] = c.ts
		}
		if rf.MaxPerDay > 0 {
			d := daily[c.imsi]
			if d[0] != dayKey {
				d = [2]int64{dayKey, 0}
			}
			d[1]++
			daily[c.imsi] = d
		}
		tr := refTrigger{rule: r.Name, imsi: c.imsi, msisdn: c.msisdn, cell: c.cell, peer: c.peer, ts: c.ts, durS: c.durS, cause: c.cause, campaign: r.Campaign}
		if c.region >= 0 {
			tr.region = tt.regionNames[c.region]
		}
		if r.Campaign != "" && r.ControlShare > 0 {
			h := fnv.New64a()
			h.Write([]byte(r.Campaign + "/" + c.imsi))
			tr.control = h.Sum64()%10000 < uint64(r.ControlShare*10000+0.5)
		}
		_ = s
		out = append(out, tr)
	}
	return out
}

// subscriberCandidates runs the rules over one subscriber's facts.
func subscriberCandidates(cs []*compiled, tt *truthTown, s *tsub, loc *time.Location) []cand {
	var out []cand
	seq := 0
	pickRegion := func(r *compiled, cell string) int {
		for _, g := range tt.cellRegions[cell] {
			if r.regions == nil || r.regions[g] {
				return g
			}
		}
		return -1
	}
	matchIMSI := func(r *compiled) bool {
		switch r.Roamers {
		case "only":
			if !s.roamer {
				return false
			}
		case "exclude":
			if s.roamer {
				return false
			}
		}
		return (r.HomePLMNs == nil || hasAnyPrefix(r.HomePLMNs, s.imsi)) && (r.IMSIPrefix == nil || hasAnyPrefix(r.IMSIPrefix, s.imsi))
	}
	matched := map[int][2]int64{} // rule -> last, previous match
	counts := map[int][]int64{}
	// filters checks what the rule checks when it fires.
	filters := func(ri int, r *compiled, ts int64, region int, msisdn string) bool {
		if !matchIMSI(r) || r.regions != nil && (region < 0 || !r.regions[region]) {
			return false
		}
		if r.MSISDNPrefix != nil && (msisdn == "" || !hasAnyPrefix(r.MSISDNPrefix, msisdn)) {
			return false
		}
		lt := time.Unix(ts, 0).In(loc)
		if r.days != nil && !r.days[lt.Weekday()] {
			return false
		}
		if r.windows != nil {
			m := lt.Hour()*60 + lt.Minute()
			in := false
			for _, w := range r.windows {
				if w[0] < w[1] && m >= w[0] && m < w[1] || w[0] > w[1] && (m >= w[0] || m < w[1]) {
					in = true
				}
			}
			if !in {
				return false
			}
		}
		if r.Segment != nil || r.TagsAny != nil || r.TagsAll != nil {
			a, ok := tt.attrs[msisdn]
			if msisdn == "" || !ok {
				return false
			}
			tags := strings.Split(a[1], ";")
			if r.Segment != nil && !slices.Contains(r.Segment, a[0]) {
				return false
			}
			if r.TagsAny != nil && !slices.ContainsFunc(r.TagsAny, func(x string) bool { return slices.Contains(tags, x) }) {
				return false
			}
			for _, x := range r.TagsAll {
				if !slices.Contains(tags, x) {
					return false
				}
			}
		}
		if r.afterRule >= 0 {
			m, ok := matched[r.afterRule]
			last := m[0]
			if last >= ts {
				last = m[1]
			}
			if !ok || last <= 0 || last >= ts || ts-last > r.afterWithin {
				return false
			}
		}
		if r.Count != nil {
			q := counts[ri]
			for len(q) > 0 && ts-q[0] >= r.countWithin {
				q = q[1:]
			}
			q = append(q, ts)
			if len(q) > r.Count.N {
				q = q[len(q)-r.Count.N:]
			}
			counts[ri] = q
			if len(q) < r.Count.N {
				return false
			}
		}
		if r.followed {
			m := matched[ri]
			if ts > m[0] {
				m = [2]int64{ts, m[0]}
			}
			matched[ri] = m
		}
		return true
	}
	emit := func(ri int, ts int64, region int, cell, msisdn, peer string, dur, cause int64) {
		if filters(ri, cs[ri], ts, region, msisdn) {
			seq++
			out = append(out, cand{ts: ts, rule: ri, imsi: s.imsi, msisdn: msisdn, region: region, cell: cell, peer: peer, durS: dur, cause: cause, seq: seq})
		}
	}
	// Timers: dwell (rule, region), silent (rule), roam_in waits (rule).
	type timer struct {
		due, since    int64
		region        int
		cell, msisdn  string
		armed, exists bool
	}
	dwell := map[[2]int]*timer{}
	silent := map[int]*timer{}
	waits := map[int]*timer{}
	once := map[[2]int]bool{}
	fireDue := func(now int64) {
		for {
			// the earliest due timer at or before now
			var best *timer
			kind, bri := "", 0
			var bkey [2]int
			for k, tm := range dwell {
				if tm.armed && tm.due <= now && (best == nil || tm.due < best.due) {
					best, kind, bkey = tm, "dwell", k
				}
			}
			for ri, tm := range silent {
				if tm.armed && tm.due <= now && (best == nil || tm.due < best.due) {
					best, kind, bri = tm, "silent", ri
				}
			}
			for ri, tm := range waits {
				if tm.due <= now && (best == nil || tm.due < best.due) {
					best, kind, bri = tm, "wait", ri
				}
			}
			if best == nil {
				return
			}
			switch kind {
			case "dwell":
				best.armed = false
				emit(bkey[0], best.due, bkey[1], best.cell, s.msisdnAt(best.due*1e9), "", 0, 0)
			case "silent":
				best.armed = false
				emit(bri, best.due, best.region, best.cell, s.msisdnAt(best.due*1e9), "", 0, 0)
			case "wait":
				delete(waits, bri)
				emit(bri, best.due, best.region, best.cell, s.msisdnAt(best.due*1e9), "", 0, 0)
			}
		}
	}
	for _, f := range tt.facts(s.imsi) {
		fireDue(f.ts)
		msisdn := s.msisdnAt(f.ns)
		// roam_in waits: for a cell without end, then for the number
		// for at most 30 s.
		if s.roamer {
			for ri, w := range waits {
				if f.cell != "" && w.cell == "" {
					w.cell = f.cell
					if w.region < 0 {
						w.region = pickRegion(cs[ri], f.cell)
					}
					if msisdn == "" {
						w.due = f.ts + 30
					}
				}
				if msisdn != "" && w.cell != "" {
					delete(waits, ri)
					emit(ri, f.ts, w.region, w.cell, msisdn, "", 0, 0)
				}
			}
		}
		for ri, r := range cs {
			switch r.Kind {
			case "silent":
				tm := silent[ri]
				if f.kind == "power_off" || f.kind == "roam_out" {
					delete(silent, ri)
					continue
				}
				if tm == nil {
					if f.cell == "" || !matchIMSI(r) {
						continue
					}
					tm = &timer{since: f.ts, due: f.ts + r.silentFor, armed: true, exists: true}
					silent[ri] = tm
				} else if f.kind == "call" || f.kind == "sms" {
					tm.since, tm.due, tm.armed = f.ts, f.ts+r.silentFor, true
				}
				if f.cell != "" && f.kind != "region_enter" && f.kind != "region_exit" {
					tm.cell, tm.region = f.cell, pickRegion(r, f.cell)
				}
			case "dwell":
				if f.kind == "region_enter" && (r.regions == nil || r.regions[f.region]) && matchIMSI(r) {
					k := [2]int{ri, f.region}
					if dwell[k] == nil {
						dwell[k] = &timer{since: f.ts, due: f.ts + r.dwell, armed: true, cell: f.cell, msisdn: msisdn}
					}
				}
				if f.kind == "region_exit" {
					delete(dwell, [2]int{ri, f.region})
				}
			}
		}
		for ri, r := range cs {
			region := f.region
			if f.kind != "region_enter" && f.kind != "region_exit" {
				region = pickRegion(r, f.cell)
			}
			switch {
			case r.Kind == "region_enter" && f.kind == "region_enter":
				emit(ri, f.ts, region, f.cell, msisdn, "", 0, 0)
			case r.Kind == "region_exit" && f.kind == "region_exit":
				if f.stayS >= r.minStay {
					emit(ri, f.ts, region, f.cell, msisdn, "", 0, 0)
				}
			case r.Kind == "power_on" && f.kind == "power_on":
				if r.offFor == 0 || f.offS >= 0 && f.offS >= r.offFor {
					emit(ri, f.ts, region, f.cell, msisdn, "", 0, 0)
				}
			case r.Kind == "power_off" && f.kind == "power_off",
				r.Kind == "location_update" && f.kind == "location_update":
				emit(ri, f.ts, region, f.cell, msisdn, "", 0, 0)
			case r.Kind == "roam_in" && s.roamer && (r.Regions == nil && f.kind == "seen" || r.Regions != nil && f.kind == "region_enter"):
				if r.Regions != nil {
					k := [2]int{ri, f.region}
					if once[k] || !r.regions[f.region] {
						continue
					}
					once[k] = true
				}
				if msisdn != "" && f.cell != "" {
					emit(ri, f.ts, region, f.cell, msisdn, "", 0, 0)
					continue
				}
				if w := waits[ri]; w != nil { // a second wait: the first fires now
					delete(waits, ri)
					emit(ri, f.ts, w.region, w.cell, msisdn, "", 0, 0)
				}
				w := &timer{due: math.MaxInt64, region: region, cell: f.cell}
				if f.cell != "" {
					w.due = f.ts + 30
				}
				waits[ri] = w
			case r.Kind == "call" && f.kind == "call":
				ok := (r.Direction == "" || r.Direction == "any" || (r.Direction == "mo") == f.mo) &&
					(r.PeerPrefix == nil || hasAnyPrefix(r.PeerPrefix, f.peer)) &&
					f.durS >= r.minDur && (r.maxDur == 0 || f.durS <= r.maxDur) &&
					(r.Answered == nil || *r.Answered == f.answered) &&
					(r.Causes == nil || slices.Contains(r.Causes, int(f.cause)))
				if ok {
					emit(ri, f.ts, region, f.cell, msisdn, f.peer, f.durS, f.cause)
				}
			case r.Kind == "sms" && f.kind == "sms":
				if (r.Direction == "" || r.Direction == "any" || (r.Direction == "mo") == f.mo) && (r.PeerPrefix == nil || hasAnyPrefix(r.PeerPrefix, f.peer)) {
					emit(ri, f.ts, region, f.cell, msisdn, f.peer, 0, 0)
				}
			case (r.Kind == "roam_out" && f.kind == "roam_out") || (r.Kind == "roam_return" && f.kind == "roam_return"):
				if r.CountryCodes == nil || slices.Contains(r.CountryCodes, e164CC(f.peer)) {
					emit(ri, f.ts, region, f.cell, msisdn, f.peer, 0, 0)
				}
			}
		}
	}
	fireDue(tt.end)
	return out
}
