package probe

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sigprobe/sigprobe/probe/ckpt"
)

// A checkpoint (STYLE rule 15) is the state snapshot plus each output's
// position, in one file, DIR/checkpoint, replaced atomically. It is
// committed only when every output has made durable the rows produced
// before it: its Parquet files closed and renamed, its JSON lines synced,
// its ClickHouse blocks inserted or spooled, its triggers acknowledged or
// kept in its position. A restart loads it, tells each output its
// position (each drops what it wrote later), and goes on from where the
// checkpoint was taken: a capture file from the packet after its
// position, a live probe through its write-ahead log first. So a kill -9
// loses and doubles nothing.
//
// Sections: "meta" (JSON, below), "pipeline", "resolver", "state", "rules"
// (the tracking state, binary, versioned by their packages) and
// "output/<name>" (each output's position).

const (
	checkpointFile = "checkpoint"
	lockFile       = "lock"
	walDir         = "wal"
	natsAckFile    = "nats-acked"
	outputIDFile   = ".sigprobe-output"
)

// ckptMeta is the checkpoint's "meta" section.
type ckptMeta struct {
	Epoch    uint64                `json:"epoch"`
	Written  time.Time             `json:"written"`
	Instance string                `json:"instance"` // this state's lineage
	Mode     string                `json:"mode"`     // run or replay
	Source   ckptSource            `json:"source"`
	WAL      *walPos               `json:"wal,omitempty"`
	Outputs  map[string]ckptOutput `json:"outputs"`
	Version  string                `json:"sigprobe_version,omitempty"`
}

type ckptSource struct {
	File     *fileID `json:"file,omitempty"` // replay: the capture
	Packets  uint64  `json:"packets"`        // packets whose messages are in the state
	Complete bool    `json:"complete"`       // the capture was read to its end
	LastTS   int64   `json:"last_ts"`
}

type ckptOutput struct {
	ID string `json:"id,omitempty"` // file outputs: the directory's id
}

// loaded is a checkpoint read at start.
type loaded struct {
	meta     ckptMeta
	sections ckpt.Sections
}

func (l *loaded) position(output string) []byte {
	if l == nil {
		return nil
	}
	if _, ok := l.meta.Outputs[output]; !ok {
		return nil
	}
	return l.sections.Get("output/" + output)
}

// ErrBadCheckpoint wraps a checkpoint that cannot be used.
var ErrBadCheckpoint = errors.New("the checkpoint cannot be used")

// openState locks dir (one probe per state directory) and loads its
// checkpoint, nil on a first start. With reset, an unusable checkpoint and
// write-ahead log are moved aside (dir/aside-<time>/) instead of refusing
// to start.
func openState(dir string, reset bool, log *slog.Logger) (lock *os.File, l *loaded, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	lock, err = os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(lock.Name())
		lock.Close()
		return nil, nil, fmt.Errorf("state directory %s is in use by another sigprobe (pid %s)", dir, strings.TrimSpace(string(pid)))
	}
	lock.Truncate(0)
	fmt.Fprintf(lock, "%d\n", os.Getpid())
	if reset {
		if err := setAside(dir, log); err != nil {
			lock.Close()
			return nil, nil, err
		}
		return lock, nil, nil
	}
	if l, err = readCheckpoint(dir); err != nil {
		lock.Close()
		return nil, nil, err
	}
	return lock, l, nil
}

// readCheckpoint reads dir's checkpoint: nil when there is none, an error
// wrapping ErrBadCheckpoint when it cannot be used.
func readCheckpoint(dir string) (*loaded, error) {
	path := filepath.Join(dir, checkpointFile)
	s, err := ckpt.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v; start afresh with --reset-state (it moves the state aside; outputs written from it must then be moved too)", ErrBadCheckpoint, err)
	}
	l := &loaded{sections: s}
	if err := json.Unmarshal(s.Get("meta"), &l.meta); err != nil || l.meta.Instance == "" {
		return nil, fmt.Errorf("%w: %s: no valid meta section; start afresh with --reset-state", ErrBadCheckpoint, path)
	}
	return l, nil
}

