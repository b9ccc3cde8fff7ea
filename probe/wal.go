package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sigprobe/sigprobe/decode"
)

// The write-ahead log of a live probe holds every batch of decoded messages
// the pipeline took since the last checkpoint, in the order it took them,
// and the flush cuts between them. A live capture cannot be read twice: after
// a crash the probe restores its checkpoint and feeds the log through the
// pipeline again, which rebuilds the state and the output rows exactly as
// they were (the outputs discard what they had after the checkpoint, or
// deduplicate it). Each batch is written with one write(2) before the
// pipeline acts on it, so a kill -9 loses nothing the pipeline acted on; the
// log is synced about once a second, which bounds what a power loss takes.
//
// Segment files wal/<seq>.wal start with
//
//	magic "SGPWAL1\n" | uint32 sizeof(decode.Message) | uint64 layout hash
//
// and hold records
//
//	uint32 payload length | uint8 type | uint32 CRC-32C(type, payload) | payload
//
// A batch's payload is a uvarint count and its messages, each as a bitmap
// of its non-zero 8-byte words followed by those words (a Message is mostly
// zeros: about 150 bytes instead of 712).

const (
	walMagic   = "SGPWAL1\n"
	walHeader  = len(walMagic) + 12
	walSegment = 64 << 20 // bytes before a new segment

	recBatch = 1
	recCut   = 2
	recClose = 3 // a graceful stop: payload the end time (ns)
)

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// walPos is a place in the log: a segment and a byte offset in it.
type walPos struct {
	Seg uint64 `json:"segment"`
	Off int64  `json:"offset"`
}

type wal struct {
	dir   string
	f     *os.File
	seg   uint64
	off   int64
	buf   []byte
	dirty bool // written since the last sync
}

// ErrWALLayout reports a log written by a sigprobe with another message layout.
var ErrWALLayout = errors.New("write-ahead log written by an incompatible sigprobe version")

func openWAL(dir string) (*wal, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return &wal{dir: dir}, nil
}

func (w *wal) segName(seg uint64) string {
	return filepath.Join(w.dir, fmt.Sprintf("%016d.wal", seg))
}

// segments lists the segment numbers present, in order.
func (w *wal) segments() ([]uint64, error) {
	des, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, err
	}
	var segs []uint64
	for _, de := range des {
		if s, ok := strings.CutSuffix(de.Name(), ".wal"); ok {
			if n, err := strconv.ParseUint(s, 10, 64); err == nil {
				segs = append(segs, n)
			}
		}
	}
	slices.Sort(segs)
	return segs, nil
}

// walRecovery is what reading the log back found.
type walRecovery struct {
	batches, messages, cuts uint64
	// torn: the log ended in a partial or damaged record (a crash in the
	// middle of a write); what came before it was used.
	torn bool
}

// replay reads every record from pos on, in order, and calls fn. It stops
// quietly at a torn tail.
func (w *wal) replay(pos walPos, fn func(b *MsgBatch)) (walRecovery, error) {
	var rec walRecovery
	segs, err := w.segments()
	if err != nil {
		return rec, err
	}
	for _, seg := range segs {
		if seg < pos.Seg {
			continue
		}
		from := int64(walHeader)
		if seg == pos.Seg {
			from = max(from, pos.Off)
		}
		stop, err := w.replaySegment(seg, from, fn, &rec)
		if err != nil {
			return rec, err
		}
		if stop {
			rec.torn = true
			break
		}
	}
	return rec, nil
}

func (w *wal) replaySegment(seg uint64, from int64, fn func(b *MsgBatch), rec *walRecovery) (torn bool, err error) {
	name := w.segName(seg)
	data, err := os.ReadFile(name)
	if err != nil {
		return false, err
	}
	if len(data) < walHeader || string(data[:len(walMagic)]) != walMagic {
		return true, nil // created but not written: a crash right at the start
	}
	size := binary.LittleEndian.Uint32(data[len(walMagic):])
	layout := binary.LittleEndian.Uint64(data[len(walMagic)+4:])
	if int(size) != int(unsafe.Sizeof(decode.Message{})) || layout != decode.MessageLayout {
		return false, fmt.Errorf("%s: %w (move the state directory away or start with --reset-state)", name, ErrWALLayout)
	}
	if from > int64(len(data)) {
		return false, fmt.Errorf("%s: checkpoint points at byte %d of a %d-byte segment", name, from, len(data))
	}
	p := data[from:]
	for len(p) > 0 {
		if len(p) < 9 {
			return true, nil
		}
		n := binary.LittleEndian.Uint32(p)
		typ := p[4]
		sum := binary.LittleEndian.Uint32(p[5:])
		if uint64(len(p)-9) < uint64(n) {
			return true, nil
		}
		payload := p[9 : 9+n]
		if recordCRC(p[4:5], payload) != sum {
			return true, nil
		}
		p = p[9+n:]
		switch typ {
		case recBatch:
			b := getBatch()
			var err error
			if b.Msgs, err = decodeMessages(b.Msgs, payload); err != nil {
				return false, fmt.Errorf("%s: %w", name, err)
			}
			b.replayed = true
			rec.batches++
			rec.messages += uint64(len(b.Msgs))
			fn(b)
		case recCut:
			b := getBatch()
			b.cut, b.replayed = true, true
			rec.cuts++
			fn(b)
		case recClose:
			if len(payload) != 8 {
				return false, fmt.Errorf("%s: damaged close record", name)
			}
			b := getBatch()
			b.closeAt, b.replayed = int64(binary.LittleEndian.Uint64(payload)), true
			rec.cuts++
			fn(b)
		default:
			return false, fmt.Errorf("%s: record type %d", name, typ)
		}
	}
	return false, nil
}

