package clickhouse

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"strings"

	"github.com/sigprobe/sigprobe/sink"
)

// colKind is how a column is held in a block and what ClickHouse type it feeds.
type colKind uint8

const (
	kDigits colKind = iota + 1 // sink.Digits → String
	kString                    // String, LowCardinality(String)
	kTime                      // unix seconds → DateTime
	kU8                        // UInt8
	kU16                       // UInt16
	kU32                       // UInt32
	kBool                      // Bool
	kU32x8                     // [8]uint32 → Array(UInt32)
)

// column is one column of a block; only the slice of its kind is used.
type column struct {
	kind   colKind
	digits []sink.Digits
	strs   []string
	i64    []int64
	u8     []uint8
	u16    []uint16
	u32    []uint32
	bools  []bool
	u32x8  [][8]uint32
}

func (c *column) reset() {
	c.digits, c.strs, c.i64, c.u8 = c.digits[:0], c.strs[:0], c.i64[:0], c.u8[:0]
	c.u16, c.u32, c.bools, c.u32x8 = c.u16[:0], c.u32[:0], c.bools[:0], c.u32x8[:0]
}

// field reads one field of a sink row R into a column.
type field[R any] struct {
	name string
	kind colKind
	put  func(r *R, c *column)
}

func digitsF[R any](name string, f func(*R) sink.Digits) field[R] {
	return field[R]{name, kDigits, func(r *R, c *column) { c.digits = append(c.digits, f(r)) }}
}
func stringF[R any](name string, f func(*R) string) field[R] {
	return field[R]{name, kString, func(r *R, c *column) { c.strs = append(c.strs, f(r)) }}
}
func timeF[R any](name string, f func(*R) int64) field[R] {
	return field[R]{name, kTime, func(r *R, c *column) { c.i64 = append(c.i64, f(r)) }}
}
func u8F[R any](name string, f func(*R) uint8) field[R] {
	return field[R]{name, kU8, func(r *R, c *column) { c.u8 = append(c.u8, f(r)) }}
}
func u16F[R any](name string, f func(*R) uint16) field[R] {
	return field[R]{name, kU16, func(r *R, c *column) { c.u16 = append(c.u16, f(r)) }}
}
func u32F[R any](name string, f func(*R) uint32) field[R] {
	return field[R]{name, kU32, func(r *R, c *column) { c.u32 = append(c.u32, f(r)) }}
}
func boolF[R any](name string, f func(*R) bool) field[R] {
	return field[R]{name, kBool, func(r *R, c *column) { c.bools = append(c.bools, f(r)) }}
}

// tableSpec describes one table: its columns in DDL order and how to move
// rows of a batch into a block.
type tableSpec struct {
	name  string
	cols  []string
	kinds []colKind
	// rows is the number of this table's rows in a batch; put appends rows
	// [from, to) to the block's columns.
	rows func(b *sink.Batch) int
	put  func(b *sink.Batch, from, to int, cols []column)
}

func spec[R any](name string, rows func(*sink.Batch) []R, fields ...field[R]) *tableSpec {
	t := &tableSpec{name: name, rows: func(b *sink.Batch) int { return len(rows(b)) }}
	for _, f := range fields {
		t.cols = append(t.cols, f.name)
		t.kinds = append(t.kinds, f.kind)
	}
	t.put = func(b *sink.Batch, from, to int, cols []column) {
		rs := rows(b)[from:to]
		for i := range rs {
			for j := range fields {
				fields[j].put(&rs[i], &cols[j])
			}
		}
	}
	return t
}

