// Package whitelist finds the members of a group (an enterprise) from a month
// of probe tables: presence in the group's region in working hours, a
// threshold calibrated on a few known members, and second filters on home
// cells, days off and the call graph. It is the Go twin of
// deploy/clickhouse/queries/group_whitelist.sql, for sites without
// ClickHouse: it reads the Parquet files the probe writes (DIR/<table>/*.parquet).
package whitelist
