package whitelist

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Params are the knobs of the method; Defaults gives the documented values,
// the same as `sigprobe whitelist` uses.
type Params struct {
	Group string
	Month time.Time // any day of the month
	// Known holds IMSIs or MSISDNs of members an account manager knows.
	Known []string
	// K fixes the presence factor; 0 calibrates it (on Known, or from the
	// shape of the presence distribution without Known).
	K float64
	// KnownPass is the share of known members the first threshold must pass.
	KnownPass float64
	// BandZ and Patience: the threshold is lowered one presence day at a
	// time while the call graph confirms more of the subscribers a step
	// admits than chance would (by BandZ standard deviations); Patience
	// failing steps in a row end it.
	BandZ    float64
	Patience int
	// KMin bounds the calibration from below.
	KMin float64
	// MinSlots is the number of present hourly slots that make a presence day.
	MinSlots int
	// HomeNights: a region cell seen on this many nights (02:00-05:00 local) is home.
	HomeNights int
	// MaxOffdays: more presence days on days off than this is not a member.
	MaxOffdays int
	// CallGraph enables the call-graph stage; a candidate is admitted when at
	// least MinPeers of its distinct on-net peers are members, its peer lift
	// is at least MinPeerLift, and calling at random would give it as many
	// member peers with a probability of at most Alpha (Poisson tail).
	CallGraph   bool
	MinPeers    int
	MinPeerLift float64
	Alpha       float64
	// MinDays is the least number of days with data in the month.
	MinDays int
}

// Defaults returns the parameters used by `sigprobe whitelist`.
func Defaults() Params {
	return Params{KnownPass: 0.9, BandZ: 3, Patience: 2, KMin: 0.3, MinSlots: 3, HomeNights: 5, MaxOffdays: 3,
		CallGraph: true, MinPeers: 2, MinPeerLift: 4, Alpha: 1e-3, MinDays: 14}
}

// Month is what the features say about the month.
type Month struct {
	Days     int // days in the month
	Rest     int // the group's rest days in it (weekly pattern and calendar)
	DataDays int // local days with any dwell row
	Numbers  int // subscribers with a known MSISDN (on-net numbers)
}

// Presence is one subscriber of the pool: present in the region in working
// hours on at least one day, or known.
type Presence struct {
	IMSI, MSISDN string
	Known        bool
	PDays        int      // working days with MinSlots slots in non-home region cells
	Offdays      int      // rest days with as many
	Nights       int      // nights (02:00-05:00 local) seen in the region
	Degree       int      // distinct on-net peers in working-hours calls
	Peers        []string // those of them in the pool (IMSIs)
}

// Input is the features of one group for one month.
type Input struct {
	Month Month
	Pool  []Presence // sorted by IMSI
}

// Stages that admit a member.
const (
	StageKnown    = "known"    // given in Known
	StageCalls    = "calls"    // presence, location and the call graph
	StagePresence = "presence" // presence and location, call graph off
)

// Member is one whitelisted subscriber and the evidence for it.
type Member struct {
	IMSI, MSISDN string
	PresenceDays int
	Threshold, K float64
	Nights       int
	Offdays      int
	Peers        int     // distinct on-net peers (working-hours calls)
	MemberPeers  int     // of them members
	PeerLift     float64 // (MemberPeers/Peers) / (members/numbers): 1 is calling at random
	Score        float64 // -log10 P(as many member peers calling at random), at most 99; 99 for known members
	Stage        string
	Round        int // the call-graph round that admitted it (0: known or no call graph)
}

// Result is a whitelist with how k was found.
type Result struct {
	Members []Member
	K       float64
	Method  string // "fixed", "known+bands", "shape"
	Rounds  int    // calibration steps taken
}

// ErrTooLittleData, ErrNoSignal and ErrNoSeparation are the reasons the
// method gives no list; the error text carries the numbers.
var (
	ErrTooLittleData = errors.New("too little data")
	ErrNoSignal      = errors.New("the call graph cannot separate the group")
	ErrNoSeparation  = errors.New("several groups share the region")
)

