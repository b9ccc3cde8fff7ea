package main

import (
	"fmt"
	"io"

	"github.com/sigprobe/sigprobe/internal/buildinfo"
)

func init() {
	register("version", "print the version, the commit and the Go toolchain this binary was built from", runVersion)
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, buildinfo.Read())
	return nil
}
