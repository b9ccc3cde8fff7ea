package rules

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

const (
	sweepEvery    = int64(time.Hour)
	onceRetention = int64(30 * day) // roam_in with regions: a roamer is "first seen" in a region again after 30 days away
	staleStay     = int64(7 * day)  // a fired dwell forgotten without RegionExit
	// RoamInWait bounds how long a roam_in trigger waits for the roamer's
	// MSISDN once the roamer shows in a cell: the number arrives in the
	// insertSubscriberData of its first location update, a second or so
	// after the phone is first seen. A trigger still missing it fires this
	// long after, without it.
	RoamInWait = 30 * time.Second
)

// key names per-subscriber, per-rule state. region is -1 where it does not apply.
type key struct {
	imsi   sink.Digits
	rule   uint16
	region int32
}

// pend is an armed (or fired, waiting) dwell or silent timer, or a roam_in
// trigger waiting for the roamer's number, and the subscriber snapshot its
// trigger is built from.
type pend struct {
	key    key
	due    int64 // ns; 0: not armed
	since  int64 // dwell: entry time; silent: last call/SMS or first fact; roam_in: first seen
	hi     int32 // index in Engine.heap, -1 if not queued
	msisdn sink.Digits
	region int32
	lac    uint16
	ci     uint16
	roamer bool
}

type hent struct {
	due  int64
	slot int32
}

type dayCount struct {
	day int64
	n   int64
}

// countRing holds the times (ns) of a subscriber's last matching facts of a
// rule with count, oldest first from head.
type countRing struct {
	ts   [maxCount]int64
	n    uint8
	head uint8
}

// matchPair is when a subscriber last matched a rule that another rule
// follows (after:), and the match before that.
type matchPair struct{ last, prev int64 }

// limiter is a per-rule fixed one-minute window shared by all Engines of a Set.
type limiter struct {
	mu     sync.Mutex
	minute int64
	n      int64
}

func (l *limiter) take(minute, max int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if minute > l.minute {
		l.minute, l.n = minute, 0
	}
	if l.n >= max {
		return false
	}
	l.n++
	return true
}

type ruleCounters struct {
	fired, filtered, optedOut, noOptIn, minInterval, dailyCap, rate, control atomic.Uint64
}

// RuleStats counts what one rule did. A firing that passed every filter but
// was suppressed is counted once, under the first reason that stopped it.
type RuleStats struct {
	Rule        string
	Fired       uint64 // triggers written, control group included
	Control     uint64 // of Fired: held out as the campaign's control group (recorded, not published)
	Filtered    uint64 // a fact (or a due timer) of the rule's kind failed a filter, its count or its after
	OptedOut    uint64 // suppressed: subscriber on the opt-out list
	NoOptIn     uint64 // suppressed: require_consent and not on the opt-in list
	MinInterval uint64 // suppressed: fired for this subscriber less than min_interval ago
	DailyCap    uint64 // suppressed: max_per_subscriber_per_day reached
	RateLimited uint64 // suppressed: max_per_minute reached
}

// Stats counts what an Engine did.
type Stats struct {
	Facts   uint64
	Pending int64 // armed dwell and silent timers and roam_in triggers waiting for the number
	Rules   []RuleStats
}

// Add adds o (from another Engine of the same Set) to s.
func (s *Stats) Add(o Stats) {
	s.Facts += o.Facts
	s.Pending += o.Pending
	if s.Rules == nil {
		s.Rules = make([]RuleStats, len(o.Rules))
		for i := range o.Rules {
			s.Rules[i].Rule = o.Rules[i].Rule
		}
	}
	for i := range o.Rules {
		if i >= len(s.Rules) {
			break
		}
		a, b := &s.Rules[i], &o.Rules[i]
		a.Fired += b.Fired
		a.Control += b.Control
		a.Filtered += b.Filtered
		a.OptedOut += b.OptedOut
		a.NoOptIn += b.NoOptIn
		a.MinInterval += b.MinInterval
		a.DailyCap += b.DailyCap
		a.RateLimited += b.RateLimited
	}
}

