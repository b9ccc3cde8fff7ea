package probe

import (
	"bufio"
	"fmt"
	"io"
	"sync"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/rules"
)

// probeMetrics are the probe's own metrics, one set for run and replay
// alike, created once in Open and registered while Run runs (the sinks
// register their own sigprobe_sink_* sets). Their sources are counters the
// components keep anyway, copied every second (and every few batches by
// the pipeline), never counted per packet:
//
//	sigprobe_capture_packets_total              packets read (interfaces or file)
//	sigprobe_capture_kernel_packets_total       packets the kernel put in the rings (live)
//	sigprobe_capture_kernel_drops_total         packets the kernel dropped: a ring was full
//	sigprobe_capture_queue_freezes_total        times a ring had no free block
//	sigprobe_capture_truncated_total            a capture file's cut-off last packet
//	sigprobe_capture_ebpf_mode                  1 with the eBPF filter and fanout, 0 in hash mode
//	sigprobe_capture_reorder_late_total         packets later than the reorder window (decoded out of order)
//	sigprobe_capture_reorder_overflow_total     packets let go early: the window held its most
//	sigprobe_capture_clock_outliers_total       packets stamped far from the running clock (decoded at its time)
//	sigprobe_capture_clock_jumps_total          times the clock followed a jump the packets agreed on
//	sigprobe_bpf_passed_total, _dropped_total   filter verdicts (kernel or user space)
//	sigprobe_decode_packets_total               packets decoded
//	sigprobe_decode_messages_total              BSSMAP, DTAP and MAP messages decoded
//	sigprobe_decode_errors_total{layer}         decode errors by layer
//	sigprobe_decode_retransmissions_total       SCTP DATA chunks seen before, dropped
//	sigprobe_decode_fragments_total             fragments held for reassembly
//	sigprobe_decode_out_of_scope_total          SCCP users out of scope
//	sigprobe_decode_bad_checksums_total         packets with a wrong SCTP CRC32c or IPv4 checksum, dropped
//	sigprobe_decode_zero_checksums_total        of those, SCTP checksums all zero (captured before offload)
//	sigprobe_track_*                            the resolver's and state's counters (README), among them
//	sigprobe_track_calls_linked_total           A-only tap: callee Setups matched to their caller's
//	sigprobe_track_calls_unlinked_total{reason} callee Setups not matched (ambiguous, no_caller)
//	sigprobe_track_msisdn_learned_total         A-only tap: MSISDNs learned from matched calls
//	sigprobe_region_occupancy{region}           subscribers inside each micro-region now
//	sigprobe_pipeline_batches_total             message batches tracked
//	sigprobe_pipeline_merge_overflow_total      live, several workers: messages let through before
//	                                            every worker was known to be past them (a stalled worker)
//	sigprobe_pipeline_merge_late_total          and messages older than one already let through
//	sigprobe_pipeline_rows_total                rows handed to the outputs
//	sigprobe_messages_lines_total               JSON lines written to the messages file
//	sigprobe_rules_fired_total                  triggers fired, all rules
//	sigprobe_rules_rule_fired_total{rule}       triggers fired by rule
//	sigprobe_rules_suppressed_total{rule,reason} firings suppressed (filtered, opted_out,
//	                                            no_opt_in, min_interval, daily_cap, rate_limited)
//	sigprobe_output_*{output}                   rows, write errors, queue, lag, spool, drops per output
//	sigprobe_rules_control_total{rule}          triggers held out as a campaign's control group (not published)
//	sigprobe_checkpoint_*                       checkpoints committed, failed, skipped, duration, size,
//	                                            time of the last one, the configured interval
//	sigprobe_wal_*                              write-ahead log size, errors, messages replayed
type probeMetrics struct {
	s *metrics.Set

	received, kernelPackets, kernelDrops, freezes, truncated *metrics.Counter
	reorderLate, reorderOverflow, clockOutliers, clockJumps  *metrics.Counter
	bpfPassed, bpfDropped                                    *metrics.Counter
	ebpfMode                                                 *metrics.Gauge

	decPackets, decMessages, retrans, fragments, outOfScope *metrics.Counter
	badChecksums, zeroChecksums                             *metrics.Counter
	decByLayer                                              [decode.NumLayers]*metrics.Counter

	messages, attributed, deferred, replayed, unresolved, noConn, held  *metrics.Counter
	mapped, expired, observations, dwell, silent, outOfOrder, late      *metrics.Counter
	linked, ambiguous, noCaller, learned                                *metrics.Counter
	unidentified, evictedConns, evictedTxns, evictedHeld, adopted       *metrics.Counter
	subscribers, tmsis, heldSubs, heldObs, openConns, openTxns, orphans *metrics.Gauge
	occupancy                                                           *occupancy

	batches, rows, lines     *metrics.Counter
	mergeOverflow, mergeLate *metrics.Counter
	fired                    *metrics.Counter
	byRule                   []ruleMetrics

	ckptTotal, ckptFailures, ckptSkipped *metrics.Counter
	ckptSeconds, ckptEncode              *metrics.PrometheusHistogram
	ckptBytes, ckptLast, ckptInterval    *metrics.Gauge

	walErrors, walReplayed *metrics.Counter
}

