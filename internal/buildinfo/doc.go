// Package buildinfo says which sigprobe a binary is: its version, the commit
// it was built from and the Go toolchain, read from the build information Go
// embeds (stamped by the Makefile where Go's own VCS stamping cannot run).
package buildinfo
