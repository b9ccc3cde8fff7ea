package track

import "github.com/sigprobe/sigprobe/sink"

// heldBuf keeps what happened to a subscriber whose IMSI is not known yet,
// compactly: runs of cell observations as (cell, first, last) and the other
// observations as they came. Replayed in time order once the IMSI is known.
type heldBuf struct {
	nrun, nev uint8
	cut       bool // the next cell observation starts a new run (after a detach)
	runs      [maxRuns]run
	evs       [maxEvents]Obs
	last      int64
}

type run struct {
	cell        cellKey
	first, last int64
}

const (
	maxRuns   = 12
	maxEvents = 12
)

func (h *heldBuf) empty() bool { return h.nrun == 0 && h.nev == 0 }

// add holds o; it reports false when the buffer is full and o was dropped.
func (h *heldBuf) add(o *Obs, gap int64) bool {
	h.last = max(h.last, o.TS)
	if o.Kind == obsCell {
		if n := h.nrun; n > 0 && !h.cut {
			r := &h.runs[n-1]
			if r.cell == o.Cell && o.TS-r.last <= gap {
				r.last = max(r.last, o.TS)
				return true
			}
		}
		if h.nrun == maxRuns {
			return false
		}
		h.runs[h.nrun] = run{o.Cell, o.TS, o.TS}
		h.nrun++
		h.cut = false
		return true
	}
	if o.Kind == obsDetach {
		h.cut = true
	}
	if h.nev == maxEvents {
		return false
	}
	h.evs[h.nev] = *o
	h.nev++
	return true
}

// merge moves everything in o into h; it returns the number of observations dropped.
func (h *heldBuf) merge(o *heldBuf, gap int64) (dropped uint64) {
	var tmp heldBuf
	o.replay(0, func(x *Obs) {
		if !tmp.add(x, gap) {
			dropped++
		}
	})
	// h's content is older than o's: append o after h.
	h.cut = true
	tmp.replay(0, func(x *Obs) {
		if !h.add(x, gap) {
			dropped++
		}
	})
	*o = heldBuf{}
	return dropped
}

// replay emits the held observations in time order with imsi set (0 keeps
// the IMSI as held), then empties the buffer.
func (h *heldBuf) replay(imsi uint64, emit func(*Obs)) {
	var o Obs
	ri, ei := 0, 0
	firstDone := false
	for ri < int(h.nrun) || ei < int(h.nev) {
		var next int64 = 1<<63 - 1
		var r *run
		if ri < int(h.nrun) {
			r = &h.runs[ri]
			next = r.first
			if firstDone {
				next = r.last
			}
		}
		if ei < int(h.nev) && h.evs[ei].TS < next {
			o = h.evs[ei]
			ei++
		} else {
			o = Obs{TS: next, Kind: obsCell, Cell: r.cell}
			if firstDone || r.first == r.last {
				ri++
				firstDone = false
			} else {
				firstDone = true
			}
		}
		if imsi != 0 {
			o.IMSI = sink.Digits(imsi)
		}
		emit(&o)
	}
	*h = heldBuf{}
}
