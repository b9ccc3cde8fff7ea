package track

import (
	"cmp"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/sink"
)

// Config tunes State.
type Config struct {
	// T3212 is the network's periodic location update timer. A subscriber
	// silent for SilentFactor × T3212 went away without detaching (battery,
	// coverage, border): its dwell ends at the last message seen.
	T3212        time.Duration
	SilentFactor float64
	// HomePLMNs are the MCC+MNC prefixes of the operator's own IMSIs; any
	// other IMSI is an inbound roamer.
	HomePLMNs []string
	// HomeCountryCodes are the E.164 country codes of the operator's own
	// VLR numbers: a home subscriber whose updateLocation comes from a VLR
	// numbered otherwise is abroad (roam-out).
	HomeCountryCodes []string
	Regions          *regions.File
	// Subscribers, if set, sizes the subscriber table up front (no growth
	// slack: an operator knows roughly how many subscribers it has).
	Subscribers int
	// Trace is passed to the Resolver (tests measure attribution with it).
	Trace func(frame uint64, imsi sink.Digits)
	// MaxConnections, MaxTransactions and MaxHeld bound the Resolver's open
	// SCCP connections, open TCAP transactions and observations held for
	// phones not identified yet; past a bound the entries idle longest go
	// first (ResolverStats.Evicted*). 0: the default.
	MaxConnections, MaxTransactions, MaxHeld int
}

// Default bounds (Config.MaxConnections, MaxTransactions, MaxHeld).
const (
	DefaultMaxConnections  = 1_000_000
	DefaultMaxTransactions = 1_000_000
	DefaultMaxHeld         = 2_000_000
)

// DefaultConfig matches the simulator's default network.
func DefaultConfig() Config {
	return Config{T3212: 2 * time.Hour, SilentFactor: 1.05, HomePLMNs: []string{"00101"}, HomeCountryCodes: []string{"999"},
		MaxConnections: DefaultMaxConnections, MaxTransactions: DefaultMaxTransactions, MaxHeld: DefaultMaxHeld}
}

// State holds every subscriber's cell, dwell and region presence, and
// produces the table rows. Observations must arrive in capture order.
type State struct {
	cfg     Config
	timeout int64
	out     *sink.Batch
	flush   func(*sink.Batch)
	Stats   StateStats

	idx  subIndex
	subs []subState
	// tmsi maps the Resolver's TMSIs to subscribers: kept here because it
	// points into subs (a subscriber known by its TMSI before anything
	// was observed of it is in subs, unobserved: firstSeen 0).
	tmsi tmsiIndex
	// vlrs: the MSC point code of each VLR number in TMSI keys (vlrOf);
	// vlrIDs the reverse.
	vlrs   []uint32
	vlrIDs map[uint32]uint16

	// Implicit detach: every minute, the subscribers whose silence timeout
	// expired in it (a scan of subs: a wheel of lists would cost 4 bytes
	// and more a subscriber).
	wheelMin int64   // first minute not yet processed
	due      []int32 // scratch of advance

	reg regionState

	// abroad: home subscribers registered with a foreign VLR (by index in
	// subs), and that VLR's number. Part of the state a checkpoint keeps.
	abroad map[int32]sink.Digits

	rules *rules.Engine // nil: no trigger rules
	fact  rules.Fact

	// Persist: Close keeps open dwells open (they continue after a restart)
	// instead of ending them.
	Persist bool
}

// SetRules makes the state fire triggers with e (nil: none).
func (s *State) SetRules(e *rules.Engine) {
	s.rules = e
	s.reg.onMove = s.regionFact
}

// Len is the number of subscribers tracked.
func (s *State) Len() int { return len(s.subs) }

// RegionLate counts region entries/exits that came older than the settling
// window.
func (s *State) RegionLate() uint64 { return s.reg.Late }

// Occupancy is the live number of subscribers in each region (indexed like
// the region file). The slice is the state's own: read it, do not keep it.
func (s *State) Occupancy() []int32 { return s.reg.live }

