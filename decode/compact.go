package decode

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/bits"
	"reflect"
	"unsafe"
)

// The compact form of a Message, for the write-ahead log and checkpoints
// that keep messages across a restart: a bitmap of its non-zero 8-byte
// words, then those words little-endian (a message is mostly zeros, and it
// holds no pointers). It is valid only between builds with the same
// MessageLayout.

const messageWords = int(unsafe.Sizeof(Message{}) / 8)

var _ = [1]struct{}{}[unsafe.Sizeof(Message{})%8] // a whole number of words

const maskBytes = (messageWords + 7) / 8

// MessageLayout fingerprints Message's fields, offsets and sizes: what was
// saved by a build with another layout is refused, not misread.
var MessageLayout = func() uint64 {
	h := fnv.New64a()
	var walk func(t reflect.Type, off uintptr)
	walk = func(t reflect.Type, off uintptr) {
		fmt.Fprintf(h, "%s:%d:%d;", t.Kind(), off, t.Size())
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				fmt.Fprintf(h, "%s;", f.Name)
				walk(f.Type, off+f.Offset)
			}
		case reflect.Array:
			walk(t.Elem(), off)
		}
	}
	walk(reflect.TypeOf(Message{}), 0)
	return h.Sum64()
}()

// AppendCompact appends the compact form of m to dst.
func AppendCompact(dst []byte, m *Message) []byte {
	words := (*[messageWords]uint64)(unsafe.Pointer(m))
	at := len(dst)
	dst = append(dst, make([]byte, maskBytes)...)
	for j, v := range words {
		if v != 0 {
			dst[at+j/8] |= 1 << (j % 8)
			dst = binary.LittleEndian.AppendUint64(dst, v)
		}
	}
	return dst
}

// ReadCompact sets m from the compact form at the start of p and returns
// how many bytes it took; ok is false when p is short or names a word
// Message does not have.
func ReadCompact(p []byte, m *Message) (n int, ok bool) {
	*m = Message{}
	if len(p) < maskBytes {
		return 0, false
	}
	words := (*[messageWords]uint64)(unsafe.Pointer(m))
	n = maskBytes
	for b, bm := range p[:maskBytes] {
		for bm != 0 {
			j := b*8 + bits.TrailingZeros8(bm)
			bm &= bm - 1
			if j >= messageWords || len(p) < n+8 {
				return 0, false
			}
			words[j] = binary.LittleEndian.Uint64(p[n:])
			n += 8
		}
	}
	return n, true
}
