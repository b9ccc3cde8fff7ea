// Package track turns decoded messages into subscriber knowledge. Resolver
// attributes every message to a subscriber (SCCP connections, TCAP
// transactions, TMSI→IMSI); State keeps each subscriber's cell dwell, the
// micro-region counters and the activity events, and emits table rows.
package track
