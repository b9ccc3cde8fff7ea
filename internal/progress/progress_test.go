package progress

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the reporter's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ptr[T any](v T) *T { return &v }

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		name, unit string
		s          Snapshot
		want       string
	}{
		{"bytes", "bytes", Snapshot{Done: 1_200_000_000, Total: 4_000_000_000, Rate: 85_300_000, ETA: 33 * time.Second},
			"replay: 1.2 GB / 4.0 GB  30.0%  85.3 MB/s  ETA 33s"},
		{"small bytes", "bytes", Snapshot{Done: 512, Total: 2048, Rate: 100, ETA: 15 * time.Second},
			"replay: 512 B / 2.0 kB  25.0%  100 B/s  ETA 15s"},
		{"counts", "simulated minutes", Snapshot{Done: 1320, Total: 2880, Rate: 24.1, ETA: time.Minute + 5*time.Second},
			"replay: 1320 / 2880 simulated minutes  45.8%  24/s  ETA 1m5s"},
		{"large counts", "messages", Snapshot{Done: 12_345_678, Total: 0, Rate: 45_000, ETA: -1},
			"replay: 12.3M messages  45.0k/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reporter{unit: tc.unit, opts: Options{Name: "replay"}}
			if got := r.Line(tc.s); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// Not a terminal: a log line every Every with done, total, percent, rate
// and ETA; nothing after Done.
func TestLogLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out syncBuffer
		log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
		r := New(&out, 1000, "messages", Options{Name: "gen", Logger: log, Every: 10 * time.Second, Terminal: ptr(false)})
		time.Sleep(time.Second / 2) // add between ticks, never at one
		for range 25 {
			r.Add(20)
			time.Sleep(time.Second)
		}
		synctest.Wait()
		r.Done()
		time.Sleep(time.Minute)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		want := []string{
			"level=INFO msg=progress job=gen done=200 unit=messages rate_per_s=20 elapsed=10s total=1000 percent=20 eta=40s",
			"level=INFO msg=progress job=gen done=400 unit=messages rate_per_s=20 elapsed=20s total=1000 percent=40 eta=30s",
		}
		if len(lines) != len(want) {
			t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
		}
		for i := range want {
			if lines[i] != want[i] {
				t.Errorf("line %d:\ngot  %s\nwant %s", i, lines[i], want[i])
			}
		}
	})
}

// On a terminal the line is redrawn in place and erased by Done.
func TestTerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out syncBuffer
		r := New(&out, 100, "bytes", Options{Name: "replay", Terminal: ptr(true)})
		r.Set(50)
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		got := out.String()
		if want := "\rreplay: 50 B / 100 B  50.0%  200 B/s  ETA 0s\x1b[K"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		r.Done()
		r.Done()
		if got := out.String(); !strings.HasSuffix(got, "\r\x1b[K") || strings.Count(got, "\r") != 2 {
			t.Errorf("after Done: %q", got)
		}
	})
}

// A file that is not a tty is not a terminal.
func TestIsTerminal(t *testing.T) {
	f, err := createTemp(t)
	if err != nil {
		t.Fatal(err)
	}
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Error("a file or a buffer taken for a terminal")
	}
}

// The job's loop pays one atomic add.
func TestAddAllocs(t *testing.T) {
	r := New(&bytes.Buffer{}, 10, "x", Options{Terminal: ptr(false), Every: time.Hour})
	defer r.Done()
	if n := testing.AllocsPerRun(1000, func() { r.Add(1); r.Set(5) }); n != 0 {
		t.Errorf("Add and Set allocate %.1f times", n)
	}
}

func BenchmarkAdd(b *testing.B) {
	r := New(&bytes.Buffer{}, int64(b.N), "x", Options{Terminal: ptr(false), Every: time.Hour})
	defer r.Done()
	b.ReportAllocs()
	for b.Loop() {
		r.Add(1)
	}
}

func createTemp(t *testing.T) (*os.File, error) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err == nil {
		t.Cleanup(func() { f.Close() })
	}
	return f, err
}

// A log line written to the Console the reporter draws on starts on a
// line of its own: the progress line is erased first and drawn again at
// the next tick. Poll supplies the amount done.
func TestConsole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out syncBuffer
		con := NewConsole(&out)
		var done atomic.Int64
		r := New(con, 1000, "bytes", Options{Name: "replay", Terminal: ptr(true), Poll: done.Load})
		done.Store(250)
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		io.WriteString(con, "level=INFO msg=\"capture stopped\"\n")
		done.Store(500)
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		r.Done()
		io.WriteString(con, "level=INFO msg=summary\n")
		want := "\rreplay: 250 B / 1.0 kB  25.0%  1.0 kB/s  ETA 1s\x1b[K" + // drawn at 250ms
			"\r\x1b[K" + "level=INFO msg=\"capture stopped\"\n" + // erased before the log line
			"\rreplay: 500 B / 1.0 kB  50.0%  1.0 kB/s  ETA 1s\x1b[K" + // drawn again at 500ms
			"\r\x1b[K" + "level=INFO msg=summary\n" // Done erased it
		if got := out.String(); got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
}
