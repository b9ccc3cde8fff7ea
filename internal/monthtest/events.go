package monthtest

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
)

// Event is the subset of sink.Event that the simulator truth can give.
type Event struct {
	TS     int64  `parquet:"ts"`
	IMSI   string `parquet:"imsi"`
	MSISDN string `parquet:"msisdn"`
	Kind   string `parquet:"kind"`
	LAC    uint16 `parquet:"lac"`
	CI     uint16 `parquet:"ci"`
	Peer   string `parquet:"peer"`
	Roamer bool   `parquet:"roamer"`
}

// pairWindowNS bounds the gap between an MO call's Assignment Complete and the
// sendRoutingInfo its MSC sends for an on-net callee (the simulator uses 5-20 ms).
const pairWindowNS = 30e6

// deriveEvents reads truth messages.csv rows and calls emit for each call,
// SMS and detach, in about capture order. The simulator writes
// subscribers.csv after the messages, so Peer holds the peer's IMSI here and
// MSISDN is left empty; the caller maps both to numbers afterwards.
//
// messages.csv has no called or calling number, so the peer of an on-net call
// is recovered the way the network links the two legs: the MO leg's
// Assignment Complete is followed within a few milliseconds by the
// sendRoutingInfo for the callee. Calls to or from other networks and SMS
// keep an empty peer. The real probe reads the numbers from the Setup.
func deriveEvents(r io.Reader, emit func(*Event) error) error {
	type state struct {
		imsi     string
		mo       bool   // connection opened by CM Service Request
		sms      bool   // an SMS was already counted on this connection
		lac, ci  uint16 // cell of the connection
		caller   string // IMSI of the on-net caller of the next MT call
		callerTS int64
	}
	type pending struct {
		ev    Event
		setup int64 // ns of the Setup
		ns    int64 // ns of the Assignment Complete, 0 before it
		used  bool
	}
	subs := map[string]*state{}
	var recent []pending // MO calls waiting for their callee
	flush := func(now int64) error {
		keep := recent[:0]
		for _, p := range recent {
			if p.ns > 0 && now-p.ns > pairWindowNS || p.ns == 0 && now-p.setup > 30e9 {
				if err := emit(&p.ev); err != nil {
					return err
				}
				continue
			}
			keep = append(keep, p)
		}
		recent = keep
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var f [16][]byte
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		line := sc.Bytes()
		n := 0
		for n < len(f) {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				f[n] = line
				n++
				break
			}
			f[n], line = line[:i], line[i+1:]
			n++
		}
		if n < 16 || len(f[2]) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			continue
		}
		if err := flush(ns); err != nil {
			return err
		}
		name := f[7]
		switch string(name) {
		case "Complete Layer 3 Information", "CM Service Request", "Paging Response", "Setup",
			"CP-DATA", "IMSI Detach Indication", "Assignment Complete", "sendRoutingInfo":
		default:
			continue
		}
		s := subs[string(f[2])]
		if s == nil {
			s = &state{imsi: string(f[2])}
			subs[s.imsi] = s
		}
		imsi := s.imsi // one string per subscriber
		ev := Event{TS: ns / 1e9, IMSI: imsi, LAC: s.lac, CI: s.ci}
		switch string(name) {
		case "Complete Layer 3 Information":
			s.mo, s.sms = false, false
			if lac, ci, ok := cell(f[15]); ok {
				s.lac, s.ci = lac, ci
			}
		case "CM Service Request":
			s.mo = true
		case "Paging Response":
			s.mo = false
		case "Setup":
			if s.mo {
				ev.Kind = "call_mo" // emitted at Assignment Complete, once the callee is known
				recent = append(recent, pending{ev: ev, setup: ns})
				continue
			}
			ev.Kind = "call_mt"
			if s.caller != "" && ns-s.callerTS < 60e9 {
				ev.Peer = s.caller
			}
			s.caller = ""
			if err := emit(&ev); err != nil {
				return err
			}
		case "Assignment Complete":
			for k := len(recent) - 1; k >= 0; k-- {
				if recent[k].ns == 0 && recent[k].ev.IMSI == imsi {
					recent[k].ns = ns
					break
				}
			}
		case "sendRoutingInfo":
			if string(f[6]) != "invoke" {
				continue
			}
			for k := range recent {
				p := &recent[k]
				if p.ns > 0 && !p.used && ns-p.ns >= 0 && ns-p.ns <= pairWindowNS {
					p.used = true
					p.ev.Peer = imsi
					s.caller, s.callerTS = p.ev.IMSI, ns
					break
				}
			}
		case "CP-DATA":
			if s.sms {
				continue
			}
			s.sms = true
			ev.Kind = "sms_mt"
			if s.mo {
				ev.Kind = "sms_mo"
			}
			if err := emit(&ev); err != nil {
				return err
			}
		case "IMSI Detach Indication":
			ev.Kind = "detach"
			if err := emit(&ev); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush(1 << 62)
}

// cell parses "lac-ci".
func cell(b []byte) (lac, ci uint16, ok bool) {
	i := bytes.IndexByte(b, '-')
	if i < 0 {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(string(b[:i]), 10, 16)
	c, err2 := strconv.ParseUint(string(b[i+1:]), 10, 16)
	return uint16(l), uint16(c), err1 == nil && err2 == nil
}
