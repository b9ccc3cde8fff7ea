package whitelist

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/format/regions"
)

// Params are the knobs of the method; Defaults gives the documented values,
// the same as the parameters of group_whitelist.sql.
type Params struct {
	Group string
	Month time.Time // any day of the month (UTC)
	// Known holds IMSIs or MSISDNs of members an account manager knows.
	Known []string
	// K is the presence factor; 0 calibrates it on Known (0.6 without Known).
	K float64
	// KMargin lowers a calibrated K: a small sample misses the lower tail.
	KMargin float64
	// KnownPass is the share of known members that must pass the calibrated K.
	KnownPass float64
	// MinSlots is the number of present hourly slots that make a presence day.
	MinSlots int
	// HomeNights: a region cell seen on this many nights (02:00-05:00) is home.
	HomeNights int
	// MaxOffdays: more presence days on days off than this is not a member.
	MaxOffdays int
	// CallGraph enables the call-graph filter, MinPeerLift its threshold.
	CallGraph   bool
	MinPeerLift float64
}

// Defaults returns the parameters used by `sigprobe whitelist`.
func Defaults() Params {
	return Params{KMargin: 0.2, KnownPass: 0.9, MinSlots: 3, HomeNights: 5, MaxOffdays: 3, CallGraph: true, MinPeerLift: 4}
}

// Member is one whitelisted subscriber and the evidence for it.
type Member struct {
	IMSI, MSISDN string
	PresenceDays int
	Threshold, K float64
	Nights       int
	Offdays      int
	PeerShare    float64
	PeerLift     float64
}

// Header is the CSV header of WriteCSV, the columns of group_whitelist.sql.
var Header = []string{"imsi", "msisdn", "presence_days", "threshold", "k", "nights", "offdays", "peer_share", "peer_lift"}

// WriteCSV writes members as CSV with Header.
func WriteCSV(w io.Writer, ms []Member) error {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	f := func(v float64, d int) string { return strconv.FormatFloat(round(v, d), 'f', -1, 64) }
	for _, m := range ms {
		cw.Write([]string{m.IMSI, m.MSISDN, strconv.Itoa(m.PresenceDays), f(m.Threshold, 3), f(m.K, 4),
			strconv.Itoa(m.Nights), strconv.Itoa(m.Offdays), f(m.PeerShare, 4), f(m.PeerLift, 3)})
	}
	cw.Flush()
	return cw.Error()
}

func round(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}

type cell struct{ lac, ci uint16 }

// group is a group's region and hours, resolved for one month.
type group struct {
	cells          map[cell]bool
	m0, m1         int64 // month bounds, unix seconds
	nDays, rest    int
	work           uint8 // working weekdays, bit per time.Weekday
	start, end     int64 // seconds of the day
	phase          int64
	monthFirstDay  time.Time
	name, regionNm string
}

func resolve(rf *regions.File, p Params) (*group, error) {
	var g *regions.Group
	for i := range rf.Groups {
		if rf.Groups[i].Name == p.Group {
			g = &rf.Groups[i]
		}
	}
	if g == nil {
		return nil, fmt.Errorf("whitelist: unknown group %q", p.Group)
	}
	r := &group{cells: map[cell]bool{}, name: g.Name, regionNm: g.Region}
	for _, rg := range rf.Regions {
		if rg.Name == g.Region {
			for _, c := range rg.Cells {
				r.cells[cell{c.LAC, c.CI}] = true
			}
		}
	}
	var err error
	if r.work, err = Weekdays(g.Workdays); err != nil {
		return nil, fmt.Errorf("whitelist: group %s: workdays: %w", g.Name, err)
	}
	if r.start, err = clock(g.Start); err != nil {
		return nil, fmt.Errorf("whitelist: group %s: start: %w", g.Name, err)
	}
	if r.end, err = clock(g.End); err != nil {
		return nil, fmt.Errorf("whitelist: group %s: end: %w", g.Name, err)
	}
	mt := p.Month.UTC()
	first := time.Date(mt.Year(), mt.Month(), 1, 0, 0, 0, 0, time.UTC)
	next := first.AddDate(0, 1, 0)
	r.monthFirstDay, r.m0, r.m1 = first, first.Unix(), next.Unix()
	r.nDays = int((r.m1 - r.m0) / 86400)
	r.rest = r.nDays
	for d := first; d.Before(next); d = d.AddDate(0, 0, 1) {
		if r.work&(1<<d.Weekday()) != 0 {
			r.rest--
		}
	}
	r.phase = r.start % 3600
	return r, nil
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Weekdays parses "mon-fri" or "mon,wed,fri" (ranges may wrap, "fri-mon")
// into a mask indexed by time.Weekday.
func Weekdays(s string) (uint8, error) {
	idx := func(n string) int {
		n = strings.TrimSpace(strings.ToLower(n))
		for i, d := range dayNames {
			if d == n {
				return i
			}
		}
		return -1
	}
	var mask uint8
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		i, j := idx(a), idx(a)
		if isRange {
			j = idx(b)
		}
		if i < 0 || j < 0 {
			return 0, fmt.Errorf("want days like \"mon-fri\" or \"mon,wed\", got %q", s)
		}
		for k := i; ; k = (k + 1) % 7 {
			mask |= 1 << k
			if k == j {
				break
			}
		}
	}
	return mask, nil
}

