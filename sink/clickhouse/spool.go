package clickhouse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The spool keeps blocks that could not be inserted, one file per block,
// named <seq>-<table>-<rows>.blk with the block's 20-digit sequence number
// so that name order is insert order (the row count in the name lets an
// unreadable file still be counted). A file is
//
//	"SPB2" | uint32 length of the body | body | CRC-32C of the body
//
// and the body is uvarint-prefixed token and table, the row count, then the
// columns as block.encodeColumns writes them. Files are written to a
// temporary name, synced and renamed, so a crash leaves whole files only.

var (
	errSpoolFull = errors.New("clickhouse: spool full")
	errTruncated = errors.New("truncated")
	// spoolMagic SPB2: the columns of position version 2. A file of the
	// old layout (SPB1) is reported as such and counted as lost.
	spoolMagic = []byte("SPB2")
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

type spoolEntry struct {
	seq   uint64
	table string
	rows  int
	size  int64
}

func (e spoolEntry) name() string { return fmt.Sprintf("%020d-%s-%d.blk", e.seq, e.table, e.rows) }

// parseSpoolName is the inverse of spoolEntry.name.
func parseSpoolName(name string) (spoolEntry, bool) {
	base, ok := strings.CutSuffix(name, ".blk")
	if !ok {
		return spoolEntry{}, false
	}
	seqs, rest, ok1 := strings.Cut(base, "-")
	i := strings.LastIndexByte(rest, '-')
	if !ok1 || i < 0 {
		return spoolEntry{}, false
	}
	seq, err1 := strconv.ParseUint(seqs, 10, 64)
	rows, err2 := strconv.Atoi(rest[i+1:])
	if err1 != nil || err2 != nil {
		return spoolEntry{}, false
	}
	return spoolEntry{seq: seq, table: rest[:i], rows: rows}, true
}

// spool is safe for concurrent use.
type spool struct {
	dir string
	max int64

	mu      sync.Mutex
	entries []spoolEntry // sorted by seq
	bytes   int64
}

// openSpool creates dir or picks up the blocks an earlier run left in it.
func openSpool(dir string, maxBytes int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil { // rows of personal data: no others
		return nil, fmt.Errorf("clickhouse: spool: %w", err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: spool: %w", err)
	}
	s := &spool{dir: dir, max: maxBytes}
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") { // a temporary file a crash left behind
			os.Remove(filepath.Join(dir, name))
			continue
		}
		e, ok := parseSpoolName(name)
		if !ok {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		e.size = info.Size()
		s.entries = append(s.entries, e)
		s.bytes += info.Size()
	}
	slices.SortFunc(s.entries, func(a, b spoolEntry) int { return cmpU64(a.seq, b.seq) })
	return s, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lastSeq is the highest sequence number in the spool (0 if empty).
func (s *spool) lastSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return 0
	}
	return s.entries[len(s.entries)-1].seq
}

// size returns the number of blocks and bytes spooled.
func (s *spool) size() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.bytes
}

// head returns the oldest spooled block's entry.
func (s *spool) head() (spoolEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return spoolEntry{}, false
	}
	return s.entries[0], true
}

// push writes a sealed block. It returns errSpoolFull when the block does not
// fit under the byte limit.
func (s *spool) push(b *block) (int64, error) {
	var body bytes.Buffer
	ew := &errWriter{w: &body}
	ew.uvarint(uint64(len(b.token)))
	ew.str(b.token)
	ew.uvarint(uint64(len(b.table.name)))
	ew.str(b.table.name)
	ew.uvarint(uint64(b.rows))
	b.encodeColumns(&body)
	file := make([]byte, 0, body.Len()+12)
	file = append(file, spoolMagic...)
	file = binary.LittleEndian.AppendUint32(file, uint32(body.Len()))
	file = append(file, body.Bytes()...)
	file = binary.LittleEndian.AppendUint32(file, crc32.Checksum(body.Bytes(), castagnoli))

	e := spoolEntry{seq: b.seq, table: b.table.name, rows: b.rows, size: int64(len(file))}
	s.mu.Lock()
	if s.bytes+e.size > s.max {
		s.mu.Unlock()
		return 0, errSpoolFull
	}
	s.bytes += e.size // reserve while writing
	s.mu.Unlock()

	if err := s.writeFile(e.name(), file); err != nil {
		s.mu.Lock()
		s.bytes -= e.size
		s.mu.Unlock()
		return 0, err
	}
	s.mu.Lock()
	i, _ := slices.BinarySearchFunc(s.entries, e.seq, func(x spoolEntry, seq uint64) int { return cmpU64(x.seq, seq) })
	s.entries = slices.Insert(s.entries, i, e)
	s.mu.Unlock()
	return e.size, nil
}

