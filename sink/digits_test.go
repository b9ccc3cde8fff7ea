package sink

import (
	"encoding/json"
	"testing"
)

func TestDigits(t *testing.T) {
	for _, s := range []string{"001010000012345", "0", "4915112345678", "999999999999999", "35209900123456"} {
		d := MakeDigits(s)
		if d.String() != s || d.Len() != len(s) {
			t.Fatalf("%q -> %v (%d digits)", s, d, d.Len())
		}
		if !d.HasPrefix(s[:1]) || d.HasPrefix(s+"1") {
			t.Fatalf("%q: HasPrefix wrong", s)
		}
	}
	for _, s := range []string{"", "12a", "1234567890123456"} {
		if MakeDigits(s) != 0 {
			t.Fatalf("%q accepted", s)
		}
	}
	if PackDigits([]byte{0, 0, 1}).String() != "001" {
		t.Fatal("PackDigits")
	}
	b, _ := json.Marshal(struct{ X Digits }{MakeDigits("0012")})
	if string(b) != `{"X":"0012"}` {
		t.Fatalf("json %s", b)
	}
	if n := testing.AllocsPerRun(100, func() { _ = MakeDigits("001010000012345") }); n != 0 {
		t.Fatalf("MakeDigits allocates %v", n)
	}
}

// A pseudonym lives in the same 8 bytes, prints as 16 hex digits (longer
// than any identity) and parses back; its bit never collides with digits.
func TestPseudonymDigits(t *testing.T) {
	for _, tc := range []struct {
		h    uint64
		text string
	}{
		{0, "0000000000000000"},
		{0x0123456789abcdef, "0123456789abcdef"},
		{1<<63 - 1, "7fffffffffffffff"},
		{^uint64(0), "7fffffffffffffff"}, // the top bit is the marker, not part of the hash
	} {
		d := Pseudonym(tc.h)
		if !d.IsPseudonym() || d.String() != tc.text || d.Len() != PseudonymLen {
			t.Errorf("Pseudonym(%#x) = %q (%d), pseudonym %v; want %q", tc.h, d.String(), d.Len(), d.IsPseudonym(), tc.text)
		}
		p, ok := ParsePseudonym(tc.text)
		if !ok || p != d {
			t.Errorf("ParsePseudonym(%q) = %#x %v, want %#x", tc.text, uint64(p), ok, uint64(d))
		}
		var u Digits
		if err := u.UnmarshalText([]byte(tc.text)); err != nil || u != d {
			t.Errorf("UnmarshalText(%q) = %#x, %v", tc.text, uint64(u), err)
		}
	}
	for _, s := range []string{"001010000012345", "999999999999999", "1"} {
		if MakeDigits(s).IsPseudonym() {
			t.Errorf("%s: digits taken for a pseudonym", s)
		}
	}
	for _, s := range []string{"8000000000000000", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcde"} {
		if _, ok := ParsePseudonym(s); ok {
			t.Errorf("ParsePseudonym(%q) accepted", s)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Pseudonym(42).Append(make([]byte, 0, 16)) }); n > 1 {
		t.Errorf("Append allocates %v", n)
	}
}

// FuzzDigitsText: any text either fails to parse or round-trips exactly.
func FuzzDigitsText(f *testing.F) {
	for _, s := range []string{"001010000012345", "0", "0123456789abcdef", "7fffffffffffffff", "8000000000000000", "", "12a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Digits
		if err := d.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if got := d.String(); got != s {
			t.Fatalf("%q parsed to %#x, prints %q", s, uint64(d), got)
		}
	})
}

func TestCountryCode(t *testing.T) {
	for _, tc := range []struct{ number, cc string }{
		{"16000000001", "1"}, {"79161234567", "7"}, {"33600000001", "33"}, {"4915112345678", "49"},
		{"8613800000000", "86"}, {"999700000001", "999"}, {"35312345678", "353"}, {"2125550000", "212"},
		{"44", "44"}, {"4", ""}, {"", ""}, {"99", ""},
	} {
		if got := MakeDigits(tc.number).CountryCode().String(); got != tc.cc {
			t.Errorf("%s: country code %q, want %q", tc.number, got, tc.cc)
		}
	}
}
