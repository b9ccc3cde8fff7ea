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
)

// key names per-subscriber, per-rule state. region is -1 where it does not apply.
type key struct {
	imsi   sink.Digits
	rule   uint16
	region int32
}

// pend is an armed (or fired, waiting) dwell or silent timer and the
// subscriber snapshot its trigger is built from.
type pend struct {
	key    key
	due    int64 // ns; 0: not armed
	since  int64 // dwell: entry time; silent: last call/SMS or first fact
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
	fired, filtered, optedOut, noOptIn, minInterval, dailyCap, rate atomic.Uint64
}

// RuleStats counts what one rule did. A firing that passed every filter but
// was suppressed is counted once, under the first reason that stopped it.
type RuleStats struct {
	Rule        string
	Fired       uint64
	Filtered    uint64 // a fact (or a due timer) of the rule's kind failed a filter
	OptedOut    uint64 // suppressed: subscriber on the opt-out list
	NoOptIn     uint64 // suppressed: require_consent and not on the opt-in list
	MinInterval uint64 // suppressed: fired for this subscriber less than min_interval ago
	DailyCap    uint64 // suppressed: max_per_subscriber_per_day reached
	RateLimited uint64 // suppressed: max_per_minute reached
}

// Stats counts what an Engine did.
type Stats struct {
	Facts   uint64
	Pending int64 // armed dwell and silent timers
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
type Engine struct {
	set     *Set
	attrs   atomic.Pointer[Attributes]
	consent atomic.Pointer[Consent]

	index map[key]int32 // dwell and silent timers by subscriber, rule, region
	slots []pend
	free  []int32
	heap  []hent

	lastFired map[key]int64            // rules with min_interval: last firing (ns)
	daily     map[sink.Digits]dayCount // max_per_subscriber_per_day
	once      map[key]int64            // roam_in with regions: last entry (ns)

	now       int64
	nextSweep int64
	zone      struct{ from, until, off int64 } // cached UTC offset, unix s

	ids     idArena
	facts   atomic.Uint64
	pending atomic.Int64
	counts  []ruleCounters
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
		counts:    make([]ruleCounters, len(set.rules)),
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
	s := Stats{Facts: e.facts.Load(), Pending: e.pending.Load(), Rules: make([]RuleStats, len(e.counts))}
	for i := range e.counts {
		c := &e.counts[i]
		s.Rules[i] = RuleStats{
			Rule: e.set.rules[i].name, Fired: c.fired.Load(), Filtered: c.filtered.Load(),
			OptedOut: c.optedOut.Load(), NoOptIn: c.noOptIn.Load(), MinInterval: c.minInterval.Load(),
			DailyCap: c.dailyCap.Load(), RateLimited: c.rate.Load(),
		}
	}
	return s
}

// subj is the subscriber as a rule sees it at the moment of a firing.
type subj struct {
	ts     int64
	imsi   sink.Digits
	msisdn sink.Digits
	roamer bool
	region int32
	lac    uint16
	ci     uint16
	dwellS int64
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
	s := subj{ts: f.TS, imsi: f.IMSI, msisdn: f.MSISDN, roamer: f.Roamer, region: f.Region, lac: f.LAC, ci: f.CI}
	if len(set.silent) > 0 {
		e.silentFact(f, &s)
	}
	switch f.Kind {
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
				e.release(i)
			}
		}
	}
	for _, ri := range set.byFact[f.Kind] {
		r := &set.rules[ri]
		s.dwellS = 0
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
		case kCall:
			ok = r.matchDirection(f.MO) && (len(r.peerPfx) == 0 || anyPrefix(r.peerPfx, f.Peer)) &&
				f.DurationS*int64(time.Second) >= r.minDur
		case kSMS:
			ok = r.matchDirection(f.MO) && (len(r.peerPfx) == 0 || anyPrefix(r.peerPfx, f.Peer))
		}
		if !ok {
			e.counts[ri].filtered.Add(1)
			continue
		}
		out = e.fire(ri, &s, out)
	}
	return out
}

// silentFact keeps the silent timers: any fact arms one, Call and SMS restart
// it, PowerOff cancels it.
func (e *Engine) silentFact(f *Fact, s *subj) {
	set := e.set
	for _, ri := range set.silent {
		r := &set.rules[ri]
		k := key{f.IMSI, ri, -1}
		i, ok := e.index[k]
		if f.Kind == PowerOff {
			if ok {
				e.release(i)
			}
			continue
		}
		var p *pend
		if ok {
			p = &e.slots[i]
		} else {
			if !r.matchIMSI(s) {
				continue
			}
			i, p = e.alloc(k)
			p.since, p.due = f.TS, f.TS+r.silentFor
			e.hpush(i)
		}
		p.snapshot(f)
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
	p.roamer, p.region, p.lac, p.ci = f.Roamer, f.Region, f.LAC, f.CI
}

// Advance fires the dwell and silent rules due by now (unix ns, capture time)
// and appends them to out. Call it when facts are sparse, e.g. once a second
// with the capture clock.
func (e *Engine) Advance(now int64, out []sink.Trigger) []sink.Trigger {
	for len(e.heap) > 0 && e.heap[0].due <= now {
		slot := e.heap[0].slot
		e.hremove(0)
		p := &e.slots[slot]
		ri := p.key.rule
		s := subj{ts: p.due, imsi: p.key.imsi, msisdn: p.msisdn, roamer: p.roamer, region: p.region, lac: p.lac, ci: p.ci}
		if e.set.rules[ri].kind == kDwell {
			s.region = p.key.region
			s.dwellS = (p.due - p.since) / int64(time.Second)
		}
		p.due = 0 // fired: wait for RegionExit (dwell) or the next call/SMS (silent)
		out = e.fire(ri, &s, out)
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
	for i := range e.slots {
		p := &e.slots[i]
		if p.key.imsi != 0 && p.due == 0 && rules[p.key.rule].kind == kDwell && now-p.since >= staleStay {
			e.release(int32(i))
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

// fire applies the subscriber filters, consent and caps of rule ri and, if
// they all pass, appends the trigger.
func (e *Engine) fire(ri uint16, s *subj, out []sink.Trigger) []sink.Trigger {
	set := e.set
	r := &set.rules[ri]
	c := &e.counts[ri]
	a := e.attrs.Load().lookup(s.imsi, s.msisdn)
	if !r.matchIMSI(s) || !r.inRegion(s.region) ||
		(len(r.msisdnPfx) > 0 && (s.msisdn == 0 || !anyPrefix(r.msisdnPfx, s.msisdn))) ||
		!e.matchTime(r, s.ts) || !matchAttrs(r, a) {
		c.filtered.Add(1)
		return out
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
		ID:     e.ids.id(triggerHash(r.hashA, r.hashB, s.imsi, s.ts, s.region)),
		Rule:   r.name,
		Kind:   ruleKindNames[r.kind],
		TS:     floorDiv(s.ts, int64(time.Second)),
		IMSI:   s.imsi,
		MSISDN: s.msisdn,
		LAC:    s.lac,
		CI:     s.ci,
		DwellS: s.dwellS,
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

func (e *Engine) release(i int32) {
	p := &e.slots[i]
	if p.hi >= 0 {
		e.hremove(int(p.hi))
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
