package envtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A missing tool skips normally and fails under SIGPROBE_STRICT=1; the
// verdict of a child test process shows which.
func TestSkipOrFail(t *testing.T) {
	if os.Getenv("ENVTEST_CHILD") == "1" {
		Tool(t, "sigprobe-no-such-tool", "apt-get install nothing")
		t.Fatal("Tool returned for a missing tool")
	}
	for _, tc := range []struct {
		strict, want string
		fails        bool
	}{
		{"", "SKIP: TestSkipOrFail", false},
		{"1", "--- FAIL: TestSkipOrFail", true},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkipOrFail$", "-test.v")
		cmd.Env = append(os.Environ(), "ENVTEST_CHILD=1", "SIGPROBE_STRICT="+tc.strict)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fails || !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "sigprobe-no-such-tool not found (apt-get install nothing)") {
			t.Errorf("SIGPROBE_STRICT=%q: err %v, output:\n%s", tc.strict, err, out)
		}
	}
}

func TestTool(t *testing.T) {
	if p := Tool(t, "sh", ""); !strings.HasSuffix(p, "/sh") {
		t.Errorf("Tool(sh) = %q", p)
	}
	if _, err := os.Stat(RepoRoot() + "/go.mod"); err != nil {
		t.Errorf("RepoRoot %s: %v", RepoRoot(), err)
	}
}