// Engine evaluates a rule set on a stream of facts. Observe and Advance must
// be called from one goroutine; SetAttributes, SetConsent and Stats may be
// called from any. Shard subscribers over several Engines built from the same
// Set: per-subscriber state and caps stay per Engine, max_per_minute is shared.
//
// Per-subscriber state (what a checkpoint must keep): the timers in slots
// and index (dwell, silent, roam_in waits), lastFired (min_interval), daily
// (max_per_subscriber_per_day), once (roam_in with regions), counts and
// countSlab (count), matched (rules that others follow with after).
type Engine struct {
	set     *Set
	attrs   atomic.Pointer[Attributes]
	consent atomic.Pointer[Consent]

	index map[key]int32 // dwell and silent timers and roam_in waits by subscriber, rule, region (-1 for waits)
	slots []pend
	free  []int32
	heap  []hent
	waits int // roam_in waits armed

	lastFired map[key]int64            // rules with min_interval: last firing (ns)
	daily     map[sink.Digits]dayCount // max_per_subscriber_per_day
	once      map[key]int64            // roam_in with regions: last entry (ns)
	counts    map[key]int32            // rules with count: index into countSlab
	countSlab []countRing
	countFree []int32
	matched   map[key]matchPair // rules another rule follows: last matches (ns)

	now       int64
	nextSweep int64
	zone      struct{ from, until, off int64 } // cached UTC offset, unix s

	ids      idArena
	facts    atomic.Uint64
	pending  atomic.Int64
	counters []ruleCounters
}

// New makes an Engine for set. attrs and consent may be nil (no subscriber
// has attributes; rules with require_consent never fire, nobody opted out).
func New(set *Set, attrs *Attributes, consent *Consent) *Engine {
	e := &Engine{
		set:       set,
		index:     make(map[key]int32),
		lastFired: make(map[key]int64),
		daily:     make(map[sink.Digits]dayCount),
		once:      make(map[key]int64),
		counts:    make(map[key]int32),
		matched:   make(map[key]matchPair),
		counters:  make([]ruleCounters, len(set.rules)),
		nextSweep: math.MinInt64,
	}
	e.zone.from, e.zone.until = 1, 0 // empty: first lookup fills it
	e.attrs.Store(attrs)
	e.consent.Store(consent)
	return e
}

// SetAttributes swaps in reloaded attributes; safe from any goroutine.
func (e *Engine) SetAttributes(a *Attributes) { e.attrs.Store(a) }

// SetConsent swaps in reloaded consent lists; safe from any goroutine.
func (e *Engine) SetConsent(c *Consent) { e.consent.Store(c) }

// Stats returns the counters so far; safe from any goroutine.
func (e *Engine) Stats() Stats {
	s := Stats{Facts: e.facts.Load(), Pending: e.pending.Load(), Rules: make([]RuleStats, len(e.counters))}
	for i := range e.counters {
		c := &e.counters[i]
		s.Rules[i] = RuleStats{
			Rule: e.set.rules[i].name, Fired: c.fired.Load(), Control: c.control.Load(), Filtered: c.filtered.Load(),
			OptedOut: c.optedOut.Load(), NoOptIn: c.noOptIn.Load(), MinInterval: c.minInterval.Load(),
			DailyCap: c.dailyCap.Load(), RateLimited: c.rate.Load(),
		}
	}
	return s
}

// subj is the subscriber as a rule sees it at the moment of a firing.
type subj struct {
	ts        int64
	imsi      sink.Digits
	msisdn    sink.Digits
	roamer    bool
	region    int32
	lac       uint16
	ci        uint16
	dwellS    int64
	peer      sink.Digits
	durationS int64
	cause     uint8
}

