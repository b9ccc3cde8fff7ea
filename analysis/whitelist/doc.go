// Package whitelist finds the members of a group (an enterprise) from a month
// of probe tables. Features — presence in the group's region in its local
// working hours, home cells, days off, and the call graph — come either from
// the Parquet files the probe writes (Features) or from ClickHouse through
// deploy/clickhouse/queries/group_whitelist.sql (QueryClickHouse); Select
// then calibrates k and grows the membership from the known members through
// the call graph, the same code for both. The method is written up in
// deploy/clickhouse/queries/whitelist.md.
package whitelist