// Reconfigure swaps in a new region file and rules engine without losing
// any subscriber: minutes counted so far are settled with the old regions,
// then everyone is placed in the new regions of their current cell (a
// region kept by name keeps its entry times). eng nil removes the rules.
func (s *State) Reconfigure(rf *regions.File, eng *rules.Engine) {
	now := s.wheelMin
	s.reg.settle(now+1, s.out)
	old := s.reg
	s.cfg.Regions = rf
	s.reg = regionState{}
	s.reg.init(rf, int64(len(old.ring)))
	s.reg.settled = now + 1
	oldIdx := make(map[string]int32, len(old.names))
	for og, name := range old.names {
		oldIdx[name] = int32(og)
	}
	for i := range s.subs {
		u := &s.subs[i]
		if u.cell == 0 {
			continue
		}
		for _, g := range s.reg.cells.of(u.cell) {
			since := unixOf(u.dwellStart) * 1e9
			if og, ok := oldIdx[s.reg.names[g]]; ok {
				if t, ok := old.since[sinceKey(int32(i), og)]; ok {
					since = t
				}
			}
			s.reg.since[sinceKey(int32(i), g)] = since
			s.reg.live[g]++
			s.reg.occ[g]++
			if u.roamer() {
				s.reg.roam[g]++
			}
		}
	}
	s.rules = nil
	s.reg.onMove = nil
	if eng != nil {
		s.SetRules(eng)
	}
}

// fire hands one fact about u in cell c to the rules engine.
func (s *State) fire(u *subState, kind rules.Kind, ts int64, c cellKey) {
	if s.rules == nil {
		return
	}
	f := &s.fact
	*f = rules.Fact{Kind: kind, TS: ts, IMSI: u.imsi, MSISDN: u.msisdn, Roamer: u.roamer(), Region: -1, LAC: c.lac(), CI: c.ci(), OffS: -1,
		Regions: s.reg.cells.of(c)}
	s.out.Triggers = s.rules.Observe(f, s.out.Triggers)
}

// regionFact reports entering or leaving region g.
func (s *State) regionFact(u int32, g int32, enter bool, ts, stay int64, c cellKey) {
	if s.rules == nil {
		return
	}
	sub := &s.subs[u]
	f := &s.fact
	kind := rules.RegionExit
	if enter {
		kind = rules.RegionEnter
	}
	*f = rules.Fact{Kind: kind, TS: ts, IMSI: sub.imsi, MSISDN: sub.msisdn, Roamer: sub.roamer(), Region: g,
		LAC: c.lac(), CI: c.ci(), InRegionS: stay / 1e9, OffS: -1}
	s.out.Triggers = s.rules.Observe(f, s.out.Triggers)
}

// StateStats counts what State did.
type StateStats struct {
	Observations uint64
	Subscribers  uint64
	DwellRows    uint64
	Silent       uint64
	OutOfOrder   uint64 // observations older than the subscriber's last one (ignored for dwell)
	RegionLate   uint64 // region entries/exits older than the settling window, counted in its oldest minute
}

// subState is one subscriber: 48 bytes. Times are seconds since epochBase
// (the rows are in seconds anyway): 2000 (SIGTRAN is younger) to 2136, and
// offAt, which shares its word with the roamer bit, to 2068.
type subState struct {
	imsi       sink.Digits
	msisdn     sink.Digits
	imei       sink.Digits
	cell       cellKey // current dwell cell, 0 none
	dwellStart uint32
	lastSeen   uint32 // last cell observation
	firstSeen  uint32
	lastAny    uint32 // last observation of any kind
	offAt      uint32 // when it last detached or went silent (0 never); top bit: inbound roamer
}

const roamerBit = 1 << 31

func (u *subState) roamer() bool    { return u.offAt&roamerBit != 0 }
func (u *subState) off() uint32     { return u.offAt &^ roamerBit }
func (u *subState) setOff(t uint32) { u.offAt = u.offAt&roamerBit | t&^roamerBit }

// epochBase is 2000-01-01T00:00:00Z in unix seconds.
const epochBase = 946684800

// sec32 is ns as seconds since epochBase, clamped to what 32 bits hold.
func sec32(ns int64) uint32 {
	s := ns/1e9 - epochBase
	if s < 0 {
		return 0
	}
	if s > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}

func unixOf(t uint32) int64 { return int64(t) + epochBase }

