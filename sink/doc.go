// Package sink defines the rows sigprobe writes — the tables analysts query
// and the triggers marketing systems subscribe to — and the Writer interface
// every output implements. Sub-packages write them to JSON lines, Parquet,
// ClickHouse and NATS JetStream. Nothing here imports the probe.
package sink
