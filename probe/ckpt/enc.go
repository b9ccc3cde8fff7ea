package ckpt

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrCorrupt is what a Dec reports for data that does not decode.
var ErrCorrupt = errors.New("checkpoint data does not decode")

// Enc appends values to a byte slice: fixed-width little-endian integers,
// varints, length-prefixed bytes and strings.
type Enc struct{ b []byte }

// NewEnc returns an encoder whose buffer starts with room for n bytes.
func NewEnc(n int) *Enc { return &Enc{b: make([]byte, 0, n)} }

// Bytes returns what was encoded; it aliases the encoder's buffer.
func (e *Enc) Bytes() []byte { return e.b }

// Len is the number of bytes encoded.
func (e *Enc) Len() int { return len(e.b) }

func (e *Enc) U8(v uint8)   { e.b = append(e.b, v) }
func (e *Enc) U16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *Enc) U32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *Enc) U64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *Enc) I64(v int64)  { e.U64(uint64(v)) }
func (e *Enc) Bool(v bool) {
	if v {
		e.U8(1)
	} else {
		e.U8(0)
	}
}
func (e *Enc) Uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *Enc) Varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *Enc) F64(v float64)    { e.U64(math.Float64bits(v)) }

// Raw appends p as it is (the reader must know its length).
func (e *Enc) Raw(p []byte) { e.b = append(e.b, p...) }

// Blob appends p with its length.
func (e *Enc) Blob(p []byte) {
	e.Uvarint(uint64(len(p)))
	e.b = append(e.b, p...)
}

// String appends s with its length.
func (e *Enc) String(s string) {
	e.Uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// Dec reads what Enc wrote. The first failure latches: later reads return
// zero values and Err reports ErrCorrupt, so a decoder can read a whole
// structure and check once.
type Dec struct {
	b   []byte
	err error
}

// NewDec reads b.
func NewDec(b []byte) *Dec { return &Dec{b: b} }

// Err is ErrCorrupt after any read past the end or of a bad value.
func (d *Dec) Err() error { return d.err }

// Fail latches err (wrapped as corruption unless it is already an error of
// the caller's choosing) and returns it.
func (d *Dec) Fail(err error) error {
	if d.err == nil {
		d.err = err
	}
	return d.err
}

// Remaining is the number of bytes not read yet.
func (d *Dec) Remaining() int { return len(d.b) }

// Peek returns the bytes not read yet without reading them (nil after a
// failure), for a reader that works out its own length; Raw then takes
// what it used.
func (d *Dec) Peek() []byte {
	if d.err != nil {
		return nil
	}
	return d.b
}

func (d *Dec) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.err = ErrCorrupt
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *Dec) U8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}
func (d *Dec) U16() uint16 {
	if p := d.take(2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}
func (d *Dec) U32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}
func (d *Dec) U64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}
func (d *Dec) I64() int64   { return int64(d.U64()) }
func (d *Dec) F64() float64 { return math.Float64frombits(d.U64()) }
func (d *Dec) Bool() bool {
	switch d.U8() {
	case 0:
		return false
	case 1:
		return true
	}
	d.Fail(ErrCorrupt)
	return false
}

func (d *Dec) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = ErrCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *Dec) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = ErrCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Count reads a collection length written with Uvarint and checks that at
// least minSize bytes per element remain, so corrupt data cannot make the
// caller allocate a huge slice.
func (d *Dec) Count(minSize int) int {
	n := d.Uvarint()
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(len(d.b)/minSize) {
		d.err = ErrCorrupt
		return 0
	}
	return int(n)
}

// Raw reads n bytes as they are; the result aliases the decoder's input.
func (d *Dec) Raw(n int) []byte { return d.take(n) }

// Blob reads bytes written by Enc.Blob; the result aliases the input.
func (d *Dec) Blob() []byte { return d.take(d.Count(1)) }

// String reads a string written by Enc.String.
func (d *Dec) String() string { return string(d.Blob()) }
