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
