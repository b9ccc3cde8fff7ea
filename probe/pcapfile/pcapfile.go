// Package pcapfile reads pcap and pcapng captures packet by packet, without
// copying, whatever the link type of each interface.
package pcapfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrTruncated reports a last packet cut short (a capture still being
// written, or copied incompletely). It is counted, not fatal.
var ErrTruncated = errors.New("truncated last packet")

type source interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Reader reads one capture file.
type Reader struct {
	f     *os.File
	n     *counter // bytes read from the file (ahead of the packets by the buffer)
	src   source
	ng    *pcapgo.NgReader
	lt    layers.LinkType
	Frame uint64 // 1-based number of the last packet returned
}

// Open opens path and detects pcap or pcapng by its magic number.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.f = f
	return r, nil
}

// NewReader reads a capture from rd.
func NewReader(rd io.Reader) (*Reader, error) {
	n := &counter{r: rd}
	br := bufio.NewReaderSize(n, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, errors.New("not a pcap or pcapng file (too short)")
	}
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("bad pcapng: %w", err)
		}
		return &Reader{src: ng, ng: ng, lt: ng.LinkType(), n: n}, nil
	}
	switch {
	case bytes.Equal(magic, []byte{0xd4, 0xc3, 0xb2, 0xa1}), bytes.Equal(magic, []byte{0xa1, 0xb2, 0xc3, 0xd4}),
		bytes.Equal(magic, []byte{0x4d, 0x3c, 0xb2, 0xa1}), bytes.Equal(magic, []byte{0xa1, 0xb2, 0x3c, 0x4d}):
	default:
		return nil, errors.New("not a pcap or pcapng file")
	}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("bad pcap header: %w", err)
	}
	return &Reader{src: pr, lt: pr.LinkType(), n: n}, nil
}

// Next returns the next packet; data is valid until the next call. It
// returns io.EOF at the end and ErrTruncated for a cut-off last packet.
func (r *Reader) Next() (data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, err error) {
	data, ci, err = r.src.ZeroCopyReadPacketData()
	switch {
	case err == io.EOF:
		return nil, ci, 0, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, ci, 0, ErrTruncated
	case err != nil:
		return nil, ci, 0, fmt.Errorf("packet %d: %w", r.Frame+1, err)
	}
	r.Frame++
	lt = r.lt
	if r.ng != nil {
		if iface, err := r.ng.Interface(ci.InterfaceIndex); err == nil {
			lt = iface.LinkType
		}
	}
	return data, ci, lt, nil
}

// Close closes the file opened by Open.
func (r *Reader) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}

// BytesRead is how much of the file has been read, for progress reports:
// it runs ahead of the packets returned by at most the 1 MiB buffer. Safe
// from any goroutine; the reading loop pays one atomic add per buffer
// refill, not per packet.
func (r *Reader) BytesRead() int64 { return r.n.n.Load() }

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n atomic.Int64
}

func (c *counter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}
