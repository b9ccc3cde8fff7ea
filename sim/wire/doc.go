// Package wire holds the simulator's allocation-free, append-style encoders
// for every protocol layer it writes: DTAP and BSSMAP (A interface), SCCP,
// TCAP with GSM MAP operations, M3UA, and Ethernet/IPv4/SCTP framing.
//
// Every encoder has the form func X(b []byte, ...) []byte: it appends one
// byte-exact encoding to b and returns the extended slice, never keeping b.
// Digit strings are Go strings of ASCII digits; they are packed inline.
package wire
