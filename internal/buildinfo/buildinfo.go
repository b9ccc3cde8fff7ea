package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set with -ldflags -X by the Makefile. Go stamps vcs.revision, vcs.time and
// vcs.modified only when it finds a .git directory (not in a git worktree,
// nor with GOFLAGS=-buildvcs=false), so `make build` records the same facts
// from git itself. Empty: use what Go recorded.
var (
	version    string // a release tag (vX.Y.Z) when HEAD carries one
	revision   string // full commit hash
	commitTime string // commit time, RFC 3339
	modified   string // "true" when the work tree had uncommitted changes
)

// Info describes a binary.
type Info struct {
	// Version is a Go module version: a release tag (v1.2.3), or a
	// pseudo-version (v0.0.0-20261201143600-a7c0585abcde) built from the
	// commit, with "+dirty" when the work tree was modified; "(devel)" when
	// nothing is known.
	Version  string    `json:"version"`
	Revision string    `json:"revision,omitempty"` // commit hash, "" when unknown
	Time     time.Time `json:"time,omitzero"`      // commit time, zero when unknown
	Modified bool      `json:"modified"`           // built from a modified work tree
	Go       string    `json:"go"`                 // toolchain, e.g. go1.26.8
	Platform string    `json:"platform"`           // GOOS/GOARCH
}

// Read returns the running binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, version, revision, commitTime, modified)
}

// fromBuildInfo combines Go's build information with the link-time values
// (which win where set). bi may be nil.
func fromBuildInfo(bi *debug.BuildInfo, tag, rev, ctime, mod string) Info {
	in := Info{Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	mainVersion := ""
	if bi != nil {
		in.Go = bi.GoVersion
		mainVersion = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision = s.Value
			case "vcs.time":
				in.Time, _ = time.Parse(time.RFC3339, s.Value)
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if rev != "" {
		in.Revision = rev
		in.Time, _ = time.Parse(time.RFC3339, ctime)
		in.Modified = mod == "true"
		mainVersion = tag
	}
	switch {
	case mainVersion != "" && mainVersion != "(devel)":
		// A release, or the pseudo-version Go derived from the commit
		// (go install ...@v1.2.3, or go build in a clone).
		in.Version = mainVersion
		if in.Modified && !strings.HasSuffix(in.Version, "+dirty") {
			in.Version += "+dirty"
		}
	case in.Revision != "":
		in.Version = pseudoVersion(in.Revision, in.Time, in.Modified)
	default:
		in.Version = "(devel)"
	}
	return in
}

// pseudoVersion is the version Go gives an untagged commit.
func pseudoVersion(rev string, t time.Time, dirty bool) string {
	v := fmt.Sprintf("v0.0.0-%s-%.12s", t.UTC().Format("20060102150405"), rev)
	if dirty {
		v += "+dirty"
	}
	return v
}

// Short is the first 12 digits of the revision, or "unknown".
func (in Info) Short() string {
	if in.Revision == "" {
		return "unknown"
	}
	return fmt.Sprintf("%.12s", in.Revision)
}

// String is what `sigprobe version` prints.
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sigprobe %s\n", in.Version)
	commit := "unknown (built without version control information)"
	if in.Revision != "" {
		commit = in.Revision
		if !in.Time.IsZero() {
			commit += " (" + in.Time.UTC().Format(time.RFC3339) + ")"
		}
		if in.Modified {
			commit += ", modified work tree"
		}
	}
	fmt.Fprintf(&b, "commit:   %s\n", commit)
	fmt.Fprintf(&b, "go:       %s %s\n", in.Go, in.Platform)
	return b.String()
}

// Debian turns Version into a Debian package version that sorts the same
// way: "v1.2.3" → "1.2.3"; a pseudo-version's pre-release part sorts before
// its base with "~" (v0.0.0-20261201143600-a7c0585abcde →
// 0.0.0~20261201143600.a7c0585abcde), and build metadata follows "+".
// "(devel)" has no Debian version: ok is false.
func (in Info) Debian() (v string, ok bool) {
	s, found := strings.CutPrefix(in.Version, "v")
	if !found || s == "" || s[0] < '0' || s[0] > '9' {
		return "", false
	}
	s, meta, _ := strings.Cut(s, "+")
	base, pre, hasPre := strings.Cut(s, "-")
	v = base
	if hasPre {
		v += "~" + strings.ReplaceAll(pre, "-", ".")
	}
	if meta != "" {
		v += "+" + meta
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune(".+~", r)) {
			return "", false
		}
	}
	return v, true
}
