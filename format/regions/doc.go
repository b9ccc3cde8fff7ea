// Package regions reads and writes the micro-region file (regions.yaml): named
// sets of cells and the enterprise groups that sit in them. The simulator
// writes it as ground truth; the probe reads it as configuration; the
// analyses read its groups. It is a leaf: it imports nothing of sigprobe, so
// the simulator's truth shares no probe code.
package regions