// tables are the ClickHouse column lists, in the order of sink.Tables and of
// the columns in deploy/clickhouse/schema.sql (tests compare both, and the
// field names with the json tags of the sink rows).
var tables = []*tableSpec{
	spec("trajectories", func(b *sink.Batch) []sink.TrajectoryPoint { return b.Trajectories },
		digitsF("imsi", func(r *sink.TrajectoryPoint) sink.Digits { return r.IMSI }),
		timeF("ts", func(r *sink.TrajectoryPoint) int64 { return r.TS }),
		u16F("lac", func(r *sink.TrajectoryPoint) uint16 { return r.LAC }),
		u16F("ci", func(r *sink.TrajectoryPoint) uint16 { return r.CI }),
		stringF("key_id", func(r *sink.TrajectoryPoint) string { return r.KeyID }),
	),
	spec("dwell", func(b *sink.Batch) []sink.Dwell { return b.Dwell },
		digitsF("imsi", func(r *sink.Dwell) sink.Digits { return r.IMSI }),
		digitsF("msisdn", func(r *sink.Dwell) sink.Digits { return r.MSISDN }),
		u16F("lac", func(r *sink.Dwell) uint16 { return r.LAC }),
		u16F("ci", func(r *sink.Dwell) uint16 { return r.CI }),
		timeF("start_ts", func(r *sink.Dwell) int64 { return r.StartTS }),
		timeF("end_ts", func(r *sink.Dwell) int64 { return r.EndTS }),
		boolF("roamer", func(r *sink.Dwell) bool { return r.Roamer }),
		stringF("reason", func(r *sink.Dwell) string { return r.Reason }),
		stringF("key_id", func(r *sink.Dwell) string { return r.KeyID }),
	),
	spec("region_minute", func(b *sink.Batch) []sink.RegionMinute { return b.RegionMinutes },
		stringF("region", func(r *sink.RegionMinute) string { return r.Region }),
		timeF("minute_ts", func(r *sink.RegionMinute) int64 { return r.MinuteTS }),
		u32F("occupancy", func(r *sink.RegionMinute) uint32 { return r.Occupancy }),
		u32F("inflow", func(r *sink.RegionMinute) uint32 { return r.Inflow }),
		u32F("outflow", func(r *sink.RegionMinute) uint32 { return r.Outflow }),
		u32F("roamers", func(r *sink.RegionMinute) uint32 { return r.Roamers }),
		field[sink.RegionMinute]{"exit_dwell", kU32x8, func(r *sink.RegionMinute, c *column) { c.u32x8 = append(c.u32x8, r.ExitDwell) }},
	),
	spec("events", func(b *sink.Batch) []sink.Event { return b.Events },
		timeF("ts", func(r *sink.Event) int64 { return r.TS }),
		digitsF("imsi", func(r *sink.Event) sink.Digits { return r.IMSI }),
		digitsF("msisdn", func(r *sink.Event) sink.Digits { return r.MSISDN }),
		stringF("kind", func(r *sink.Event) string { return r.Kind }),
		u16F("lac", func(r *sink.Event) uint16 { return r.LAC }),
		u16F("ci", func(r *sink.Event) uint16 { return r.CI }),
		digitsF("peer", func(r *sink.Event) sink.Digits { return r.Peer }),
		timeF("setup_ts", func(r *sink.Event) int64 { return r.SetupTS }),
		timeF("answer_ts", func(r *sink.Event) int64 { return r.AnswerTS }),
		timeF("release_ts", func(r *sink.Event) int64 { return r.ReleaseTS }),
		u32F("duration_s", func(r *sink.Event) uint32 { return r.Duration }),
		u8F("cause", func(r *sink.Event) uint8 { return r.Cause }),
		boolF("roamer", func(r *sink.Event) bool { return r.Roamer }),
		stringF("key_id", func(r *sink.Event) string { return r.KeyID }),
	),
	spec("triggers", func(b *sink.Batch) []sink.Trigger { return b.Triggers },
		stringF("id", func(r *sink.Trigger) string { return r.ID }),
		stringF("rule", func(r *sink.Trigger) string { return r.Rule }),
		stringF("kind", func(r *sink.Trigger) string { return r.Kind }),
		timeF("ts", func(r *sink.Trigger) int64 { return r.TS }),
		digitsF("imsi", func(r *sink.Trigger) sink.Digits { return r.IMSI }),
		digitsF("msisdn", func(r *sink.Trigger) sink.Digits { return r.MSISDN }),
		stringF("region", func(r *sink.Trigger) string { return r.Region }),
		u16F("lac", func(r *sink.Trigger) uint16 { return r.LAC }),
		u16F("ci", func(r *sink.Trigger) uint16 { return r.CI }),
		u32F("dwell_s", func(r *sink.Trigger) uint32 { return clampU32(r.DwellS) }),
		stringF("home_mcc", func(r *sink.Trigger) string { return r.HomeMCC }),
		stringF("home_mnc", func(r *sink.Trigger) string { return r.HomeMNC }),
		stringF("attrs", func(r *sink.Trigger) string { return r.Attrs }),
		digitsF("peer", func(r *sink.Trigger) sink.Digits { return r.Peer }),
		u32F("duration_s", func(r *sink.Trigger) uint32 { return clampU32(r.DurationS) }),
		u8F("cause", func(r *sink.Trigger) uint8 { return r.Cause }),
		stringF("campaign", func(r *sink.Trigger) string { return r.Campaign }),
		boolF("control", func(r *sink.Trigger) bool { return r.Control }),
		stringF("key_id", func(r *sink.Trigger) string { return r.KeyID }),
	),
	spec("subscribers", func(b *sink.Batch) []sink.Subscriber { return b.Subscribers },
		digitsF("imsi", func(r *sink.Subscriber) sink.Digits { return r.IMSI }),
		digitsF("msisdn", func(r *sink.Subscriber) sink.Digits { return r.MSISDN }),
		digitsF("imei", func(r *sink.Subscriber) sink.Digits { return r.IMEI }),
		stringF("home_mcc", func(r *sink.Subscriber) string { return r.HomeMCC }),
		stringF("home_mnc", func(r *sink.Subscriber) string { return r.HomeMNC }),
		timeF("first_seen", func(r *sink.Subscriber) int64 { return r.FirstSeen }),
		timeF("last_seen", func(r *sink.Subscriber) int64 { return r.LastSeen }),
		stringF("key_id", func(r *sink.Subscriber) string { return r.KeyID }),
	),
}

