package sim

import (
	"bufio"
	"strconv"
)

// Event marks: what a perfect probe learns from a message for events.csv.
// The generating code puts a mark on the row of the message that tells it
// (g.markNext before the message is queued); the output writes events.csv
// when it writes the message, so every time is the capture time of the
// packet that carried it, exactly as a probe reads it.
const (
	evNone       uint8 = iota
	evAttach           // Location Updating Accept after an IMSI attach request
	evLU               // Location Updating Accept, normal or periodic
	evLUReject         // Location Updating Reject (cause)
	evDetach           // IMSI Detach Indication
	evUSSD             // SS Register
	evSMSMO            // first CP-DATA with RP-DATA from the phone (peer: TP-DA)
	evSMSMT            // first CP-DATA with RP-DATA to the phone (peer: TP-OA)
	evSetup            // CC Setup of a call leg (leg, direction, peer)
	evAnswer           // CC Connect of the leg
	evRelease          // first clearing message of the leg (Disconnect, or BSSMAP Clear Request on a radio failure; cause)
	evRoamOut          // updateLocation from a foreign VLR for a home subscriber (peer: that VLR)
	evRoamReturn       // updateLocation from a home VLR after a trip (peer: the foreign VLR it left)
)

// mark is the event a message tells.
type mark struct {
	ev    uint8
	cause uint8
	mo    bool
	leg   int32 // call leg + 1 (evSetup, evAnswer, evRelease)
	peer  string
}

// markNext puts m on the first row of the next message queued with dt1.
func (g *gen) markNext(m mark) { g.mark = m }

// revealed returns r flagged as a message whose dialogue ties the
// subscriber's MSISDN to its IMSI (see subscribers.csv msisdn_ts).
func revealed(r row) row { r.reveal = true; return r }

// callLeg is one call leg as the probe sees it on the A-interface.
type callLeg struct {
	sub                    int32
	used                   bool
	mo                     bool
	cause                  uint8
	cell                   int32
	peer                   string
	setup, answer, release int64 // capture times, ns; 0 not seen
}

// newLeg starts a call leg of subscriber sub and returns its id (+1).
func (o *output) newLeg(sub int32) int32 {
	var i int32
	if n := len(o.legFree); n > 0 {
		i = o.legFree[n-1]
		o.legFree = o.legFree[:n-1]
	} else {
		o.legs = append(o.legs, callLeg{})
		i = int32(len(o.legs) - 1)
	}
	o.legs[i] = callLeg{sub: sub, used: true, cell: -1}
	return i + 1
}

const eventsHeader = "ts,imsi,kind,lac,ci,peer,setup_ts,answer_ts,release_ts,cause,ts_ns,release_ns\n"

// event applies the mark of row r, written at capture time ts.
func (o *output) event(r *row, ts int64) {
	if r.reveal && r.sub >= 0 && o.revealedAt[r.sub] == 0 {
		o.revealedAt[r.sub] = ts
	}
	m := &r.mk
	if m.ev == evNone || r.sub < 0 {
		return
	}
	switch m.ev {
	case evSetup, evAnswer, evRelease:
		if m.leg <= 0 || int(m.leg) > len(o.legs) {
			return
		}
		l := &o.legs[m.leg-1]
		switch m.ev {
		case evSetup:
			l.setup, l.cell, l.mo, l.peer = ts, r.obs, m.mo, m.peer
		case evAnswer:
			if l.answer == 0 {
				l.answer = ts
			}
		case evRelease:
			if l.release == 0 && l.setup != 0 {
				l.release, l.cause = ts, m.cause
				o.writeLeg(m.leg - 1)
			}
		}
		return
	}
	kind := ""
	switch m.ev {
	case evAttach:
		kind = "attach"
	case evLU, evLUReject:
		kind = "location_update"
	case evDetach:
		kind = "detach"
	case evUSSD:
		kind = "ussd"
	case evSMSMO:
		kind = "sms_mo"
	case evSMSMT:
		kind = "sms_mt"
	case evRoamOut:
		kind = "roam_out"
	case evRoamReturn:
		kind = "roam_return"
	}
	cell := r.obs
	if m.ev == evRoamOut || m.ev == evRoamReturn {
		cell = -1 // MAP on the core links shows no cell
	}
	o.writeEvent(ts, r.sub, kind, cell, m.peer, 0, 0, 0, m.cause)
}

// writeLeg writes call leg i and frees it.
func (o *output) writeLeg(i int32) {
	l := &o.legs[i]
	kind := "call_mt"
	if l.mo {
		kind = "call_mo"
	}
	o.writeEvent(l.setup, l.sub, kind, l.cell, l.peer, l.setup, l.answer, l.release, l.cause)
	*l = callLeg{}
	o.legFree = append(o.legFree, i)
}

// implicitDetach records that sub went away without detaching: the probe
// knows it once the silence exceeds 1.05 x T3212, and dates it at the last
// message.
func (o *output) implicitDetach(sub int32, last int64) {
	o.writeEvent(last, sub, "implicit_detach", -1, "", 0, 0, 0, 0)
}

func (o *output) writeEvent(ts int64, sub int32, kind string, cell int32, peer string, setup, answer, release int64, cause uint8) {
	b := o.line[:0]
	b = strconv.AppendInt(b, ts/1e9, 10)
	b = append(b, ',')
	b = append(b, o.subs[sub].imsi...)
	b = append(b, ',')
	b = append(b, kind...)
	b = append(b, ',')
	if cell >= 0 {
		c := o.nw.cells[cell].cgi
		b = strconv.AppendUint(b, uint64(c.LAI.LAC), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(c.CI), 10)
	} else {
		b = append(b, "0,0"...)
	}
	b = append(b, ',')
	b = append(b, peer...)
	for _, t := range [3]int64{setup, answer, release} {
		b = append(b, ',')
		b = strconv.AppendInt(b, t/1e9, 10)
	}
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(cause), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, release, 10)
	b = append(b, '\n')
	o.events.Write(b)
	o.line = b
	o.nEvents++
}

// closeEvents writes the call legs still up when the capture ends (release
// 0: not seen) and flushes events.csv.
func (o *output) closeEvents() error {
	for i := range o.legs {
		if l := &o.legs[i]; l.used && l.setup != 0 {
			o.writeLeg(int32(i))
		}
	}
	return o.events.Flush()
}

func newEventsWriter(w *bufio.Writer) *bufio.Writer {
	w.WriteString(eventsHeader)
	return w
}