// Observe evaluates the rules on f and appends the triggers that fire to out.
// Timers due by f.TS fire first, so triggers come out in capture-time order
// even if Advance is called rarely. The returned triggers' strings are
// immutable and may be kept.
func (e *Engine) Observe(f *Fact, out []sink.Trigger) []sink.Trigger {
	out = e.Advance(f.TS, out)
	e.facts.Add(1)
	if f.IMSI == 0 {
		return out
	}
	set := e.set
	if e.waits > 0 && f.Roamer {
		out = e.release(f, out)
	}
	s := subj{ts: f.TS, imsi: f.IMSI, msisdn: f.MSISDN, roamer: f.Roamer, region: f.Region, lac: f.LAC, ci: f.CI}
	if len(set.silent) > 0 {
		e.silentFact(f)
	}
	switch f.Kind {
	case Identity:
		// Dwell triggers armed before the number was known carry it.
		for _, ri := range set.dwell {
			for g := range set.regionNames {
				if i, ok := e.index[key{f.IMSI, ri, int32(g)}]; ok {
					e.slots[i].msisdn = f.MSISDN
				}
			}
		}
	case RegionEnter:
		if f.Region < 0 {
			break
		}
		for _, ri := range set.dwell {
			r := &set.rules[ri]
			if !r.inRegion(f.Region) || !r.matchIMSI(&s) {
				continue
			}
			k := key{f.IMSI, ri, f.Region}
			if _, ok := e.index[k]; ok {
				continue // still in the same stay
			}
			slot, p := e.alloc(k)
			p.since, p.due = f.TS, f.TS+r.dwell
			p.snapshot(f)
			e.hpush(slot)
		}
	case RegionExit:
		for _, ri := range set.dwell {
			if i, ok := e.index[key{f.IMSI, ri, f.Region}]; ok {
				e.drop(i)
			}
		}
	case Call:
		s.peer, s.durationS, s.cause = f.Peer, f.DurationS, f.Cause
	case SMS, RoamOut, RoamReturn:
		s.peer = f.Peer
	}
	for _, ri := range set.byFact[f.Kind] {
		r := &set.rules[ri]
		s.dwellS = 0
		s.region = f.Region
		if f.Kind != RegionEnter && f.Kind != RegionExit {
			s.region = r.pickRegion(f.Regions)
		}
		ok := true
		switch r.kind {
		case kRegionEnter:
			ok = f.Region >= 0
		case kRegionExit:
			ok = f.Region >= 0 && f.InRegionS*int64(time.Second) >= r.minStay
			s.dwellS = f.InRegionS
		case kPowerOn:
			ok = r.offFor == 0 || (f.OffS >= 0 && f.OffS*int64(time.Second) >= r.offFor)
		case kRoamIn:
			ok = f.Roamer
			if ok && r.regions != nil {
				k := key{f.IMSI, ri, f.Region}
				last, seen := e.once[k]
				if ok = f.Region >= 0 && r.inRegion(f.Region); ok {
					e.once[k] = f.TS
					ok = !seen || f.TS-last >= onceRetention
				}
			}
			if ok && (f.MSISDN == 0 || f.LAC == 0) {
				out = e.wait(ri, f, s.region, out)
				continue
			}
		case kCall:
			d := f.DurationS * int64(time.Second)
			ok = r.matchDirection(f.MO) && (len(r.peerPfx) == 0 || anyPrefix(r.peerPfx, f.Peer)) &&
				d >= r.minDur && (r.maxDur == 0 || d <= r.maxDur) &&
				(r.answered == anyone || (r.answered == only) == f.Answered) &&
				(r.causes == nil || hasCause(r.causes, f.Cause))
		case kSMS:
			ok = r.matchDirection(f.MO) && (len(r.peerPfx) == 0 || anyPrefix(r.peerPfx, f.Peer))
		case kRoamOut, kRoamReturn:
			ok = len(r.countries) == 0 || matchCountry(r.countries, f.Peer)
		}
		if !ok {
			e.counters[ri].filtered.Add(1)
			continue
		}
		out = e.fire(ri, &s, out)
	}
	return out
}

func hasCause(cs []uint8, c uint8) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// pickRegion is the region a fact in a cell of regions counts as for r: the
// first of them r accepts, -1 if none.
func (r *rule) pickRegion(regions []int32) int32 {
	for _, g := range regions {
		if r.regions == nil || int(g) < len(r.regions) && r.regions[g] {
			return int32(g)
		}
	}
	return -1
}

// wait holds a roam_in firing until the roamer shows in a cell (a roamer
// first seen in MAP only, absent from our cells, waits as long as that
// takes) and then until its MSISDN is known, at most RoamInWait. A roamer
// already waiting on this rule fires first.
func (e *Engine) wait(ri uint16, f *Fact, region int32, out []sink.Trigger) []sink.Trigger {
	k := key{f.IMSI, ri, -1}
	if i, ok := e.index[k]; ok {
		out = e.fireWait(i, f.TS, out)
	}
	slot, p := e.alloc(k)
	p.since = f.TS
	p.snapshot(f)
	p.region = region
	if f.LAC != 0 {
		p.due = f.TS + int64(RoamInWait)
		e.hpush(slot)
	}
	e.waits++
	return out
}

