package clickhouse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A checkpoint position is what the writer needs to continue the batch
// stream exactly where a checkpoint left it:
//
//	"SPCK" | version byte (2) | uint64 epoch | uint64 spool high-water sequence |
//	uvarint table count | per table, in sink.Tables order:
//	    uvarint-prefixed name | uint64 ordinal | uvarint rows |
//	    uvarint length of the columns | the open block's columns (block.encodeColumns) |
//	CRC-32C of everything before it
//
// Integers are little-endian. The open blocks travel in the position
// because blocks are cut by the stream only (BatchRows, Flush marks, Close),
// never by a checkpoint.

var positionMagic = []byte("SPCK")

// positionVersion 2: every table but region_minute gained key_id, triggers
// gained peer, duration_s, cause, campaign and control. A version-1
// position is refused by name (the open blocks' columns no longer fit).
const positionVersion = 2

// position is a decoded checkpoint position.
type position struct {
	epoch    uint64
	seq      uint64 // highest sequence number sealed when the checkpoint was taken
	ordinals []uint64
	open     []*block // per table; nil when the table's open block was empty
}

// encodePosition appends a position to dst.
func encodePosition(dst []byte, p *position) []byte {
	var body bytes.Buffer
	ew := &errWriter{w: &body}
	ew.bytes(positionMagic)
	ew.byte(positionVersion)
	ew.u64(p.epoch)
	ew.u64(p.seq)
	ew.uvarint(uint64(len(tables)))
	var cols bytes.Buffer
	for i, t := range tables {
		ew.uvarint(uint64(len(t.name)))
		ew.str(t.name)
		ew.u64(p.ordinals[i])
		cols.Reset()
		rows := 0
		if b := p.open[i]; b != nil {
			rows = b.rows
			b.encodeColumns(&cols)
		}
		ew.uvarint(uint64(rows))
		ew.uvarint(uint64(cols.Len()))
		ew.bytes(cols.Bytes())
	}
	dst = append(dst, body.Bytes()...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(body.Bytes(), castagnoli))
}

var errPosition = errors.New("clickhouse: bad checkpoint position")

// decodePosition parses a position; every error says what is wrong with it.
func decodePosition(data []byte) (*position, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", errPosition, fmt.Sprintf(format, a...))
	}
	if len(data) < len(positionMagic)+1+8+8+1+4 {
		return nil, bad("%d bytes, too short", len(data))
	}
	if !bytes.Equal(data[:4], positionMagic) {
		return nil, bad("not a ClickHouse writer position (magic %q)", data[:4])
	}
	if v := data[4]; v != positionVersion {
		return nil, bad("version %d, this build reads %d", v, positionVersion)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, bad("checksum mismatch (truncated or corrupt)")
	}
	r := &byteReader{b: body[5:]}
	p := &position{epoch: r.u64(), seq: r.u64()}
	if n := r.uvarint(); n != uint64(len(tables)) {
		return nil, bad("%d tables, want %d", n, len(tables))
	}
	p.ordinals = make([]uint64, len(tables))
	p.open = make([]*block, len(tables))
	for i, t := range tables {
		if name := string(r.next(int(min(r.uvarint(), 64)))); name != t.name {
			return nil, bad("table %d is %q, want %q", i, name, t.name)
		}
		p.ordinals[i] = r.u64()
		rows := r.uvarint()
		n := r.uvarint()
		if r.short || n > uint64(len(r.b)) || rows > n {
			return nil, bad("table %s: truncated", t.name)
		}
		cols := &byteReader{b: r.next(int(n))}
		if rows == 0 {
			if n != 0 {
				return nil, bad("table %s: columns without rows", t.name)
			}
			continue
		}
		b := newBlock(t)
		if err := b.decodeColumns(cols, int(rows)); err != nil {
			return nil, bad("table %s: %v", t.name, err)
		}
		if len(cols.b) != 0 {
			return nil, bad("table %s: %d bytes after the columns", t.name, len(cols.b))
		}
		p.open[i] = b
	}
	if r.short || len(r.b) != 0 {
		return nil, bad("%d bytes after the tables", len(r.b))
	}
	return p, nil
}