// stateInUse reports whether another process holds dir's lock, and the
// pid it wrote there. It takes nothing: the lock is tried and released.
func stateInUse(dir string) (pid string, inUse bool) {
	f, err := os.Open(filepath.Join(dir, lockFile))
	if err != nil {
		return "", false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(f.Name())
		return strings.TrimSpace(string(b)), true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return "", false
}

// setAside moves the checkpoint and the write-ahead log of dir into a
// subdirectory, so --reset-state never destroys anything.
func setAside(dir string, log *slog.Logger) error {
	var moved []string
	aside := filepath.Join(dir, "aside-"+time.Now().UTC().Format("20060102T150405Z"))
	for _, name := range []string{checkpointFile, walDir, natsAckFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := os.MkdirAll(aside, 0o750); err != nil {
			return err
		}
		if err := os.Rename(p, filepath.Join(aside, name)); err != nil {
			return err
		}
		moved = append(moved, name)
	}
	if len(moved) > 0 {
		log.Warn("--reset-state: previous state moved aside", "dir", aside, "moved", strings.Join(moved, ","))
	}
	return nil
}

func newInstanceID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// outputDirID returns the id of a file output's directory, creating one for
// a new or empty directory. used reports whether the directory already
// holds tables (anything besides the id file).
func outputDirID(dir string) (id string, used bool, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", false, err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", false, err
	}
	for _, de := range des {
		if de.Name() == outputIDFile {
			continue
		}
		if de.IsDir() {
			sub, _ := os.ReadDir(filepath.Join(dir, de.Name()))
			if len(sub) == 0 {
				continue
			}
		} else if fi, err := de.Info(); err == nil && fi.Size() == 0 {
			continue
		}
		used = true
	}
	if b, err := os.ReadFile(filepath.Join(dir, outputIDFile)); err == nil {
		return strings.TrimSpace(string(b)), used, nil
	}
	id = newInstanceID()
	if err := ckpt.WriteFile(filepath.Join(dir, outputIDFile), []byte(id+"\n"), 0o640); err != nil {
		return "", used, err
	}
	return id, used, nil
}

// pending is a checkpoint waiting for its barriers.
type pending struct {
	epoch    uint64
	sections ckpt.Sections
	wal      *walPos
	pos      uint64
	lastTS   int64
	complete bool
	outputs  int
	reply    <-chan barrierReply
	started  time.Time
}

// checkpointer commits checkpoints in the background, one at a time.
type checkpointer struct {
	dir      string
	meta     ckptMeta // the constant part: instance, mode, source file, output ids
	wal      *wal
	log      *slog.Logger
	m        *probeMetrics
	inflight chan struct{}
	complete bool // set before the final checkpoint of a capture read to its end

	errMu   chanMutex
	lastErr error
	commits uint64
	failing atomic.Pointer[error] // the last commit's error, nil after a good one (/readyz)
}

// chanMutex is a mutex usable from the commit goroutine and Stats.
type chanMutex chan struct{}

func (m chanMutex) lock()   { m <- struct{}{} }
func (m chanMutex) unlock() { <-m }

func newCheckpointer(dir string, meta ckptMeta, w *wal, log *slog.Logger, m *probeMetrics) *checkpointer {
	return &checkpointer{dir: dir, meta: meta, wal: w, log: log, m: m, inflight: make(chan struct{}, 1), errMu: make(chanMutex, 1)}
}

func (c *checkpointer) busy() bool { return len(c.inflight) > 0 }

// submit commits p in the background; with wait it returns once p is
// committed (or failed), after any checkpoint still in flight.
func (c *checkpointer) submit(p pending, wait bool) {
	c.inflight <- struct{}{}
	p.complete = c.complete && wait
	done := make(chan struct{})
	go func() {
		defer func() { <-c.inflight; close(done) }()
		err := c.commit(&p)
		if err == nil {
			c.failing.Store(nil)
		} else {
			c.failing.Store(&err)
			c.m.ckptFailures.Inc()
			c.log.Error("checkpoint not committed", "epoch", p.epoch, "err", err)
			c.errMu.lock()
			c.lastErr = err
			c.errMu.unlock()
		}
	}()
	if wait {
		<-done
	}
}

func (c *checkpointer) commit(p *pending) error {
	positions := map[string][]byte{}
	var errs []error
	for range p.outputs {
		r := <-p.reply
		if r.err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", r.output, r.err))
		}
		positions[r.output] = r.position
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	meta := c.meta
	meta.Epoch, meta.Written = p.epoch, time.Now().UTC()
	meta.Source.Packets, meta.Source.LastTS, meta.Source.Complete = p.pos, p.lastTS, p.complete
	meta.WAL = p.wal
	mb, _ := json.Marshal(meta)
	s := append(ckpt.Sections{{Name: "meta", Data: mb}}, p.sections...)
	for name, pos := range positions {
		if pos != nil {
			s = append(s, ckpt.Section{Name: "output/" + name, Data: pos})
		}
	}
	data := ckpt.Encode(s)
	if err := ckpt.WriteFile(filepath.Join(c.dir, checkpointFile), data, 0o640); err != nil {
		return err
	}
	if p.wal != nil {
		if err := c.wal.dropBefore(*p.wal); err != nil {
			c.log.Warn("old write-ahead log segments not removed", "err", err)
		}
	}
	c.m.ckptTotal.Inc()
	c.m.ckptBytes.Set(float64(len(data)))
	c.m.ckptSeconds.UpdateDuration(p.started)
	c.m.ckptLast.Set(float64(time.Now().Unix()))
	c.commits++
	c.log.Debug("checkpoint committed", "epoch", p.epoch, "bytes", len(data), "took", time.Since(p.started).Round(time.Millisecond))
	return nil
}

func (c *checkpointer) err() error {
	c.errMu.lock()
	defer c.errMu.unlock()
	return c.lastErr
}

// mkdirPrivate creates dir (and parents) with mode 0750 whatever the umask:
// the probe's own directories hold personal data.
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	return os.Chmod(dir, 0o750)
}