// release fires the roamer's waiting roam_in triggers once f brings the
// missing MSISDN and cell, and starts the MSISDN's deadline when the cell
// shows first.
func (e *Engine) release(f *Fact, out []sink.Trigger) []sink.Trigger {
	for _, ri := range e.set.roamIn {
		i, ok := e.index[key{f.IMSI, ri, -1}]
		if !ok {
			continue
		}
		p := &e.slots[i]
		if f.MSISDN != 0 {
			p.msisdn = f.MSISDN
		}
		if f.LAC != 0 && p.lac == 0 {
			p.lac, p.ci = f.LAC, f.CI
			if p.region < 0 {
				p.region = e.set.rules[ri].pickRegion(f.Regions)
			}
			if p.msisdn == 0 {
				p.due = f.TS + int64(RoamInWait)
				e.hpush(i)
			}
		}
		if p.msisdn != 0 && p.lac != 0 {
			out = e.fireWait(i, f.TS, out)
		}
	}
	return out
}

// fireWait fires the roam_in wait in slot i at ts and frees the slot.
func (e *Engine) fireWait(i int32, ts int64, out []sink.Trigger) []sink.Trigger {
	p := &e.slots[i]
	ri := p.key.rule
	s := subj{ts: ts, imsi: p.key.imsi, msisdn: p.msisdn, roamer: p.roamer, region: p.region, lac: p.lac, ci: p.ci}
	e.drop(i)
	return e.fire(ri, &s, out)
}

// silentFact keeps the silent timers: the first fact with a cell arms one,
// Call and SMS restart it, PowerOff and RoamOut cancel it.
func (e *Engine) silentFact(f *Fact) {
	set := e.set
	for _, ri := range set.silent {
		r := &set.rules[ri]
		k := key{f.IMSI, ri, -1}
		i, ok := e.index[k]
		if f.Kind == PowerOff || f.Kind == RoamOut {
			if ok {
				e.drop(i)
			}
			continue
		}
		var p *pend
		if ok {
			p = &e.slots[i]
		} else {
			if f.LAC == 0 || !r.matchIMSI(&subj{imsi: f.IMSI, roamer: f.Roamer}) {
				continue
			}
			i, p = e.alloc(k)
			p.since, p.due = f.TS, f.TS+r.silentFor
			e.hpush(i)
		}
		// The trigger shows the subscriber as of its last signaling from a
		// cell (region facts repeat the cell change they follow).
		if f.MSISDN != 0 {
			p.msisdn = f.MSISDN
		}
		if f.LAC != 0 && f.Kind != RegionEnter && f.Kind != RegionExit {
			p.roamer, p.lac, p.ci, p.region = f.Roamer, f.LAC, f.CI, r.pickRegion(f.Regions)
		}
		if ok && (f.Kind == Call || f.Kind == SMS) {
			p.since, p.due = f.TS, f.TS+r.silentFor
			if p.hi >= 0 {
				e.hfix(int(p.hi))
			} else {
				e.hpush(i)
			}
		}
	}
}

func (p *pend) snapshot(f *Fact) {
	if f.MSISDN != 0 {
		p.msisdn = f.MSISDN
	}
	p.roamer, p.region = f.Roamer, f.Region
	if f.LAC != 0 {
		p.lac, p.ci = f.LAC, f.CI
	}
}

