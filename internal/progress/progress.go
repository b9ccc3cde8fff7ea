package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Options tune a Reporter; zero values take the defaults.
type Options struct {
	// Name starts every line ("gen", "replay").
	Name string
	// Logger receives the periodic lines when w is not a terminal
	// (default: a text logger on w).
	Logger *slog.Logger
	// Every is the time between log lines (default 10s). A terminal line
	// is redrawn every 250ms.
	Every time.Duration
	// Terminal forces the terminal (true) or log (false) mode; nil: a
	// terminal when w (or the Console's writer) is an *os.File on a tty.
	Terminal *bool
	// Poll, when set, is asked for the amount done at each report, in
	// place of Add and Set: the job keeps its own counter.
	Poll func() int64
}

// Reporter shows a job's progress until Done. Add and Set may be called
// from any goroutine and cost one atomic operation.
type Reporter struct {
	con   *Console
	total int64
	unit  string
	opts  Options
	tty   bool
	log   *slog.Logger
	now   func() time.Time
	start time.Time

	done atomic.Int64
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// New starts reporting the progress of a job of total units (unit names
// them: "bytes" are shown as kB, MB, GB; other units as plain counts) to w.
// total <= 0 means unknown: no percentage and no ETA.
func New(w io.Writer, total int64, unit string, opts ...Options) *Reporter {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Every <= 0 {
		o.Every = 10 * time.Second
	}
	con, ok := w.(*Console)
	if !ok {
		con = NewConsole(w)
	}
	r := &Reporter{con: con, total: total, unit: unit, opts: o, now: time.Now, stop: make(chan struct{})}
	if o.Terminal != nil {
		r.tty = *o.Terminal
	} else {
		r.tty = isTerminal(con.w)
	}
	r.log = o.Logger
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(w, nil))
	}
	if o.Name != "" {
		r.log = r.log.With("job", o.Name)
	}
	r.start = r.now()
	r.wg.Add(1)
	go r.loop()
	return r
}

// Add counts n more units done.
func (r *Reporter) Add(n int64) { r.done.Add(n) }

// Set says n units are done.
func (r *Reporter) Set(n int64) { r.done.Store(n) }

// Done stops reporting; on a terminal it erases the progress line so the
// job's own summary follows on a clean line. Safe to call more than once.
func (r *Reporter) Done() {
	r.once.Do(func() {
		close(r.stop)
		r.wg.Wait()
		r.con.erase()
	})
}

func (r *Reporter) loop() {
	defer r.wg.Done()
	every := r.opts.Every
	if r.tty {
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.report()
		}
	}
}

// Snapshot is the progress at one moment.
type Snapshot struct {
	Done, Total int64
	Elapsed     time.Duration
	Rate        float64       // units per second since the start
	ETA         time.Duration // -1 when unknown
}

// Snapshot returns the progress now.
func (r *Reporter) Snapshot() Snapshot {
	s := Snapshot{Done: r.done.Load(), Total: r.total, Elapsed: r.now().Sub(r.start), ETA: -1}
	if r.opts.Poll != nil {
		s.Done = r.opts.Poll()
	}
	if sec := s.Elapsed.Seconds(); sec > 0 {
		s.Rate = float64(s.Done) / sec
	}
	if s.Total > 0 && s.Rate > 0 && s.Done <= s.Total {
		s.ETA = time.Duration(float64(s.Total-s.Done) / s.Rate * float64(time.Second)).Round(time.Second)
	}
	return s
}

func (r *Reporter) report() {
	s := r.Snapshot()
	if r.tty {
		r.con.draw(r.Line(s))
		return
	}
	attrs := []any{"done", s.Done, "unit", r.unit, "rate_per_s", round(s.Rate), "elapsed", s.Elapsed.Round(time.Second).String()}
	if s.Total > 0 {
		attrs = append(attrs, "total", s.Total, "percent", round(100*float64(s.Done)/float64(s.Total)))
	}
	if s.ETA >= 0 {
		attrs = append(attrs, "eta", s.ETA.String())
	}
	r.log.Info("progress", attrs...)
}

// Line is the terminal line for s, e.g.
// "replay: 1.2 GB / 4.0 GB  30.0%  85.3 MB/s  ETA 33s" or
// "gen: 1230 / 2880 simulated minutes  42.7%  24/s  ETA 1m9s".
func (r *Reporter) Line(s Snapshot) string {
	var b strings.Builder
	if r.opts.Name != "" {
		b.WriteString(r.opts.Name + ": ")
	}
	bytes := r.unit == "bytes"
	b.WriteString(amount(float64(s.Done), bytes))
	if s.Total > 0 {
		b.WriteString(" / " + amount(float64(s.Total), bytes))
	}
	if !bytes {
		b.WriteString(" " + r.unit)
	}
	if s.Total > 0 {
		fmt.Fprintf(&b, "  %.1f%%", 100*float64(s.Done)/float64(s.Total))
	}
	fmt.Fprintf(&b, "  %s/s", amount(s.Rate, bytes))
	if s.ETA >= 0 {
		fmt.Fprintf(&b, "  ETA %s", s.ETA)
	}
	return b.String()
}

// amount formats a number: bytes with SI prefixes, counts with k and M
// beyond 10,000.
func amount(v float64, bytes bool) string {
	if bytes {
		for _, p := range []struct {
			div float64
			sym string
		}{{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}} {
			if v >= p.div {
				return fmt.Sprintf("%.1f %s", v/p.div, p.sym)
			}
		}
		return fmt.Sprintf("%.0f B", v)
	}
	switch {
	case v >= 1e7:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func round(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Console is a terminal shared by a progress line and other output (the
// job's log): a write first erases the progress line, which the next
// report draws again below it, so a log line never runs into it. Give the
// same Console to New and to the logger.
type Console struct {
	mu    sync.Mutex
	w     io.Writer
	shown bool // a progress line is on the screen
}

// NewConsole returns a Console writing to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

// Write writes p below an erased progress line.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.eraseLocked()
	return c.w.Write(p)
}

func (c *Console) draw(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "\r%s\x1b[K", line)
	c.shown = true
}

func (c *Console) erase() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.eraseLocked()
}

func (c *Console) eraseLocked() {
	if c.shown {
		io.WriteString(c.w, "\r\x1b[K")
		c.shown = false
	}
}
