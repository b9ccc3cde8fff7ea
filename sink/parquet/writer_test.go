package parquet

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/sink"
)

// testBatch returns a batch with n rows in every table, row i distinct.
func testBatch(n, base int) *sink.Batch {
	b := &sink.Batch{}
	for i := base; i < base+n; i++ {
		imsi := sink.MakeDigits(fmt.Sprintf("00101%010d", i)) // leading zeros must survive
		msisdn := sink.MakeDigits(fmt.Sprintf("4912%07d", i))
		ts := int64(1_790_000_000 + i)
		b.Trajectories = append(b.Trajectories, sink.TrajectoryPoint{IMSI: imsi, TS: ts, LAC: uint16(i), CI: uint16(65535 - i)})
		b.Dwell = append(b.Dwell, sink.Dwell{IMSI: imsi, MSISDN: msisdn, LAC: 7, CI: uint16(i), StartTS: ts, EndTS: ts + 600, Roamer: i%2 == 0, Reason: "cell"})
		b.RegionMinutes = append(b.RegionMinutes, sink.RegionMinute{Region: "mall", MinuteTS: ts - ts%60, Occupancy: uint32(i), Inflow: 3, Outflow: 2, Roamers: 1, ExitDwell: [8]uint32{1, 2, 3, 4, 5, 6, 7, uint32(i)}})
		b.Events = append(b.Events, sink.Event{TS: ts, IMSI: imsi, MSISDN: msisdn, Kind: sink.EventCallMO, LAC: 7, CI: 9, Peer: sink.MakeDigits("0049301234"), SetupTS: ts, AnswerTS: ts + 5, ReleaseTS: ts + 65, Duration: 60, Cause: 16, Roamer: true})
		b.Triggers = append(b.Triggers, sink.Trigger{ID: fmt.Sprintf("t-%d", i), Rule: "mall-dwell", Kind: "dwell", TS: ts, IMSI: imsi, MSISDN: msisdn, Region: "mall", LAC: 7, CI: 9, DwellS: 1800, HomeMCC: "262", HomeMNC: "01", Attrs: "segment=a;lang=de"})
		b.Subscribers = append(b.Subscribers, sink.Subscriber{IMSI: imsi, MSISDN: msisdn, IMEI: sink.MakeDigits("35209900176148"), HomeMCC: "001", HomeMNC: "01", FirstSeen: ts, LastSeen: ts + 100})
	}
	return b
}

// readAll reads every complete file of a table, in name order.
func readAll[R any](t *testing.T, dir, table string) (rows []R, files []string) {
	t.Helper()
	files, _ = filepath.Glob(filepath.Join(dir, table, "*.parquet"))
	slices.Sort(files)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := fh.Stat()
		pf, err := pq.OpenFile(fh, st.Size())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		r := pq.NewGenericReader[R](pf)
		buf := make([]R, pf.NumRows())
		n, err := r.Read(buf)
		if n != len(buf) {
			t.Fatalf("%s: read %d of %d rows: %v", f, n, len(buf), err)
		}
		rows = append(rows, buf...)
		for _, rg := range pf.Metadata().RowGroups {
			for _, c := range rg.Columns {
				if c.MetaData.Codec.String() != "ZSTD" {
					t.Fatalf("%s: column %v compressed with %v, want ZSTD", f, c.MetaData.PathInSchema, c.MetaData.Codec)
				}
			}
		}
		fh.Close()
	}
	return rows, files
}

// want converts sink rows with the package's own mapping.
func want[S, R any, P rowOf[S, R]](in []S) []R {
	out := make([]R, len(in))
	for i := range in {
		P(&out[i]).set(&in[i])
	}
	return out
}

