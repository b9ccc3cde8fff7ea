// Package clickhouse writes sigprobe's tables to ClickHouse over the native
// protocol and applies the schema (deploy/clickhouse). Rows are gathered per
// table into columnar blocks, inserted by a background sender with a
// per-block insert_deduplication_token, retried with backoff, and spilled to
// a bounded on-disk spool while the server is unreachable; the spool is
// replayed in order when it returns. Nothing is dropped silently: every lost
// row is counted with its reason.
package clickhouse
