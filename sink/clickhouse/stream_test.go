package clickhouse

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/sigprobe/sigprobe/sink"
)

// genStream makes a deterministic batch stream of all six tables, shaped
// like the pipeline's output: batches of varying size and mix, a Flush mark
// every few batches, times rising from base (unix seconds). Subscriber rows
// have distinct IMSIs (the table is a ReplacingMergeTree by imsi) and
// trigger ids are unique, as the probe makes them.
func genStream(seed uint64, batches int, base int64) []*sink.Batch {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	regions := []string{"mall", "stadium", "airport-t1", "old-town", "campus"}
	reasons := []string{"cell", "cell", "cell", "detach", "silent", "end"}
	kinds := []string{sink.EventAttach, sink.EventDetach, sink.EventLU, sink.EventCallMO, sink.EventCallMT, sink.EventSMSMO, sink.EventSMSMT, sink.EventUSSD, sink.EventSilent}
	homes := [][2]string{{"262", "01"}, {"262", "02"}, {"208", "10"}, {"234", "15"}, {"001", "01"}}
	imsi := func(n int) sink.Digits { return sink.MakeDigits(fmt.Sprintf("26201%010d", n)) }
	// keyID: a third of the rows as if pseudonymized (the values do not
	// matter here, only that the column travels), drawn without r so the
	// stream's other values stay as they were.
	keyID := func(n int) string {
		if n%3 == 0 {
			return "3f9a0c1e2d4b5a69"
		}
		return ""
	}
	msisdn := func(n int) sink.Digits { return sink.MakeDigits(fmt.Sprintf("49151%07d", n)) }
	ts := base
	var out []*sink.Batch
	nSub, nTrig := 0, 0
	for i := range batches {
		b := &sink.Batch{Flush: i%7 == 6 || i == batches-1}
		ts += int64(r.IntN(20))
		for range r.IntN(120) {
			s := r.IntN(5000)
			b.Trajectories = append(b.Trajectories, sink.TrajectoryPoint{IMSI: imsi(s), TS: ts + int64(r.IntN(5)), LAC: uint16(100 + r.IntN(20)), CI: uint16(r.IntN(65536)), KeyID: keyID(s)})
		}
		for range r.IntN(150) {
			s, start := r.IntN(5000), ts-int64(r.IntN(7200))
			b.Dwell = append(b.Dwell, sink.Dwell{IMSI: imsi(s), MSISDN: msisdn(s), LAC: uint16(100 + r.IntN(20)), CI: uint16(r.IntN(65536)),
				StartTS: start, EndTS: start + 1 + int64(r.IntN(3600)), Roamer: r.IntN(10) == 0, Reason: reasons[r.IntN(len(reasons))], KeyID: keyID(s)})
		}
		if r.IntN(3) == 0 {
			for _, g := range regions[:1+r.IntN(len(regions))] {
				var ed [8]uint32
				for k := range ed {
					ed[k] = uint32(r.IntN(40))
				}
				b.RegionMinutes = append(b.RegionMinutes, sink.RegionMinute{Region: g, MinuteTS: ts / 60 * 60, Occupancy: uint32(r.IntN(3000)),
					Inflow: uint32(r.IntN(200)), Outflow: uint32(r.IntN(200)), Roamers: uint32(r.IntN(100)), ExitDwell: ed})
			}
		}
		for range r.IntN(200) {
			s := r.IntN(5000)
			e := sink.Event{TS: ts, IMSI: imsi(s), MSISDN: msisdn(s), Kind: kinds[r.IntN(len(kinds))], LAC: uint16(100 + r.IntN(20)), CI: uint16(r.IntN(65536)), Roamer: r.IntN(10) == 0, KeyID: keyID(s)}
			switch e.Kind {
			case sink.EventCallMO, sink.EventCallMT:
				e.Peer = msisdn(r.IntN(100000))
				e.SetupTS = ts - int64(r.IntN(600))
				if r.IntN(4) > 0 {
					e.AnswerTS = e.SetupTS + int64(r.IntN(20))
					e.ReleaseTS = e.AnswerTS + int64(r.IntN(500))
					e.Duration = uint32(e.ReleaseTS - e.AnswerTS)
				} else {
					e.ReleaseTS = e.SetupTS + int64(r.IntN(30))
					e.Cause = uint8(r.IntN(128))
				}
			case sink.EventSMSMO, sink.EventSMSMT:
				e.Peer = msisdn(r.IntN(100000))
			}
			b.Events = append(b.Events, e)
		}
		for range r.IntN(4) {
			s := r.IntN(5000)
			h := homes[r.IntN(len(homes))]
			nTrig++
			b.Triggers = append(b.Triggers, sink.Trigger{ID: fmt.Sprintf("enter-mall-%d-%d", ts, nTrig), Rule: "enter-mall", Kind: "enter", TS: ts,
				IMSI: imsi(s), MSISDN: msisdn(s), Region: regions[r.IntN(len(regions))], LAC: uint16(100 + r.IntN(20)), CI: uint16(r.IntN(65536)),
				DwellS: int64(r.IntN(7200)), HomeMCC: h[0], HomeMNC: h[1], Attrs: "segment=gold;lang=de", KeyID: keyID(s)})
			if tr := &b.Triggers[len(b.Triggers)-1]; nTrig%2 == 0 {
				tr.Kind, tr.Peer, tr.DurationS, tr.Cause, tr.Campaign, tr.Control = "call", msisdn(nTrig), int64(nTrig%600), uint8(nTrig%128), "spring", nTrig%4 == 0
			}
		}
		for range r.IntN(30) {
			nSub++
			h := homes[r.IntN(len(homes))]
			first := ts - int64(r.IntN(86400))
			b.Subscribers = append(b.Subscribers, sink.Subscriber{IMSI: imsi(100000 + nSub), MSISDN: msisdn(100000 + nSub),
				IMEI: sink.MakeDigits(fmt.Sprintf("35209900%07d", r.IntN(10_000_000))), HomeMCC: h[0], HomeMNC: h[1], FirstSeen: first, LastSeen: ts, KeyID: keyID(nSub)})
		}
		out = append(out, b)
	}
	return out
}

