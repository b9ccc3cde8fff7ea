// Package chdb runs the analysis queries of deploy/clickhouse/queries on a
// real ClickHouse engine in-process (the npm package chdb, driven by run.js)
// against a simulated month, and checks their answers against the
// simulator's truth. It has only tests; .ci/run installs chdb. front.js
// serves chDB over ClickHouse's HTTP interface for sink/clickhouse's tests.
package chdb
