package capture

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The capability tests run this test binary again as user nobody with a
// chosen set of capabilities (setpriv), inside a namespace of the parent's,
// and look at what Open says there.

const childEnv = "SIGPROBE_CAPTURE_CAPS_CHILD" // "iface mode"

type childResult struct {
	Mode, Err  string
	Perm, EBPF bool
	Log        string
}

// TestCapsChild is the child side; it does nothing unless started by
// TestCapabilities.
func TestCapsChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("skipping: only runs as the child of TestCapabilities")
	}
	var iface string
	var mode EBPFMode
	if _, err := fmt.Sscan(spec, &iface, &mode); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	c, err := Open(Config{Interfaces: []string{iface}, Workers: 2, BlockSize: 1 << 20, NumBlocks: 2, EBPF: mode,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	r := childResult{Log: log.String()}
	if err != nil {
		r.Err = err.Error()
		r.Perm, r.EBPF = errors.Is(err, ErrPermission), errors.Is(err, ErrEBPF)
	} else {
		r.Mode = string(c.Mode())
		c.Close()
	}
	b, _ := json.Marshal(r)
	fmt.Printf("\nCHILD %s\n", b)
}

func TestCapabilities(t *testing.T) {
	needRoot(t, "setpriv")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// nobody must be able to run a copy of the test binary.
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "capture.test")
	copyFile(t, self, bin)
	tn := newTestNet(t)

	child := func(caps string, mode EBPFMode) childResult {
		t.Helper()
		capArg := "-all"
		if caps != "" {
			capArg = "-all," + caps
		}
		cmd := exec.Command("ip", "netns", "exec", tn.NS, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			"--inh-caps="+capArg, "--ambient-caps="+capArg, bin, "-test.run=^TestCapsChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", childEnv, tn.Cap, mode))
		out, err := cmd.CombinedOutput()
		_, line, ok := strings.Cut(string(out), "\nCHILD ")
		if !ok {
			t.Fatalf("child with caps %q: %v\n%s", caps, err, out)
		}
		line, _, _ = strings.Cut(line, "\n")
		var r childResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("child output %q: %v", line, err)
		}
		return r
	}

	t.Run("no capabilities", func(t *testing.T) {
		r := child("", EBPFAuto)
		t.Logf("error: %s", r.Err)
		if !r.Perm || !strings.Contains(r.Err, "CAP_NET_RAW") || !strings.Contains(r.Err, "setcap") {
			t.Errorf("want ErrPermission naming CAP_NET_RAW and setcap, got %+v", r)
		}
	})
	t.Run("CAP_NET_RAW falls back to hash", func(t *testing.T) {
		r := child("+net_raw", EBPFAuto)
		t.Logf("warning: %s", r.Log)
		if r.Err != "" || r.Mode != string(ModeHash) {
			t.Errorf("want hash mode, got %+v", r)
		}
		if !strings.Contains(r.Log, "falling back to hash mode") || !strings.Contains(r.Log, "CAP_BPF") {
			t.Errorf("warning does not explain the fallback: %q", r.Log)
		}
	})
	t.Run("CAP_NET_RAW with eBPF required", func(t *testing.T) {
		r := child("+net_raw", EBPFRequire)
		t.Logf("error: %s", r.Err)
		if !r.EBPF || !strings.Contains(r.Err, "CAP_BPF") {
			t.Errorf("want ErrEBPF naming CAP_BPF, got %+v", r)
		}
	})
	t.Run("CAP_NET_RAW and CAP_BPF are enough for eBPF", func(t *testing.T) {
		r := child("+net_raw,+bpf", EBPFRequire)
		if r.Err != "" || r.Mode != string(ModeEBPF) {
			t.Errorf("want eBPF mode, got %+v", r)
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