type ruleMetrics struct {
	fired, control                                                  *metrics.Counter
	filtered, optedOut, noOptIn, minInterval, dailyCap, rateLimited *metrics.Counter
}

func newProbeMetrics(regionNames []string, eng *rules.Engine) *probeMetrics {
	s := metrics.NewSet()
	m := &probeMetrics{s: s,
		received:        s.NewCounter("sigprobe_capture_packets_total"),
		kernelPackets:   s.NewCounter("sigprobe_capture_kernel_packets_total"),
		kernelDrops:     s.NewCounter("sigprobe_capture_kernel_drops_total"),
		freezes:         s.NewCounter("sigprobe_capture_queue_freezes_total"),
		truncated:       s.NewCounter("sigprobe_capture_truncated_total"),
		reorderLate:     s.NewCounter("sigprobe_capture_reorder_late_total"),
		reorderOverflow: s.NewCounter("sigprobe_capture_reorder_overflow_total"),
		clockOutliers:   s.NewCounter("sigprobe_capture_clock_outliers_total"),
		clockJumps:      s.NewCounter("sigprobe_capture_clock_jumps_total"),
		bpfPassed:       s.NewCounter("sigprobe_bpf_passed_total"),
		bpfDropped:      s.NewCounter("sigprobe_bpf_dropped_total"),
		ebpfMode:        s.NewGauge("sigprobe_capture_ebpf_mode", nil),
		decPackets:      s.NewCounter("sigprobe_decode_packets_total"),
		decMessages:     s.NewCounter("sigprobe_decode_messages_total"),
		retrans:         s.NewCounter("sigprobe_decode_retransmissions_total"),
		fragments:       s.NewCounter("sigprobe_decode_fragments_total"),
		outOfScope:      s.NewCounter("sigprobe_decode_out_of_scope_total"),
		badChecksums:    s.NewCounter("sigprobe_decode_bad_checksums_total"),
		zeroChecksums:   s.NewCounter("sigprobe_decode_zero_checksums_total"),
		messages:        s.NewCounter("sigprobe_track_messages_total"),
		attributed:      s.NewCounter("sigprobe_track_attributed_total"),
		deferred:        s.NewCounter("sigprobe_track_deferred_total"),
		replayed:        s.NewCounter("sigprobe_track_replayed_total"),
		unresolved:      s.NewCounter("sigprobe_track_unresolved_total"),
		noConn:          s.NewCounter("sigprobe_track_no_connection_total"),
		held:            s.NewCounter("sigprobe_track_held_dropped_total"),
		mapped:          s.NewCounter("sigprobe_track_tmsi_mapped_total"),
		expired:         s.NewCounter("sigprobe_track_expired_total"),
		observations:    s.NewCounter("sigprobe_track_observations_total"),
		dwell:           s.NewCounter("sigprobe_track_dwell_rows_total"),
		silent:          s.NewCounter("sigprobe_track_silent_total"),
		outOfOrder:      s.NewCounter("sigprobe_track_out_of_order_total"),
		late:            s.NewCounter("sigprobe_track_region_late_total"),
		linked:          s.NewCounter("sigprobe_track_calls_linked_total"),
		ambiguous:       s.NewCounter(`sigprobe_track_calls_unlinked_total{reason="ambiguous"}`),
		noCaller:        s.NewCounter(`sigprobe_track_calls_unlinked_total{reason="no_caller"}`),
		learned:         s.NewCounter("sigprobe_track_msisdn_learned_total"),
		subscribers:     s.NewGauge("sigprobe_track_subscribers", nil),
		unidentified:    s.NewCounter("sigprobe_track_unidentified_total"),
		evictedConns:    s.NewCounter(`sigprobe_track_evicted_total{what="connection"}`),
		evictedTxns:     s.NewCounter(`sigprobe_track_evicted_total{what="transaction"}`),
		evictedHeld:     s.NewCounter(`sigprobe_track_evicted_total{what="held"}`),
		tmsis:           s.NewGauge("sigprobe_track_tmsis", nil),
		orphans:         s.NewGauge("sigprobe_track_waiting_connection", nil),
		adopted:         s.NewCounter("sigprobe_track_adopted_total"),
		heldSubs:        s.NewGauge("sigprobe_track_held_subscribers", nil),
		heldObs:         s.NewGauge("sigprobe_track_held_observations", nil),
		openConns:       s.NewGauge("sigprobe_track_open_connections", nil),
		openTxns:        s.NewGauge("sigprobe_track_open_transactions", nil),
		batches:         s.NewCounter("sigprobe_pipeline_batches_total"),
		mergeOverflow:   s.NewCounter("sigprobe_pipeline_merge_overflow_total"),
		mergeLate:       s.NewCounter("sigprobe_pipeline_merge_late_total"),
		rows:            s.NewCounter("sigprobe_pipeline_rows_total"),
		lines:           s.NewCounter("sigprobe_messages_lines_total"),
		fired:           s.NewCounter("sigprobe_rules_fired_total"),
		ckptTotal:       s.NewCounter("sigprobe_checkpoint_total"),
		ckptFailures:    s.NewCounter("sigprobe_checkpoint_failures_total"),
		ckptSkipped:     s.NewCounter("sigprobe_checkpoint_skipped_total"),
		ckptSeconds:     s.NewPrometheusHistogram("sigprobe_checkpoint_seconds"),
		ckptEncode:      s.NewPrometheusHistogram("sigprobe_checkpoint_encode_seconds"),
		ckptBytes:       s.NewGauge("sigprobe_checkpoint_bytes", nil),
		ckptLast:        s.NewGauge("sigprobe_checkpoint_last_timestamp_seconds", nil),
		ckptInterval:    s.NewGauge("sigprobe_checkpoint_interval_seconds", nil),
		walErrors:       s.NewCounter("sigprobe_wal_errors_total"),
		walReplayed:     s.NewCounter("sigprobe_wal_replayed_messages_total"),
	}
	for l := range m.decByLayer {
		m.decByLayer[l] = s.NewCounter(fmt.Sprintf("sigprobe_decode_errors_total{layer=%q}", decode.Layer(l)))
	}
	m.occupancy = &occupancy{names: regionNames, live: make([]int32, len(regionNames))}
	s.RegisterMetricsWriter(m.occupancy.write)
	if eng != nil {
		for _, r := range eng.Stats().Rules {
			sup := func(reason string) *metrics.Counter {
				return s.NewCounter(fmt.Sprintf("sigprobe_rules_suppressed_total{rule=%q,reason=%q}", r.Rule, reason))
			}
			m.byRule = append(m.byRule, ruleMetrics{
				fired:    s.NewCounter(fmt.Sprintf("sigprobe_rules_rule_fired_total{rule=%q}", r.Rule)),
				control:  s.NewCounter(fmt.Sprintf("sigprobe_rules_control_total{rule=%q}", r.Rule)),
				filtered: sup("filtered"), optedOut: sup("opted_out"), noOptIn: sup("no_opt_in"),
				minInterval: sup("min_interval"), dailyCap: sup("daily_cap"), rateLimited: sup("rate_limited"),
			})
		}
	}
	return m
}

