package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe"
)

func init() {
	register("decode", "decode a pcap/pcapng into one JSON line per BSSMAP, DTAP and MAP message", runDecode)
}

func runDecode(args []string, stdout, stderr io.Writer) error {
	pf := newProbeFlags("decode", probe.ModeDecode)
	cfg, err := pf.load(args, stderr)
	if err != nil {
		return err
	}
	if cfg.Capture.File == "" {
		return usageError{fmt.Errorf("missing -r FILE")}
	}
	out := bufio.NewWriterSize(stdout, 1<<16)
	cfg.Messages = "-"
	p, err := openProbe(cfg, probe.Options{Mode: probe.ModeDecode, Logger: newLogger(stderr, cfg.Log), Stdout: out})
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	st, err := p.Run(ctx)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	fmt.Fprintln(stderr, decodeSummary(&st))
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Capture.File, err)
	}
	return nil
}

// decodeSummary is decode's one-line summary on stderr.
func decodeSummary(st *probe.Stats) string {
	var b bytes.Buffer
	s := &st.Decode
	fmt.Fprintf(&b, "packets=%d messages=%d errors=%d", st.Packets, s.Messages, s.Errors)
	for l := decode.Layer(0); l < decode.NumLayers; l++ {
		if n := s.ByLayer[l]; n > 0 {
			fmt.Fprintf(&b, " %s_errors=%d", l, n)
		}
	}
	s.ForEachError(func(reason error, n uint64) { fmt.Fprintf(&b, " [%v]=%d", reason, n) })
	fmt.Fprintf(&b, " retransmissions=%d out_of_scope=%d not_sctp=%d truncated=%d msgs_per_s=%.0f",
		s.Retransmissions, s.OutOfScope, s.NotSCTP, st.Truncated, st.MessagesPerSecond())
	return b.String()
}
