package buildinfo

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func settings(kv ...string) []debug.BuildSetting {
	var s []debug.BuildSetting
	for i := 0; i < len(kv); i += 2 {
		s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

func TestFromBuildInfo(t *testing.T) {
	const rev = "a7c05858f6e9196d4b6462adbac4da6d35c4d332"
	ct := time.Date(2026, 12, 1, 14, 36, 0, 0, time.UTC)
	for _, tc := range []struct {
		name                  string
		bi                    *debug.BuildInfo
		tag, rev, ctime, mod  string
		version, short, debVs string
		modified              bool
	}{
		{name: "no build info", bi: nil, version: "(devel)", short: "unknown"},
		{name: "devel without vcs", bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			version: "(devel)", short: "unknown"},
		{name: "go install of a release", bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.2"}},
			version: "v1.4.2", short: "unknown", debVs: "1.4.2"},
		{name: "clone, Go's pseudo-version", bi: &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "v0.0.0-20261201143600-a7c05858f6e9"},
			Settings: settings("vcs.revision", rev, "vcs.time", "2026-12-01T14:36:00Z", "vcs.modified", "false")},
			version: "v0.0.0-20261201143600-a7c05858f6e9", short: "a7c05858f6e9", debVs: "0.0.0~20261201143600.a7c05858f6e9"},
		{name: "clone, modified", bi: &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "v0.0.0-20261201143600-a7c05858f6e9+dirty"},
			Settings: settings("vcs.revision", rev, "vcs.time", "2026-12-01T14:36:00Z", "vcs.modified", "true")},
			version: "v0.0.0-20261201143600-a7c05858f6e9+dirty", short: "a7c05858f6e9", modified: true,
			debVs: "0.0.0~20261201143600.a7c05858f6e9+dirty"},
		{name: "vcs settings but no module version (older Go)", bi: &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", rev, "vcs.time", "2026-12-01T14:36:00Z", "vcs.modified", "true")},
			version: "v0.0.0-20261201143600-a7c05858f6e9+dirty", short: "a7c05858f6e9", modified: true,
			debVs: "0.0.0~20261201143600.a7c05858f6e9+dirty"},
		{name: "stamped by make in a worktree", bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			rev: rev, ctime: "2026-12-01T14:36:00Z", mod: "false",
			version: "v0.0.0-20261201143600-a7c05858f6e9", short: "a7c05858f6e9", debVs: "0.0.0~20261201143600.a7c05858f6e9"},
		{name: "stamped by make on a tag", bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			tag: "v2.0.0-rc.1", rev: rev, ctime: "2026-12-01T14:36:00Z", mod: "true",
			version: "v2.0.0-rc.1+dirty", short: "a7c05858f6e9", modified: true, debVs: "2.0.0~rc.1+dirty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fromBuildInfo(tc.bi, tc.tag, tc.rev, tc.ctime, tc.mod)
			if in.Version != tc.version || in.Short() != tc.short || in.Modified != tc.modified {
				t.Errorf("got version %q short %q modified %v, want %q %q %v", in.Version, in.Short(), in.Modified, tc.version, tc.short, tc.modified)
			}
			if tc.short != "unknown" && !in.Time.Equal(ct) {
				t.Errorf("commit time %v, want %v", in.Time, ct)
			}
			deb, ok := in.Debian()
			if deb != tc.debVs || ok != (tc.debVs != "") {
				t.Errorf("Debian() = %q, %v; want %q", deb, ok, tc.debVs)
			}
			s := in.String()
			for _, want := range []string{"sigprobe " + tc.version + "\n", "commit:", "go:       go1.26.8"} {
				if tc.bi != nil && !strings.Contains(s, want) {
					t.Errorf("String() = %q, missing %q", s, want)
				}
			}
		})
	}
}

// Strings that are no Go version have no Debian version.
func TestDebianRejects(t *testing.T) {
	for _, v := range []string{"", "1.2", "(devel)", "v", "vx1", "v1.2.3-a_b"} {
		if d, ok := (Info{Version: v}).Debian(); ok {
			t.Errorf("Debian(%q) = %q, want no version", v, d)
		}
	}
}

// Debian versions sort like the Go versions they come from, by dpkg's own
// comparison: an upgrade from a snapshot to the next release is an upgrade.
func TestDebianOrder(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg not installed: the Debian version order is checked on Debian only")
	}
	ascending := []string{
		"v0.0.0-20261201143600-a7c05858f6e9",
		"v0.0.0-20261201143600-a7c05858f6e9+dirty",
		"v0.0.0-20261202090000-0123456789ab",
		"v0.1.0-rc.1",
		"v0.1.0",
		"v0.1.1-0.20261203000000-fedcba987654",
		"v0.1.1",
		"v1.0.0",
	}
	for i := 1; i < len(ascending); i++ {
		a, _ := (Info{Version: ascending[i-1]}).Debian()
		b, _ := (Info{Version: ascending[i]}).Debian()
		if err := exec.Command(dpkg, "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("dpkg: %s (from %s) does not sort before %s (from %s)", a, ascending[i-1], b, ascending[i])
		}
	}
}

func TestRead(t *testing.T) {
	in := Read()
	if in.Go == "" || in.Platform == "" || in.Version == "" {
		t.Fatalf("Read() = %+v: empty fields", in)
	}
}
