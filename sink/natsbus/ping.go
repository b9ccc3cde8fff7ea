package natsbus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// connectOptions are how the publisher and Ping authenticate and secure
// their connection: credentials, client certificate, CA.
func (c *Config) connectOptions() ([]nats.Option, error) {
	var opts []nats.Option
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.NkeyFile != "" {
		st, err := os.Stat(c.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("natsbus: %w", err)
		}
		if m := st.Mode().Perm(); m&0o077 != 0 {
			return nil, fmt.Errorf("natsbus: %s: mode %04o: its group or others may read the seed; want 0600 or stricter", c.NkeyFile, m)
		}
		o, err := nats.NkeyOptionFromSeed(c.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("natsbus: %w", err)
		}
		opts = append(opts, o)
	}
	opts = append(opts, c.Options...)
	if c.TLSCert != "" || c.TLSKey != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	return opts, nil
}

// Ping connects to cfg.URL as the publisher would, within timeout, and
// asks JetStream for the account's limits: it answers whether triggers
// could be published there now (sigprobe check). The publisher itself
// does not need the server at start: it buffers until it is there.
func Ping(ctx context.Context, cfg Config, timeout time.Duration) error {
	if cfg.URL == "" {
		return errors.New("natsbus: no URL")
	}
	co, err := cfg.connectOptions()
	if err != nil {
		return err
	}
	nc, err := nats.Connect(cfg.URL, append(co, nats.Name("sigprobe check"), nats.Timeout(timeout), nats.NoReconnect())...)
	if err != nil {
		return fmt.Errorf("natsbus: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("natsbus: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("natsbus: JetStream: %w", err)
	}
	return nil
}
