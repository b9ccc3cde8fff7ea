package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/internal/envtest"
)

// TestPackage builds the .deb with `make package`, checks its contents,
// installs it with dpkg -i on this machine, verifies the installed unit with
// systemd-analyze, and purges it again. It needs root; a machine with a
// sigprobe package of its own installed is left alone (the test fails).
func TestPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and installs the .deb")
	}
	envtest.Root(t, "install the .deb with dpkg -i")
	for _, tool := range []string{"make", "dpkg", "dpkg-deb", "systemd-analyze", "getent"} {
		envtest.Tool(t, tool, "apt-get install dpkg systemd make; make test installs systemd when missing")
	}
	if exec.Command("dpkg-query", "-W", "-f=${Status}", "sigprobe").Run() == nil {
		out, _ := exec.Command("dpkg-query", "-W", "-f=${Status} ${Version}", "sigprobe").Output()
		if strings.Contains(string(out), "installed") && !strings.Contains(string(out), "not-installed") {
			t.Fatalf("a sigprobe package is installed here (%s): the test will not replace or purge it", out)
		}
	}

	dir := t.TempDir()
	bin, dist := filepath.Join(dir, "sigprobe"), filepath.Join(dir, "dist")
	make := exec.Command("make", "-C", envtest.RepoRoot(), "package", "BIN="+bin, "DIST="+dist)
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make package left %v in %s, want one .deb", debs, dist)
	}
	deb := debs[0]

	// Contents, control fields and conffiles.
	list := sh(t, "dpkg-deb", "-c", deb)
	for _, want := range []string{
		"-rwxr-xr-x root/root .* ./usr/bin/sigprobe",
		"-rw-r--r-- root/root .* ./lib/systemd/system/sigprobe.service",
		"-rw-r----- root/root .* ./etc/sigprobe/sigprobe.yaml",
		"./usr/share/doc/sigprobe/copyright",
		"./usr/share/doc/sigprobe/examples/rules.example.yaml",
		"./usr/share/sigprobe/prometheus/alerts.yml",
		"./usr/share/sigprobe/grafana/sigprobe.json",
		"./usr/share/sigprobe/clickhouse/schema.sql",
	} {
		if !matchLine(list, want) {
			t.Errorf("dpkg-deb -c lacks %q:\n%s", want, list)
		}
	}
	t.Logf("dpkg-deb -c %s:\n%s", filepath.Base(deb), list)
	arch := strings.TrimSpace(sh(t, "dpkg", "--print-architecture"))
	if conf := sh(t, "dpkg-deb", "-f", deb, "Package", "Architecture", "Depends"); conf != "Package: sigprobe\nArchitecture: "+arch+"\nDepends: adduser\n" {
		t.Errorf("control fields %q, want package sigprobe for %s depending on adduser", conf, arch)
	}
	version := strings.TrimSpace(sh(t, "dpkg-deb", "-f", deb, "Version"))
	binVersion := sh(t, bin, "version")
	if !strings.HasPrefix(filepath.Base(deb), "sigprobe_"+version+"_") {
		t.Errorf("file %s does not carry version %s", filepath.Base(deb), version)
	}
	ctl := filepath.Join(dir, "control")
	sh(t, "dpkg-deb", "-e", deb, ctl)
	if b, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/sigprobe/sigprobe.yaml" {
		t.Errorf("conffiles: %q", b)
	}

	// Install.
	hadUser := exec.Command("getent", "passwd", "sigprobe").Run() == nil
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "sigprobe").Run()
		if !hadUser {
			exec.Command("deluser", "--system", "--quiet", "sigprobe").Run()
			exec.Command("delgroup", "--system", "--quiet", "sigprobe").Run()
		}
	})
	sh(t, "dpkg", "-i", deb)
	if got := sh(t, "dpkg-query", "-W", "-f=${Status} ${Version}", "sigprobe"); got != "install ok installed "+version {
		t.Errorf("dpkg-query: %q", got)
	}
	if got := sh(t, "/usr/bin/sigprobe", "version"); got != binVersion {
		t.Errorf("installed sigprobe version:\n%s\nbuilt:\n%s", got, binVersion)
	}
	if u := sh(t, "getent", "passwd", "sigprobe"); !strings.Contains(u, ":/var/lib/sigprobe:/usr/sbin/nologin") {
		t.Errorf("user sigprobe: %q", u)
	}
	sh(t, "getent", "group", "sigprobe")
	for path, want := range map[string]string{
		"/etc/sigprobe":               "root sigprobe 750",
		"/etc/sigprobe/sigprobe.yaml": "root sigprobe 640",
		"/usr/bin/sigprobe":           "root root 755",
		"/etc/sigprobe/pseudonym.key": "sigprobe sigprobe 600",
	} {
		if got := strings.TrimSpace(sh(t, "stat", "-c", "%U %G %a", path)); got != want {
			t.Errorf("%s: owner, group, mode %q, want %q", path, got, want)
		}
	}
	// The installed unit: systemd-analyze verify checks its syntax, the
	// binary it starts and the directives this systemd knows.
	verify := exec.Command("systemd-analyze", "verify", "/lib/systemd/system/sigprobe.service")
	out, err := verify.CombinedOutput()
	if err != nil || strings.Contains(string(out), "sigprobe.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze verify /lib/systemd/system/sigprobe.service: exit 0%s", strings.TrimRight("\n"+string(out), "\n"))

	// The installed configuration as an operator meets it: sigprobe check
	// names what to provide first (the regions the example names); with
	// the regions and consent lists of a simulated town, the example rules
	// and attributes in /etc/sigprobe and a tap interface, it is ready.
	// (The listeners on port 0: this machine's 9090 and 4222 are not ours.)
	free := []string{"--metrics", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0"}
	check := exec.Command("/usr/bin/sigprobe", append([]string{"check", "--quiet", "--config", "/etc/sigprobe/sigprobe.yaml"}, free...)...)
	out, err = check.CombinedOutput()
	regionsLine := 0
	if b, err := os.ReadFile("/etc/sigprobe/sigprobe.yaml"); err == nil {
		regionsLine = slices.IndexFunc(strings.Split(string(b), "\n"), func(l string) bool { return strings.HasPrefix(l, "regions:") }) + 1
	}
	if code := check.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), fmt.Sprintf("error   /etc/sigprobe/sigprobe.yaml: line %d: regions: open /etc/sigprobe/regions.yaml: no such file or directory", regionsLine)) {
		t.Errorf("sigprobe check on the installed configuration: exit %d (%v), want 1 naming the regions file:\n%s", code, err, out)
	}
	town := filepath.Join(dir, "town")
	sh(t, "/usr/bin/sigprobe", "gen", "--seed", "5", "--subscribers", "50", "-o", filepath.Join(town, "a.pcap"), "--truth", town)
	added := map[string]string{"regions.yaml": filepath.Join(town, "regions.yaml"), "rules.yaml": "/usr/share/doc/sigprobe/examples/rules.example.yaml",
		"attributes.csv": "/usr/share/doc/sigprobe/examples/attributes.example.csv", "consent": filepath.Join(town, "consent")}
	for name, src := range added {
		sh(t, "cp", "-r", src, filepath.Join("/etc/sigprobe", name))
		sh(t, "chgrp", "-R", "sigprobe", filepath.Join("/etc/sigprobe", name))
	}
	out = []byte(sh(t, "/usr/bin/sigprobe", append([]string{"check", "--config", "/etc/sigprobe/sigprobe.yaml", "-i", "lo"}, free...)...))
	if !strings.Contains(string(out), "sigprobe check: /etc/sigprobe/sigprobe.yaml: no error, 0 warnings: `sigprobe run` would start") {
		t.Errorf("sigprobe check with the inputs in place:\n%s", out)
	}
	t.Logf("sigprobe check --config /etc/sigprobe/sigprobe.yaml -i lo (the effective configuration left out):\n%s", afterYAML(string(out)))
	for name := range added {
		os.RemoveAll(filepath.Join("/etc/sigprobe", name))
	}

	// Remove and purge: nothing of the package stays.
	sh(t, "dpkg", "--remove", "sigprobe")
	if _, err := os.Stat("/etc/sigprobe/sigprobe.yaml"); err != nil {
		t.Errorf("dpkg --remove took the configuration too (it stays until --purge): %v", err)
	}
	sh(t, "dpkg", "--purge", "sigprobe")
	for _, p := range []string{"/usr/bin/sigprobe", "/lib/systemd/system/sigprobe.service", "/etc/sigprobe", "/usr/share/doc/sigprobe", "/usr/share/sigprobe", "/var/lib/sigprobe"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there after dpkg --purge", p)
		}
	}
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", "sigprobe").CombinedOutput(); strings.Contains(string(out), "installed") && !strings.Contains(string(out), "not-installed") {
		t.Errorf("dpkg still lists sigprobe: %s", out)
	}
}

// afterYAML drops what precedes the first line check writes to stderr:
// the effective configuration on stdout.
func afterYAML(out string) string {
	for _, prefix := range []string{"\nok ", "\nwarning ", "\nerror "} {
		if i := strings.Index(out, prefix); i >= 0 {
			return out[i+1:]
		}
	}
	return out
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// matchLine reports whether a line of text has the words of pattern in
// order (".*" stands for anything).
func matchLine(text, pattern string) bool {
	parts := strings.Split(pattern, " .* ")
	return slices.ContainsFunc(strings.Split(text, "\n"), func(l string) bool {
		rest := l
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				return false
			}
			rest = rest[i+len(p):]
		}
		return true
	})
}
