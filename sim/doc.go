// Package sim is a seeded model of a city's mobile network. It drives a
// population through daily routines and writes the GSM A-interface (BSSAP)
// and MAP signaling those subscribers cause as a SIGTRAN pcap, together with
// the ground truth the probe is measured against.
//
// The simulation is a single-threaded discrete-event loop so that one seed
// gives one capture, byte for byte. Procedures emit messages with future
// timestamps into a time-ordered queue that is flushed to the pcap as the
// clock passes them; transport state (TSNs, bundling, fragmentation) is
// applied at flush time, in wire order.
package sim
