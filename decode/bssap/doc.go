// Package bssap decodes BSSAP on the GSM A-interface (3GPP TS 48.006):
// BSSMAP messages (TS 48.008) and DTAP (TS 24.008 MM/RR/CC, TS 24.011 SMS
// CP/RP, TS 24.080 supplementary services) into flat records.
package bssap
