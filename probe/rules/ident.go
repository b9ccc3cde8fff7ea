package rules

import (
	"unsafe"

	"github.com/sigprobe/sigprobe/sink"
)

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// prefix is a digit prefix packed like sink.Digits: n digits of value v.
type prefix struct {
	v uint64
	n int
}

func (p prefix) match(d sink.Digits) bool {
	n := d.Len()
	if p.n > n {
		return false
	}
	return d.Value()/pow10[n-p.n] == p.v
}

func anyPrefix(ps []prefix, d sink.Digits) bool {
	for _, p := range ps {
		if p.match(d) {
			return true
		}
	}
	return false
}

// leading returns the first k digits of d as a number, or -1 if d is shorter.
func leading(d sink.Digits, k int) int {
	n := d.Len()
	if n < k {
		return -1
	}
	return int(d.Value() / pow10[n-k])
}

// MCCs whose networks use 3-digit MNCs.
var mnc3 = func() (t [1000]bool) {
	for _, r := range [][2]int{{302, 302}, {310, 316}, {334, 334}, {338, 338}, {342, 348}, {354, 365}, {376, 376}, {405, 405}, {708, 708}, {722, 722}, {732, 732}} {
		for m := r[0]; m <= r[1]; m++ {
			t[m] = true
		}
	}
	return t
}()

// threeDigits holds "000001002...999": MCC and MNC strings are slices of it,
// so filling a trigger's home PLMN allocates nothing.
var threeDigits = func() string {
	b := make([]byte, 0, 3000)
	for i := range 1000 {
		b = append(b, byte('0'+i/100), byte('0'+i/10%10), byte('0'+i%10))
	}
	return string(b)
}()

// homePLMN derives the home MCC and MNC from an IMSI ("" if it is too short).
func homePLMN(imsi sink.Digits) (mcc, mnc string) {
	c := leading(imsi, 3)
	if c < 0 || imsi.Len() < 6 {
		return "", ""
	}
	mcc = threeDigits[3*c : 3*c+3]
	if mnc3[c] {
		m := leading(imsi, 6) % 1000
		return mcc, threeDigits[3*m : 3*m+3]
	}
	m := leading(imsi, 5) % 100
	return mcc, threeDigits[3*m+1 : 3*m+3]
}

// triggerHash is a deterministic 128-bit hash of what makes a firing unique:
// the rule (by name, so IDs survive reordering the file), the subscriber, the
// capture time in ns and the region.
func triggerHash(ruleA, ruleB uint64, imsi sink.Digits, ts int64, region int32) (a, b uint64) {
	a = mix(ruleA ^ uint64(imsi))
	a = mix(a ^ uint64(ts))
	a = mix(a ^ uint64(uint32(region)))
	b = mix(ruleB ^ uint64(ts))
	b = mix(b ^ uint64(imsi))
	b = mix(b ^ uint64(uint32(region))<<17)
	return a, b
}

// mix is the splitmix64 finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func fnv64(seed uint64, s string) uint64 {
	h := seed
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

// idArena hands out 32-character hex IDs carved from large chunks, so firing a
// trigger does not allocate per ID. Bytes given out are never written again,
// which keeps the strings immutable.
type idArena struct{ buf []byte }

const idLen = 32

func (a *idArena) id(x, y uint64) string {
	if cap(a.buf)-len(a.buf) < idLen {
		a.buf = make([]byte, 0, 1024*idLen)
	}
	n := len(a.buf)
	const hex = "0123456789abcdef"
	for _, v := range [2]uint64{x, y} {
		for s := 60; s >= 0; s -= 4 {
			a.buf = append(a.buf, hex[v>>uint(s)&15])
		}
	}
	return unsafe.String(&a.buf[n], idLen)
}

// controlMember is the campaign control-group contract shared with the
// simulator's marketing model (sim/scenario ControlMember): FNV-1a 64 of
// the campaign name, "/", and the IMSI's digits; the subscriber is held out
// when that value modulo 10000 is below share (in 1/10000).
func controlMember(campaign string, imsi sink.Digits, share uint64) bool {
	if share == 0 {
		return false
	}
	h := fnv64(0xcbf29ce484222325, campaign)
	h = fnv64(h, "/")
	var b [15]byte
	for _, c := range imsi.Append(b[:0]) {
		h ^= uint64(c)
		h *= 0x100000001b3
	}
	return h%10000 < share
}

// matchCountry reports whether the international number's country code is
// one of cs.
func matchCountry(cs []prefix, number sink.Digits) bool {
	cc := number.CountryCode()
	for _, p := range cs {
		if p.n == cc.Len() && p.v == cc.Value() {
			return true
		}
	}
	return false
}
