// Package decode turns captured SIGTRAN packets into flat signaling records:
// link (Ethernet/VLAN, Linux SLL/SLL2, raw IP, MTP2/MTP3) → IPv4/IPv6 →
// SCTP → M3UA or M2PA → SCCP → BSSAP (BSSMAP, DTAP) or TCAP/GSM MAP.
//
// It is pure: bytes in, records out; no I/O, goroutines, logging or metrics.
// A Stack owns the reassembly state of one worker and is not safe for
// concurrent use. The layers live in sub-packages (sctp, m3ua, sccp, bssap,
// tcap, ident); this package wires them and owns the Message record.
package decode
