package track

import "github.com/sigprobe/sigprobe/sink"

// callLinker learns MSISDNs where the tap has no MAP: an A-interface-only
// probe sees both legs of an on-net call — the caller's Setup (uplink,
// carrying the called number) and, a second or so later, the callee's Setup
// (downlink, carrying the calling number) — but no HLR dialogue tying
// numbers to IMSIs. A callee's Setup is matched to the one caller's Setup
// still waiting for its callee (set up, not yet alerting or cleared, within
// window) that agrees with the numbers already learned; then the called
// number is the callee's MSISDN and the calling number the caller's. A
// number is believed after votes agreeing matches (a majority count per
// IMSI), so a wrong match now and then — an off-net caller arriving while
// an unrelated on-net call waits — does not stick. It is used only while no
// MAP message has given an MSISDN (an A-only tap): MAP is the better source.
//
// Its state (for a checkpoint): legs, next and votes.
type callLinker struct {
	legs  [linkRing]moLeg // recent callers' Setups, by seq % linkRing
	next  uint32          // seq of the next leg (0 is never used)
	votes map[sink.Digits]numberVote

	window int64 // ns
	need   uint8 // agreeing matches before a number is believed
}

const linkRing = 256

// moLeg is a mobile-originated Setup waiting for its callee.
type moLeg struct {
	seq    uint32
	ts     int64
	caller sink.Digits // IMSI, 0 while unknown
	called sink.Digits // number dialled
	open   bool
}

// numberVote is a majority count of the numbers matches gave an IMSI.
type numberVote struct {
	num  sink.Digits
	n    uint8
	told sink.Digits // the number last emitted
}

// LinkStats counts the call linking of an A-interface-only tap.
type LinkStats struct {
	Linked    uint64 // callee Setups matched to their caller's Setup
	Ambiguous uint64 // callee Setups with several waiting callers (not used)
	Unmatched uint64 // callee Setups with no waiting caller (off-net callers)
	Learned   uint64 // MSISDNs believed (or changed)
}

func newCallLinker() callLinker {
	return callLinker{votes: make(map[sink.Digits]numberVote), window: 30e9, need: 2}
}

// mo records a caller's Setup and returns its seq (kept by the connection).
func (l *callLinker) mo(ts int64, caller, called sink.Digits) uint32 {
	l.next++
	if l.next == 0 {
		l.next = 1
	}
	l.legs[l.next%linkRing] = moLeg{seq: l.next, ts: ts, caller: caller, called: called, open: true}
	return l.next
}

// close ends the wait of leg seq: its callee is alerting, or the call ended.
func (l *callLinker) close(seq uint32) {
	if x := &l.legs[seq%linkRing]; x.seq == seq {
		x.open = false
	}
}

// known returns the number believed for imsi (0: none).
func (l *callLinker) known(imsi sink.Digits) sink.Digits {
	if v, ok := l.votes[imsi]; ok && v.n >= l.need {
		return v.num
	}
	return 0
}

// learned is an IMSI and the number now believed for it.
type learned struct{ imsi, msisdn sink.Digits }

// mt matches a callee's Setup; it returns the numbers that became believed.
func (l *callLinker) mt(ts int64, callee, calling sink.Digits, st *LinkStats) (out [2]learned, n int) {
	var hit *moLeg
	cands := 0
	calleeNum := l.known(callee)
	for k := range l.legs {
		x := &l.legs[k]
		if !x.open || x.ts > ts || ts-x.ts > l.window || x.caller == callee && callee != 0 {
			continue
		}
		if c := l.known(x.caller); c != 0 && c != calling || calleeNum != 0 && calleeNum != x.called {
			continue
		}
		hit = x
		cands++
	}
	switch {
	case cands == 0:
		st.Unmatched++
		return out, 0
	case cands > 1:
		st.Ambiguous++
		return out, 0
	}
	st.Linked++
	hit.open = false
	for _, v := range [2]learned{{hit.caller, calling}, {callee, hit.called}} {
		if l.vote(v.imsi, v.msisdn, st) {
			out[n] = v
			n++
		}
	}
	return out, n
}

// vote counts a match's number for imsi and reports whether it became believed.
func (l *callLinker) vote(imsi, num sink.Digits, st *LinkStats) bool {
	if imsi == 0 || num == 0 {
		return false
	}
	v := l.votes[imsi]
	switch {
	case v.num == num:
		if v.n < 255 {
			v.n++
		}
	case v.n > 0:
		v.n--
	default:
		v.num, v.n = num, 1
	}
	news := v.n >= l.need && v.told != v.num
	if news {
		v.told = v.num
		st.Learned++
	}
	l.votes[imsi] = v
	return news
}