// NewState returns a State that appends rows to out and calls flush when out
// holds a few thousand rows (flush must consume and Reset it).
func NewState(cfg Config, out *sink.Batch, flush func(*sink.Batch)) *State {
	if cfg.T3212 <= 0 {
		cfg.T3212 = 2 * time.Hour
	}
	if cfg.SilentFactor < 1 {
		cfg.SilentFactor = 1.05
	}
	s := &State{cfg: cfg, out: out, flush: flush, wheelMin: -1}
	if cfg.Subscribers > 0 {
		s.subs = make([]subState, 0, cfg.Subscribers)
		s.idx.grow(nil, cfg.Subscribers)
		s.tmsi.grow(cfg.Subscribers)
	}
	s.timeout = int64(float64(cfg.T3212) * cfg.SilentFactor)
	// The ring holds the silence timeout plus six hours for held
	// observations replayed late (a subscriber whose TMSI is learned late).
	s.reg.init(cfg.Regions, s.timeout/60e9+362)
	return s
}

// intern returns the position of imsi's subscriber, adding it unobserved
// if it is new.
func (s *State) intern(imsi sink.Digits) int32 {
	if i := s.idx.get(s.subs, imsi); i >= 0 {
		return i
	}
	n := subState{imsi: imsi}
	roamer := true
	for _, p := range s.cfg.HomePLMNs {
		if imsi.HasPrefix(p) {
			roamer = false
		}
	}
	if roamer {
		n.offAt = roamerBit
	}
	s.subs = append(s.subs, n)
	i := int32(len(s.subs) - 1)
	s.idx.put(s.subs, imsi, i, s.cfg.Subscribers)
	return i
}

// sub returns imsi's subscriber, observed at ts; created reports its first
// observation (Observe tells the rules it was seen once the observation
// is applied).
func (s *State) sub(imsi sink.Digits, ts int64) (u *subState, created bool) {
	u = &s.subs[s.intern(imsi)]
	if u.firstSeen == 0 {
		u.firstSeen = max(sec32(ts), 1) // 0 is "not observed yet"
		s.Stats.Subscribers++
		return u, true
	}
	return u, false
}

// imsiOfTMSI returns the IMSI TMSI k is mapped to (and marks the mapping
// used at ts), or 0.
func (s *State) imsiOfTMSI(k tmsiKey, ts int64) sink.Digits {
	if i := s.tmsi.get(k, ts); i >= 0 {
		return s.subs[i].imsi
	}
	return 0
}

// mapTMSI maps k to imsi at ts; it reports whether the mapping is new.
// Nothing is kept for a foreign VLR's TMSI.
func (s *State) mapTMSI(k tmsiKey, imsi sink.Digits, ts int64) bool {
	if k.vlr() == foreignVLR {
		return false
	}
	return s.tmsi.set(k, s.intern(imsi), ts, s.cfg.Subscribers)
}

// unmapTMSI forgets k: its VLR gave it to a subscriber not known yet.
func (s *State) unmapTMSI(k tmsiKey) {
	if h := s.tmsi.find(k); h >= 0 {
		s.tmsi.del(h)
	}
}

// vlrOf returns the number of the VLR of the MSC with signalling point
// code pc, numbering a new one (past the last number, TMSIs of further
// MSCs share it).
func (s *State) vlrOf(pc uint32) uint16 {
	if id, ok := s.vlrIDs[pc]; ok {
		return id
	}
	if len(s.vlrs) >= foreignVLR-1 {
		return foreignVLR - 1
	}
	if s.vlrIDs == nil {
		s.vlrIDs = make(map[uint32]uint16)
	}
	id := uint16(len(s.vlrs))
	s.vlrs = append(s.vlrs, pc)
	s.vlrIDs[pc] = id
	return id
}

// ExpireTMSIs drops the TMSI mappings unused for three days.
func (s *State) expireTMSIs(now int64) uint64 { return s.tmsi.expire(now) }

// TMSIs is the number of TMSIs mapped to an IMSI.
func (s *State) TMSIs() int { return s.tmsi.n }