// streamKeys renders every row of the stream, per table, as
// "v1|v2|..." in the table's column order: what rowKey gives for a block
// and what a test reading ClickHouse back renders, written out here from
// the sink rows on their own.
func streamKeys(stream []*sink.Batch) map[string][]string {
	k := map[string][]string{}
	add := func(table string, vs ...any) {
		s := ""
		for i, v := range vs {
			if i > 0 {
				s += "|"
			}
			s += fmt.Sprint(v)
		}
		k[table] = append(k[table], s)
	}
	for _, b := range stream {
		for _, r := range b.Trajectories {
			add("trajectories", r.IMSI, r.TS, r.LAC, r.CI, r.KeyID)
		}
		for _, r := range b.Dwell {
			add("dwell", r.IMSI, r.MSISDN, r.LAC, r.CI, r.StartTS, r.EndTS, r.Roamer, r.Reason, r.KeyID)
		}
		for _, r := range b.RegionMinutes {
			add("region_minute", r.Region, r.MinuteTS, r.Occupancy, r.Inflow, r.Outflow, r.Roamers, r.ExitDwell)
		}
		for _, r := range b.Events {
			add("events", r.TS, r.IMSI, r.MSISDN, r.Kind, r.LAC, r.CI, r.Peer, r.SetupTS, r.AnswerTS, r.ReleaseTS, r.Duration, r.Cause, r.Roamer, r.KeyID)
		}
		for _, r := range b.Triggers {
			add("triggers", r.ID, r.Rule, r.Kind, r.TS, r.IMSI, r.MSISDN, r.Region, r.LAC, r.CI, r.DwellS, r.HomeMCC, r.HomeMNC, r.Attrs,
				r.Peer, r.DurationS, r.Cause, r.Campaign, r.Control, r.KeyID)
		}
		for _, r := range b.Subscribers {
			add("subscribers", r.IMSI, r.MSISDN, r.IMEI, r.HomeMCC, r.HomeMNC, r.FirstSeen, r.LastSeen, r.KeyID)
		}
	}
	for _, v := range k {
		slices.Sort(v)
	}
	return k
}

// writeStream writes batches through one reused batch, the way the
// pipeline does, and scribbles over it after each Write.
func writeStream(w *Writer, stream []*sink.Batch) error {
	b := &sink.Batch{}
	for _, s := range stream {
		b.Reset()
		b.Trajectories = append(b.Trajectories, s.Trajectories...)
		b.Dwell = append(b.Dwell, s.Dwell...)
		b.RegionMinutes = append(b.RegionMinutes, s.RegionMinutes...)
		b.Events = append(b.Events, s.Events...)
		b.Triggers = append(b.Triggers, s.Triggers...)
		b.Subscribers = append(b.Subscribers, s.Subscribers...)
		b.Flush = s.Flush
		if err := w.Write(b); err != nil {
			return err
		}
		for i := range b.Dwell {
			b.Dwell[i] = sink.Dwell{Reason: "scribbled"}
		}
		for i := range b.Events {
			b.Events[i].Kind = "scribbled"
		}
	}
	return nil
}
