package probe

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sigprobe/sigprobe/internal/exposition"
)

// httpServer serves /metrics, /healthz and /readyz on metrics.listen.
type httpServer struct {
	ln     net.Listener
	srv    *http.Server
	scheme string // http or https
}

// readiness is what /readyz reports: the source is running, no output
// has spilled or spooled more than half of what it may (past that it
// soon drops rows), no output's last write failed, and the last
// checkpoint was committed.
type readiness struct {
	mu      sync.Mutex
	running bool
	outs    []*output
	ck      *checkpointer
}

func (r *readiness) setRunning(on bool, outs []*output, ck *checkpointer) {
	r.mu.Lock()
	r.running, r.outs, r.ck = on, outs, ck
	r.mu.Unlock()
}

// spooler is an output writer with a disk spool of its own (ClickHouse).
type spooler interface {
	SpoolBytes() (used, limit int64)
}

// ready returns "" when ready, else why not.
func (r *readiness) ready() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return "not capturing (starting or stopping)"
	}
	for _, o := range r.outs {
		if o.spill != nil && o.spill.max > 0 {
			if n := o.spillSize(); n > o.spill.max/2 {
				return fmt.Sprintf("output %s falls behind: %d bytes spilled to disk, more than half of output.spool_max_bytes (%d)", o.name, n, o.spill.max)
			}
		}
		if s, ok := o.w.(spooler); ok {
			if n, limit := s.SpoolBytes(); limit > 0 && n > limit/2 {
				return fmt.Sprintf("output %s cannot deliver: %d bytes in its spool, more than half of its limit (%d)", o.name, n, limit)
			}
		}
		if err := o.failing.Load(); err != nil {
			return fmt.Sprintf("output %s: its last write failed: %v", o.name, *err)
		}
	}
	if r.ck != nil {
		if err := r.ck.failing.Load(); err != nil {
			return fmt.Sprintf("the last checkpoint failed: %v", *err)
		}
	}
	return ""
}

// listenHTTP listens on metrics.listen, with TLS when tls_cert is given;
// /metrics asks for the credentials of basic_auth_file when it is given.
// /healthz and /readyz answer anyone who reaches the listener (load
// balancers and orchestrators probe them without credentials): they say
// "ok", "ready" or why not, nothing about subscribers.
func listenHTTP(mc MetricsConfig, rd *readiness) (*httpServer, error) {
	var users map[string][]byte
	if mc.BasicAuthFile != "" {
		var err error
		if users, err = loadBasicAuth(mc.BasicAuthFile); err != nil {
			return nil, fieldErr("metrics.basic_auth_file", "%v", err)
		}
	}
	var tc *tls.Config
	if mc.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(mc.TLSCert, mc.TLSKey)
		if err != nil {
			return nil, fieldErr("metrics.tls_cert", "%v", err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", mc.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint: %w (choose another with --metrics ADDR or metrics.listen, or --metrics off)", err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	mux := http.NewServeMux()
	var metricsHandler http.Handler = exposition.Handler(true)
	if users != nil {
		metricsHandler = &basicAuth{users: users, ok: map[[32]byte]bool{}, next: metricsHandler}
	}
	mux.Handle("/metrics", metricsHandler)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := rd.ready(); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	scheme := "http"
	if tc != nil {
		scheme = "https"
	}
	return &httpServer{ln: ln, scheme: scheme, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}}, nil
}

// loadBasicAuth reads "user:bcrypt-hash" lines (htpasswd -B); # comments.
func loadBasicAuth(path string) (map[string][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	users := map[string][]byte{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if _, err := bcrypt.Cost([]byte(hash)); !ok || user == "" || err != nil {
			return nil, fmt.Errorf("%s: line %d: want user:bcrypt-hash (htpasswd -nB user)", path, i+1)
		}
		users[user] = []byte(hash)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	return users, nil
}

// basicAuth asks for one of users' passwords. A bcrypt check costs tens
// of milliseconds, so credentials that passed are remembered (by their
// SHA-256) and the next scrape costs a hash.
type basicAuth struct {
	users map[string][]byte
	mu    sync.Mutex
	ok    map[[32]byte]bool
	next  http.Handler
}

func (a *basicAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if ok {
		sum := sha256.Sum256([]byte(user + "\x00" + pass))
		a.mu.Lock()
		known := a.ok[sum]
		a.mu.Unlock()
		if !known {
			if h, found := a.users[user]; found && bcrypt.CompareHashAndPassword(h, []byte(pass)) == nil {
				a.mu.Lock()
				if len(a.ok) > 64 {
					clear(a.ok)
				}
				a.ok[sum], known = true, true
				a.mu.Unlock()
			}
		}
		if known {
			a.next.ServeHTTP(w, r)
			return
		}
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="sigprobe", charset="UTF-8"`)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

func (h *httpServer) serve()       { go h.srv.Serve(h.ln) }
func (h *httpServer) addr() string { return h.ln.Addr().String() }
func (h *httpServer) close()       { h.srv.Close(); h.ln.Close() }
