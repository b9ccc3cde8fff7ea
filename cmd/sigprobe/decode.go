package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/pcapfile"
)

func init() {
	register("decode", "decode a pcap/pcapng into one JSON line per BSSMAP, DTAP and MAP message", runDecode)
}

func runDecode(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("decode")
	file := fs.String("r", "", "pcap or pcapng `file` to read")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *file == "" {
		return usageError{errors.New("missing -r FILE")}
	}
	src, err := pcapfile.Open(*file)
	if err != nil {
		return err
	}
	defer src.Close()
	out := bufio.NewWriterSize(stdout, 1<<16)
	res, err := decodeAll(src, out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	fmt.Fprintln(stderr, res.summary())
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	return nil
}

type decodeResult struct {
	packets, truncated uint64
	elapsed            time.Duration
	stats              decode.Stats
}

func (r *decodeResult) summary() string {
	var b bytes.Buffer
	rate := 0.0
	if s := r.elapsed.Seconds(); s > 0 {
		rate = float64(r.stats.Messages) / s
	}
	fmt.Fprintf(&b, "packets=%d messages=%d errors=%d", r.packets, r.stats.Messages, r.stats.Errors)
	for l := decode.Layer(0); l < decode.NumLayers; l++ {
		if n := r.stats.ByLayer[l]; n > 0 {
			fmt.Fprintf(&b, " %s_errors=%d", l, n)
		}
	}
	r.stats.ForEachError(func(reason error, n uint64) { fmt.Fprintf(&b, " [%v]=%d", reason, n) })
	fmt.Fprintf(&b, " retransmissions=%d out_of_scope=%d not_sctp=%d truncated=%d msgs_per_s=%.0f",
		r.stats.Retransmissions, r.stats.OutOfScope, r.stats.NotSCTP, r.truncated, rate)
	return b.String()
}

// decodeAll reads every packet, decodes it and writes JSON lines to w.
func decodeAll(src *pcapfile.Reader, w *bufio.Writer) (res decodeResult, err error) {
	st := decode.NewStack()
	msgs := make([]decode.Message, 0, 64)
	line := make([]byte, 0, 1024)
	start := time.Now()
	defer func() { res.elapsed = time.Since(start); res.stats = st.Stats }()
	for {
		data, ci, lt, rerr := src.Next()
		if rerr == io.EOF {
			return res, nil
		}
		if errors.Is(rerr, pcapfile.ErrTruncated) {
			res.truncated++ // a cut-off last packet: counted, not fatal
			return res, nil
		}
		if rerr != nil {
			return res, rerr
		}
		res.packets++
		msgs, _ = st.Decode(msgs[:0], lt, src.Frame, ci.Timestamp.UnixNano(), data)
		for i := range msgs {
			line = decode.AppendJSON(line[:0], &msgs[i])
			line = append(line, '\n')
			if _, err = w.Write(line); err != nil {
				return res, err
			}
		}
	}
}
