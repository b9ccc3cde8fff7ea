package natsbus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// EmbeddedConfig configures the embedded server.
type EmbeddedConfig struct {
	StoreDir string // JetStream's store
	// Listen is host:port ("127.0.0.1:0" picks a free port). Anything but a
	// loopback address needs TLS.
	Listen string
	// UsersFile lists who may connect (users.go). Absent, it is created with
	// one consumer whose seed goes to ConsumerSeed (default: next to it,
	// consumer.nk); Generated then lists both files.
	UsersFile, ConsumerSeed string
	// TLS: the server's certificate and key; with TLSCA, clients must also
	// present a certificate signed by it.
	TLSCert, TLSKey, TLSCA string
	// Stream is the trigger stream, created (or updated) at start.
	Stream StreamConfig
}

// Server is an embedded NATS server with JetStream that requires
// authentication: the users of the users file, and the probe's own
// in-process users (fresh nkeys each start, never written anywhere).
type Server struct {
	s         *server.Server
	pub       nkeys.KeyPair // the probe's publisher
	tls       bool
	UsersFile string   // who may connect
	Generated []string // files created at this start (users file, consumer seed)
}

// ErrPlainListen is returned for a non-loopback listen address without TLS.
var ErrPlainListen = errors.New("listening beyond loopback needs TLS (nats.embedded.tls_cert and tls_key)")

// Embedded starts a NATS server with JetStream storing under cfg.StoreDir,
// creates or updates the trigger stream, and returns once the server
// accepts connections.
func Embedded(cfg EmbeddedConfig) (_ *Server, err error) {
	host, ps, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("natsbus: listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("natsbus: listen address %q: bad port", cfg.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	tlsOn := cfg.TLSCert != "" || cfg.TLSKey != ""
	if !IsLoopback(host) && !tlsOn {
		return nil, fmt.Errorf("natsbus: %s: %w", cfg.Listen, ErrPlainListen)
	}
	if cfg.UsersFile == "" {
		cfg.UsersFile = filepath.Join(cfg.StoreDir, "users.yaml")
	}
	if cfg.ConsumerSeed == "" {
		cfg.ConsumerSeed = filepath.Join(filepath.Dir(cfg.UsersFile), "consumer.nk")
	}
	srv := &Server{tls: tlsOn, UsersFile: cfg.UsersFile}
	if _, err := os.Stat(cfg.UsersFile); errors.Is(err, os.ErrNotExist) {
		if err := GenerateUsers(cfg.UsersFile, cfg.ConsumerSeed); err != nil {
			return nil, fmt.Errorf("natsbus: users file: %w", err)
		}
		srv.Generated = []string{cfg.UsersFile, cfg.ConsumerSeed}
	}
	users, err := LoadUsers(cfg.UsersFile)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	opts := &server.Options{
		ServerName: "sigprobe",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		HTTPPort:   0,
	}
	for _, u := range users {
		if u.Nkey != "" {
			opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: u.Nkey, Permissions: u.permissions()})
		} else {
			opts.Users = append(opts.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: u.permissions()})
		}
	}
	if srv.pub, err = nkeys.CreateUser(); err != nil {
		return nil, err
	}
	setup, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	defer setup.Wipe() // used once, below: nobody can connect as it afterwards
	for _, k := range []struct {
		kp   nkeys.KeyPair
		perm *server.Permissions
	}{{srv.pub, publisherPermissions()}, {setup, setupPermissions()}} {
		pub, _ := k.kp.PublicKey()
		// In-process only: nobody reaches these users over the network.
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: pub, Permissions: k.perm,
			AllowedConnectionTypes: map[string]struct{}{"IN_PROCESS": {}}})
	}
	if tlsOn {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey, CaFile: cfg.TLSCA, Verify: cfg.TLSCA != ""})
		if err != nil {
			return nil, fmt.Errorf("natsbus: TLS: %w", err)
		}
		opts.TLSConfig, opts.TLSVerify, opts.TLSTimeout = tc, cfg.TLSCA != "", 5
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("natsbus: embedded server on %s did not start", cfg.Listen)
	}
	srv.s = s
	defer func() {
		if err != nil {
			srv.Close()
		}
	}()
	nc, err := nats.Connect("", nats.InProcessServer(s), nkeyOption(setup), nats.Name("sigprobe-setup"))
	if err != nil {
		return nil, fmt.Errorf("natsbus: setup connection: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg.Stream.defaults()
	if _, err := js.CreateOrUpdateStream(ctx, cfg.Stream.jetstream()); err != nil {
		return nil, fmt.Errorf("natsbus: trigger stream: %w", err)
	}
	return srv, nil
}

// nkeyOption authenticates a connection with kp.
func nkeyOption(kp nkeys.KeyPair) nats.Option {
	pub, _ := kp.PublicKey()
	return nats.Nkey(pub, kp.Sign)
}

// IsLoopback reports whether host (an address or a name) is a loopback
// address only: "localhost", 127.0.0.0/8, ::1. "" and 0.0.0.0 are every
// interface, and any other name may resolve anywhere: not loopback.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL is the address clients connect to: nats://host:port, or tls://
// when the server requires TLS.
func (s *Server) URL() string {
	u := s.s.ClientURL()
	if rest, ok := strings.CutPrefix(u, "nats://"); ok && s.tls {
		u = "tls://" + rest
	}
	return u
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.s.Addr().String() }

// PublisherOptions connect the probe's publisher: in-process, as the user
// that may only publish triggers.
func (s *Server) PublisherOptions() []nats.Option {
	return []nats.Option{nats.InProcessServer(s.s), nkeyOption(s.pub)}
}

// PublisherConfig is the publisher's Config for this server: in-process,
// as the publish-only user, the stream made at start-up (that user may not
// create or update it).
func (s *Server) PublisherConfig() Config {
	return Config{URL: s.URL(), Options: s.PublisherOptions(), StreamManaged: true}
}

// Close shuts the server down and waits for it.
func (s *Server) Close() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}
