package probe

import (
	"fmt"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/rules"
)

// liveMetrics are a live probe's metrics, created once in OpenLive and
// registered while Run runs:
//
//	sigprobe_capture_packets_total           packets handed to the workers
//	sigprobe_capture_kernel_packets_total    packets the kernel put in the rings (PACKET_STATISTICS)
//	sigprobe_capture_kernel_drops_total      packets the kernel dropped: a ring was full
//	sigprobe_capture_queue_freezes_total     times a ring had no free block
//	sigprobe_capture_ebpf_mode               1 with the eBPF filter and fanout, 0 in hash mode
//	sigprobe_bpf_passed_total                filter verdicts (eBPF in the kernel, or user space in hash mode)
//	sigprobe_bpf_dropped_total
//	sigprobe_decode_packets_total            packets decoded
//	sigprobe_decode_messages_total           BSSMAP, DTAP and MAP messages decoded
//	sigprobe_decode_errors_total{layer=...}  decode errors by layer (link, ip, sctp, m3ua, sccp, bssmap, dtap, tcap, map)
//	sigprobe_decode_retransmissions_total    SCTP DATA chunks seen before, dropped
//	sigprobe_decode_fragments_total          fragments held for reassembly
//	sigprobe_decode_out_of_scope_total       SCCP users out of scope
//	sigprobe_pipeline_batches_total          message batches fed to the pipeline
//	sigprobe_messages_lines_total            JSON lines written to the messages file
//	sigprobe_rules_fired_total               triggers fired, all rules
//	sigprobe_rules_rule_fired_total{rule=...} triggers fired by rule
//
// Their sources are snapshots (capture.Stats, the stacks' Stats, the
// engine's Stats), so the counters are set from a snapshot every
// StatsInterval rather than counted per packet.
type liveMetrics struct {
	s *metrics.Set

	received, kernelPackets, kernelDrops, freezes *metrics.Counter
	bpfPassed, bpfDropped                         *metrics.Counter
	ebpfMode                                      *metrics.Gauge // 1 in eBPF mode (set once)

	decPackets, decMessages        *metrics.Counter
	decByLayer                     [decode.NumLayers]*metrics.Counter
	retrans, fragments, outOfScope *metrics.Counter

	batches, lines *metrics.Counter
	triggers       *metrics.Counter
	fired          []*metrics.Counter // per rule
}

func newLiveMetrics(eng *rules.Engine) *liveMetrics {
	s := metrics.NewSet()
	m := &liveMetrics{s: s,
		received:      s.NewCounter("sigprobe_capture_packets_total"),
		kernelPackets: s.NewCounter("sigprobe_capture_kernel_packets_total"),
		kernelDrops:   s.NewCounter("sigprobe_capture_kernel_drops_total"),
		freezes:       s.NewCounter("sigprobe_capture_queue_freezes_total"),
		bpfPassed:     s.NewCounter("sigprobe_bpf_passed_total"),
		bpfDropped:    s.NewCounter("sigprobe_bpf_dropped_total"),
		decPackets:    s.NewCounter("sigprobe_decode_packets_total"),
		decMessages:   s.NewCounter("sigprobe_decode_messages_total"),
		retrans:       s.NewCounter("sigprobe_decode_retransmissions_total"),
		fragments:     s.NewCounter("sigprobe_decode_fragments_total"),
		outOfScope:    s.NewCounter("sigprobe_decode_out_of_scope_total"),
		batches:       s.NewCounter("sigprobe_pipeline_batches_total"),
		lines:         s.NewCounter("sigprobe_messages_lines_total"),
		triggers:      s.NewCounter("sigprobe_rules_fired_total"),
	}
	for l := range m.decByLayer {
		m.decByLayer[l] = s.NewCounter(fmt.Sprintf("sigprobe_decode_errors_total{layer=%q}", decode.Layer(l)))
	}
	m.ebpfMode = s.NewGauge("sigprobe_capture_ebpf_mode", nil)
	if eng != nil {
		for _, r := range eng.Stats().Rules {
			m.fired = append(m.fired, s.NewCounter(fmt.Sprintf("sigprobe_rules_rule_fired_total{rule=%q}", r.Rule)))
		}
	}
	return m
}

func (m *liveMetrics) register()   { metrics.RegisterSet(m.s) }
func (m *liveMetrics) unregister() { metrics.UnregisterSet(m.s, false) }

// set copies a snapshot into the metrics. The caller serialises calls.
func (m *liveMetrics) set(st *LiveStats) {
	c := &st.Capture
	m.received.Set(c.Received)
	m.kernelPackets.Set(c.KernelPackets)
	m.kernelDrops.Set(c.KernelDrops)
	m.freezes.Set(c.QueueFreezes)
	m.bpfPassed.Set(c.FilterPassed)
	m.bpfDropped.Set(c.FilterDropped)
	if c.Mode == capture.ModeEBPF {
		m.ebpfMode.Set(1)
	}
	d := &st.Decode
	m.decPackets.Set(d.Packets)
	m.decMessages.Set(d.Messages)
	for l, n := range d.ByLayer {
		m.decByLayer[l].Set(n)
	}
	m.retrans.Set(d.Retransmissions)
	m.fragments.Set(d.Fragments)
	m.outOfScope.Set(d.OutOfScope)
	m.lines.Set(st.Lines)
	m.triggers.Set(st.Triggers)
}

// setRules copies the per-rule counters.
func (m *liveMetrics) setRules(rs []rules.RuleStats) {
	for i, r := range rs {
		if i < len(m.fired) {
			m.fired[i].Set(r.Fired)
		}
	}
}
