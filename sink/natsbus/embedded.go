package natsbus

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server with JetStream.
type Server struct {
	s *server.Server
}

// Embedded starts a NATS server with JetStream storing under storeDir and
// listening on listen ("127.0.0.1:0" picks a free port). It returns once the
// server accepts connections.
func Embedded(storeDir, listen string) (*Server, error) {
	host, ps, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("natsbus: listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("natsbus: listen address %q: bad port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	s, err := server.NewServer(&server.Options{
		ServerName: "sigprobe",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		NoLog:      true,
		HTTPPort:   0,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("natsbus: embedded server on %s did not start", listen)
	}
	return &Server{s: s}, nil
}

// URL is the address clients connect to, nats://host:port.
func (s *Server) URL() string { return s.s.ClientURL() }

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.s.Addr().String() }

// Close shuts the server down and waits for it.
func (s *Server) Close() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}
