// Package summary is a sink that tallies what flows through the pipeline
// and prints a short human report: rows per table, the busiest minute of
// each micro-region, and triggers by rule. `make demo` shows it.
package summary

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// Writer tallies batches; it keeps no rows.
type Writer struct {
	rows     map[string]uint64
	regions  map[string]*region
	triggers map[string]uint64 // rule -> count
	kinds    map[string]string // rule -> kind
	subs     uint64
	msisdns  uint64
	imeis    uint64
	roamers  map[string]uint64 // home MCC -> subscribers
}

type region struct {
	peak, peakRoam       uint32
	peakAt               int64
	inflow, outflow      uint64
	exits, exitsOverHour uint64
}

// New returns an empty tally.
func New() *Writer {
	return &Writer{rows: map[string]uint64{}, regions: map[string]*region{}, triggers: map[string]uint64{},
		kinds: map[string]string{}, roamers: map[string]uint64{}}
}

// Write tallies b.
func (w *Writer) Write(b *sink.Batch) error {
	w.rows["trajectories"] += uint64(len(b.Trajectories))
	w.rows["dwell"] += uint64(len(b.Dwell))
	w.rows["region_minute"] += uint64(len(b.RegionMinutes))
	w.rows["events"] += uint64(len(b.Events))
	w.rows["triggers"] += uint64(len(b.Triggers))
	w.rows["subscribers"] += uint64(len(b.Subscribers))
	for i := range b.RegionMinutes {
		m := &b.RegionMinutes[i]
		r := w.regions[m.Region]
		if r == nil {
			r = &region{}
			w.regions[m.Region] = r
		}
		if m.Occupancy > r.peak {
			r.peak, r.peakAt = m.Occupancy, m.MinuteTS
		}
		r.peakRoam = max(r.peakRoam, m.Roamers)
		r.inflow += uint64(m.Inflow)
		r.outflow += uint64(m.Outflow)
		for k, n := range m.ExitDwell {
			r.exits += uint64(n)
			if sink.DwellBuckets[k] > 3600 {
				r.exitsOverHour += uint64(n)
			}
		}
	}
	for i := range b.Triggers {
		t := &b.Triggers[i]
		w.triggers[t.Rule]++
		w.kinds[t.Rule] = t.Kind
	}
	for i := range b.Subscribers {
		s := &b.Subscribers[i]
		w.subs++
		if s.MSISDN != 0 {
			w.msisdns++
		}
		if s.IMEI != 0 {
			w.imeis++
		}
	}
	return nil
}

// Close does nothing.
func (w *Writer) Close() error { return nil }

// Report prints the tally.
func (w *Writer) Report(out io.Writer) {
	fmt.Fprintf(out, "subscribers: %d tracked, %d MSISDNs and %d IMEIs learned from the signaling\n", w.subs, w.msisdns, w.imeis)
	fmt.Fprintf(out, "rows:")
	for _, t := range sink.Tables {
		fmt.Fprintf(out, " %s=%d", t, w.rows[t])
	}
	fmt.Fprintln(out)
	names := make([]string, 0, len(w.regions))
	for n := range w.regions {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintln(out, "micro-regions (busiest minute, UTC):")
	for _, n := range names {
		r := w.regions[n]
		fmt.Fprintf(out, "  %-10s peak %5d at %s  roamers peak %4d  in %6d  out %6d  stays over 1h %d/%d\n",
			n, r.peak, time.Unix(r.peakAt, 0).UTC().Format("2006-01-02 15:04"), r.peakRoam, r.inflow, r.outflow, r.exitsOverHour, r.exits)
	}
	rules := make([]string, 0, len(w.triggers))
	for r := range w.triggers {
		rules = append(rules, r)
	}
	slices.Sort(rules)
	fmt.Fprintln(out, "triggers:")
	if len(rules) == 0 {
		fmt.Fprintln(out, "  none (no --rules, or nothing matched)")
	}
	for _, r := range rules {
		fmt.Fprintf(out, "  %-24s %-16s %d\n", r, w.kinds[r], w.triggers[r])
	}
}
