// Package nettest gives tests their own network: a namespace with a veth
// pair, tcpreplay into one end, capture on the other. Only tests import it.
package nettest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sigprobe/sigprobe/internal/envtest"
)

// NeedRoot skips, saying why, unless the test can create network namespaces
// and run the named tools (under make test it fails instead: envtest).
func NeedRoot(t testing.TB, tools ...string) {
	t.Helper()
	envtest.Root(t, "create a network namespace and veth pair")
	for _, tool := range append([]string{"ip"}, tools...) {
		envtest.Tool(t, tool, "apt-get install -y iproute2 tcpreplay")
	}
}

// Sh runs a command and fails the test if it fails.
func Sh(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

var seq atomic.Int32

// Net is a network namespace of the test's own with a veth pair in it:
// packets replayed on Send arrive on Cap. Nothing else in the namespace sends
// (no addresses, IPv6 off), so every packet on Cap is one the test sent.
type Net struct {
	NS, Cap, Send string
}

// New creates the namespace and the pair; cleanup removes them.
func New(t testing.TB) *Net {
	t.Helper()
	n := seq.Add(1)
	tn := &Net{
		NS:   fmt.Sprintf("spcap-%d-%d", os.Getpid(), n),
		Cap:  fmt.Sprintf("spc%d", n),
		Send: fmt.Sprintf("sps%d", n),
	}
	Sh(t, "ip", "netns", "add", tn.NS)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", tn.NS).Run() })
	Sh(t, "ip", "netns", "exec", tn.NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	Sh(t, "ip", "-n", tn.NS, "link", "add", tn.Cap, "mtu", "9000", "type", "veth", "peer", "name", tn.Send, "mtu", "9000")
	Sh(t, "ip", "-n", tn.NS, "link", "set", tn.Cap, "up")
	Sh(t, "ip", "-n", tn.NS, "link", "set", tn.Send, "up")
	Sh(t, "ip", "-n", tn.NS, "link", "set", "lo", "up") // for servers of the probe's own (NATS, /metrics)
	return tn
}

// In runs f on a thread switched into the namespace (a capture opened there
// resolves the interface and creates its sockets there).
func (tn *Net) In(t testing.TB, f func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	target, err := os.Open("/var/run/netns/" + tn.NS)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			panic("cannot return to the original network namespace: " + err.Error())
		}
	}()
	f()
}

// Replay sends pcap on tn.Send with tcpreplay and the given rate options.
func (tn *Net) Replay(t testing.TB, pcap string, opts ...string) {
	t.Helper()
	args := append([]string{"netns", "exec", tn.NS, "tcpreplay", "-q", "-i", tn.Send}, opts...)
	Sh(t, "ip", append(args, pcap)...)
}

// RX are the capture end's receive counters.
type RX struct{ Packets, Dropped uint64 }

// RX reads tn.Cap's receive counters.
func (tn *Net) RX(t testing.TB) RX {
	t.Helper()
	out, err := exec.Command("ip", "-n", tn.NS, "-j", "-s", "link", "show", "dev", tn.Cap).Output()
	if err != nil {
		t.Fatalf("ip link show: %v", err)
	}
	var links []struct {
		Stats64 struct {
			RX struct {
				Packets uint64 `json:"packets"`
				Dropped uint64 `json:"dropped"`
			} `json:"rx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		t.Fatalf("ip link show: %v: %s", err, out)
	}
	return RX{links[0].Stats64.RX.Packets, links[0].Stats64.RX.Dropped}
}

// Retry runs body up to three times while it reports that packets were lost
// on the veth before they reached the capture: on a shared 2-core machine
// the veth's receive backlog (net.core.netdev_max_backlog) can overflow when
// the softirq that empties it does not get a CPU in time. That loss shows in
// the interface counters, not the capture's, and is not what the tests are
// about. body gets the attempt number (0, 1, 2) to lower its rate.
func Retry(t *testing.T, body func(t *testing.T, try int) (lostBefore bool)) {
	t.Helper()
	for try := range 3 {
		if !body(t, try) {
			return
		}
		t.Logf("attempt %d: packets were lost on the veth before the capture (busy machine); trying again slower", try+1)
	}
	t.Fatal("packets were lost on the veth before reaching the capture in three attempts")
}

// LostBefore reports whether fewer than sent packets arrived at the capture
// interface between two counter readings.
func LostBefore(before, after RX, sent int) bool {
	return after.Packets-before.Packets < uint64(sent) || after.Dropped != before.Dropped
}
