// Package rules is the trigger rules engine. Parse/Load read a rule set
// (rules.yaml); an Engine is fed subscriber facts in capture-time order by the
// tracking state and returns the sink.Trigger rows that fire, applying
// filters, consent lists and frequency caps. Observe and Advance allocate
// nothing per fact once warm.
//
// Trigger IDs are deterministic: 32 hex digits of a 128-bit hash of the rule
// name, the IMSI, the capture time (ns) of the firing and the region, so a
// replay of the same capture produces the same IDs and the NATS stream
// deduplicates them.
package rules
