package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sim/wire"
)

const (
	never = math.MaxInt64
	sec   = int64(time.Second)
	ms    = int64(time.Millisecond)
)

// gen is one simulation run.
type gen struct {
	sc           *scenario.Scenario
	rng          *rand.Rand
	clk          *clock
	nw           *network
	start        time.Time
	days         int
	end          int64 // ns
	subs         []subscriber
	groupMembers [][]int32
	byMSISDN     map[string]int32
	now          int64
	out          *output
	loc          *csvWriter
	t3212        int64
	hlrTID       uint32
	conns        uint32 // SCCP connections opened (messages.csv conn)
	ev           evHeap
	progress     func(simulated time.Duration) // Config.Progress; nil: none
	mark         mark                          // the event of the next message queued with dt1
	vlrTMSIs     []map[uint32]int32            // per VLR: the TMSIs it gave out and to whom
	xr           *rand.Rand                    // decisions of travellers and the marketing model, apart from rng
	isc          node                          // international gateway toward foreign networks (roam-out)
	campaigns    []campaignState
	campaignOut  *csvWriter
	responses    map[int32][]response // contacted subscribers' planned replies

	// Scratch buffers, reused for every message.
	l3, l3b, bss, tcap, param, tpdu, rp, fac []byte
	triplets                                 []wire.Triplet
	cells                                    []wire.CGI
}

// evHeap is a min-heap of subscribers keyed by their next event time.
type evHeap struct {
	idx  []int32 // heap position -> subscriber
	pos  []int32 // subscriber -> heap position
	keys []int64 // subscriber -> key
}

func (h *evHeap) init(keys []int64) {
	n := len(keys)
	h.keys = keys
	h.idx = make([]int32, n)
	h.pos = make([]int32, n)
	for i := range n {
		h.idx[i], h.pos[i] = int32(i), int32(i)
	}
	for i := n/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *evHeap) less(a, b int) bool {
	ka, kb := h.keys[h.idx[a]], h.keys[h.idx[b]]
	return ka < kb || ka == kb && h.idx[a] < h.idx[b]
}

func (h *evHeap) swap(a, b int) {
	h.idx[a], h.idx[b] = h.idx[b], h.idx[a]
	h.pos[h.idx[a]], h.pos[h.idx[b]] = int32(a), int32(b)
}

func (h *evHeap) up(i int) {
	for i > 0 {
		j := (i - 1) / 2
		if !h.less(i, j) {
			return
		}
		h.swap(i, j)
		i = j
	}
}

