// Package rules is the trigger rules engine. Parse/Load read a rule set
// (rules.yaml); an Engine is fed subscriber facts in capture-time order by the
// tracking state and returns the sink.Trigger rows that fire, applying
// filters, consent lists and frequency caps. Observe and Advance allocate
// nothing per fact once warm.
package rules
