// Package rules is the trigger rules engine. Parse/Load decode a rule set
// (rules.yaml) strictly into typed structs and compile it; an Engine is fed
// subscriber facts in capture-time order by the tracking state and returns
// the sink.Trigger rows that fire, applying filters, counts in sliding
// windows, sequences (after), consent lists and frequency caps, and marking
// a campaign's control group. Observe and Advance allocate nothing per fact
// once warm.
//
// Trigger IDs are deterministic: 32 hex digits of a 128-bit hash of the rule
// name, the IMSI, the capture time (ns) of the firing and the region, so a
// replay of the same capture produces the same IDs and the NATS stream
// deduplicates them.
package rules
