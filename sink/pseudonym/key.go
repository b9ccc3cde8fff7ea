package pseudonym

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigprobe/sigprobe/sink"
)

// Kind is a kind of identity. Its name is part of the hashed text, so an
// IMSI and an MSISDN with the same digits get unrelated pseudonyms.
type Kind uint8

const (
	IMSI Kind = iota
	MSISDN
	IMEI
	nKinds
)

var kindNames = [nKinds]string{"imsi", "msisdn", "imei"}

func (k Kind) String() string {
	if k < nKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind parses "imsi", "msisdn" or "imei".
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("%q: want imsi, msisdn or imei", s)
}

// Set is the kinds of identity an output pseudonymizes.
type Set uint8

// All is every kind.
const All Set = 1<<IMSI | 1<<MSISDN | 1<<IMEI

// Has reports whether s holds k.
func (s Set) Has(k Kind) bool { return s&(1<<k) != 0 }

// ParseSet parses a list of kinds; the empty list is the empty set.
func ParseSet(names []string) (Set, error) {
	var s Set
	for _, n := range names {
		k, err := ParseKind(n)
		if err != nil {
			return 0, err
		}
		s |= 1 << k
	}
	return s, nil
}

// String lists the kinds, "" for none.
func (s Set) String() string {
	var out []string
	for k := range nKinds {
		if s.Has(k) {
			out = append(out, k.String())
		}
	}
	return strings.Join(out, ",")
}

// MinKeyBytes is the shortest key accepted: 256 bits.
const MinKeyBytes = 32

// Key is a pseudonymization key. Its id, derived from the key, travels in
// every row it pseudonymized (key_id), so rows of a rotated key are told
// apart and nobody needs the key to tell them.
type Key struct {
	secret []byte
	id     string
}

var (
	// ErrKeyMode is returned for a key file others may read.
	ErrKeyMode = errors.New("its group or others may read it")
	// ErrKeyShort is returned for a key under MinKeyBytes.
	ErrKeyShort = fmt.Errorf("shorter than %d bytes", MinKeyBytes)
)

// LoadKey reads a key file: the key is the file's bytes less trailing
// white space (so `openssl rand -hex 32 > FILE` and GenerateKeyFile's
// output both work), at least MinKeyBytes long. A file whose mode lets its
// group or others read it (anything but 0600 or stricter) is refused.
func LoadKey(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %04o: %w; want 0600 or stricter (chmod 600 %s)", path, m, ErrKeyMode, path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	k, err := NewKey(bytes.TrimRight(b, " \t\r\n"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// NewKey makes a key of secret (copied).
func NewKey(secret []byte) (*Key, error) {
	if len(secret) < MinKeyBytes {
		return nil, ErrKeyShort
	}
	k := &Key{secret: bytes.Clone(secret)}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("sigprobe key id"))
	k.id = hex.EncodeToString(m.Sum(nil)[:4])
	return k, nil
}

// GenerateKeyFile writes a new random key (32 bytes as 64 hex digits) to
// path with mode 0600; an existing file is never overwritten.
func GenerateKeyFile(path string) (*Key, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	text := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil { // whatever the umask
		f.Close()
		return nil, err
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return NewKey([]byte(text))
}

// ID is the key's id: the first 4 bytes of HMAC-SHA-256(key, "sigprobe key
// id") as 8 hex digits.
func (k *Key) ID() string { return k.id }

// Of returns the pseudonym of an identity: the first 8 bytes of
// HMAC-SHA-256(key, "<kind>:<digits>") as a big-endian number without its
// top bit. Unknown (0) stays 0 and a pseudonym stays as it is. It computes
// the HMAC each time; a Pseudonymizer caches.
func (k *Key) Of(kind Kind, d sink.Digits) sink.Digits {
	var s scratch
	return of(hmac.New(sha256.New, k.secret), &s, kind, d)
}

// OfText is Of for an identity given as text (1-15 digits), or a pseudonym
// already (returned as it is).
func (k *Key) OfText(kind Kind, s string) (string, error) {
	if p, ok := sink.ParsePseudonym(s); ok {
		return p.String(), nil
	}
	d := sink.MakeDigits(s)
	if d == 0 {
		return "", fmt.Errorf("%q is not an %s (1 to 15 digits)", s, kind)
	}
	return k.Of(kind, d).String(), nil
}

// hmacState is what of needs: an HMAC that can be reset (crypto/hmac's).
type hmacState interface {
	Reset()
	Write([]byte) (int, error)
	Sum([]byte) []byte
}

// scratch is the memory of one HMAC computation, kept with its owner so
// that computing allocates nothing.
type scratch struct {
	in  [32]byte
	sum [sha256.Size]byte
}

// of computes one pseudonym with a reusable HMAC state.
func of(m hmacState, s *scratch, kind Kind, d sink.Digits) sink.Digits {
	if d == 0 || d.IsPseudonym() {
		return d
	}
	b := append(s.in[:0], kindNames[kind]...)
	b = append(b, ':')
	b = d.Append(b)
	m.Reset()
	m.Write(b)
	sum := m.Sum(s.sum[:0])
	return sink.Pseudonym(binary.BigEndian.Uint64(sum[:8]))
}
