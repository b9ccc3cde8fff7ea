// Package clickhouse holds sigprobe's ClickHouse schema (schema.sql, and
// schema-cluster.sql for Replicated + Distributed tables) so the binary can
// apply the very files people read; sink/clickhouse applies them.
package clickhouse

import _ "embed"

var (
	//go:embed schema.sql
	SchemaSQL string
	//go:embed schema-cluster.sql
	ClusterSQL string
)
