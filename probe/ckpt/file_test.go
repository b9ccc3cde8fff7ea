package ckpt

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func sample() Sections {
	e := NewEnc(0)
	e.U64(208010005001674)
	e.String("downtown")
	e.Varint(-42)
	return Sections{{"meta", []byte(`{"epoch":7}`)}, {"track", e.Bytes()}, {"empty", nil}}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint")
	if err := Write(path, sample(), 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(got, sample()) {
		t.Fatalf("read back %v, wrote %v", got, sample())
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	d := NewDec(got.Get("track"))
	if v, s, i := d.U64(), d.String(), d.Varint(); d.Err() != nil || v != 208010005001674 || s != "downtown" || i != -42 {
		t.Errorf("decoded %d %q %d %v", v, s, i, d.Err())
	}
}

// Every single-bit flip anywhere in the file is refused: none loads silently.
func TestEveryBitFlipDetected(t *testing.T) {
	b := Encode(sample())
	for i := range len(b) * 8 {
		c := append([]byte(nil), b...)
		c[i/8] ^= 1 << (i % 8)
		if _, err := Decode(c, "x"); err == nil {
			t.Fatalf("flip of bit %d (byte %d) loaded silently", i%8, i/8)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	b := Encode(sample())
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotCheckpoint},
		{"other file", []byte("hello world, not a checkpoint"), ErrNotCheckpoint},
		{"truncated", b[:len(b)-3], ErrTruncated},
		{"trailing", append(append([]byte(nil), b...), 0), ErrChecksum},
		{"version", func() []byte { c := append([]byte(nil), b...); c[len(magic)] = 99; return c }(), ErrVersion},
	} {
		if _, err := Decode(tc.data, "x"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDecLatchesAndBoundsCounts(t *testing.T) {
	e := NewEnc(0)
	e.Uvarint(1 << 40) // a count no input can back
	d := NewDec(e.Bytes())
	if n := d.Count(8); n != 0 || !errors.Is(d.Err(), ErrCorrupt) {
		t.Fatalf("Count = %d, %v", n, d.Err())
	}
	if d.U64() != 0 || d.String() != "" {
		t.Error("reads after a failure must return zero values")
	}
	d = NewDec([]byte{2})
	if d.Bool(); d.Err() == nil {
		t.Error("bool 2 accepted")
	}
}