func clampU32(v int64) uint32 {
	switch {
	case v < 0:
		return 0
	case v > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(v)
}

// block is up to Config.BatchRows rows of one table, in columns: the unit of
// insert, retry, deduplication and spooling. Once sealed it belongs to the
// sender and is never changed.
type block struct {
	table *tableSpec
	seq   uint64 // order of sealing, across tables and (through the spool) runs
	rows  int
	cols  []column
	token string // insert_deduplication_token, fixed when sealed
}

func newBlock(t *tableSpec) *block {
	b := &block{table: t, cols: make([]column, len(t.cols))}
	for i, k := range t.kinds {
		b.cols[i].kind = k
	}
	return b
}

func (b *block) reset() {
	b.seq, b.rows, b.token = 0, 0, ""
	for i := range b.cols {
		b.cols[i].reset()
	}
}

// seal fixes the block's sequence number and its deduplication token. The
// token is a function of the batch stream alone: the table, the block's
// ordinal (the count of blocks sealed for the table since the output
// began, carried across restarts by the checkpoint position) and a hash of
// its rows. A block retried, replayed from the spool, or regenerated by the
// probe after a restart from a checkpoint carries the same token, so
// ClickHouse stores it once; the sequence number only orders the spool
// and stays out of the token, as it differs between runs.
func (b *block) seal(seq, ordinal uint64) {
	b.seq = seq
	h := fnv.New64a()
	b.encodeColumns(h)
	b.token = fmt.Sprintf("%s-%d-%016x", b.table.name, ordinal, h.Sum64())
}

// String values of a Digits column for the driver.
func digitStrings(d []sink.Digits) []string {
	out := make([]string, len(d))
	var buf [15]byte
	for i, v := range d {
		out[i] = string(v.Append(buf[:0]))
	}
	return out
}

// encodeColumns writes the column data, little-endian, strings with a
// uvarint length; the spool format's body and the token's hash input.
func (b *block) encodeColumns(w io.Writer) error {
	ew := &errWriter{w: w}
	for i := range b.cols {
		c := &b.cols[i]
		ew.byte(byte(c.kind))
		switch c.kind {
		case kDigits:
			for _, v := range c.digits {
				ew.u64(uint64(v))
			}
		case kString:
			for _, v := range c.strs {
				ew.uvarint(uint64(len(v)))
				ew.str(v)
			}
		case kTime:
			for _, v := range c.i64 {
				ew.u64(uint64(v))
			}
		case kU8:
			ew.bytes(c.u8)
		case kU16:
			for _, v := range c.u16 {
				ew.u16(v)
			}
		case kU32:
			for _, v := range c.u32 {
				ew.u32(v)
			}
		case kBool:
			for _, v := range c.bools {
				if v {
					ew.byte(1)
				} else {
					ew.byte(0)
				}
			}
		case kU32x8:
			for _, a := range c.u32x8 {
				for _, v := range a {
					ew.u32(v)
				}
			}
		}
	}
	return ew.err
}

// errWriter batches small writes and keeps the first error.
type errWriter struct {
	w       io.Writer
	buf     [binary.MaxVarintLen64]byte
	scratch [128]byte // strings for writers without WriteString (the token's hash), without a copy each
	err     error
}

func (e *errWriter) bytes(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}
func (e *errWriter) str(s string) {
	if sw, ok := e.w.(io.StringWriter); ok && e.err == nil {
		_, e.err = sw.WriteString(s)
		return
	}
	for len(s) > 0 && e.err == nil {
		n := copy(e.scratch[:], s)
		_, e.err = e.w.Write(e.scratch[:n])
		s = s[n:]
	}
}
func (e *errWriter) byte(v byte) { e.buf[0] = v; e.bytes(e.buf[:1]) }
func (e *errWriter) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.bytes(e.buf[:2])
}
func (e *errWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.bytes(e.buf[:4])
}
func (e *errWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.bytes(e.buf[:8])
}
func (e *errWriter) uvarint(v uint64) { e.bytes(e.buf[:binary.PutUvarint(e.buf[:], v)]) }

