package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// A checkpoint file is
//
//	magic "SGPCKPT\n" | uint32 format version | uint64 body length | body | uint32 CRC-32C(body)
//
// and the body a sequence of sections, each a uvarint-prefixed name and a
// uvarint-prefixed payload. Integers are little-endian. Version guards the
// file layout; what a section holds carries its own version inside.
const (
	Version = 1
	magic   = "SGPCKPT\n"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors Read wraps; each message also names the file.
var (
	ErrNotCheckpoint = errors.New("not a sigprobe checkpoint")
	ErrVersion       = errors.New("checkpoint format version not supported")
	ErrChecksum      = errors.New("checkpoint checksum mismatch (the file is damaged)")
	ErrTruncated     = errors.New("checkpoint truncated")
)

// Section is one named part of a checkpoint.
type Section struct {
	Name string
	Data []byte
}

// Sections is a checkpoint's content, in file order.
type Sections []Section

// Get returns the named section's data, or nil.
func (s Sections) Get(name string) []byte {
	for _, x := range s {
		if x.Name == name {
			return x.Data
		}
	}
	return nil
}

// Has reports whether the named section is present.
func (s Sections) Has(name string) bool {
	for _, x := range s {
		if x.Name == name {
			return true
		}
	}
	return false
}

// Encode returns the file bytes for s.
func Encode(s Sections) []byte {
	var body Enc
	for _, x := range s {
		body.String(x.Name)
		body.Blob(x.Data)
	}
	out := make([]byte, 0, len(magic)+16+body.Len())
	out = append(out, magic...)
	out = binary.LittleEndian.AppendUint32(out, Version)
	out = binary.LittleEndian.AppendUint64(out, uint64(body.Len()))
	out = append(out, body.Bytes()...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(body.Bytes(), castagnoli))
}

// Decode parses file bytes; name is used in errors.
func Decode(b []byte, name string) (Sections, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%s: %w", name, ErrNotCheckpoint)
	}
	b = b[len(magic):]
	if len(b) < 12 {
		return nil, fmt.Errorf("%s: %w", name, ErrTruncated)
	}
	if v := binary.LittleEndian.Uint32(b); v != Version {
		return nil, fmt.Errorf("%s: %w: file has version %d, this sigprobe reads %d", name, ErrVersion, v, Version)
	}
	n := binary.LittleEndian.Uint64(b[4:])
	b = b[12:]
	if uint64(len(b)) < n+4 {
		return nil, fmt.Errorf("%s: %w", name, ErrTruncated)
	}
	body := b[:n]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[n:]); got != want {
		return nil, fmt.Errorf("%s: %w", name, ErrChecksum)
	}
	if uint64(len(b)) != n+4 {
		return nil, fmt.Errorf("%s: %w: %d bytes after the checksum", name, ErrChecksum, uint64(len(b))-n-4)
	}
	var s Sections
	d := NewDec(body)
	for d.Remaining() > 0 && d.Err() == nil {
		s = append(s, Section{Name: d.String(), Data: d.Blob()})
	}
	if d.Err() != nil {
		return nil, fmt.Errorf("%s: %w", name, ErrChecksum)
	}
	return s, nil
}

// Write stores s at path atomically: a temporary file in the same
// directory, synced, renamed over path, and the directory synced, so a crash
// leaves either the old checkpoint or the new one, whole. perm is the file
// mode (the directory must exist).
func Write(path string, s Sections, perm os.FileMode) error {
	return WriteFile(path, Encode(s), perm)
}

// WriteFile writes data to path with the same atomicity as Write.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Read loads the checkpoint at path. A missing file is reported as an
// error wrapping os.ErrNotExist.
func Read(path string) (Sections, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(b, path)
}

// Equal reports whether two section lists hold the same bytes (tests).
func Equal(a, b Sections) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}