// Observe applies one observation.
func (s *State) Observe(o *Obs) {
	s.Stats.Observations++
	s.advance(o.TS)
	u, created := s.sub(o.IMSI, o.TS)
	if t := sec32(o.TS); t > u.lastAny {
		u.lastAny = t
	}
	switch o.Kind {
	case obsIdentity:
		if o.IMEI != 0 {
			u.imei = o.IMEI
		}
		if o.MSISDN != 0 && o.MSISDN != u.msisdn {
			u.msisdn = o.MSISDN
			if !created {
				s.fire(u, rules.Identity, o.TS, u.cell)
			}
		}
	case obsCell:
		s.cell(u, o.Cell, o.TS)
	case obsDetach:
		s.cell(u, o.Cell, o.TS)
		s.endDwell(u, o.TS, "detach")
		s.event(u, o)
	case obsEvent:
		s.event(u, o)
	case obsVLR:
		s.vlr(u, o)
	}
	if created {
		// First seen: with what this observation showed (its cell, or the
		// number it revealed).
		c := u.cell
		if c == 0 {
			c = o.Cell
		}
		s.fire(u, rules.Seen, o.TS, c)
	}
	s.maybeFlush()
}

// vlr applies an updateLocation: a home subscriber registering with a
// foreign VLR roams out (again, when the country changes); registering at
// home after that is the return.
func (s *State) vlr(u *subState, o *Obs) {
	if u.roamer() {
		return
	}
	vlr := o.Event.Peer
	home := false
	for _, cc := range s.cfg.HomeCountryCodes {
		home = home || vlr.HasPrefix(cc)
	}
	i := s.idxOf(u)
	prev, away := s.abroad[i]
	switch {
	case !home && (!away || prev.CountryCode() != vlr.CountryCode()):
		if s.abroad == nil {
			s.abroad = make(map[int32]sink.Digits)
		}
		s.abroad[i] = vlr
		s.roamEvent(u, o.TS, sink.EventRoamOut, rules.RoamOut, vlr)
	case !home:
		s.abroad[i] = vlr // another VLR of the same country
	case away:
		delete(s.abroad, i)
		s.roamEvent(u, o.TS, sink.EventRoamReturn, rules.RoamReturn, prev)
	}
}

func (s *State) roamEvent(u *subState, ts int64, kind string, fk rules.Kind, vlr sink.Digits) {
	s.out.Events = append(s.out.Events, sink.Event{TS: ts / 1e9, IMSI: u.imsi, MSISDN: u.msisdn, Kind: kind, Peer: vlr})
	if s.rules == nil {
		return
	}
	c := u.cell
	if fk == rules.RoamOut {
		c = 0 // abroad: in none of our cells
	}
	f := &s.fact
	*f = rules.Fact{Kind: fk, TS: ts, IMSI: u.imsi, MSISDN: u.msisdn, Region: -1, LAC: c.lac(), CI: c.ci(), OffS: -1, Peer: vlr,
		Regions: s.reg.cells.of(c)}
	s.out.Triggers = s.rules.Observe(f, s.out.Triggers)
}

// Abroad is the number of home subscribers registered abroad now.
func (s *State) Abroad() int { return len(s.abroad) }

// cell: u was seen in c at ts.
func (s *State) cell(u *subState, c cellKey, ts int64) {
	if c == 0 {
		return
	}
	t := sec32(ts)
	if t < u.lastSeen {
		s.Stats.OutOfOrder++
		return
	}
	if u.cell != 0 && ts-unixOf(u.lastSeen)*1e9 > s.timeout {
		s.implicitDetach(u) // went away unnoticed; back now, before the wheel saw it
	}
	if u.cell != c {
		if u.cell != 0 {
			s.endDwellTo(u, ts, "cell", c)
		}
		u.cell, u.dwellStart = c, t
		s.fire(u, rules.Activity, ts, c)
		s.out.Trajectories = append(s.out.Trajectories, sink.TrajectoryPoint{IMSI: u.imsi, TS: ts / 1e9, LAC: c.lac(), CI: c.ci()})
		s.reg.enter(s.idxOf(u), c, ts, u.roamer())
	}
	u.lastSeen = t
}

// idxOf is u's position in subs.
func (s *State) idxOf(u *subState) int32 {
	return int32((uintptr(unsafe.Pointer(u)) - uintptr(unsafe.Pointer(&s.subs[0]))) / unsafe.Sizeof(subState{}))
}

