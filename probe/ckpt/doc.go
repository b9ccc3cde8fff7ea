// Package ckpt is the on-disk form of the probe's checkpoints: a compact
// binary encoding for the tracking state (Enc, Dec) and a file of named
// sections with a format version and a CRC-32C, written to a temporary
// name, synced and renamed (Write, Read). It imports nothing of sigprobe, so
// the tracking and rules packages can serialise themselves with it.
package ckpt
