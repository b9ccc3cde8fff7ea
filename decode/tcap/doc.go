// Package tcap decodes ITU TCAP (Q.773) transactions and their ROS
// components with a hand-written BER walker over byte slices (no reflection,
// no allocation), and pulls the subscriber identities out of the GSM MAP
// operations (3GPP TS 29.002) a probe tracks.
package tcap
