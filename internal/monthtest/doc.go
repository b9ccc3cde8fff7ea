// Package monthtest builds a simulated month of probe tables for the
// analysis tests: it runs the simulator (truth only), turns its ground truth
// into the Parquet files a perfect probe would write (DIR/<table>/*.parquet),
// and caches the result under os.TempDir keyed by seed, size and days, so the
// tests of several packages share one generation.
package monthtest