func (h *evHeap) down(i int) {
	n := len(h.idx)
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// fix sets subscriber s's key and restores the heap order.
func (h *evHeap) fix(s int32, key int64) {
	h.keys[s] = key
	i := int(h.pos[s])
	h.up(i)
	h.down(int(h.pos[s]))
}

func (g *gen) nextEvent(i int32) int64 {
	s := &g.subs[i]
	t := int64(never)
	for _, x := range s.next {
		t = min(t, x)
	}
	return t
}

// reschedule recomputes subscriber i's place in the event heap.
func (g *gen) reschedule(i int32) { g.ev.fix(i, g.nextEvent(i)) }

// run drives the simulation to the end.
func (g *gen) run() error {
	keys := make([]int64, len(g.subs))
	for i := range g.subs {
		keys[i] = g.nextEvent(int32(i))
	}
	g.ev.init(keys)
	begin := g.start.UnixNano()
	nextReport := begin
	for len(g.ev.idx) > 0 {
		i := g.ev.idx[0]
		t := g.ev.keys[i]
		if t >= g.end {
			break
		}
		if g.progress != nil && t >= nextReport {
			g.progress(time.Duration(t - begin))
			nextReport = t + 60*sec
		}
		if err := g.out.flush(t); err != nil {
			return err
		}
		g.now = t
		g.step(i)
		g.reschedule(i)
	}
	for i := range g.subs {
		g.closeLocation(int32(i), g.end)
	}
	if g.progress != nil {
		g.progress(time.Duration(g.end - begin))
	}
	return nil
}

// step handles every timer of subscriber i that is due.
func (g *gen) step(i int32) {
	s := &g.subs[i]
	now := g.now
	if s.next[tDay] <= now {
		d0 := s.next[tDay] / sec
		g.planDay(i, d0)
		s.next[tDay] = g.clk.next(d0) * sec
	}
	if s.next[tCallEnd] <= now {
		s.next[tCallEnd] = never
		g.endCall(i)
	}
	if s.next[tMove] <= now {
		g.move(i)
	}
	if s.next[tLU] <= now {
		g.periodic(i)
	}
	if s.next[tCall] <= now {
		g.callTimer(i)
	}
	if s.next[tSMS] <= now {
		g.smsTimer(i)
	}
	if s.next[tMisc] <= now {
		g.miscTimer(i)
	}
	if s.next[tTrip] <= now {
		g.tripTimer(i)
	}
	if s.next[tCampaign] <= now {
		g.campaignTimer(i)
	}
}

// busy reports whether i has a radio connection now; if so the timer k is
// retried just after it ends.
func (g *gen) busy(i int32, k int) bool {
	s := &g.subs[i]
	switch {
	case s.call != -1:
		s.next[k] = g.now + 60*sec
	case s.busyUntil > g.now:
		s.next[k] = s.busyUntil + sec + g.rng.Int64N(sec)
	default:
		return false
	}
	return true
}

// poisson draws the next time of a process with rate perDay, shaped by the
// hour-of-day profile (thinning).
func (g *gen) poisson(from int64, perDay float64) int64 {
	if perDay <= 0 {
		return never
	}
	maxRate := perDay * hourPeak / 86400 // per second at the busiest hour
	t := from
	for {
		t += int64(g.rng.ExpFloat64() / maxRate * float64(sec))
		if t >= g.end {
			return never
		}
		if g.rng.Float64()*hourPeak < hourProfile[g.clk.hour(t)] {
			return t
		}
	}
}

// hourProfile is the relative call/SMS activity per local hour of the day,
// normalised to average 1; busy hours late morning and early evening.
var hourProfile = [24]float64{0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.8, 1.3, 1.6, 1.75, 1.8,
	1.6, 1.5, 1.55, 1.6, 1.65, 1.75, 1.7, 1.5, 1.3, 1.0, 0.6, 0.3}

const hourPeak = 1.8

// ---- daily plans ----

func (g *gen) planDay(i int32, d0 int64) {
	s := &g.subs[i]
	rng, nw := g.rng, g.nw
	p := s.plan[:0]
	at := func(sec int64, c int32) {
		p = append(p, stay{t: (d0+sec)*1e9 + rng.Int64N(1e9), cell: c})
	}
	off := func(sec int64, detach bool) {
		p = append(p, stay{t: (d0+sec)*1e9 + rng.Int64N(1e9), off: true, detach: detach})
	}
	u := func(lo, hi int64) int64 { return lo + rng.Int64N(hi-lo+1) } // seconds
	_, _, _, wd := g.clk.date(d0)
	weekday := g.clk.works(d0, monFri) // office hours for daytime workers and visitors
	s.worksToday = false
	mall := nw.regionByKind("mall")
	shop := func(from int64) int64 {
		if mall < 0 {
			return from
		}
		at(from, nw.regionCell(mall, rng))
		return from + u(2700, 9000)
	}
	home := s.home
	switch s.role {
	case roleCardFarm:
		at(0, home)
	case roleDelivery:
		at(0, home)
		if wd != time.Sunday {
			t := u(7*3600, 8*3600)
			for range 10 + rng.IntN(6) {
				c := nw.randomCell(rng)
				if len(nw.regions) > 0 && rng.Float64() < 0.25 {
					c = nw.regionCell(rng.IntN(len(nw.regions)), rng)
				}
				at(t, c)
				t += u(900, 2400)
			}
			at(t, home)
		}
	case roleMember:
		at(0, home)
		r := nw.regionByName(g.sc.Groups[s.group].Region)
		gc := g.sc.Groups[s.group]
		s.worksToday = g.clk.works(d0, s.workMask)
		if s.worksToday && rng.Float64() >= gc.WFH {
			j := int64(gc.ArrivalJitterMinutes) * 60
			arrive := s.workStart + u(-j, j)
			at(arrive-u(900, 1800), nw.between(home, s.day, 0.5))
			at(arrive, s.day)
			leave := s.workEnd + u(-j, j)
			if rng.Float64() < gc.Meetings { // a meeting in another building of the region
				m := arrive + u(3600, 3*3600)
				if m+3600 < leave {
					at(m, nw.regionCell(r, rng))
					at(m+u(1800, 3600), s.day)
				}
			}
			if mall >= 0 && s.workStart < 12*3600 && s.workEnd > 14*3600 && rng.Float64() < 0.15 {
				l := 12*3600 + u(0, 3600)
				at(l, nw.regionCell(mall, rng))
				at(l+u(1800, 3000), s.day)
			}
			at(leave, nw.between(s.day, home, 0.5))
			at(leave+u(900, 1800), home)
		} else if rng.Float64() < 0.4 {
			at(shop(u(11*3600, 16*3600)), home)
		}
	case roleRoamer:
		dayEnd := d0 + 86400
		if s.depart <= d0 || s.arrive >= dayEnd {
			off(0, false)
			break
		}
		if s.arrive > d0 {
			off(0, false)
			at(s.arrive-d0, airportCell(nw, home))
			at(s.arrive-d0+u(2400, 4800), home)
		} else {
			at(0, home)
		}
		for _, h := range []int64{u(9*3600, 11*3600), u(13*3600, 16*3600)} {
			if d0+h > s.arrive && d0+h+7200 < s.depart {
				c := nw.randomCell(rng)
				if len(nw.regions) > 0 && rng.Float64() < 0.6 {
					c = nw.regionCell(rng.IntN(len(nw.regions)), rng)
				}
				at(h, c)
				at(h+u(3600, 7200), home)
			}
		}
		if s.depart < dayEnd {
			at(s.depart-d0-u(3600, 7200), airportCell(nw, home))
			off(s.depart-d0, !s.silentOff)
		}
	default: // residents, neighbours, visitors, relatives
		if s.nightOff {
			off(0, !s.silentOff)
			at(u(6*3600, 8*3600), home)
		} else {
			at(0, home)
		}
		t := int64(9 * 3600)
		if weekday && s.day >= 0 && s.role != roleVisitor { // a visitor's day cell is the region it visits
			leave := u(7*3600, 9*3600)
			at(leave, nw.between(home, s.day, 0.5))
			at(leave+u(900, 1800), s.day)
			back := u(16*3600+1800, 19*3600)
			at(back, nw.between(s.day, home, 0.5))
			at(back+u(900, 1800), home)
			t = back + 1800
		}
		if s.role == roleVisitor && weekday && rng.Float64() < 0.3 {
			v := u(10*3600, 15*3600) // a meeting in the group's region
			at(v, s.day)
			at(v+u(3600, 7200), home)
			t = max(t, v+7200)
		}
		sh := g.sc.Population.Shoppers
		if !weekday {
			sh *= 2.5
		}
		if rng.Float64() < sh {
			at(shop(max(t, u(11*3600, 19*3600))), home)
		}
		if s.nightOff {
			off(u(22*3600+1800, 23*3600+3000), !s.silentOff)
		}
	}
	p = g.travel(i, d0, p)
	slices.SortStableFunc(p, func(a, b stay) int { return cmpInt(a.t, b.t) })
	// Card farms and roamers are off outside their time in the network.
	if s.role == roleCardFarm || s.role == roleRoamer {
		for k := range p {
			if ts := p[k].t / sec; ts < s.arrive || s.role == roleRoamer && ts >= s.depart && !p[k].off {
				p[k] = stay{t: p[k].t, off: true}
			}
		}
		if s.role == roleCardFarm && s.arrive >= d0 && s.arrive < d0+86400 {
			p = append(p, stay{t: s.arrive*sec + rng.Int64N(sec), cell: home})
		}
	}
	p = g.reselect(p, d0)
	s.plan, s.planIdx = p, 0
	if len(p) > 0 {
		s.next[tMove] = p[0].t
	} else {
		s.next[tMove] = never
	}
}

// reselect adds idle-mode reselections to a neighbour cell within stays.
func (g *gen) reselect(p []stay, d0 int64) []stay {
	share := g.sc.Population.Reselect
	dayEnd := (d0 + 86400) * sec
	n := len(p)
	for k := range n {
		if p[k].off || g.rng.Float64() >= share {
			continue
		}
		end := dayEnd
		if k+1 < n {
			end = p[k+1].t
		}
		base, nb := p[k].cell, g.nw.neighbour(p[k].cell, g.rng)
		cur := base
		for t := p[k].t; ; {
			t += int64(g.rng.ExpFloat64() * float64(40*60*sec))
			if t >= end-60*sec {
				break
			}
			if cur == base {
				cur = nb
			} else {
				cur = base
			}
			p = append(p, stay{t: t, cell: cur})
		}
		if cur != base && end < dayEnd {
			// Back on the stay's own cell before leaving.
			p = append(p, stay{t: end - 30*sec, cell: base})
		}
	}
	slices.SortStableFunc(p, func(a, b stay) int { return cmpInt(a.t, b.t) })
	return p
}

func airportCell(nw *network, fallback int32) int32 {
	if r := nw.regionByKind("transport"); r >= 0 {
		return nw.regions[r].center
	}
	return fallback
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
