// Package regions reads and writes the micro-region file (regions.yaml): named
// sets of cells and the enterprise groups that sit in them. The simulator
// writes it as ground truth; the probe reads it as configuration.
package regions