func check[S, R any, P rowOf[S, R]](t *testing.T, dir, table string, in []S) []string {
	t.Helper()
	got, files := readAll[R](t, dir, table)
	if w := want[S, R, P](in); !reflect.DeepEqual(got, w) {
		t.Fatalf("%s: read back %d rows, want %d; first got %+v want %+v", table, len(got), len(w), got[:min(1, len(got))], w[:min(1, len(w))])
	}
	return files
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := &sink.Batch{}
	b := &sink.Batch{}
	for i := range 3 {
		// The pipeline reuses its batch: overwrite it after each Write.
		b.Reset()
		nb := testBatch(100, i*100)
		*b = *nb
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		all.Trajectories = append(all.Trajectories, nb.Trajectories...)
		all.Dwell = append(all.Dwell, nb.Dwell...)
		all.RegionMinutes = append(all.RegionMinutes, nb.RegionMinutes...)
		all.Events = append(all.Events, nb.Events...)
		all.Triggers = append(all.Triggers, nb.Triggers...)
		all.Subscribers = append(all.Subscribers, nb.Subscribers...)
		for j := range b.Dwell {
			b.Dwell[j] = sink.Dwell{}
		}
	}
	// Nothing is visible before Close: files are still temporary.
	if f, _ := filepath.Glob(filepath.Join(dir, "*", "*.parquet")); len(f) != 0 {
		t.Fatalf("complete files before Close: %v", f)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b); err != ErrClosed {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	check[sink.TrajectoryPoint, trajectoryRow](t, dir, "trajectories", all.Trajectories)
	files := check[sink.Dwell, dwellRow](t, dir, "dwell", all.Dwell)
	check[sink.RegionMinute, regionMinuteRow](t, dir, "region_minute", all.RegionMinutes)
	check[sink.Event, eventRow](t, dir, "events", all.Events)
	check[sink.Trigger, triggerRow](t, dir, "triggers", all.Triggers)
	check[sink.Subscriber, subscriberRow](t, dir, "subscribers", all.Subscribers)
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "dwell-") {
		t.Fatalf("dwell files %v, want one dwell-<unix>-<seq>.parquet", files)
	}
	// Spot-check the string conversion: leading zeros of MCC 001 kept.
	got, _ := readAll[dwellRow](t, dir, "dwell")
	if got[0].IMSI != "001010000000000" || got[0].MSISDN != "49120000000" {
		t.Fatalf("identities %q %q", got[0].IMSI, got[0].MSISDN)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*", ".*")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

func TestRotateByRows(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{MaxRows: 250})
	if err != nil {
		t.Fatal(err)
	}
	all := testBatch(1000, 0)
	for i := 0; i < 1000; i += 100 {
		// Only dwell rows: other tables stay empty and must produce no files.
		if err := w.Write(&sink.Batch{Dwell: all.Dwell[i : i+100]}); err != nil {
			t.Fatal(err)
		}
	}
	if f, _ := filepath.Glob(filepath.Join(dir, "dwell", "*.parquet")); len(f) != 4 {
		t.Fatalf("before Close: %d complete files, want 4 (every 250 rows)", len(f))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := check[sink.Dwell, dwellRow](t, dir, "dwell", all.Dwell)
	if len(files) != 4 {
		t.Fatalf("%d files, want 4: %v", len(files), files)
	}
	for _, tb := range sink.Tables {
		if tb == "dwell" {
			continue
		}
		if f, _ := os.ReadDir(filepath.Join(dir, tb)); len(f) != 0 {
			t.Fatalf("%s: files for an empty table: %v", tb, f)
		}
	}
}

func TestRotateByAge(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_790_000_000, 0)
	w, err := New(dir, Options{MaxAge: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	all := testBatch(30, 0)
	for i := range 30 {
		if err := w.Write(&sink.Batch{Events: all.Events[i : i+1]}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Second) // a file every 6 writes
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := check[sink.Event, eventRow](t, dir, "events", all.Events)
	if len(files) != 5 {
		t.Fatalf("%d files, want 5: %v", len(files), files)
	}
	if b := filepath.Base(files[0]); b != "events-e1-1790000000-0.parquet" {
		t.Fatalf("first file %s, want events-e1-1790000000-0.parquet", b)
	}
}

// A second writer started in the same second must not overwrite the first's files.
func TestNoOverwrite(t *testing.T) {
	dir := t.TempDir()
	now := func() time.Time { return time.Unix(1_790_000_000, 0) }
	all := testBatch(20, 0)
	for i := range 2 {
		w, err := New(dir, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(&sink.Batch{Triggers: all.Triggers[i*10 : i*10+10]}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if files := check[sink.Trigger, triggerRow](t, dir, "triggers", all.Triggers); len(files) != 2 {
		t.Fatalf("files %v", files)
	}
}

// A crash after checkpoint 1 leaves a closed file of epoch 2 and a
// temporary one; reopening at checkpoint 1's position removes both and
// keeps epoch 1's rows, so the rows written again after the restart are
// not doubled.
func TestCheckpointResume(t *testing.T) {
	dir := t.TempDir()
	all := testBatch(30, 0)
	w, err := New(dir, Options{MaxRows: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&sink.Batch{Dwell: all.Dwell[:10]}); err != nil {
		t.Fatal(err)
	}
	pos, err := w.Checkpoint(1)
	if err != nil {
		t.Fatal(err)
	}
	// Epoch 2: one file rotated (closed, renamed) and one still open.
	if err := w.Write(&sink.Batch{Dwell: all.Dwell[10:17]}); err != nil {
		t.Fatal(err)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "dwell", ".*.tmp"))
	done, _ := filepath.Glob(filepath.Join(dir, "dwell", "dwell-e2-*.parquet"))
	if len(tmps) != 1 || len(done) != 1 {
		t.Fatalf("before the crash: tmp %v, epoch 2 %v", tmps, done)
	}
	// kill -9: w is abandoned. The restart replays rows 10..29.
	w2, err := New(dir, Options{MaxRows: 5, Position: pos})
	if err != nil {
		t.Fatal(err)
	}
	if w2.Discarded() != 2 {
		t.Errorf("discarded %d files, want 2", w2.Discarded())
	}
	if err := w2.Write(&sink.Batch{Dwell: all.Dwell[10:]}); err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	check[sink.Dwell, dwellRow](t, dir, "dwell", all.Dwell)
	fi, err := os.Stat(filepath.Join(dir, "dwell"))
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("table directory mode %v, want 0750 (%v)", fi.Mode().Perm(), err)
	}
	if _, err := New(dir, Options{Position: []byte("junk")}); err == nil {
		t.Error("a position that is not the writer's was accepted")
	}
}

// Files are private whatever the umask.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(testBatch(3, 0)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.parquet"))
	if len(files) != len(sink.Tables) {
		t.Fatalf("files %v", files)
	}
	for _, f := range files {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want 0640", f, fi.Mode().Perm())
		}
	}
}
