package tcap

import "errors"

// Sentinel errors.
var (
	ErrShort     = errors.New("tcap: truncated element")
	ErrLength    = errors.New("tcap: bad length")
	ErrTag       = errors.New("tcap: bad tag")
	ErrDepth     = errors.New("tcap: nesting too deep")
	ErrNotTCAP   = errors.New("tcap: not an ITU TCAP message")
	ErrTooMany   = errors.New("tcap: too many components")
	ErrComponent = errors.New("tcap: bad component")
	ErrParam     = errors.New("map: bad parameter")
)

// Tag is a BER tag: class and constructed bits of the identifier octet in
// the top byte, the tag number below.
type Tag uint32

// Tag classes and the constructed bit, as in the identifier octet.
const (
	Universal   = 0x00
	Application = 0x40
	Context     = 0x80
	Constructed = 0x20
)

// T builds a Tag from identifier-octet class bits and a tag number.
func T(class byte, n uint32) Tag { return Tag(uint32(class)<<24 | n) }

// Constructed reports the constructed bit.
func (t Tag) Constructed() bool { return t>>24&Constructed != 0 }

const maxDepth = 24

// next splits the first BER element off b: its tag, value and what follows.
// Indefinite lengths are resolved by walking to the end-of-contents.
func next(b []byte) (Tag, []byte, []byte, error) {
	return nextDepth(b, 0)
}

func nextDepth(b []byte, depth int) (Tag, []byte, []byte, error) {
	if depth > maxDepth {
		return 0, nil, nil, ErrDepth
	}
	if len(b) < 2 {
		return 0, nil, nil, ErrShort
	}
	id := b[0]
	i := 1
	num := uint32(id & 0x1f)
	if num == 0x1f {
		num = 0
		for {
			if i >= len(b) || i > 5 {
				return 0, nil, nil, ErrTag
			}
			x := b[i]
			i++
			num = num<<7 | uint32(x&0x7f)
			if x&0x80 == 0 {
				break
			}
		}
	}
	tag := Tag(uint32(id&0xe0)<<24 | num)
	if i >= len(b) {
		return 0, nil, nil, ErrShort
	}
	l := int(b[i])
	i++
	if l == 0x80 { // indefinite
		if id&Constructed == 0 {
			return 0, nil, nil, ErrLength
		}
		start := i
		rest := b[i:]
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				end := len(b) - len(rest)
				return tag, b[start:end], rest[2:], nil
			}
			_, _, r, err := nextDepth(rest, depth+1)
			if err != nil {
				return 0, nil, nil, err
			}
			rest = r
		}
	}
	if l > 0x80 {
		n := l & 0x7f
		if n > 3 || i+n > len(b) {
			return 0, nil, nil, ErrLength
		}
		l = 0
		for k := 0; k < n; k++ {
			l = l<<8 | int(b[i+k])
		}
		i += n
	}
	if l > len(b)-i {
		return 0, nil, nil, ErrLength
	}
	return tag, b[i : i+l], b[i+l:], nil
}

// integer decodes a BER INTEGER of at most 4 octets.
func integer(v []byte) (int32, error) {
	if len(v) == 0 || len(v) > 4 {
		return 0, ErrLength
	}
	x := int32(int8(v[0]))
	for _, c := range v[1:] {
		x = x<<8 | int32(c)
	}
	return x, nil
}
