// Package scenario defines the simulator's scenario file: the network, its
// micro-regions and groups, and the population's behaviour. Loading is strict
// (unknown keys are errors) so a typo never silently falls back to a default.
package scenario