// Select is the part of the method both paths share: calibrate k, then
// grow the membership from the known members through the call graph.
// sharing is the number of groups whose region is this group's (more than
// one: co-located enterprises).
func Select(in *Input, p Params, sharing int) (*Result, error) {
	mo := in.Month
	if mo.DataDays < p.MinDays {
		return nil, fmt.Errorf("%w: %d day(s) of data in %s; the method needs at least %d", ErrTooLittleData, mo.DataDays, p.Month.Format("2006-01"), p.MinDays)
	}
	idx := make(map[string]int, len(in.Pool))
	for i := range in.Pool {
		idx[in.Pool[i].IMSI] = i
	}
	var known []int
	for i := range in.Pool {
		if in.Pool[i].Known {
			known = append(known, i)
		}
	}
	threshold := func(k float64) int { return int(math.Ceil(float64(mo.Days)*k - float64(mo.Rest) - 1e-9)) }
	kOf := func(t int) float64 { return float64(t+mo.Rest) / float64(mo.Days) }
	located := func(x *Presence) bool { return x.Offdays <= p.MaxOffdays }
	res := &Result{}
	var T int
	switch {
	case p.K > 0:
		T, res.Method = threshold(p.K), "fixed"
	case len(known) > 0:
		// The largest threshold at which KnownPass of the known members pass.
		ds := make([]int, 0, len(known))
		for _, i := range known {
			if located(&in.Pool[i]) {
				ds = append(ds, in.Pool[i].PDays)
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(ds)))
		need := int(math.Ceil(p.KnownPass*float64(len(known)) - 1e-9))
		T, res.Method = 0, "known+bands"
		if need >= 1 && need <= len(ds) {
			T = ds[need-1]
		}
	default:
		T, res.Method = otsu(in.Pool, located), "shape"
	}
	tMin := max(threshold(p.KMin), 1)
	T = max(T, tMin)
	cands := func(t int) []int {
		var out []int
		for i := range in.Pool {
			if x := &in.Pool[i]; x.PDays >= t && located(x) {
				out = append(out, i)
			}
		}
		return out
	}
	if !p.CallGraph {
		res.K = kOf(T)
		for _, i := range cands(T) {
			res.Members = append(res.Members, member(&in.Pool[i], T, res.K, StagePresence, 0, 0, 0))
		}
		for _, i := range known {
			if x := &in.Pool[i]; x.PDays < T || !located(x) {
				res.Members = append(res.Members, member(x, T, res.K, StageKnown, 0, 0, 0))
			}
		}
		sortMembers(res.Members)
		return res, nil
	}
	g := graph{pool: in.Pool, idx: idx, numbers: max(mo.Numbers, 1), minPeers: p.MinPeers, minLift: p.MinPeerLift, alpha: p.Alpha}
	if len(known) == 0 {
		if sharing > 1 {
			return nil, fmt.Errorf("%w: %d groups work in this region and without known members the call graph cannot tell them apart; give a few with --known", ErrNoSeparation, sharing)
		}
		// Unseeded: the candidates' mutual core.
		c := cands(T)
		core := g.core(c)
		res.K = kOf(T)
		if len(core) == 0 {
			return nil, fmt.Errorf("%w: none of %d candidates calls other candidates more than chance (lift >= %g with %d peers)", ErrNoSignal, len(c), p.MinPeerLift, p.MinPeers)
		}
		for _, i := range c {
			if r, ok := core[i]; ok {
				mp, lift := g.lift(i, core)
				res.Members = append(res.Members, member(&in.Pool[i], T, res.K, StageCalls, r, mp, lift))
			}
		}
		sortMembers(res.Members)
		return res, nil
	}
	// Seeded: the known members' colleagues, round by round.
	if err := g.signal(known, cands(T)); err != nil {
		return nil, err
	}
	S := g.grow(known, cands(T))
	if p.K <= 0 {
		// Lower the threshold one presence day at a time while the call
		// graph confirms what the steps admit; stop after Patience steps in a
		// row that admit subscribers it mostly does not confirm.
		bad := 0
		for t := T - 1; t >= tMin && bad < p.Patience; t-- {
			res.Rounds++
			band := 0
			for i := range in.Pool {
				if x := &in.Pool[i]; x.PDays == t && located(x) && !x.Known {
					band++
				}
			}
			if band == 0 {
				continue
			}
			S2 := g.grow(known, cands(t))
			ok, chance := 0, 0.0
			for i := range in.Pool {
				if x := &in.Pool[i]; x.PDays == t && located(x) && !x.Known {
					if _, yes := S2[i]; yes {
						ok++
					}
					chance += g.falseAdmit(i, S2)
				}
			}
			if ok == 0 || float64(ok) <= chance+p.BandZ*math.Sqrt(chance)+1e-9 {
				bad++
				continue
			}
			bad = 0
			T, S = t, S2
		}
	}
	res.K = kOf(T)
	if grown := len(S) - len(known); grown <= 0 {
		return nil, fmt.Errorf("%w: the call graph admitted none of the %d candidates beyond the %d known members (at least %d member peers, p <= %g under random calling); the list would be the known members alone",
			ErrNoSignal, len(cands(T)), len(known), p.MinPeers, p.Alpha)
	}
	for i, r := range S {
		x := &in.Pool[i]
		mp, lift := g.lift(i, S)
		st := StageCalls
		if x.Known {
			st = StageKnown
		}
		res.Members = append(res.Members, member(x, T, res.K, st, r, mp, lift))
	}
	sortMembers(res.Members)
	return res, nil
}

