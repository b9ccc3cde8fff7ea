package bpf

import (
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// loadOrSkip skips the test, saying why, when this kernel or user cannot load
// BPF programs.
func loadOrSkip[T any](t *testing.T, load func() (T, error)) T {
	t.Helper()
	v, err := load()
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("verifier rejected the program: %+v", ve)
		}
		if os.Geteuid() != 0 {
			t.Skipf("skipping: cannot load BPF programs as uid %d (need root or CAP_BPF): %v", os.Geteuid(), err)
		}
		t.Skipf("skipping: kernel refused to load the BPF program: %v", err)
	}
	return v
}

func run(t *testing.T, p *ebpf.Program, data []byte) uint32 {
	t.Helper()
	ret, ok := tryRun(t, p, data)
	if !ok {
		t.Fatalf("kernel will not test-run a %d-byte frame", len(data))
	}
	return ret
}

// tryRun runs p on data; ok is false when BPF_PROG_TEST_RUN refuses the
// frame itself (EINVAL), as this kernel does for an IPv4 or IPv6 ethertype
// followed by less than a full IP header. Such frames reach the filter on
// the live path and are dropped there; the Matcher tests cover them.
func tryRun(t *testing.T, p *ebpf.Program, data []byte) (ret uint32, ok bool) {
	t.Helper()
	ret, err := p.Run(&ebpf.RunOptions{Data: data})
	if errors.Is(err, unix.EINVAL) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("run on %d bytes: %v", len(data), err)
	}
	return ret, true
}

func TestFilter(t *testing.T) {
	f := loadOrSkip(t, func() (*Filter, error) { return LoadFilter(Rules{}) })
	defer f.Close()
	m := NewMatcher(Rules{})

	var wantPassed, wantDropped uint64
	for _, c := range filterCases() {
		ran := false
		t.Run(c.name, func(t *testing.T) {
			if mg := m.Match(c.data); mg != c.pass {
				t.Errorf("Matcher: pass=%v, want %v", mg, c.pass)
			}
			ret, ok := tryRun(t, f.Program(), c.data)
			if !ok {
				t.Skipf("kernel will not test-run this %d-byte frame (Matcher checked)", len(c.data))
			}
			ran = true
			if got := ret != 0; got != c.pass {
				t.Errorf("eBPF filter: pass=%v, want %v", got, c.pass)
			}
		})
		if !ran {
			continue
		}
		if c.pass {
			wantPassed++
		} else {
			wantDropped++
		}
	}
	got, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if got.Passed != wantPassed || got.Dropped != wantDropped {
		t.Errorf("counters = %+v, want passed %d dropped %d", got, wantPassed, wantDropped)
	}
}

// TestFilterMatchesMatcher holds the kernel program and its Go twin to the
// same verdict on every prefix of every case frame.
func TestFilterMatchesMatcher(t *testing.T) {
	f := loadOrSkip(t, func() (*Filter, error) { return LoadFilter(Rules{}) })
	defer f.Close()
	m := NewMatcher(Rules{})
	n, refused := 0, 0
	for _, c := range filterCases() {
		for l := 14; l <= len(c.data); l++ {
			b := c.data[:l]
			ret, ok := tryRun(t, f.Program(), b)
			if !ok {
				refused++
				continue
			}
			if k, g := ret != 0, m.Match(b); k != g {
				t.Errorf("%s cut to %d bytes: eBPF pass=%v, Matcher pass=%v", c.name, l, k, g)
			}
			n++
		}
	}
	t.Logf("%d frames agree; the kernel refused to test-run %d frames cut inside the IP header", n, refused)
}

func TestFilterCustomRules(t *testing.T) {
	rules := Rules{Ports: []uint16{9000}, PPIDs: []uint32{46}}
	f := loadOrSkip(t, func() (*Filter, error) { return LoadFilter(rules) })
	defer f.Close()
	m := NewMatcher(rules)
	for _, c := range []frameCase{
		{"M3UA on 2905 no longer", m3ua(40000, 2905), false},
		{"any SCTP on 9000", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(9000, 1, sackChunk()))), true},
		{"Diameter PPID", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(3868, 3868, dataChunk(46, nil)))), true},
	} {
		if got := run(t, f.Program(), c.data) != 0; got != c.pass {
			t.Errorf("%s: eBPF pass=%v, want %v", c.name, got, c.pass)
		}
		if got := m.Match(c.data); got != c.pass {
			t.Errorf("%s: Matcher pass=%v, want %v", c.name, got, c.pass)
		}
	}
}

func TestLoadFilterTooManyRules(t *testing.T) {
	if _, err := LoadFilter(Rules{Ports: make([]uint16, maxRuleEntries+1)}); err == nil {
		t.Fatal("no error for too many ports")
	}
}

func TestMatcherAllocs(t *testing.T) {
	m := NewMatcher(Rules{})
	b := ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(7000, 7001, dataChunk(5, nil))), 0x8100)
	if n := testing.AllocsPerRun(100, func() { m.Match(b) }); n != 0 {
		t.Fatalf("Match allocates %v times", n)
	}
}

func BenchmarkMatcher(b *testing.B) {
	m := NewMatcher(Rules{})
	f := ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(7000, 7001, dataChunk(5, nil))), 0x8100)
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		m.Match(f)
	}
}
