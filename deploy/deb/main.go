// Command deb builds sigprobe's Debian package with nfpm (as a library):
//
//	go run ./deploy/deb -bin bin/sigprobe -o dist
//
// The package's version and architecture are the binary's own (`sigprobe
// version --json`), so the .deb never claims another build than it holds;
// the contents and maintainer scripts are in nfpm.yaml beside this file.
// `make package` builds the binary and runs this.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager

	"github.com/sigprobe/sigprobe/internal/buildinfo"
)

func main() {
	bin := flag.String("bin", "bin/sigprobe", "the sigprobe `binary` to package")
	out := flag.String("o", "dist", "output `directory`")
	root := flag.String("root", ".", "the checkout (nfpm.yaml names files relative to it)")
	flag.Parse()
	path, err := build(*bin, *out, *root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deb:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// build writes the package into out and returns its path.
func build(bin, out, root string) (string, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if root, err = filepath.Abs(root); err != nil {
		return "", err
	}
	in, err := binaryInfo(bin)
	if err != nil {
		return "", err
	}
	version, ok := in.Debian()
	if !ok {
		return "", fmt.Errorf("%s: version %q is no release or commit: build it with make (which stamps the commit) in a git checkout", bin, in.Version)
	}
	goos, goarch, _ := strings.Cut(in.Platform, "/")
	if goos != "linux" {
		return "", fmt.Errorf("%s: built for %s, a .deb needs linux", bin, in.Platform)
	}
	if out, err = filepath.Abs(out); err != nil {
		return "", err
	}
	// nfpm.yaml names the files relative to the checkout.
	if err := os.Chdir(root); err != nil {
		return "", err
	}
	vars := map[string]string{"SIGPROBE_VERSION": version, "SIGPROBE_ARCH": goarch, "SIGPROBE_BIN": bin}
	const cfgPath = "deploy/deb/nfpm.yaml"
	var unknown error
	cfg, err := nfpm.ParseFileWithEnvMapping(cfgPath, func(k string) string {
		v, ok := vars[k]
		if !ok && !strings.HasPrefix(k, "NFPM_") { // nfpm asks for its signing passphrases
			unknown = errors.Join(unknown, fmt.Errorf("%s: unknown variable ${%s}", cfgPath, k))
		}
		return v
	})
	if err == nil {
		err = unknown
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", cfgPath, err)
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return "", err
	}
	if !in.Time.IsZero() {
		info.MTime = in.Time // the same commit gives the same package
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("%s: %w", cfgPath, err)
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(out, pkg.ConventionalFileName(info))
	var buf bytes.Buffer
	if err := pkg.Package(info, &buf); err != nil {
		return "", fmt.Errorf("packaging: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// binaryInfo asks the binary what it is.
func binaryInfo(bin string) (buildinfo.Info, error) {
	var in buildinfo.Info
	cmd := exec.Command(bin, "version", "--json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return in, fmt.Errorf("%s version --json: %v %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&in); err != nil && err != io.EOF {
		return in, fmt.Errorf("%s version --json: %w", bin, err)
	}
	return in, nil
}