func member(x *Presence, t int, k float64, stage string, round, mp int, lift float64) Member {
	// The score is the evidence against calling at random: -log10 of the
	// chance of as many member peers (99 for known members).
	score := 0.0
	if lift > 0 {
		lam := float64(mp) / lift
		score = math.Min(99, -math.Log10(max(poissonTail(lam, mp), 1e-99)))
	}
	if stage == StageKnown {
		score = 99
	}
	return Member{IMSI: x.IMSI, MSISDN: x.MSISDN, PresenceDays: x.PDays, Threshold: float64(t), K: k, Nights: x.Nights,
		Offdays: x.Offdays, Peers: x.Degree, MemberPeers: mp, PeerLift: lift, Score: score, Stage: stage, Round: round}
}

func sortMembers(ms []Member) { sort.Slice(ms, func(i, j int) bool { return ms[i].IMSI < ms[j].IMSI }) }

// otsu returns the presence-day threshold that best splits the located pool
// into two classes (Otsu's method on the histogram of presence days): the
// few-days class of visitors and passers-by, and the many-days class.
func otsu(pool []Presence, located func(*Presence) bool) int {
	var hist []float64
	n := 0.0
	for i := range pool {
		if x := &pool[i]; x.PDays > 0 && located(x) {
			for len(hist) <= x.PDays {
				hist = append(hist, 0)
			}
			hist[x.PDays]++
			n++
		}
	}
	if n == 0 {
		return 1
	}
	sum := 0.0
	for d, c := range hist {
		sum += float64(d) * c
	}
	best, bestT := -1.0, 1
	w0, s0 := 0.0, 0.0
	for t := 1; t < len(hist); t++ {
		// class 0: days < t
		w0 += hist[t-1]
		s0 += float64(t-1) * hist[t-1]
		w1 := n - w0
		if w0 == 0 || w1 == 0 {
			continue
		}
		m0, m1 := s0/w0, (sum-s0)/w1
		if v := w0 * w1 * (m0 - m1) * (m0 - m1); v > best+1e-9 {
			best, bestT = v, t
		}
	}
	return bestT
}

// graph is the call graph among the pool.
type graph struct {
	pool     []Presence
	idx      map[string]int
	numbers  int
	minPeers int
	minLift  float64
	alpha    float64
}

