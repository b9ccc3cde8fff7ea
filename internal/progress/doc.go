// Package progress reports how far a long job is (done of total, rate,
// time left): a line redrawn in place on a terminal, periodic log lines
// otherwise. The job's hot loop only adds to an atomic counter.
package progress
