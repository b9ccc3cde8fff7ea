package clickhouse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"strings"
	"sync"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// driverInserter inserts blocks with clickhouse-go's columnar batch API,
// over the native protocol or ClickHouse's HTTP interface.
type driverInserter struct {
	conn     driver.Conn
	settings ch.Settings
	dialer   net.Dialer
	tls      *tls.Config // native protocol only: HTTP's transport does its own TLS

	mu   sync.Mutex
	live map[*trackedConn]struct{}
}

const dsnHelp = "want clickhouse://user:password@host:9000/database (native protocol) or http(s)://user:password@host:8123/database (HTTP interface)"

// openOptions parses a DSN. clickhouse:// is the native protocol with LZ4;
// http:// and https:// are the HTTP interface (ClickHouse Cloud offers
// https on 8443) with gzip request bodies. Errors never repeat the DSN,
// which may hold a password.
func openOptions(dsn string) (*ch.Options, error) {
	if dsn == "" {
		return nil, errors.New("clickhouse: no DSN (" + dsnHelp + ")")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole DSN
		}
		return nil, fmt.Errorf("clickhouse: bad DSN: %s (%s)", oneLine(err), dsnHelp)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("clickhouse: bad DSN: no host (%s)", dsnHelp)
	}
	switch u.Scheme {
	case "clickhouse":
	case "http":
		if s := u.Query().Get("secure"); s != "" && s != "false" {
			return nil, errors.New("clickhouse: bad DSN: secure=" + s + " with http://: use https://")
		}
	case "https":
		// clickhouse-go wants secure=true spelled out for https.
		q := u.Query()
		if q.Get("secure") == "" {
			q.Set("secure", "true")
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	default:
		return nil, fmt.Errorf("clickhouse: bad DSN: scheme %q (%s)", u.Scheme, dsnHelp)
	}
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: bad DSN: %s", oneLine(err))
	}
	if opts.Protocol == ch.HTTP {
		opts.Compression = &ch.Compression{Method: ch.CompressionGZIP, Level: 3}
	} else {
		opts.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	}
	return opts, nil
}

// openInserter opens a connection pool that dials through a tracked dialer,
// so that an insert whose context ends closes its connections: clickhouse-go
// bounds some waits by its own deadlines rather than the context (the
// native handshake reads for DialTimeout whatever the context says).
func openInserter(cfg *Config) (*driverInserter, error) {
	opts, err := openOptions(cfg.DSN)
	if err != nil {
		return nil, err
	}
	d := &driverInserter{settings: ch.Settings{}, live: map[*trackedConn]struct{}{}}
	d.dialer.Timeout = cfg.DialTimeout
	if opts.Protocol == ch.Native {
		d.tls = opts.TLS
	}
	opts.DialTimeout = cfg.DialTimeout   // TCP connect, TLS, and the native handshake or HTTP hello query
	opts.ReadTimeout = cfg.InsertTimeout // no single read waits longer than an insert may take
	opts.MaxOpenConns, opts.MaxIdleConns = 1, 1
	opts.DialContext = d.dial
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	d.conn = conn
	maps.Copy(d.settings, cfg.Settings)
	return d, nil
}

func (d *driverInserter) dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := d.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if d.tls != nil {
		cfg := d.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(c, cfg)
		hctx, cancel := context.WithTimeout(ctx, d.dialer.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	t := &trackedConn{Conn: c, d: d}
	d.mu.Lock()
	d.live[t] = struct{}{}
	d.mu.Unlock()
	return t, nil
}

// trackedConn is a connection the inserter can close when an insert's
// context ends.
type trackedConn struct {
	net.Conn
	d    *driverInserter
	once sync.Once
}

func (t *trackedConn) Close() error {
	var err error
	t.once.Do(func() {
		t.d.mu.Lock()
		delete(t.d.live, t)
		t.d.mu.Unlock()
		err = t.Conn.Close()
	})
	return err
}

// closeConns closes every open connection, which ends any read or write
// blocked on them.
func (d *driverInserter) closeConns() {
	d.mu.Lock()
	cs := make([]*trackedConn, 0, len(d.live))
	for c := range d.live {
		cs = append(cs, c)
	}
	d.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

func (d *driverInserter) insert(ctx context.Context, b *block) error {
	stop := context.AfterFunc(ctx, d.closeConns)
	defer stop()
	s := maps.Clone(d.settings)
	s["insert_deduplicate"] = 1
	s["insert_deduplication_token"] = b.token
	ctx = ch.Context(ctx, ch.WithSettings(s))
	batch, err := d.conn.PrepareBatch(ctx, b.table.insertQuery())
	if err != nil {
		return withCause(ctx, err)
	}
	defer batch.Close()
	for i := range b.cols {
		if err := batch.Column(i).Append(b.cols[i].driverValue()); err != nil {
			return fmt.Errorf("%s.%s: %w", b.table.name, b.table.cols[i], err)
		}
	}
	return withCause(ctx, batch.Send())
}

// withCause says so when an error comes from the insert's time running out
// (the driver then only reports a closed connection).
func withCause(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

func (d *driverInserter) close() error {
	err := d.conn.Close()
	d.closeConns()
	return err
}

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
