package sink

// CountryCode returns the E.164 country code that starts the international
// number d (1 to 3 digits), or 0 if d is too short. Country codes form a
// prefix-free set (ITU-T E.164 Annex to Operational Bulletin): 1 and 7 have
// one digit; 20, 27, 30-34, 36, 39, 40, 41, 43-49, 51-58, 60-66, 81, 82, 84,
// 86, 90-95 and 98 have two; all others three.
func (d Digits) CountryCode() Digits {
	n := d.Len()
	if n == 0 {
		return 0
	}
	v := d.Value()
	var pow uint64 = 1
	for range n - 1 {
		pow *= 10
	}
	first := v / pow
	two := uint64(0)
	if n >= 2 {
		two = v / (pow / 10)
	}
	k := 3
	switch {
	case first == 1 || first == 7:
		k = 1
	case n >= 2 && twoDigitCC[two]:
		k = 2
	}
	if k > n {
		return 0
	}
	for range n - k {
		v /= 10
	}
	return Digits(uint64(k)<<56 | v)
}

var twoDigitCC = func() (t [100]bool) {
	for _, c := range []int{20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98} {
		t[c] = true
	}
	return t
}()
