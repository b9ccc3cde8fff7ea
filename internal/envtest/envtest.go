// Package envtest decides what a test does when something it needs from
// the machine (a tool, root, chDB) is missing: it skips with the reason,
// except under `make test`, which sets SIGPROBE_STRICT=1 after installing
// everything, so a missing piece fails the run instead of passing it
// silently. Only tests import it.
package envtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Strict reports whether missing requirements fail tests (make test).
func Strict() bool { return os.Getenv("SIGPROBE_STRICT") == "1" }

// Skip skips t with the reason, or under Strict fails it.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s (SIGPROBE_STRICT=1: make test installs what the tests need and runs them all; run it as root)", msg)
	}
	t.Skip("skipping: " + msg)
}

// Tool returns the path of a tool from PATH or the checkout's .cache (where
// make test unpacks the tools it does not install system-wide), or skips.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join(RepoRoot(), ".cache", "bin", name); executable(p) {
		return p
	}
	Skip(t, "%s not found (%s)", name, hint)
	return ""
}

// Root skips unless the test runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root to %s (running as uid %d)", why, os.Geteuid())
	}
}

// RepoRoot is the checkout this package is in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
