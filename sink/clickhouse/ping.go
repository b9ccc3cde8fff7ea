package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// Ping connects to dsn within timeout and returns the tables of the schema
// (schema.sql) its database lacks, sorted; none when all are there. It is
// what `sigprobe check` asks of a configured ClickHouse: the writer itself
// does not need the server at start (it spools until it is there), but
// without the tables every insert fails.
func Ping(ctx context.Context, dsn string, timeout time.Duration) (missing []string, err error) {
	opts, err := openOptions(dsn)
	if err != nil {
		return nil, err
	}
	opts.DialTimeout, opts.ReadTimeout = timeout, timeout
	opts.MaxOpenConns, opts.MaxIdleConns = 1, 1
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		return nil, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	rows, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase()")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: list tables: %s", oneLine(err))
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("clickhouse: list tables: %s", oneLine(err))
		}
		have[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: list tables: %s", oneLine(err))
	}
	want, err := TableColumns(Schema(""))
	if err != nil {
		return nil, err
	}
	for t := range want {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	slices.Sort(missing)
	return missing, nil
}
