// Package impairtest degrades a capture the way real taps and aggregators
// do — random and burst loss, duplicates, reordering, clock glitches — and
// computes from the simulator's truth what a perfect probe could still
// know from the degraded capture (the bound a probe's dwell share is
// measured against). Test-only: nothing in the probe imports it.
package impairtest