// decodeColumns reads what encodeColumns wrote for rows rows into b, whose
// table is set.
func (b *block) decodeColumns(r *byteReader, rows int) error {
	for i := range b.cols {
		c := &b.cols[i]
		if k := colKind(r.byte()); k != c.kind {
			return fmt.Errorf("column %s: kind %d, want %d", b.table.cols[i], k, c.kind)
		}
		for range rows {
			switch c.kind {
			case kDigits:
				c.digits = append(c.digits, sink.Digits(r.u64()))
			case kString:
				c.strs = append(c.strs, string(r.next(int(r.uvarint()))))
			case kTime:
				c.i64 = append(c.i64, int64(r.u64()))
			case kU8:
				c.u8 = append(c.u8, r.byte())
			case kU16:
				c.u16 = append(c.u16, binary.LittleEndian.Uint16(r.next(2)))
			case kU32:
				c.u32 = append(c.u32, binary.LittleEndian.Uint32(r.next(4)))
			case kBool:
				c.bools = append(c.bools, r.byte() != 0)
			case kU32x8:
				var a [8]uint32
				for j := range a {
					a[j] = binary.LittleEndian.Uint32(r.next(4))
				}
				c.u32x8 = append(c.u32x8, a)
			}
		}
		if r.short {
			return errTruncated
		}
	}
	b.rows = rows
	return nil
}

// byteReader reads a decoded spool file; past the end it returns zeros and
// sets short.
type byteReader struct {
	b     []byte
	short bool
}

func (r *byteReader) next(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.short, r.b = true, nil
		return make([]byte, min(max(n, 0), 8)) // enough for any fixed-size read
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}
func (r *byteReader) byte() byte  { return r.next(1)[0] }
func (r *byteReader) u64() uint64 { return binary.LittleEndian.Uint64(r.next(8)) }
func (r *byteReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.short, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// insertQuery is the INSERT statement of a table with its column list.
func (t *tableSpec) insertQuery() string {
	return "INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ")"
}
