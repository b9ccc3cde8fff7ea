package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sys/unix"

	"github.com/sigprobe/sigprobe/sink/clickhouse"
	"github.com/sigprobe/sigprobe/sink/natsbus"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// Severity says what a Finding means for a run.
type Severity int

const (
	OK      Severity = iota // checked, fine
	Warning                 // a run starts, but something does not work until it is fixed
	Error                   // a run would not start
)

func (s Severity) String() string { return [...]string{"ok", "warning", "error"}[s] }

// Finding is the outcome of one check: the configuration key it concerns,
// where the file sets that key, and what was found.
type Finding struct {
	Severity Severity
	Key      string // "regions", "output.clickhouse.dsn"
	Where    string // "FILE: line N: " where the key is set, "FILE: " for a default or a flag
	Msg      string
}

// String is the finding as one line naming file, line and key.
func (f Finding) String() string { return f.Where + f.Key + ": " + f.Msg }

// Report is what Check found.
type Report struct {
	Mode Mode
	// Config is the effective configuration, valid when Resolved: the
	// file's and the flags' values with the mode's defaults filled in.
	Config   Config
	Resolved bool
	Findings []Finding
}

// Count returns the number of findings of severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// CheckOptions tune Check.
type CheckOptions struct {
	// Timeout bounds each question to ClickHouse or NATS (default 3s).
	Timeout time.Duration
	// ResetState: the run would move an unusable checkpoint aside
	// (--reset-state), so one is a warning, not an error.
	ResetState bool
}