// endDwell closes u's dwell at end.
func (s *State) endDwell(u *subState, end int64, reason string) { s.endDwellTo(u, end, reason, 0) }

// endDwellTo closes u's dwell at end; next is the cell of the next dwell.
func (s *State) endDwellTo(u *subState, end int64, reason string, next cellKey) {
	if u.cell == 0 {
		return
	}
	s.Stats.DwellRows++
	s.out.Dwell = append(s.out.Dwell, sink.Dwell{IMSI: u.imsi, MSISDN: u.msisdn, LAC: u.cell.lac(), CI: u.cell.ci(),
		StartTS: unixOf(u.dwellStart), EndTS: end / 1e9, Roamer: u.roamer(), Reason: reason})
	// At the capture's end (or a shutdown that keeps no state) the dwell
	// row ends because the probe stops seeing, not because the subscriber
	// left: no outflow, no exit trigger.
	if reason != "end" {
		s.reg.leave(s.idxOf(u), u.cell, next, end, u.roamer())
	}
	u.cell = 0
}

func (s *State) event(u *subState, o *Obs) {
	s.eventFact(u, o)
	e := sink.Event{TS: o.TS / 1e9, IMSI: u.imsi, MSISDN: u.msisdn, Kind: o.Event.Kind, LAC: o.Cell.lac(), CI: o.Cell.ci(),
		Peer: o.Event.Peer, Cause: o.Event.Cause, Roamer: u.roamer()}
	if o.Event.SetupTS != 0 {
		e.SetupTS = o.Event.SetupTS / 1e9
		e.ReleaseTS = o.Event.ReleaseTS / 1e9
		if o.Event.AnswerTS != 0 {
			e.AnswerTS = o.Event.AnswerTS / 1e9
			if e.ReleaseTS != 0 {
				e.Duration = uint32(e.ReleaseTS - e.AnswerTS)
			}
		}
	}
	s.out.Events = append(s.out.Events, e)
}

// eventFact turns an activity event into a rules fact in the event's cell
// (else the subscriber's). A call leg is a fact when it was released (at
// setup if it was still up when the capture ended).
func (s *State) eventFact(u *subState, o *Obs) {
	if s.rules == nil {
		return
	}
	c := o.Cell
	if c == 0 {
		c = u.cell
	}
	f := &s.fact
	*f = rules.Fact{TS: o.TS, IMSI: u.imsi, MSISDN: u.msisdn, Roamer: u.roamer(), Region: -1, LAC: c.lac(), CI: c.ci(), OffS: -1,
		Regions: s.reg.cells.of(c)}
	switch o.Event.Kind {
	case sink.EventAttach:
		f.Kind = rules.PowerOn
		if u.off() > 0 {
			f.OffS = o.TS/1e9 - unixOf(u.off())
		}
	case sink.EventDetach:
		f.Kind = rules.PowerOff
		u.setOff(sec32(o.TS))
	case sink.EventLU:
		f.Kind = rules.LocationUpdate
	case sink.EventCallMO, sink.EventCallMT, sink.EventSMSMO, sink.EventSMSMT:
		f.Kind, f.MO, f.Peer = rules.Call, o.Event.Kind == sink.EventCallMO || o.Event.Kind == sink.EventSMSMO, o.Event.Peer
		if o.Event.Kind == sink.EventSMSMO || o.Event.Kind == sink.EventSMSMT {
			f.Kind = rules.SMS
		}
		if f.Kind == rules.Call {
			f.Answered, f.Cause = o.Event.AnswerTS != 0, o.Event.Cause
			if o.Event.ReleaseTS != 0 {
				f.TS = o.Event.ReleaseTS
				if f.Answered {
					f.DurationS = o.Event.ReleaseTS/1e9 - o.Event.AnswerTS/1e9
				}
			}
		}
	default:
		f.Kind = rules.Activity
	}
	s.out.Triggers = s.rules.Observe(f, s.out.Triggers)
}

