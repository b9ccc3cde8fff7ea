package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/sigprobe/sigprobe/internal/buildinfo"
)

func init() {
	register("version", "print the version, the commit and the Go toolchain this binary was built from", runVersion)
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version")
	asJSON := fs.Bool("json", false, "print the same as one JSON object (version, revision, time, modified, go, platform)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(buildinfo.Read())
	}
	fmt.Fprint(stdout, buildinfo.Read())
	return nil
}

// version is what checkpoints record of the binary that wrote them.
func version() string { return buildinfo.Read().Version }