// Advance fires the dwell and silent rules and the roam_in waits due by now
// (unix ns, capture time) and appends them to out. Call it when facts are
// sparse, e.g. once a second with the capture clock.
func (e *Engine) Advance(now int64, out []sink.Trigger) []sink.Trigger {
	for len(e.heap) > 0 && e.heap[0].due <= now {
		slot := e.heap[0].slot
		e.hremove(0)
		p := &e.slots[slot]
		ri := p.key.rule
		switch e.set.rules[ri].kind {
		case kRoamIn:
			out = e.fireWait(slot, p.due, out)
			continue
		case kDwell:
			s := subj{ts: p.due, imsi: p.key.imsi, msisdn: p.msisdn, roamer: p.roamer, region: p.key.region, lac: p.lac, ci: p.ci}
			s.dwellS = (p.due - p.since) / int64(time.Second)
			p.due = 0 // fired: wait for RegionExit
			out = e.fire(ri, &s, out)
		default:
			s := subj{ts: p.due, imsi: p.key.imsi, msisdn: p.msisdn, roamer: p.roamer, region: p.region, lac: p.lac, ci: p.ci}
			p.due = 0 // fired: wait for the next call/SMS
			out = e.fire(ri, &s, out)
		}
	}
	if now > e.now {
		e.now = now
	}
	if now >= e.nextSweep {
		e.sweep(now)
		e.nextSweep = now + sweepEvery
	}
	return out
}

// sweep forgets state that can no longer matter.
func (e *Engine) sweep(now int64) {
	rules := e.set.rules
	for k, t := range e.lastFired {
		if now-t >= rules[k.rule].minInterval {
			delete(e.lastFired, k)
		}
	}
	if e.set.maxPerDay > 0 {
		today := e.localDay(now)
		for k, d := range e.daily {
			if d.day < today {
				delete(e.daily, k)
			}
		}
	}
	for k, t := range e.once {
		if now-t >= onceRetention {
			delete(e.once, k)
		}
	}
	for k, i := range e.counts {
		c := &e.countSlab[i]
		if last := c.ts[(int(c.head)+int(c.n)-1)%maxCount]; now-last >= rules[k.rule].countWithin {
			delete(e.counts, k)
			e.countFree = append(e.countFree, i)
		}
	}
	for k, m := range e.matched {
		if now-m.last > rules[k.rule].followWithin {
			delete(e.matched, k)
		}
	}
	for i := range e.slots {
		p := &e.slots[i]
		if p.key.imsi == 0 || p.due != 0 {
			continue
		}
		switch k := rules[p.key.rule].kind; {
		case k == kDwell && now-p.since >= staleStay, k == kRoamIn && now-p.since >= onceRetention:
			e.drop(int32(i))
		}
	}
}

func (r *rule) inRegion(region int32) bool {
	return r.regions == nil || (region >= 0 && int(region) < len(r.regions) && r.regions[region])
}

func (r *rule) matchDirection(mo bool) bool {
	switch r.direction {
	case only:
		return mo
	case exclude:
		return !mo
	}
	return true
}

// matchIMSI checks the filters that depend only on the IMSI.
func (r *rule) matchIMSI(s *subj) bool {
	switch r.roamers {
	case only:
		if !s.roamer {
			return false
		}
	case exclude:
		if s.roamer {
			return false
		}
	}
	return (len(r.plmns) == 0 || anyPrefix(r.plmns, s.imsi)) && (len(r.imsiPfx) == 0 || anyPrefix(r.imsiPfx, s.imsi))
}

