package probe

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/pcapfile"
)

// packet is one frame a source hands to a decode worker. data is valid only
// during the call.
type packet struct {
	lt    layers.LinkType
	ts    int64  // capture time, ns
	frame uint64 // 1-based number in a capture file (0 live)
	data  []byte
}

// packetHandler is what a source drives. For each worker one goroutine
// calls packet for every frame and idle whenever no frame is waiting, so a
// worker hands on what it has decoded at once at low rates and in batches
// at high ones.
type packetHandler interface {
	packet(w int, p *packet)
	idle(w int) time.Duration // how soon to call again with no packet (0: not needed)
}

// source is where packets come from: a live capture (several workers, never
// ends by itself) or a capture file (one worker, ends at its end). Both go
// through the same decode loop (worker) and pipeline.
type source interface {
	workers() int
	run(ctx context.Context, h packetHandler) error
	close() error
}

// fileSource reads a pcap or pcapng file.
type fileSource struct {
	path      string
	r         *pcapfile.Reader
	id        fileID
	packets   uint64 // frames handed to the worker
	truncated uint64 // a cut-off last packet
	first     int64
	last      int64
}

// fileID tells whether a checkpoint's capture is the file being replayed:
// its size and a hash of its first and last bytes. Pipes have none.
type fileID struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Head    string `json:"head"` // sha256 of the first MiB and the last 64 KiB
	Regular bool   `json:"regular"`
}

func (a fileID) same(b fileID) bool {
	return a.Regular && b.Regular && a.Size == b.Size && a.Head == b.Head
}

func identify(path string) (fileID, error) {
	abs, _ := filepath.Abs(path)
	id := fileID{Path: abs}
	fi, err := os.Stat(path)
	if err != nil {
		return id, err
	}
	if !fi.Mode().IsRegular() {
		return id, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return id, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, f, 1<<20); err != nil && !errors.Is(err, io.EOF) {
		return id, err
	}
	if fi.Size() > 1<<20 {
		if _, err := f.Seek(max(1<<20, fi.Size()-64<<10), io.SeekStart); err != nil {
			return id, err
		}
		if _, err := io.Copy(h, f); err != nil {
			return id, err
		}
	}
	id.Size, id.Regular, id.Head = fi.Size(), true, fmt.Sprintf("%x", h.Sum(nil))
	return id, nil
}

func openFileSource(path string) (*fileSource, error) {
	id, err := identify(path)
	if err != nil {
		return nil, err
	}
	r, err := pcapfile.Open(path)
	if err != nil {
		return nil, err
	}
	return &fileSource{path: path, r: r, id: id}, nil
}

func (s *fileSource) workers() int { return 1 }

// run reads the file to its end (nil), until ctx is done (ctx.Err()), or
// until a read fails. A cut-off last packet is counted, not an error.
func (s *fileSource) run(ctx context.Context, h packetHandler) error {
	var p packet
	for {
		if s.packets%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		data, ci, lt, err := s.r.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, pcapfile.ErrTruncated) {
			s.truncated++
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		s.packets++
		ts := ci.Timestamp.UnixNano()
		if s.first == 0 {
			s.first = ts
		}
		s.last = ts
		p = packet{lt: lt, ts: ts, frame: s.packets, data: data}
		h.packet(0, &p)
	}
}

func (s *fileSource) close() error { return s.r.Close() }

// liveSource captures from tap interfaces (probe/capture).
type liveSource struct {
	c *capture.Capture
}

func (s *liveSource) workers() int { return s.c.Workers() }

func (s *liveSource) run(ctx context.Context, h packetHandler) error {
	return s.c.Run(ctx, liveHandler{h})
}

func (s *liveSource) close() error { return s.c.Close() }

// liveHandler adapts the capture's callbacks.
type liveHandler struct{ h packetHandler }

func (l liveHandler) Packet(w int, p *capture.Packet) {
	l.h.packet(w, &packet{lt: layers.LinkTypeEthernet, ts: p.CI.Timestamp.UnixNano(), data: p.Data})
}

func (l liveHandler) Idle(w int) time.Duration { return l.h.idle(w) }