// Check validates cfg for mode as Open would and without starting
// anything: the values (Resolve); the capture's interfaces or file; the
// regions, rules, attributes and consent lists, through the loaders Open
// uses; the files the configuration names (see files); that the listen
// addresses are free and the directories writable; that the state's
// checkpoint can be used; and, cheaply, whether ClickHouse and NATS answer.
// What would keep a run from starting is an Error; what a run survives but
// should be fixed (an output that does not answer yet) a Warning.
func Check(ctx context.Context, cfg Config, mode Mode, opt CheckOptions) *Report {
	if opt.Timeout <= 0 {
		opt.Timeout = 3 * time.Second
	}
	r := &Report{Mode: mode, Config: cfg}
	c := &r.Config
	add := func(s Severity, key, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{Severity: s, Key: key, Where: c.where(key), Msg: fmt.Sprintf(format, args...)})
	}
	failed := func(err error, key string) {
		var fe *FieldError
		var ke *keyError
		switch {
		case errors.As(err, &fe):
			add(Error, fe.Key, "%s", fe.Msg)
		case errors.As(err, &ke):
			add(Error, ke.key, "%v", ke.err)
		default:
			add(Error, key, "%v", err)
		}
	}
	if err := c.Resolve(mode); err != nil {
		failed(err, "")
		return r
	}
	r.Resolved = true
	if err := c.needOutput(mode, 0); err != nil {
		failed(err, "output")
	}

	// The source.
	if mode == ModeRun {
		var missing []string
		for _, name := range c.Capture.Interfaces {
			if _, err := net.InterfaceByName(name); err != nil {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			add(Error, "capture.interfaces", "%s: no such interface here (list them with `ip link`)", strings.Join(missing, ", "))
		} else {
			add(OK, "capture.interfaces", "%s: present", strings.Join(c.Capture.Interfaces, ", "))
		}
	} else if fs, err := openFileSource(c.Capture.File); err != nil {
		add(Error, "capture.file", "%v", err)
	} else {
		fs.close()
		add(OK, "capture.file", "%s: a capture file of %d bytes", c.Capture.File, fs.id.Size)
	}

	// What tracking and the rules load, the way Open loads it.
	tc, err := c.trackConfig()
	if err != nil {
		failed(err, "regions")
		if c.Rules != "" {
			add(Warning, "rules", "%s: not checked: the rules name regions, which did not load", c.Rules)
		}
	} else if rf := tc.Regions; rf != nil {
		add(OK, "regions", "%s: %d regions, %d groups", c.Regions, len(rf.Regions), len(rf.Groups))
		if ri, err := c.loadRules(rf); err != nil {
			failed(err, "rules")
		} else if ri != nil {
			add(OK, "rules", "%s: %d rules", c.Rules, len(ri.set.RuleNames()))
			if ri.attrs != nil {
				add(OK, "attributes", "%s: %d subscribers", c.Attributes, ri.attrs.Len())
			}
			if in, out := ri.set.ConsentFiles(); in != "" || out != "" {
				add(OK, "rules", "consent lists: %s", strings.Join(nonEmpty(in, out), ", "))
			}
		}
	}

	badFile := map[string]bool{} // by the key's section: "nats"
	for _, f := range c.files() {
		if f.path == "" {
			continue
		}
		if err := f.check(f.path); err != nil {
			add(Error, f.key, "%v", err)
			section, _, _ := strings.Cut(f.key, ".")
			badFile[section] = true
		} else {
			add(OK, f.key, "%s: %s", f.path, f.what)
		}
	}

	// The state: a second probe on it would not start, nor one whose
	// checkpoint cannot be used.
	running := ""
	if d := c.State.Dir; d != "" {
		if pid, inUse := stateInUse(d); inUse {
			running = pid
			add(Warning, "state.dir", "%s is in use by a running sigprobe (pid %s): another would not start beside it (fine before restarting that one)", d, pid)
		}
		switch l, err := readCheckpoint(d); {
		case err != nil && opt.ResetState:
			add(Warning, "state.dir", "%v (--reset-state moves it aside)", err)
		case err != nil:
			add(Error, "state.dir", "%v", err)
		case l == nil:
			add(OK, "state.dir", "%s: no checkpoint yet, starts afresh", d)
		default:
			add(OK, "state.dir", "%s: checkpoint of epoch %d, committed %s by sigprobe %s", d, l.meta.Epoch, l.meta.Written.Format(time.RFC3339), l.meta.Version)
			if mode == ModeReplay && l.meta.Source.Complete && l.meta.Source.File != nil {
				if id, err := identify(c.Capture.File); err == nil && l.meta.Source.File.same(id) {
					add(Warning, "state.dir", "its checkpoint says %s was replayed to its end already: a replay would do nothing", c.Capture.File)
				}
			}
		}
	}

	for _, l := range c.listeners() {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err == nil {
			ln.Close()
			add(OK, l.key, "%s: free", l.addr)
		} else if running != "" {
			add(Warning, l.key, "%s: in use, presumably by the running sigprobe (pid %s): %v", l.addr, running, err)
		} else {
			add(Error, l.key, "%s: %v", l.addr, err)
		}
	}
	for _, d := range c.dirs(mode) {
		if d.path == "" {
			continue
		}
		if err := writable(d.path); err != nil {
			add(Error, d.key, "%v", err)
		} else {
			add(OK, d.key, "%s: writable", d.path)
		}
	}

	// Outputs that need a server: a run starts without it (blocks are
	// spooled, triggers buffered), so a silent one is a warning.
	if dsn := c.Output.ClickHouse.DSN; dsn != "" {
		switch missing, err := clickhouse.Ping(ctx, dsn, opt.Timeout); {
		case err != nil:
			add(Warning, "output.clickhouse.dsn", "%s does not answer (%v): its blocks are spooled until it does", redactDSN(dsn), err)
		case len(missing) > 0:
			add(Warning, "output.clickhouse.dsn", "%s lacks the tables %s: inserts fail until `sigprobe schema apply --dsn DSN` creates them", redactDSN(dsn), strings.Join(missing, ", "))
		default:
			add(OK, "output.clickhouse.dsn", "%s answers, every table there", redactDSN(dsn))
		}
	}
	if n := c.NATS; n.URL != "" && !badFile["nats"] {
		ncfg := natsbus.Config{URL: n.URL, CredsFile: n.Creds, NkeyFile: n.Nkey, TLSCert: n.TLSCert, TLSKey: n.TLSKey, TLSCA: n.TLSCA}
		if err := natsbus.Ping(ctx, ncfg, opt.Timeout); err != nil {
			add(Warning, "nats.url", "%s does not answer (%v): triggers are buffered until it does", redactDSN(n.URL), err)
		} else {
			add(OK, "nats.url", "%s answers, JetStream too", redactDSN(n.URL))
		}
	}
	return r
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// fileCheck is a file a configuration key names and what it must be.
type fileCheck struct {
	key, path, what string
	check           func(path string) error
}

// files are the files the configuration names besides the regions, rules
// and lists (which their loaders check). A key that names a file adds a
// line here, and Check tests it.
func (c *Config) files() []fileCheck {
	n, e, m := c.NATS, c.NATS.Embedded, c.Metrics
	return []fileCheck{
		{"nats.creds", n.Creds, "readable", readable},
		{"nats.nkey", n.Nkey, "a private nkey seed", privateFile},
		{"nats.tls_cert", n.TLSCert, "certificate and key load", func(string) error { return keyPair(n.TLSCert, n.TLSKey) }},
		{"nats.tls_ca", n.TLSCA, "CA certificates load", caFile},
		{"nats.embedded.tls_cert", e.TLSCert, "certificate and key load", func(string) error { return keyPair(e.TLSCert, e.TLSKey) }},
		{"nats.embedded.tls_ca", e.TLSCA, "CA certificates load", caFile},
		{"metrics.tls_cert", m.TLSCert, "certificate and key load", func(string) error { return keyPair(m.TLSCert, m.TLSKey) }},
		{"metrics.basic_auth_file", m.BasicAuthFile, "readable", readable},
		{"privacy.key_file", c.Privacy.KeyFile, "the pseudonymization key loads", func(p string) error { _, err := pseudonym.LoadKey(p); return err }},
	}
}

// privateFile checks a secret is readable by its owner only.
func privateFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("mode %04o: its group or others may read it; want 0600 or stricter", m)
	}
	return readable(path)
}