func (m *probeMetrics) register()   { metrics.RegisterSet(m.s) }
func (m *probeMetrics) unregister() { metrics.UnregisterSet(m.s, true) }

func (m *probeMetrics) setCapture(st *capture.Stats) {
	m.received.Set(st.Received)
	m.kernelPackets.Set(st.KernelPackets)
	m.kernelDrops.Set(st.KernelDrops)
	m.freezes.Set(st.QueueFreezes)
	m.bpfPassed.Set(st.FilterPassed)
	m.bpfDropped.Set(st.FilterDropped)
	if st.Mode == capture.ModeEBPF {
		m.ebpfMode.Set(1)
	}
}

func (m *probeMetrics) setReorder(st *ReorderStats) {
	m.reorderLate.Set(st.Late)
	m.reorderOverflow.Set(st.Overflow)
	m.clockOutliers.Set(st.Outliers)
	m.clockJumps.Set(st.Jumps)
}

func (m *probeMetrics) setDecode(st *decode.Stats) {
	m.decPackets.Set(st.Packets)
	m.decMessages.Set(st.Messages)
	m.retrans.Set(st.Retransmissions)
	m.fragments.Set(st.Fragments)
	m.outOfScope.Set(st.OutOfScope)
	m.badChecksums.Set(st.BadChecksums)
	m.zeroChecksums.Set(st.ZeroChecksums)
	for l, n := range st.ByLayer {
		m.decByLayer[l].Set(n)
	}
}

