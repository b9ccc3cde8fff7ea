// Package clickhouse holds sigprobe's ClickHouse schema (schema.sql, and
// schema-cluster.sql for Replicated + Distributed tables) and analysis
// queries so the binary can apply and run the very files people read;
// sink/clickhouse applies the schema, reference.go fills the reference
// tables from regions.yaml.
package clickhouse

import _ "embed"

var (
	//go:embed schema.sql
	SchemaSQL string
	//go:embed schema-cluster.sql
	ClusterSQL string
	//go:embed queries/group_whitelist.sql
	GroupWhitelistSQL string
)

// ReferenceTables are the tables of the schema that the probe does not
// write: they come from regions.yaml, calendars, the numbering plan and
// accepted whitelists.
var ReferenceTables = []string{"regions", "groups", "calendar_days", "number_prefixes", "group_members"}
