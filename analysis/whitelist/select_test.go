package whitelist

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// town builds features for two companies of n staff that share a region
// (A and B, present every working day, calling colleagues), n daytime
// workers present as much who call at random, and visitors with a few days.
// colleagueCalls is the number of colleague peers each member has.
func town(n, colleagueCalls int) *Input {
	in := &Input{Month: Month{Days: 31, Rest: 9, DataDays: 31, Numbers: 5000}}
	id := func(c string, i int) string { return fmt.Sprintf("%s%03d", c, i) }
	for _, c := range []string{"a", "b"} {
		for i := range n {
			x := Presence{IMSI: id(c, i), PDays: 18 + i%5, Degree: 40}
			for k := 1; k <= colleagueCalls; k++ {
				x.Peers = append(x.Peers, id(c, (i+k)%n), id(c, (i-k+n)%n))
			}
			in.Pool = append(in.Pool, x)
		}
	}
	for i := range n {
		in.Pool = append(in.Pool, Presence{IMSI: id("w", i), PDays: 22, Degree: 40})
		in.Pool = append(in.Pool, Presence{IMSI: id("v", i), PDays: 1 + i%4, Degree: 40})
	}
	// A few random calls between daytime workers and company A.
	in.Pool[0].Peers = append(in.Pool[0].Peers, id("w", 0))
	for i := range in.Pool {
		if in.Pool[i].IMSI == id("w", 0) {
			in.Pool[i].Peers = []string{id("a", 0)}
		}
	}
	sortPool(in)
	return in
}

func sortPool(in *Input) {
	for i := range in.Pool {
		for j := i + 1; j < len(in.Pool); j++ {
			if in.Pool[j].IMSI < in.Pool[i].IMSI {
				in.Pool[i], in.Pool[j] = in.Pool[j], in.Pool[i]
			}
		}
	}
}

func know(in *Input, ids ...string) {
	for i := range in.Pool {
		for _, k := range ids {
			if in.Pool[i].IMSI == k {
				in.Pool[i].Known = true
			}
		}
	}
}

// every4 is every fourth member of company a: a quarter of it is known.
var every4 = func() []string {
	var out []string
	for i := 0; i < 40; i += 4 {
		out = append(out, fmt.Sprintf("a%03d", i))
	}
	return out
}()

func params() Params {
	p := Defaults()
	p.Group, p.Month = "a", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	return p
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name             string
		in               func() *Input
		sharing          int
		p                func(Params) Params
		wantErr          error
		errText          string
		wantA, wantOther int
		method           string
	}{
		{name: "known members seed their company only", in: func() *Input { in := town(40, 5); know(in, every4...); return in },
			sharing: 2, wantA: 40, method: "known+bands"},
		{name: "fixed k", in: func() *Input { in := town(40, 5); know(in, every4...); return in },
			// threshold 19 days: the 8 members with 18 are out, but for the 2 known.
			sharing: 2, p: func(p Params) Params { p.K = 0.9; return p }, wantA: 34, method: "fixed"},
		{name: "no known members, one group: the candidates' core", in: func() *Input {
			in := town(40, 3)
			var keep []Presence
			for _, x := range in.Pool {
				if x.IMSI[0] != 'b' {
					keep = append(keep, x)
				}
			}
			in.Pool = keep
			return in
		}, sharing: 1, wantA: 40, method: "shape"},
		{name: "no known members, co-located groups", in: func() *Input { return town(40, 3) }, sharing: 2,
			wantErr: ErrNoSeparation, errText: "2 groups work in this region"},
		{name: "no calls among staff", in: func() *Input { in := town(40, 0); know(in, "a000", "a010", "a020"); return in },
			sharing: 2, wantErr: ErrNoSignal, errText: "3 known members have 1 working-hours call peers"},
		{name: "calls only between pairs of colleagues", in: func() *Input { in := town(40, 1); know(in, every4...); return in },
			sharing: 2, wantErr: ErrNoSignal, errText: "admitted none of the"},
		{name: "too little data", in: func() *Input { in := town(40, 3); in.Month.DataDays = 1; return in },
			wantErr: ErrTooLittleData, errText: "1 day(s) of data in 2026-10; the method needs at least 14"},
		{name: "call graph off: presence and location", in: func() *Input { in := town(40, 3); know(in, "a000"); return in },
			sharing: 2, p: func(p Params) Params { p.CallGraph = false; return p }, wantA: 40, wantOther: 80, method: "known+bands"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := params()
			if tc.p != nil {
				p = tc.p(p)
			}
			res, err := Select(tc.in(), p, tc.sharing)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error %v, want %v with %q", err, tc.wantErr, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, other := 0, 0
			for _, m := range res.Members {
				if m.IMSI[0] == 'a' {
					a++
				} else {
					other++
				}
				if m.Stage == "" || m.K != res.K || (m.Stage == StageCalls && m.Score < p.MinPeerLift) {
					t.Errorf("member %+v: stage, k or score missing", m)
				}
			}
			if a != tc.wantA || other != tc.wantOther || res.Method != tc.method {
				t.Errorf("listed %d of company a and %d others (method %s, k %.3f); want %d and %d (%s)",
					a, other, res.Method, res.K, tc.wantA, tc.wantOther, tc.method)
			}
		})
	}
}

// Otsu's threshold falls between the few-days and the many-days classes.
func TestOtsu(t *testing.T) {
	var pool []Presence
	for d, n := range map[int]int{1: 90, 2: 60, 3: 40, 4: 20, 5: 8, 6: 3, 15: 2, 17: 5, 18: 10, 19: 20, 20: 30, 21: 25, 22: 40} {
		for range n {
			pool = append(pool, Presence{PDays: d})
		}
	}
	if got := otsu(pool, func(*Presence) bool { return true }); got < 7 || got > 15 {
		t.Errorf("otsu threshold %d, want between 7 and 15", got)
	}
}
