package probe

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/sink"
)

// fakeWriter fails its writes while fail is set and reports a spool of
// its own (as the ClickHouse writer does).
type fakeWriter struct {
	fail        atomic.Bool
	used, limit atomic.Int64
}

func (w *fakeWriter) Write(*sink.Batch) error {
	if w.fail.Load() {
		return errors.New("disk full")
	}
	return nil
}
func (w *fakeWriter) Close() error                    { return nil }
func (w *fakeWriter) SpoolBytes() (used, limit int64) { return w.used.Load(), w.limit.Load() }

func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// /healthz answers while the process runs; /readyz only while the source
// runs, no output is more than half way to dropping rows (its spill or its
// own spool), no output's last write failed and the last checkpoint
// committed — and says why not.
func TestHealthAndReadiness(t *testing.T) {
	var rd readiness
	h, err := listenHTTP(MetricsConfig{Listen: "127.0.0.1:0"}, &rd)
	if err != nil {
		t.Fatal(err)
	}
	h.serve()
	defer h.close()

	set := metrics.NewSet()
	fw := &fakeWriter{}
	files, err := newOutput("files", tablesOutput, fw, false, 4, "", 0, privacy{}, set, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer files.close()
	slow := &slowWriter{release: make(chan struct{})}
	const spillMax = 100 * 200
	live, err := newOutput("clickhouse", tablesOutput, slow, true, 1, t.TempDir(), spillMax, privacy{}, set, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ck := newCheckpointer(t.TempDir(), ckptMeta{Instance: "test"}, nil, quiet(), newProbeMetrics(nil, nil))
	commit := func(err error) {
		reply := make(chan barrierReply, 1)
		reply <- barrierReply{output: "files", err: err}
		ck.submit(pending{epoch: 1, outputs: 1, reply: reply, started: time.Now()}, true)
	}
	write := func(fail bool) {
		fw.fail.Store(fail)
		files.send(item{b: dwellBatch(0, 1)})
		for deadline := time.Now().Add(10 * time.Second); (files.failing.Load() != nil) != fail; {
			if time.Now().After(deadline) {
				t.Fatal("the output never wrote the batch")
			}
			time.Sleep(time.Millisecond)
		}
	}

	for _, step := range []struct {
		name string
		do   func()
		want string // "" ready, else part of the 503 body
	}{
		{"before Run", func() {}, "not capturing"},
		{"running", func() { rd.setRunning(true, []*output{files, live}, ck) }, ""},
		{"a write fails", func() { write(true) }, "output files: its last write failed: disk full"},
		{"the next write succeeds", func() { write(false) }, ""},
		{"an output's own spool past half", func() { fw.limit.Store(1000); fw.used.Store(501) }, "output files cannot deliver: 501 bytes in its spool"},
		{"the spool drains", func() { fw.used.Store(500) }, ""},
		{"a live output spills past half", func() {
			// The feeder takes one batch back out of the spill as the
			// queue frees: go well past half.
			for i := 0; live.spillSize() <= spillMax*3/4; i++ {
				if i > 1000 {
					t.Fatalf("spill at %d bytes after %d batches", live.spillSize(), i)
				}
				live.send(item{b: dwellBatch(i*10, 10)})
			}
		}, "output clickhouse falls behind"},
		{"it catches up", func() {
			close(slow.release)
			for deadline := time.Now().Add(10 * time.Second); live.spillSize() > 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the spill never drained")
				}
			}
		}, ""},
		{"a checkpoint fails", func() { commit(errors.New("fsync: input/output error")) }, "the last checkpoint failed: output files: fsync"},
		{"the next one commits", func() { commit(nil) }, ""},
		{"stopping", func() { rd.setRunning(false, nil, nil) }, "not capturing"},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.do()
			if code, body := get(t, h.addr(), "/healthz"); code != 200 || body != "ok" {
				t.Errorf("/healthz: %d %q", code, body)
			}
			code, body := get(t, h.addr(), "/readyz")
			want := fmt.Sprintf("200 %q", "ready")
			if step.want != "" {
				want = fmt.Sprintf("503 containing %q", step.want)
			}
			if (step.want == "") != (code == 200) || (step.want == "" && body != "ready") || (step.want != "" && (code != 503 || !strings.Contains(body, step.want))) {
				t.Errorf("/readyz: %d %q, want %s", code, body, want)
			}
		})
	}
	live.close()
}
