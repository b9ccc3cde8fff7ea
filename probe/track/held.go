package track

import "github.com/sigprobe/sigprobe/sink"

// heldBuf keeps what happened to a subscriber whose IMSI is not known yet,
// compactly: runs of cell observations as (cell, first, last) and the other
// observations as they came. Replayed in time order once the IMSI is known.
// Its slices keep their capacity when the buffer is reused.
type heldBuf struct {
	cut  bool // the next cell observation starts a new run (after a detach)
	runs []run
	evs  []Obs
	last int64
	// frames of the held messages, only when the Resolver traces.
	frames []uint64
}

type run struct {
	cell        cellKey
	first, last int64
}

// Bounds of one subscriber's held history: a phone that ping-pongs between
// two location areas for a day makes a few hundred runs.
const (
	maxRuns   = 512
	maxEvents = 256
)

func (h *heldBuf) empty() bool { return len(h.runs) == 0 && len(h.evs) == 0 }

// size is the number of observations held (a run counts once).
func (h *heldBuf) size() int { return len(h.runs) + len(h.evs) }

// add holds o; it reports false when the buffer is full and o was dropped.
func (h *heldBuf) add(o *Obs, gap int64) bool {
	h.last = max(h.last, o.TS)
	if o.Kind == obsCell {
		if n := len(h.runs); n > 0 && !h.cut {
			r := &h.runs[n-1]
			if r.cell == o.Cell && o.TS-r.last <= gap {
				r.last = max(r.last, o.TS)
				return true
			}
		}
		if len(h.runs) == maxRuns {
			return false
		}
		h.runs = append(h.runs, run{o.Cell, o.TS, o.TS})
		h.cut = false
		return true
	}
	if o.Kind == obsDetach {
		h.cut = true
	}
	if len(h.evs) == maxEvents {
		return false
	}
	h.evs = append(h.evs, *o)
	return true
}

// merge appends everything in o (newer) to h (older) and empties o; it
// returns the number of observations dropped.
func (h *heldBuf) merge(o *heldBuf, gap int64) (dropped uint64) {
	h.cut = true
	var it heldIter
	var x Obs
	for it.next(o, &x) {
		if !h.add(&x, gap) {
			dropped++
		}
	}
	h.frames = append(h.frames, o.frames...)
	o.reset()
	return dropped
}

// replay emits the held observations in time order under imsi, through
// scratch, and empties the buffer.
func (h *heldBuf) replay(imsi sink.Digits, scratch *Obs, emit func(*Obs)) {
	var it heldIter
	for it.next(h, scratch) {
		scratch.IMSI = imsi
		emit(scratch)
	}
	h.reset()
}

// heldIter walks a heldBuf in time order: a run becomes its first and (if
// different) last observation.
type heldIter struct {
	ri, ei int
	atLast bool
}

func (it *heldIter) next(h *heldBuf, o *Obs) bool {
	if it.ri >= len(h.runs) && it.ei >= len(h.evs) {
		return false
	}
	next := int64(1<<63 - 1)
	if it.ri < len(h.runs) {
		next = h.runs[it.ri].first
		if it.atLast {
			next = h.runs[it.ri].last
		}
	}
	if it.ei < len(h.evs) && h.evs[it.ei].TS < next {
		*o = h.evs[it.ei]
		it.ei++
		return true
	}
	r := &h.runs[it.ri]
	*o = Obs{TS: next, Kind: obsCell, Cell: r.cell}
	if it.atLast || r.first == r.last {
		it.ri++
		it.atLast = false
	} else {
		it.atLast = true
	}
	return true
}

func (h *heldBuf) reset() {
	h.runs, h.evs, h.frames, h.cut, h.last = h.runs[:0], h.evs[:0], h.frames[:0], false, 0
}
