package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigprobe/sigprobe/decode"
)

func init() {
	register("decode", "decode a pcap/pcapng into one JSON line per BSSMAP, DTAP and MAP message", runDecode)
}

// packetSource is what pcapgo's pcap and pcapng readers have in common.
type packetSource interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
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
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	src, linkType, err := openCapture(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	out := bufio.NewWriterSize(stdout, 1<<16)
	res, err := decodeAll(src, linkType, out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	fmt.Fprintln(stderr, res.summary())
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	return nil
}

// openCapture detects pcap or pcapng by magic number.
func openCapture(r *bufio.Reader) (packetSource, func(gopacket.CaptureInfo) decode.LinkType, error) {
	magic, err := r.Peek(4)
	if err != nil {
		return nil, nil, errors.New("not a pcap or pcapng file (too short)")
	}
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, nil, fmt.Errorf("bad pcapng: %w", err)
		}
		return ng, func(ci gopacket.CaptureInfo) decode.LinkType {
			if iface, err := ng.Interface(ci.InterfaceIndex); err == nil {
				return iface.LinkType
			}
			return ng.LinkType()
		}, nil
	}
	switch {
	case bytes.Equal(magic, []byte{0xd4, 0xc3, 0xb2, 0xa1}), bytes.Equal(magic, []byte{0xa1, 0xb2, 0xc3, 0xd4}),
		bytes.Equal(magic, []byte{0x4d, 0x3c, 0xb2, 0xa1}), bytes.Equal(magic, []byte{0xa1, 0xb2, 0x3c, 0x4d}):
	default:
		return nil, nil, errors.New("not a pcap or pcapng file")
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("bad pcap header: %w", err)
	}
	lt := pr.LinkType()
	return pr, func(gopacket.CaptureInfo) decode.LinkType { return lt }, nil
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
func decodeAll(src packetSource, linkType func(gopacket.CaptureInfo) decode.LinkType, w *bufio.Writer) (res decodeResult, err error) {
	st := decode.NewStack()
	msgs := make([]decode.Message, 0, 64)
	line := make([]byte, 0, 1024)
	start := time.Now()
	defer func() { res.elapsed = time.Since(start); res.stats = st.Stats }()
	for frame := uint64(1); ; frame++ {
		var data []byte
		var ci gopacket.CaptureInfo
		data, ci, err = src.ZeroCopyReadPacketData()
		if err == io.EOF {
			return res, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			res.truncated++ // a cut-off last packet: counted, not fatal
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("packet %d: %w", frame, err)
		}
		res.packets++
		msgs, _ = st.Decode(msgs[:0], linkType(ci), frame, ci.Timestamp.UnixNano(), data)
		for i := range msgs {
			line = decode.AppendJSON(line[:0], &msgs[i])
			line = append(line, '\n')
			if _, err = w.Write(line); err != nil {
				return res, err
			}
		}
	}
}