// offset returns the rule set's UTC offset (s) at unix second sec, cached for
// the span of the zone period so it is looked up once per DST change.
func (e *Engine) offset(sec int64) int64 {
	if e.set.loc == time.UTC {
		return 0
	}
	z := &e.zone
	if sec >= z.from && sec < z.until {
		return z.off
	}
	t := time.Unix(sec, 0).In(e.set.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	z.off, z.from, z.until = int64(off), math.MinInt64, math.MaxInt64
	if !start.IsZero() {
		z.from = start.Unix()
	}
	if !end.IsZero() {
		z.until = end.Unix()
	}
	return z.off
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// localDay is the day number (days since 1970-01-01) in the rule set's zone.
func (e *Engine) localDay(ts int64) int64 {
	sec := floorDiv(ts, int64(time.Second))
	return floorDiv(sec+e.offset(sec), 86400)
}

func (e *Engine) matchTime(r *rule, ts int64) bool {
	if len(r.hours) == 0 && r.days == 0 {
		return true
	}
	sec := floorDiv(ts, int64(time.Second))
	local := sec + e.offset(sec)
	d := floorDiv(local, 86400)
	if r.days != 0 {
		wd := ((d+4)%7 + 7) % 7 // 1970-01-01 was a Thursday (time.Weekday 4)
		if r.days&(1<<wd) == 0 {
			return false
		}
	}
	if len(r.hours) == 0 {
		return true
	}
	m := int32((local - d*86400) / 60)
	for _, w := range r.hours {
		if w.has(m) {
			return true
		}
	}
	return false
}

func matchAttrs(r *rule, a *attrRec) bool {
	if !r.hasAttrs() {
		return true
	}
	if a == nil {
		return false
	}
	if len(r.segments) > 0 && !contains(r.segments, a.segment) {
		return false
	}
	if len(r.tagsAny) > 0 {
		hit := false
		for _, t := range r.tagsAny {
			if hit = contains(a.tags, t); hit {
				break
			}
		}
		if !hit {
			return false
		}
	}
	for _, t := range r.tagsAll {
		if !contains(a.tags, t) {
			return false
		}
	}
	return true
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// followed reports whether rule j matched the subscriber within w before ts.
func (e *Engine) followed(j int32, imsi sink.Digits, ts, w int64) bool {
	m, ok := e.matched[key{imsi, uint16(j), -1}]
	if !ok {
		return false
	}
	last := m.last
	if last >= ts {
		last = m.prev // this very fact does not count as the earlier match
	}
	return last > 0 && last < ts && ts-last <= w
}

// countFact records a matching fact of rule ri (with count) and reports
// whether at least count of them fell within its window.
func (e *Engine) countFact(ri uint16, r *rule, imsi sink.Digits, ts int64) bool {
	k := key{imsi, ri, -1}
	i, ok := e.counts[k]
	if !ok {
		if n := len(e.countFree); n > 0 {
			i = e.countFree[n-1]
			e.countFree = e.countFree[:n-1]
		} else {
			e.countSlab = append(e.countSlab, countRing{})
			i = int32(len(e.countSlab) - 1)
		}
		e.countSlab[i] = countRing{}
		e.counts[k] = i
	}
	c := &e.countSlab[i]
	for c.n > 0 && ts-c.ts[c.head] >= r.countWithin {
		c.head = (c.head + 1) % maxCount
		c.n--
	}
	if int(c.n) == r.count { // keep the last count-1 and this one
		c.head = (c.head + 1) % maxCount
		c.n--
	}
	c.ts[(int(c.head)+int(c.n))%maxCount] = ts
	c.n++
	return int(c.n) >= r.count
}

// fire applies the subscriber filters, after, count, consent and caps of
// rule ri and, if they all pass, appends the trigger.
func (e *Engine) fire(ri uint16, s *subj, out []sink.Trigger) []sink.Trigger {
	set := e.set
	r := &set.rules[ri]
	c := &e.counters[ri]
	a := e.attrs.Load().lookup(s.imsi, s.msisdn)
	if !r.matchIMSI(s) || !r.inRegion(s.region) ||
		(len(r.msisdnPfx) > 0 && (s.msisdn == 0 || !anyPrefix(r.msisdnPfx, s.msisdn))) ||
		!e.matchTime(r, s.ts) || !matchAttrs(r, a) ||
		r.after >= 0 && !e.followed(r.after, s.imsi, s.ts, r.afterWithin) ||
		r.count > 0 && !e.countFact(ri, r, s.imsi, s.ts) {
		c.filtered.Add(1)
		return out
	}
	if r.followed {
		k := key{s.imsi, ri, -1}
		m := e.matched[k]
		if s.ts > m.last {
			m.prev, m.last = m.last, s.ts
		}
		e.matched[k] = m
	}
	if cs := e.consent.Load(); cs != nil && cs.listed(cs.out, s.imsi, s.msisdn) {
		c.optedOut.Add(1)
		return out
	} else if r.consent && (cs == nil || !cs.listed(cs.in, s.imsi, s.msisdn)) {
		c.noOptIn.Add(1)
		return out
	}
	lk := key{s.imsi, ri, -1}
	if r.minInterval > 0 {
		if last, ok := e.lastFired[lk]; ok && s.ts-last < r.minInterval {
			c.minInterval.Add(1)
			return out
		}
	}
	var today int64
	if set.maxPerDay > 0 {
		today = e.localDay(s.ts)
		if d, ok := e.daily[s.imsi]; ok && d.day == today && d.n >= set.maxPerDay {
			c.dailyCap.Add(1)
			return out
		}
	}
	if r.maxPerMinute > 0 && !set.limits[ri].take(floorDiv(s.ts, int64(time.Minute)), r.maxPerMinute) {
		c.rate.Add(1)
		return out
	}
	if r.minInterval > 0 {
		e.lastFired[lk] = s.ts
	}
	if set.maxPerDay > 0 {
		d := e.daily[s.imsi]
		if d.day != today {
			d = dayCount{day: today}
		}
		d.n++
		e.daily[s.imsi] = d
	}
	c.fired.Add(1)
	t := sink.Trigger{
		ID:        e.ids.id(triggerHash(r.hashA, r.hashB, s.imsi, s.ts, s.region)),
		Rule:      r.name,
		Kind:      ruleKindNames[r.kind],
		TS:        floorDiv(s.ts, int64(time.Second)),
		IMSI:      s.imsi,
		MSISDN:    s.msisdn,
		LAC:       s.lac,
		CI:        s.ci,
		DwellS:    s.dwellS,
		Peer:      s.peer,
		DurationS: s.durationS,
		Cause:     s.cause,
		Campaign:  r.campaign,
	}
	if r.campaign != "" && controlMember(r.campaign, s.imsi, r.control) {
		t.Control = true
		c.control.Add(1)
	}
	if s.region >= 0 && int(s.region) < len(set.regionNames) {
		t.Region = set.regionNames[s.region]
	}
	t.HomeMCC, t.HomeMNC = homePLMN(s.imsi)
	if a != nil {
		t.Attrs = a.str
	}
	return append(out, t)
}

// Timer slots and their heap, ordered by due time. Each armed slot is in the
// heap once; pend.hi is its position.

func (e *Engine) alloc(k key) (int32, *pend) {
	var i int32
	if n := len(e.free); n > 0 {
		i = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		e.slots = append(e.slots, pend{})
		i = int32(len(e.slots) - 1)
	}
	e.slots[i] = pend{key: k, hi: -1, region: -1}
	e.index[k] = i
	return i, &e.slots[i]
}

// drop frees slot i and takes it off the heap.
func (e *Engine) drop(i int32) {
	p := &e.slots[i]
	if p.hi >= 0 {
		e.hremove(int(p.hi))
	}
	if e.set.rules[p.key.rule].kind == kRoamIn {
		e.waits--
	}
	delete(e.index, p.key)
	*p = pend{hi: -1}
	e.free = append(e.free, i)
}

func (e *Engine) hpush(slot int32) {
	p := &e.slots[slot]
	p.hi = int32(len(e.heap))
	e.heap = append(e.heap, hent{due: p.due, slot: slot})
	e.pending.Add(1)
	e.up(len(e.heap) - 1)
}

// hfix restores the heap after the due time of the entry at i changed.
func (e *Engine) hfix(i int) {
	e.heap[i].due = e.slots[e.heap[i].slot].due
	if !e.down(i) {
		e.up(i)
	}
}

func (e *Engine) hremove(i int) {
	n := len(e.heap) - 1
	e.slots[e.heap[i].slot].hi = -1
	if i != n {
		e.heap[i] = e.heap[n]
		e.slots[e.heap[i].slot].hi = int32(i)
	}
	e.heap = e.heap[:n]
	e.pending.Add(-1)
	if i != n {
		if !e.down(i) {
			e.up(i)
		}
	}
}

func (e *Engine) swap(i, j int) {
	h := e.heap
	h[i], h[j] = h[j], h[i]
	e.slots[h[i].slot].hi = int32(i)
	e.slots[h[j].slot].hi = int32(j)
}

func (e *Engine) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if e.heap[p].due <= e.heap[i].due {
			break
		}
		e.swap(i, p)
		i = p
	}
}

func (e *Engine) down(i int) bool {
	start, n := i, len(e.heap)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && e.heap[c+1].due < e.heap[c].due {
			c++
		}
		if e.heap[i].due <= e.heap[c].due {
			break
		}
		e.swap(i, c)
		i = c
	}
	return i > start
}
