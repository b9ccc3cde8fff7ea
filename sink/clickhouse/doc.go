// Package clickhouse writes sigprobe's tables to ClickHouse, over the native
// protocol or the HTTP interface, and applies the schema (deploy/clickhouse).
// Rows are gathered per table into columnar blocks cut by the batch stream
// alone (row count, the pipeline's Flush marks, Close), so that each block's
// insert_deduplication_token is reproduced when the probe restarts from a
// checkpoint and writes the same batches again. A background sender inserts
// blocks with retries, spilling them to a bounded on-disk spool while the
// server is unreachable. Nothing is dropped silently: every lost row is
// counted with its reason.
package clickhouse
