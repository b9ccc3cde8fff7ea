// Package capture takes SIGTRAN packets off tap interfaces: one AF_PACKET
// TPACKET_V3 ring per worker and interface, joined in a fanout group per
// interface that the eBPF program from package bpf steers by SCTP
// association, with the eBPF socket filter dropping non-signaling traffic in
// the kernel. Where eBPF cannot load it falls back to a classic BPF fanout by
// SCTP port pair (bpf.PortFanout) and filters in user space. It exposes counters through Stats and leaves
// metrics and logging (beyond the fallback warning) to its caller.
package capture