func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

func keyPair(cert, key string) error {
	if key == "" {
		return errors.New("no key: give tls_key too")
	}
	_, err := tls.LoadX509KeyPair(cert, key)
	return err
}

func caFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return fmt.Errorf("%s: no PEM certificate in it", path)
	}
	return nil
}

type listenCheck struct{ key, addr string }

// listeners are the addresses the probe listens on (an embedded NATS on
// port 0 takes any free one).
func (c *Config) listeners() []listenCheck {
	l := []listenCheck{{"metrics.listen", c.Metrics.Listen}}
	if e := c.NATS.Embedded; e.StoreDir != "" {
		if _, port, _ := net.SplitHostPort(e.Listen); port != "0" {
			l = append(l, listenCheck{"nats.embedded.listen", e.Listen})
		}
	}
	return l
}

type dirCheck struct{ key, path string }

// dirs are the directories the probe writes in, for mode.
func (c *Config) dirs(mode Mode) []dirCheck {
	d := []dirCheck{{"output.dir", c.Output.Dir}, {"state.dir", c.State.Dir}}
	if mode == ModeRun { // only a live output spills
		d = append(d, dirCheck{"output.spool_dir", c.Output.SpoolDir})
	}
	if c.Output.ClickHouse.DSN != "" {
		d = append(d, dirCheck{"output.clickhouse.spool_dir", c.Output.ClickHouse.SpoolDir})
	}
	d = append(d, dirCheck{"nats.embedded.store_dir", c.NATS.Embedded.StoreDir})
	if m := c.Messages; m != "" && m != "-" {
		d = append(d, dirCheck{"messages", filepath.Dir(m)})
	}
	return d
}

// writable reports whether the probe could create dir (if missing) and
// files in it, without creating anything: the directory, or its nearest
// existing ancestor, must be a directory this process may write.
func writable(dir string) error {
	p := dir
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: not a directory", p)
			}
			if err := unix.Access(p, unix.W_OK|unix.X_OK); err != nil {
				return fmt.Errorf("%s: cannot write there: %w", p, err)
			}
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTDIR) {
			return err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return err
		}
		p = parent
	}
}

// WriteConfig writes the effective configuration as YAML: every key with
// the value a run uses (defaults filled in, "off" for a directory or
// listener that is off), passwords in URLs as ***. Read back with
// LoadConfig and resolved for the same mode, it is the same configuration.
func (r *Report) WriteConfig(w io.Writer) error {
	c := r.Config
	c.Output.ClickHouse.DSN = redactDSN(c.Output.ClickHouse.DSN)
	c.NATS.URL = redactDSN(c.NATS.URL)
	for _, v := range []*string{&c.Output.Dir, &c.State.Dir, &c.Metrics.Listen} {
		if *v == "" {
			*v = Off
		}
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&c); err != nil {
		return err
	}
	return enc.Close()
}