// start opens a new segment after every existing one; appends go there.
func (w *wal) start() error {
	segs, err := w.segments()
	if err != nil {
		return err
	}
	next := uint64(1)
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
	}
	return w.open(next)
}

func (w *wal) open(seg uint64) error {
	if w.f != nil {
		w.f.Sync()
		w.f.Close()
	}
	f, err := os.OpenFile(w.segName(seg), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	hdr := append([]byte(walMagic), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(hdr[len(walMagic):], uint32(unsafe.Sizeof(decode.Message{})))
	binary.LittleEndian.PutUint64(hdr[len(walMagic)+4:], decode.MessageLayout)
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		return err
	}
	w.f, w.seg, w.off = f, seg, int64(len(hdr))
	return nil
}

func (w *wal) write(typ byte, payload []byte) error {
	if w.off >= walSegment {
		if err := w.open(w.seg + 1); err != nil {
			return err
		}
	}
	w.buf = append(w.buf[:0], 0, 0, 0, 0, typ, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(w.buf, uint32(len(payload)))
	w.buf = append(w.buf, payload...)
	binary.LittleEndian.PutUint32(w.buf[5:], recordCRC(w.buf[4:5], w.buf[9:]))
	n, err := w.f.Write(w.buf)
	w.off += int64(n)
	w.dirty = true
	return err
}

// recordCRC is the CRC-32C of a record's type byte and payload.
func recordCRC(typ, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, walCRC, typ), walCRC, payload)
}

// appendBatch logs a batch (one write(2)).
func (w *wal) appendBatch(msgs []decode.Message, scratch []byte) ([]byte, error) {
	scratch = encodeMessages(scratch[:0], msgs)
	return scratch, w.write(recBatch, scratch)
}

func (w *wal) appendCut() error { return w.write(recCut, nil) }

// appendClose logs a graceful stop at end (ns): replayed, it ends the run
// the same way, so a crash before the last checkpoint is committed leaves
// the outputs and the rebuilt state in agreement.
func (w *wal) appendClose(end int64) error {
	return w.write(recClose, binary.LittleEndian.AppendUint64(nil, uint64(end)))
}

func (w *wal) position() walPos { return walPos{Seg: w.seg, Off: w.off} }

// sync makes what was appended durable (fdatasync).
func (w *wal) sync() error {
	if w.f == nil || !w.dirty {
		return nil
	}
	w.dirty = false
	return w.f.Sync()
}

// dropBefore removes the segments entirely before pos (a checkpoint at pos
// was committed).
func (w *wal) dropBefore(pos walPos) error {
	segs, err := w.segments()
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s < pos.Seg {
			if err := os.Remove(w.segName(s)); err != nil {
				return err
			}
		}
	}
	return nil
}

// size is the bytes the log holds on disk.
func (w *wal) size() int64 {
	segs, _ := w.segments()
	var n int64
	for _, s := range segs {
		if fi, err := os.Stat(w.segName(s)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (w *wal) close() error {
	if w.f == nil {
		return nil
	}
	err := errors.Join(w.f.Sync(), w.f.Close())
	w.f = nil
	return err
}

// encodeMessages appends the compact form of msgs to dst.
func encodeMessages(dst []byte, msgs []decode.Message) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(msgs)))
	for i := range msgs {
		dst = decode.AppendCompact(dst, &msgs[i])
	}
	return dst
}

var errWALRecord = errors.New("write-ahead log: damaged batch record")

// decodeMessages appends the messages of an encoded batch to dst.
func decodeMessages(dst []decode.Message, p []byte) ([]decode.Message, error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return dst, errWALRecord
	}
	p = p[k:]
	for range n {
		dst = append(dst, decode.Message{})
		used, ok := decode.ReadCompact(p, &dst[len(dst)-1])
		if !ok {
			return dst, errWALRecord
		}
		p = p[used:]
	}
	if len(p) != 0 {
		return dst, errWALRecord
	}
	return dst, nil
}
