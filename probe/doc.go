// Package probe runs sigprobe's pipeline: packets from a capture file or a
// live interface are decoded, attributed to subscribers, tracked, and
// written to the sinks. Sub-packages hold the stages.
package probe