// setRules copies the engine's counters; it returns the triggers fired.
func (m *probeMetrics) setRules(eng *rules.Engine) uint64 {
	if eng == nil {
		return 0
	}
	var total uint64
	for i, r := range eng.Stats().Rules {
		total += r.Fired
		if i < len(m.byRule) {
			b := &m.byRule[i]
			b.fired.Set(r.Fired)
			b.control.Set(r.Control)
			b.filtered.Set(r.Filtered)
			b.optedOut.Set(r.OptedOut)
			b.noOptIn.Set(r.NoOptIn)
			b.minInterval.Set(r.MinInterval)
			b.dailyCap.Set(r.DailyCap)
			b.rateLimited.Set(r.RateLimited)
		}
	}
	m.fired.Set(total)
	return total
}

// updateMetrics copies the pipeline's counters (pipeline goroutine only).
func (p *pipeline) updateMetrics() {
	m := p.m
	r, st := &p.res.Stats, &p.state.Stats
	m.messages.Set(r.Messages)
	m.attributed.Set(r.Attributed)
	m.deferred.Set(r.Deferred)
	m.replayed.Set(r.Replayed)
	m.unresolved.Set(r.Unresolved)
	m.noConn.Set(r.NoConnection)
	m.held.Set(r.ProvDropped)
	m.mapped.Set(r.TMSIMapped)
	m.expired.Set(r.Expired)
	m.observations.Set(st.Observations)
	m.dwell.Set(st.DwellRows)
	m.silent.Set(st.Silent)
	m.outOfOrder.Set(st.OutOfOrder)
	m.late.Set(p.state.RegionLate())
	m.linked.Set(r.Link.Linked)
	m.ambiguous.Set(r.Link.Ambiguous)
	m.noCaller.Set(r.Link.Unmatched)
	m.learned.Set(r.Link.Learned)
	m.subscribers.Set(float64(st.Subscribers))
	m.unidentified.Set(r.Unidentified)
	m.evictedConns.Set(r.EvictedConns)
	m.evictedTxns.Set(r.EvictedTxns)
	m.evictedHeld.Set(r.EvictedHeld)
	m.tmsis.Set(float64(p.state.TMSIs()))
	m.orphans.Set(float64(p.res.Orphans()))
	m.adopted.Set(r.Adopted)
	m.heldSubs.Set(float64(p.res.HeldSubscribers()))
	m.heldObs.Set(float64(p.res.HeldObservations()))
	m.openConns.Set(float64(p.res.OpenConnections()))
	m.openTxns.Set(float64(p.res.OpenTransactions()))
	m.rows.Set(p.rowsOut)
	m.batches.Set(p.batches)
	if p.merge != nil {
		m.mergeOverflow.Set(p.merge.Overflow)
		m.mergeLate.Set(p.merge.Late)
	}
	m.occupancy.update(p.state.Occupancy())
}

// rebind points the per-region and per-rule metrics at new regions and
// rules after a reload (metrics of names that went away stay as they were).
func (m *probeMetrics) rebind(regionNames []string, eng *rules.Engine) {
	m.occupancy.rename(regionNames)
	m.byRule = m.byRule[:0]
	if eng == nil {
		return
	}
	for _, r := range eng.Stats().Rules {
		sup := func(reason string) *metrics.Counter {
			return m.s.GetOrCreateCounter(fmt.Sprintf("sigprobe_rules_suppressed_total{rule=%q,reason=%q}", r.Rule, reason))
		}
		m.byRule = append(m.byRule, ruleMetrics{
			fired:    m.s.GetOrCreateCounter(fmt.Sprintf("sigprobe_rules_rule_fired_total{rule=%q}", r.Rule)),
			control:  m.s.GetOrCreateCounter(fmt.Sprintf("sigprobe_rules_control_total{rule=%q}", r.Rule)),
			filtered: sup("filtered"), optedOut: sup("opted_out"), noOptIn: sup("no_opt_in"),
			minInterval: sup("min_interval"), dailyCap: sup("daily_cap"), rateLimited: sup("rate_limited"),
		})
	}
}

// occupancy is sigprobe_region_occupancy{region}: written at scrape time
// from a copy the pipeline refreshes, rather than a gauge per region (a
// hundred thousand regions would make a hundred thousand gauges).
type occupancy struct {
	mu    sync.Mutex
	names []string
	live  []int32
}

// update copies the live counts (pipeline goroutine).
func (o *occupancy) update(live []int32) {
	o.mu.Lock()
	copy(o.live, live)
	o.mu.Unlock()
}

// rename takes the regions of a reloaded file.
func (o *occupancy) rename(names []string) {
	o.mu.Lock()
	o.names, o.live = names, make([]int32, len(names))
	o.mu.Unlock()
}

func (o *occupancy) write(w io.Writer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	bw := bufio.NewWriterSize(w, 1<<16)
	for g, name := range o.names {
		fmt.Fprintf(bw, "sigprobe_region_occupancy{region=%q} %d\n", name, o.live[g])
	}
	bw.Flush()
}