func (s *spool) writeFile(name string, data []byte) error {
	tmp := filepath.Join(s.dir, "."+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("clickhouse: spool: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("clickhouse: spool: %w", err)
	}
	return nil
}

// load reads a spooled block back. An unreadable or corrupt file is an
// error; the caller removes it and counts its e.rows rows as lost.
func (s *spool) load(e spoolEntry) (*block, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, e.name()))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: spool: %w", err)
	}
	return decodeSpoolFile(data, e)
}

// decodeSpoolFile parses the file of spool entry e.
func decodeSpoolFile(data []byte, e spoolEntry) (*block, error) {
	if len(data) >= 4 && bytes.Equal(data[:4], []byte("SPB1")) {
		return nil, fmt.Errorf("clickhouse: spool %s: written by an older sigprobe (SPB1, before key_id and the trigger call columns); it cannot be replayed", e.name())
	}
	if len(data) < 12 || !bytes.Equal(data[:4], spoolMagic) {
		return nil, fmt.Errorf("clickhouse: spool %s: %w", e.name(), errTruncated)
	}
	n := binary.LittleEndian.Uint32(data[4:8])
	if uint64(n)+12 != uint64(len(data)) {
		return nil, fmt.Errorf("clickhouse: spool %s: %w", e.name(), errTruncated)
	}
	body := data[8 : 8+n]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[8+n:]) {
		return nil, fmt.Errorf("clickhouse: spool %s: checksum mismatch", e.name())
	}
	r := &byteReader{b: body}
	token := string(r.next(int(r.uvarint())))
	table := string(r.next(int(r.uvarint())))
	rows := int(r.uvarint())
	var t *tableSpec
	for _, x := range tables {
		if x.name == table {
			t = x
		}
	}
	if t == nil || r.short || rows != e.rows || rows > len(r.b) {
		return nil, fmt.Errorf("clickhouse: spool %s: bad header", e.name())
	}
	b := newBlock(t)
	if err := b.decodeColumns(r, rows); err != nil {
		return nil, fmt.Errorf("clickhouse: spool %s: %w", e.name(), err)
	}
	b.seq, b.token = e.seq, token
	return b, nil
}

// sync makes the spool's file names durable: a file is synced before it is
// renamed, and this syncs the directory holding the renames and removals.
func (s *spool) sync() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("clickhouse: spool: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("clickhouse: spool: sync %s: %w", s.dir, err)
	}
	return nil
}

// rewind removes the blocks sealed after sequence number hw: after a restart
// from a checkpoint taken at hw, the probe writes their rows again.
func (s *spool) rewind(hw uint64) ([]spoolEntry, error) {
	s.mu.Lock()
	i, _ := slices.BinarySearchFunc(s.entries, hw+1, func(x spoolEntry, seq uint64) int { return cmpU64(x.seq, seq) })
	gone := slices.Clone(s.entries[i:])
	s.mu.Unlock()
	for _, e := range gone {
		if err := os.Remove(filepath.Join(s.dir, e.name())); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("clickhouse: spool: %w", err)
		}
		s.remove(e)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	return gone, s.sync()
}

// removeSeq deletes the block with sequence number seq, if spooled.
func (s *spool) removeSeq(seq uint64) {
	s.mu.Lock()
	i, ok := slices.BinarySearchFunc(s.entries, seq, func(x spoolEntry, seq uint64) int { return cmpU64(x.seq, seq) })
	var e spoolEntry
	if ok {
		e = s.entries[i]
	}
	s.mu.Unlock()
	if ok {
		s.remove(e)
	}
}

// remove deletes a replayed (or unreadable) block.
func (s *spool) remove(e spoolEntry) {
	os.Remove(filepath.Join(s.dir, e.name()))
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := slices.BinarySearchFunc(s.entries, e.seq, func(x spoolEntry, seq uint64) int { return cmpU64(x.seq, seq) }); ok {
		s.entries = slices.Delete(s.entries, i, i+1)
		s.bytes -= e.size
	}
}
