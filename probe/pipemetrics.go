package probe

import (
	"fmt"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/rules"
)

// pipeMetrics are the pipeline's metrics (replay and live alike), set from
// the resolver's and state's counters by the pipeline goroutine every few
// batches — never counted per message:
//
//	sigprobe_track_messages_total            messages handed to the resolver
//	sigprobe_track_attributed_total          messages tied to a subscriber when handled
//	sigprobe_track_deferred_total            held on an unknown TMSI
//	sigprobe_track_replayed_total            held observations replayed once the IMSI was learned
//	sigprobe_track_unresolved_total          observations dropped: subscriber never known
//	sigprobe_track_no_connection_total       messages on an unknown SCCP connection (dropped)
//	sigprobe_track_held_dropped_total        observations dropped: held-history buffer full
//	sigprobe_track_tmsi_mapped_total         TMSI→IMSI mappings learned
//	sigprobe_track_expired_total             stale connections, transactions, mappings dropped
//	sigprobe_track_calls_linked_total        A-only tap: callee Setups matched to their caller's
//	sigprobe_track_calls_unlinked_total{reason="ambiguous"|"no_caller"}  callee Setups not matched
//	sigprobe_track_msisdn_learned_total      A-only tap: MSISDNs learned from matched calls
//	sigprobe_track_subscribers               subscribers tracked
//	sigprobe_track_observations_total        observations applied
//	sigprobe_track_dwell_rows_total          dwell intervals closed
//	sigprobe_track_silent_total              implicit detaches (silence timeout)
//	sigprobe_track_out_of_order_total        cell observations older than the last (ignored)
//	sigprobe_track_region_late_total         region entries/exits older than the settling window
//	sigprobe_region_occupancy{region=...}    subscribers inside each micro-region now
//	sigprobe_pipeline_rows_total             rows handed to the sinks
//	sigprobe_pipeline_write_errors_total     sink write errors
type pipeMetrics struct {
	s                                                                  *metrics.Set
	messages, attributed, deferred, replayed, unresolved, noConn, held *metrics.Counter
	mapped, expired, observations, dwell, silent, outOfOrder, late     *metrics.Counter
	linked, ambiguous, noCaller, learned                               *metrics.Counter
	subscribers                                                        *metrics.Gauge
	rows, writeErrors                                                  *metrics.Counter
	occupancy                                                          []*metrics.Gauge
}

func newPipeMetrics(regionNames []string) *pipeMetrics {
	s := metrics.NewSet()
	m := &pipeMetrics{s: s,
		messages:     s.NewCounter("sigprobe_track_messages_total"),
		attributed:   s.NewCounter("sigprobe_track_attributed_total"),
		deferred:     s.NewCounter("sigprobe_track_deferred_total"),
		replayed:     s.NewCounter("sigprobe_track_replayed_total"),
		unresolved:   s.NewCounter("sigprobe_track_unresolved_total"),
		noConn:       s.NewCounter("sigprobe_track_no_connection_total"),
		held:         s.NewCounter("sigprobe_track_held_dropped_total"),
		mapped:       s.NewCounter("sigprobe_track_tmsi_mapped_total"),
		expired:      s.NewCounter("sigprobe_track_expired_total"),
		observations: s.NewCounter("sigprobe_track_observations_total"),
		dwell:        s.NewCounter("sigprobe_track_dwell_rows_total"),
		silent:       s.NewCounter("sigprobe_track_silent_total"),
		outOfOrder:   s.NewCounter("sigprobe_track_out_of_order_total"),
		late:         s.NewCounter("sigprobe_track_region_late_total"),
		linked:       s.NewCounter("sigprobe_track_calls_linked_total"),
		ambiguous:    s.NewCounter(`sigprobe_track_calls_unlinked_total{reason="ambiguous"}`),
		noCaller:     s.NewCounter(`sigprobe_track_calls_unlinked_total{reason="no_caller"}`),
		learned:      s.NewCounter("sigprobe_track_msisdn_learned_total"),
		subscribers:  s.NewGauge("sigprobe_track_subscribers", nil),
		rows:         s.NewCounter("sigprobe_pipeline_rows_total"),
		writeErrors:  s.NewCounter("sigprobe_pipeline_write_errors_total"),
	}
	for _, n := range regionNames {
		m.occupancy = append(m.occupancy, s.NewGauge(fmt.Sprintf("sigprobe_region_occupancy{region=%q}", n), nil))
	}
	metrics.RegisterSet(s)
	return m
}

// update copies the pipeline's counters (pipeline goroutine only).
func (p *Pipeline) update() {
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
	m.linked.Set(r.Link.Linked)
	m.ambiguous.Set(r.Link.Ambiguous)
	m.noCaller.Set(r.Link.Unmatched)
	m.learned.Set(r.Link.Learned)
	m.observations.Set(st.Observations)
	m.dwell.Set(st.DwellRows)
	m.silent.Set(st.Silent)
	m.outOfOrder.Set(st.OutOfOrder)
	m.late.Set(p.state.RegionLate())
	m.subscribers.Set(float64(st.Subscribers))
	m.rows.Set(p.rows)
	for g, n := range p.state.Occupancy() {
		if g < len(m.occupancy) {
			m.occupancy[g].Set(float64(n))
		}
	}
}

func (m *pipeMetrics) close() { metrics.UnregisterSet(m.s, true) }

// decodeMetrics are the decoder's and the rules' counters for a file replay
// (a live probe has its own, per capture worker: probe/metrics.go):
//
//	sigprobe_decode_packets_total, sigprobe_decode_messages_total,
//	sigprobe_decode_retransmissions_total, sigprobe_decode_errors_total{layer=...},
//	sigprobe_rules_fired_total, sigprobe_rules_rule_fired_total{rule=...}
type decodeMetrics struct {
	s                          *metrics.Set
	packets, messages, retrans *metrics.Counter
	byLayer                    [decode.NumLayers]*metrics.Counter
	eng                        *rules.Engine
	fired                      *metrics.Counter
	byRule                     []*metrics.Counter
}

func newDecodeMetrics(eng *rules.Engine) *decodeMetrics {
	s := metrics.NewSet()
	m := &decodeMetrics{s: s,
		packets:  s.NewCounter("sigprobe_decode_packets_total"),
		messages: s.NewCounter("sigprobe_decode_messages_total"),
		retrans:  s.NewCounter("sigprobe_decode_retransmissions_total"),
	}
	for l := range m.byLayer {
		m.byLayer[l] = s.NewCounter(fmt.Sprintf("sigprobe_decode_errors_total{layer=%q}", decode.Layer(l)))
	}
	m.fired = s.NewCounter("sigprobe_rules_fired_total")
	if eng != nil {
		m.eng = eng
		for _, r := range eng.Stats().Rules {
			m.byRule = append(m.byRule, s.NewCounter(fmt.Sprintf("sigprobe_rules_rule_fired_total{rule=%q}", r.Rule)))
		}
	}
	metrics.RegisterSet(s)
	return m
}

func (m *decodeMetrics) set(st *decode.Stats) {
	m.packets.Set(st.Packets)
	m.messages.Set(st.Messages)
	m.retrans.Set(st.Retransmissions)
	for l, n := range st.ByLayer {
		m.byLayer[l].Set(n)
	}
	if m.eng != nil {
		var total uint64
		for i, r := range m.eng.Stats().Rules {
			total += r.Fired
			if i < len(m.byRule) {
				m.byRule[i].Set(r.Fired)
			}
		}
		m.fired.Set(total)
	}
}

func (m *decodeMetrics) close() { metrics.UnregisterSet(m.s, true) }
