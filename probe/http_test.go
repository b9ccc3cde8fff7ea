package probe

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/sigprobe/sigprobe/internal/tlstest"
)

// /metrics over TLS with basic auth: without credentials or with wrong
// ones it answers 401, with the right ones the metrics; /healthz answers
// anyone who speaks TLS; plain HTTP gets nothing.
func TestMetricsTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := tlstest.Certs(t, dir)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	authFile := writeFile(t, dir, "metrics.htpasswd", "# scrapers\nprometheus:"+string(hash)+"\n")
	m := newProbeMetrics(nil, nil)
	m.register()
	defer m.unregister()
	var rd readiness
	h, err := listenHTTP(MetricsConfig{Listen: "127.0.0.1:0", BasicAuthFile: authFile, TLSCert: cert, TLSKey: key}, &rd)
	if err != nil {
		t.Fatal(err)
	}
	h.serve()
	defer h.close()
	pem, _ := os.ReadFile(ca)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path, user, pass string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+h.addr()+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, path, user, pass string
		code                   int
		body                   string
	}{
		{"no credentials", "/metrics", "", "", 401, "unauthorized"},
		{"wrong password", "/metrics", "prometheus", "guess", 401, "unauthorized"},
		{"unknown user", "/metrics", "root", "s3cret", 401, "unauthorized"},
		{"scraper", "/metrics", "prometheus", "s3cret", 200, "sigprobe_capture_packets_total"},
		{"scraper again (remembered)", "/metrics", "prometheus", "s3cret", 200, "sigprobe_capture_packets_total"},
		{"health without credentials", "/healthz", "", "", 200, "ok"},
		{"readiness without credentials", "/readyz", "", "", 503, "not capturing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(tc.path, tc.user, tc.pass)
			if code != tc.code || !strings.Contains(body, tc.body) {
				t.Errorf("%s: %d %.80q, want %d with %q", tc.path, code, body, tc.code, tc.body)
			}
		})
	}
	if resp, err := http.Get("http://" + h.addr() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS listener")
		}
	}
}

// A non-loopback listener without TLS and basic auth is refused, naming
// the key; with both it is accepted. A bad auth file names file and line.
func TestMetricsListenerRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    MetricsConfig
		want string
	}{
		{"all interfaces, plain", MetricsConfig{Listen: "0.0.0.0:9090"}, "metrics.listen"},
		{"all interfaces, TLS only", MetricsConfig{Listen: ":9090", TLSCert: "c", TLSKey: "k"}, "basic_auth_file"},
		{"an address, auth only", MetricsConfig{Listen: "10.0.0.5:9090", BasicAuthFile: "f"}, "tls_cert"},
		{"cert without key", MetricsConfig{Listen: "127.0.0.1:9090", TLSCert: "c"}, "metrics.tls_cert: give both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Metrics = tc.m
			err := c.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	c := DefaultConfig()
	c.Metrics = MetricsConfig{Listen: "0.0.0.0:9090", TLSCert: "c", TLSKey: "k", BasicAuthFile: "f"}
	if err := c.validate(); err != nil {
		t.Errorf("TLS and basic auth beyond loopback: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(bad, []byte("# x\nprometheus:plaintext\n"), 0o600)
	if _, err := listenHTTP(MetricsConfig{Listen: "127.0.0.1:0", BasicAuthFile: bad}, &readiness{}); err == nil ||
		!strings.Contains(err.Error(), bad+": line 2") || !strings.Contains(err.Error(), "metrics.basic_auth_file") {
		t.Errorf("plain-text password: %v", err)
	}
}
