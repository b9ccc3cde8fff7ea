// Package exposition writes sigprobe's Prometheus metrics: every registered
// metrics.Set, each family once with its # HELP and # TYPE (several sets
// carry the same family: each sink has its sigprobe_sink_rows_total), plus
// sigprobe_build_info. The help texts live here, in help.go.
package exposition
