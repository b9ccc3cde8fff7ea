// Package bpf owns sigprobe's eBPF programs: a socket filter that keeps only
// SIGTRAN (SCTP carrying M3UA or M2PA) and counts its verdicts per CPU, and a
// PACKET_FANOUT_EBPF program that steers each SCTP association, all its
// paths, to one worker; and PortFanout, the classic BPF fanout of hash mode.
// The C sources are compiled by bpf2go; the generated Go files and objects are
// committed, so building needs no clang. It imports nothing from sigprobe.
package bpf