func clock(s string) (int64, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return int64(t.Hour()*3600 + t.Minute()*60), nil
}

// hit is presence of one subscriber in one region cell in one hourly slot.
type hit struct {
	c    cell
	slot int64
}

type feats struct {
	pdays, offdays, nights int
}

// Run computes the whitelist from the Parquet tables under dir: dwell
// (imsi, lac, ci, start_ts, end_ts), subscribers (imsi, msisdn) and, with
// p.CallGraph, events (imsi, ts, peer). Members come sorted by IMSI.
func Run(dir string, rf *regions.File, p Params) ([]Member, error) {
	g, err := resolve(rf, p)
	if err != nil {
		return nil, err
	}
	// 1. Slots with presence, per subscriber.
	hits := map[string]map[hit]struct{}{}
	err = scan(dir, "dwell", []string{"imsi", "lac", "ci", "start_ts", "end_ts"}, func(v []parquet.Value) error {
		c := cell{uint16(integer(v[1])), uint16(integer(v[2]))}
		st, en := integer(v[3]), integer(v[4])
		if !g.cells[c] || en <= g.m0 || st >= g.m1 || en <= st {
			return nil
		}
		imsi := text(v[0])
		h := hits[imsi]
		if h == nil {
			h = map[hit]struct{}{}
			hits[imsi] = h
		}
		for s := (max(st, g.m0) - g.phase) / 3600; s <= (min(en, g.m1)-1-g.phase)/3600; s++ {
			h[hit{c, s*3600 + g.phase}] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// 2-3. Home cells, presence days, days off, nights.
	fs := make(map[string]feats, len(hits))
	for imsi, h := range hits {
		nightDays := map[cell]map[int64]bool{}
		for x := range h {
			if sec := x.slot - day(x.slot); sec >= 2*3600 && sec < 5*3600 {
				if nightDays[x.c] == nil {
					nightDays[x.c] = map[int64]bool{}
				}
				nightDays[x.c][day(x.slot)] = true
			}
		}
		slots := map[int64]map[int64]bool{} // day -> working-hours slots in non-home cells
		nights := map[int64]bool{}
		for x := range h {
			d := day(x.slot)
			sec := x.slot - d
			if slots[d] == nil {
				slots[d] = map[int64]bool{}
			}
			if sec >= 2*3600 && sec < 5*3600 {
				nights[d] = true
			}
			if sec >= g.start && sec < g.end && len(nightDays[x.c]) < p.HomeNights {
				slots[d][x.slot] = true
			}
		}
		var f feats
		f.nights = len(nights)
		for d, s := range slots {
			if len(s) < p.MinSlots {
				continue
			}
			if g.work&(1<<time.Unix(d, 0).UTC().Weekday()) != 0 {
				f.pdays++
			} else {
				f.offdays++
			}
		}
		fs[imsi] = f
	}
	// Numbers.
	msisdn := map[string]string{}
	byNumber := map[string][]string{}
	allNumbers := map[string]bool{}
	err = scan(dir, "subscribers", []string{"imsi", "msisdn"}, func(v []parquet.Value) error {
		imsi, n := text(v[0]), text(v[1])
		if _, ok := msisdn[imsi]; !ok {
			msisdn[imsi] = n
		}
		if n != "" {
			byNumber[n] = append(byNumber[n], imsi)
			allNumbers[n] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// 4. Calibrate k on the known members.
	known := map[string]bool{}
	for _, k := range p.Known {
		for _, imsi := range byNumber[k] {
			known[imsi] = true
		}
		_, inSubs := msisdn[k]
		_, inFeats := fs[k]
		if inSubs || inFeats {
			known[k] = true
		}
	}
	vals := make([]float64, 0, len(known))
	for imsi := range known {
		vals = append(vals, (float64(fs[imsi].pdays)+float64(g.rest))/float64(g.nDays))
	}
	sort.Float64s(vals)
	k := p.K
	if k <= 0 {
		if n := len(vals); n == 0 {
			k = 0.6
		} else {
			i := n - int(math.Ceil(p.KnownPass*float64(n)-1e-9))
			i = min(max(i, 0), n-1)
			k = vals[i] - p.KMargin
		}
	}
	threshold := float64(g.nDays)*k - float64(g.rest)
	// 5. Seed and location filter.
	cands := map[string]bool{}
	for imsi, f := range fs {
		if float64(f.pdays) >= threshold-1e-9 && f.offdays <= p.MaxOffdays {
			cands[imsi] = true
		}
	}
	// 6. Call graph.
	share := map[string]float64{}
	lift := map[string]float64{}
	if p.CallGraph {
		numbers := map[string]bool{}
		for n, imsis := range byNumber {
			for _, imsi := range imsis {
				if cands[imsi] || known[imsi] {
					numbers[n] = true
				}
			}
		}
		peers := map[string]map[string]bool{}
		err = scan(dir, "events", []string{"imsi", "ts", "peer"}, func(v []parquet.Value) error {
			ts := integer(v[1])
			if ts < g.m0 || ts >= g.m1 || v[2].IsNull() || len(v[2].ByteArray()) == 0 {
				return nil
			}
			imsi := string(v[0].ByteArray())
			if !cands[imsi] || !allNumbers[string(v[2].ByteArray())] {
				return nil // not a candidate, or an off-net peer
			}
			if peers[imsi] == nil {
				peers[imsi] = map[string]bool{}
			}
			peers[imsi][string(v[2].ByteArray())] = true
			return nil
		})
		if errors.Is(err, ErrNoTable) {
			return nil, fmt.Errorf("%w (the call-graph filter needs the events table; without it, turn the filter off)", err)
		}
		if err != nil {
			return nil, err
		}
		for imsi, ps := range peers {
			in := 0
			for n := range ps {
				if numbers[n] {
					in++
				}
			}
			share[imsi] = float64(in) / float64(len(ps))
			lift[imsi] = share[imsi] * float64(len(allNumbers)) / float64(max(len(numbers), 1))
		}
	}
	out := make([]Member, 0, len(cands))
	for imsi := range cands {
		if p.CallGraph && lift[imsi] < p.MinPeerLift-1e-9 {
			continue
		}
		f := fs[imsi]
		out = append(out, Member{IMSI: imsi, MSISDN: msisdn[imsi], PresenceDays: f.pdays, Threshold: threshold, K: k,
			Nights: f.nights, Offdays: f.offdays, PeerShare: share[imsi], PeerLift: lift[imsi]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IMSI < out[j].IMSI })
	return out, nil
}

// day returns the start of ts's UTC day.
func day(ts int64) int64 { return ts - ((ts%86400)+86400)%86400 }

// ReadKnown reads a known-members CSV: a header whose first column is imsi
// or msisdn, then one member per row (other columns are ignored).
func ReadKnown(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("known members: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("known members: empty file, want a header imsi or msisdn")
	}
	if h := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(recs[0][0], "\ufeff"))); h != "imsi" && h != "msisdn" {
		return nil, fmt.Errorf("known members: first column is %q, want imsi or msisdn", recs[0][0])
	}
	var out []string
	for _, r := range recs[1:] {
		if v := strings.TrimSpace(r[0]); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}

// QueryParams returns p as the query parameters of group_whitelist.sql
// (for clickhouse-client --param_NAME=VALUE or an HTTP query).
func (p Params) QueryParams() [][2]string {
	known := make([]string, len(p.Known))
	for i, k := range p.Known {
		known[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(k) + "'"
	}
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return [][2]string{
		{"group", p.Group}, {"month", p.Month.UTC().Format("2006-01-02")}, {"known", "[" + strings.Join(known, ",") + "]"},
		{"k", f(p.K)}, {"k_margin", f(p.KMargin)}, {"known_pass", f(p.KnownPass)}, {"min_slots", strconv.Itoa(p.MinSlots)},
		{"home_nights", strconv.Itoa(p.HomeNights)}, {"max_offdays", strconv.Itoa(p.MaxOffdays)},
		{"call_graph", b(p.CallGraph)}, {"min_peer_lift", f(p.MinPeerLift)},
	}
}
