// Package parquet writes sigprobe's tables as rotated, ZSTD-compressed Parquet
// files under one directory: the embedded default when no ClickHouse is
// configured. Column names and order match deploy/clickhouse/schema.sql, so
// `INSERT INTO t SELECT * FROM file('dir/t/*.parquet', Parquet)` loads them.
package parquet
