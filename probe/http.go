package probe

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sigprobe/sigprobe/internal/exposition"
)

// httpServer serves /metrics, /healthz and /readyz on metrics.listen.
type httpServer struct {
	ln  net.Listener
	srv *http.Server
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

func listenHTTP(addr string, rd *readiness) (*httpServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint: %w (choose another with --metrics ADDR or metrics.listen, or --metrics off)", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", exposition.Handler(true))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := rd.ready(); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return &httpServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

func (h *httpServer) serve()       { go h.srv.Serve(h.ln) }
func (h *httpServer) addr() string { return h.ln.Addr().String() }
func (h *httpServer) close()       { h.srv.Close(); h.ln.Close() }