// implicitDetach ends u's dwell at its last message after a silence longer
// than the timeout: an implicit_detach event dated at that message, and a
// power_off fact at the minute the silence became known, in u's last cell.
func (s *State) implicitDetach(u *subState) {
	s.Stats.Silent++
	end := unixOf(u.lastSeen) * 1e9
	last := u.cell
	s.endDwell(u, end, "silent")
	s.out.Events = append(s.out.Events, sink.Event{TS: end / 1e9, IMSI: u.imsi, MSISDN: u.msisdn, Kind: sink.EventSilent, Roamer: u.roamer()})
	u.setOff(u.lastSeen)
	s.fire(u, rules.PowerOff, s.expiry(u)*60e9, last)
}

// expiry is the minute u's silence timeout expires.
func (s *State) expiry(u *subState) int64 {
	return (unixOf(u.lastSeen)*1e9 + s.timeout) / 60e9
}

// advance moves the clock to ts: expires silent subscribers and closes the
// region minutes that ended.
func (s *State) advance(ts int64) {
	min := ts / 60e9
	if s.wheelMin < 0 {
		s.wheelMin = min
		s.reg.settled = min
		return
	}
	if s.wheelMin >= min {
		s.reg.settle(min-int64(len(s.reg.ring))+1, s.out)
		return
	}
	// Who went silent in the minutes from wheelMin to min, by minute, then
	// by position.
	due := s.due[:0]
	for i := range s.subs {
		if u := &s.subs[i]; u.cell != 0 {
			if m := s.expiry(u); m >= s.wheelMin && m < min {
				due = append(due, int32(i))
			}
		}
	}
	if len(due) > 1 {
		slices.SortFunc(due, func(a, b int32) int {
			if ma, mb := s.expiry(&s.subs[a]), s.expiry(&s.subs[b]); ma != mb {
				return cmp.Compare(ma, mb)
			}
			return cmp.Compare(a, b)
		})
	}
	k := 0
	for ; s.wheelMin < min; s.wheelMin++ {
		for ; k < len(due) && s.expiry(&s.subs[due[k]]) == s.wheelMin; k++ {
			s.implicitDetach(&s.subs[due[k]])
		}
		if s.rules != nil {
			s.out.Triggers = s.rules.Advance((s.wheelMin+1)*60e9, s.out.Triggers)
		}
	}
	s.due = due
	s.reg.settle(min-int64(len(s.reg.ring))+1, s.out)
}

func (s *State) maybeFlush() {
	if s.out.Len() >= 8192 && s.flush != nil {
		s.flush(s.out)
	}
}

// Close ends every open dwell at end (ns; capture end), writes the
// subscriber table and flushes.
func (s *State) Close(end int64) {
	defer func() { s.Stats.RegionLate = s.reg.Late }()
	s.advance(end)
	for i := range s.subs {
		u := &s.subs[i]
		if u.firstSeen == 0 {
			continue // known by a TMSI only, never observed
		}
		if u.cell != 0 && !s.Persist {
			if last := unixOf(u.lastSeen) * 1e9; end-last > s.timeout {
				s.endDwell(u, last, "silent")
			} else {
				s.endDwell(u, end, "end")
			}
		}
		s.out.Subscribers = append(s.out.Subscribers, sink.Subscriber{IMSI: u.imsi, MSISDN: u.msisdn, IMEI: u.imei,
			HomeMCC: mcc(u.imsi), HomeMNC: mnc(u.imsi), FirstSeen: unixOf(u.firstSeen), LastSeen: unixOf(u.lastAny)})
		if s.out.Len() >= 8192 && s.flush != nil {
			s.flush(s.out)
		}
	}
	s.reg.settle(end/60e9+1, s.out)
	if s.flush != nil {
		s.flush(s.out)
	}
}

// Three-digit MNC countries (TS 23.003: the MNC length is not in the IMSI;
// these MCCs use three digits).
var mnc3 = []string{"302", "310", "311", "312", "313", "314", "315", "316", "334", "338", "342", "344", "346", "348", "354", "356", "358", "360", "365", "376", "405", "708", "722", "732"}

func mcc(imsi sink.Digits) string {
	var b [15]byte
	d := imsi.Append(b[:0])
	if len(d) < 5 {
		return ""
	}
	return string(d[:3])
}

func mnc(imsi sink.Digits) string {
	var b [15]byte
	d := imsi.Append(b[:0])
	if len(d) < 6 {
		return ""
	}
	if slices.Contains(mnc3, string(d[:3])) {
		return string(d[3:6])
	}
	return string(d[3:5])
}
