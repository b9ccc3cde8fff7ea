package clickhouse

import (
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

func TestDSN(t *testing.T) {
	cases := []struct {
		dsn      string
		protocol ch.Protocol
		compress ch.CompressionMethod
		tls      bool
		db       string
		err      string // an error containing this
	}{
		{dsn: "clickhouse://default:pw@ch1:9000/sigprobe", protocol: ch.Native, compress: ch.CompressionLZ4, db: "sigprobe"},
		{dsn: "clickhouse://ch1:9440/sigprobe?secure=true", protocol: ch.Native, compress: ch.CompressionLZ4, tls: true, db: "sigprobe"},
		{dsn: "http://default:pw@127.0.0.1:8123/sigprobe", protocol: ch.HTTP, compress: ch.CompressionGZIP, db: "sigprobe"},
		{dsn: "https://default:pw@abc.eu-west-1.aws.clickhouse.cloud:8443/sigprobe", protocol: ch.HTTP, compress: ch.CompressionGZIP, tls: true, db: "sigprobe"},
		{dsn: "", err: "no DSN (want clickhouse://"},
		{dsn: "postgres://u:secret@db:5432/x", err: `scheme "postgres"`},
		{dsn: "tcp://u:secret@db:9000/x", err: `scheme "tcp"`},
		{dsn: "ch1:9000", err: "bad DSN"},
		{dsn: "http:///sigprobe", err: "no host"},
		{dsn: "clickhouse://u:secret@ch1:90x0/db", err: "invalid port"},
		{dsn: "clickhouse://u:secret@ch1:9000/db?dial_timeout=soon", err: "dial timeout"},
		{dsn: "http://u:secret@ch1:8123/db?secure=true", err: "use https://"},
	}
	for _, c := range cases {
		t.Run(c.dsn, func(t *testing.T) {
			o, err := openOptions(c.dsn)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				if msg := err.Error(); strings.Contains(msg, "secret") || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "clickhouse: ") {
					t.Fatalf("error %q: want one line starting clickhouse:, without the password", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Protocol != c.protocol || o.Compression.Method != c.compress || (o.TLS != nil) != c.tls || o.Auth.Database != c.db {
				t.Fatalf("protocol %v compression %v tls %v db %q", o.Protocol, o.Compression.Method, o.TLS != nil, o.Auth.Database)
			}
		})
	}
}