// lift returns how many of i's peers are in set and the lift of that share
// over what calling at random would give.
func (g *graph) lift(i int, set map[int]int) (int, float64) {
	x := &g.pool[i]
	in := 0
	for _, p := range x.Peers {
		if j, ok := g.idx[p]; ok && j != i {
			if _, ok := set[j]; ok {
				in++
			}
		}
	}
	if x.Degree == 0 || len(set) == 0 {
		return in, 0
	}
	return in, (float64(in) / float64(x.Degree)) / (float64(len(set)) / float64(g.numbers))
}

// chance is the expected number of i's peers in set if i called at random.
func (g *graph) chance(i int, set map[int]int) float64 {
	return float64(g.pool[i].Degree) * float64(len(set)) / float64(g.numbers)
}

func (g *graph) admits(i int, set map[int]int) bool {
	in, lift := g.lift(i, set)
	return in >= g.minPeers && lift >= g.minLift-1e-9 && poissonTail(g.chance(i, set), in) <= g.alpha
}

// falseAdmit is the probability that i, calling at random, would be admitted.
func (g *graph) falseAdmit(i int, set map[int]int) float64 {
	lam := g.chance(i, set)
	d := g.pool[i].Degree
	for k := g.minPeers; k <= d; k++ {
		if lift := (float64(k) / float64(d)) / (float64(len(set)) / float64(g.numbers)); lift >= g.minLift-1e-9 && poissonTail(lam, k) <= g.alpha {
			return poissonTail(lam, k)
		}
	}
	return 0
}

// poissonTail returns P(X >= k) for X ~ Poisson(lam).
func poissonTail(lam float64, k int) float64 {
	if k <= 0 {
		return 1
	}
	term, cdf := math.Exp(-lam), 0.0
	for j := 0; j < k; j++ {
		cdf += term
		term *= lam / float64(j+1)
	}
	return math.Max(0, 1-cdf)
}

// grow starts from the seeds and admits, round by round, the candidates
// with enough member peers; it returns member -> round (0 for seeds).
func (g *graph) grow(seeds, cands []int) map[int]int {
	S := make(map[int]int, len(cands))
	for _, i := range seeds {
		S[i] = 0
	}
	for round := 1; ; round++ {
		var add []int
		for _, i := range cands {
			if _, ok := S[i]; !ok && g.admits(i, S) {
				add = append(add, i)
			}
		}
		if len(add) == 0 {
			return S
		}
		for _, i := range add {
			S[i] = round
		}
	}
}

// core prunes the candidates, round by round, to those with enough peers
// among the rest; it returns member -> the round it was last confirmed.
func (g *graph) core(cands []int) map[int]int {
	S := make(map[int]int, len(cands))
	for _, i := range cands {
		S[i] = 0
	}
	for round := 1; ; round++ {
		var drop []int
		for i := range S {
			if !g.admits(i, S) {
				drop = append(drop, i)
			}
		}
		if len(drop) == 0 {
			for i := range S {
				S[i] = round - 1
			}
			return S
		}
		for _, i := range drop {
			delete(S, i)
		}
	}
}

// signal checks that the known members call the candidates more than chance
// would: otherwise the call graph cannot tell the group from the rest.
func (g *graph) signal(known, cands []int) error {
	in := make(map[int]int, len(cands)+len(known))
	for _, i := range cands {
		in[i] = 0
	}
	for _, i := range known {
		in[i] = 0
	}
	obs, exp := 0, 0.0
	for _, i := range known {
		n, _ := g.lift(i, in)
		obs += n
		exp += float64(g.pool[i].Degree) * float64(len(in)) / float64(g.numbers)
	}
	if float64(obs) < exp+3*math.Sqrt(exp)+2 {
		var b strings.Builder
		fmt.Fprintf(&b, "%d known members have %d working-hours call peers among the %d candidates and known members, %.1f expected by chance",
			len(known), obs, len(in), exp)
		return fmt.Errorf("%w: %s; without calls among the staff the presence alone cannot tell the group from others working in the region", ErrNoSignal, b.String())
	}
	return nil
}
