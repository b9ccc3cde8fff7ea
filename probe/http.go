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

// readiness is what /readyz reports: the source is running and no output
// has spilled more than half of what it may.
type readiness struct {
	mu      sync.Mutex
	running bool
	outs    []*output
}

func (r *readiness) setRunning(on bool, outs []*output) {
	r.mu.Lock()
	r.running, r.outs = on, outs
	r.mu.Unlock()
}

// ready returns "" when ready, else why not.
func (r *readiness) ready() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return "not capturing"
	}
	for _, o := range r.outs {
		if o.spill != nil && o.spill.max > 0 && o.spillSize() > o.spill.max/2 {
			return fmt.Sprintf("output %s is spooling (%d bytes)", o.name, o.spillSize())
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
