package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// driverInserter inserts blocks with clickhouse-go's columnar batch API.
type driverInserter struct {
	conn     driver.Conn
	settings ch.Settings
}

// openOptions parses a DSN and forces the native protocol with LZ4.
func openOptions(dsn string) (*ch.Options, error) {
	if dsn == "" {
		return nil, fmt.Errorf("clickhouse: no DSN (want clickhouse://user:password@host:9000/database)")
	}
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: bad DSN: %s", oneLine(err))
	}
	if opts.Protocol != ch.Native {
		return nil, fmt.Errorf("clickhouse: DSN must use the native protocol (clickhouse://host:9000)")
	}
	opts.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	return opts, nil
}

func openInserter(dsn string, settings map[string]any) (*driverInserter, error) {
	opts, err := openOptions(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	s := ch.Settings{}
	maps.Copy(s, settings)
	return &driverInserter{conn: conn, settings: s}, nil
}

func (d *driverInserter) insert(ctx context.Context, b *block) error {
	s := maps.Clone(d.settings)
	s["insert_deduplicate"] = 1
	s["insert_deduplication_token"] = b.token
	ctx = ch.Context(ctx, ch.WithSettings(s))
	batch, err := d.conn.PrepareBatch(ctx, b.table.insertQuery())
	if err != nil {
		return err
	}
	defer batch.Close()
	for i := range b.cols {
		if err := batch.Column(i).Append(b.cols[i].driverValue()); err != nil {
			return fmt.Errorf("%s.%s: %w", b.table.name, b.table.cols[i], err)
		}
	}
	return batch.Send()
}

func (d *driverInserter) close() error { return d.conn.Close() }

// driverValue is the column as a slice clickhouse-go appends in one call.
func (c *column) driverValue() any {
	switch c.kind {
	case kDigits:
		return digitStrings(c.digits)
	case kString:
		return c.strs
	case kTime:
		return c.i64 // DateTime takes unix seconds
	case kU8:
		return c.u8
	case kU16:
		return c.u16
	case kU32:
		return c.u32
	case kBool:
		return c.bools
	case kU32x8:
		flat := make([]uint32, 8*len(c.u32x8))
		out := make([][]uint32, len(c.u32x8))
		for i := range c.u32x8 {
			out[i] = flat[8*i : 8*i+8 : 8*i+8]
			copy(out[i], c.u32x8[i][:])
		}
		return out
	}
	panic("clickhouse: unknown column kind")
}

// oneLine keeps an error to one line for the command line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}
