package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// fakeCH stands in for ClickHouse: it stores inserted blocks, deduplicates
// them by token like a MergeTree with a deduplication window, and fails on
// demand.
type fakeCH struct {
	mu       sync.Mutex
	down     bool          // every insert fails
	hang     bool          // every insert waits for its context to end
	gate     chan struct{} // if set, an insert waits for it to close (or its context to end), then proceeds
	failNext int           // the next n inserts fail
	lostAcks int           // the next n inserts are stored but report an error
	attempts int
	deduped  int
	tokens   map[string]bool
	blocks   []fakeBlock
}

type fakeBlock struct {
	table, token string
	seq          uint64
	rows         []string // one key per row: every column value
}

var errDown = errors.New("fake: connection refused")

func newFake() *fakeCH { return &fakeCH{tokens: map[string]bool{}} }

func (f *fakeCH) insert(ctx context.Context, b *block) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.hang {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return ctx.Err()
	}
	if g := f.gate; g != nil {
		f.mu.Unlock()
		select {
		case <-g:
		case <-ctx.Done():
		}
		f.mu.Lock()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.down {
		return errDown
	}
	if f.failNext > 0 {
		f.failNext--
		return errDown
	}
	if f.tokens[b.token] {
		f.deduped++
	} else {
		f.tokens[b.token] = true
		fb := fakeBlock{table: b.table.name, token: b.token, seq: b.seq}
		for i := range b.rows {
			fb.rows = append(fb.rows, rowKey(b, i))
		}
		f.blocks = append(f.blocks, fb)
	}
	if f.lostAcks > 0 {
		f.lostAcks--
		return errors.New("fake: connection reset before the acknowledgement")
	}
	return nil
}

func (f *fakeCH) close() error { return nil }

func (f *fakeCH) setDown(v bool) {
	f.mu.Lock()
	f.down = v
	f.mu.Unlock()
}

// rows returns every stored row key of a table, in insert order.
func (f *fakeCH) rows(table string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.blocks {
		if b.table == table {
			out = append(out, b.rows...)
		}
	}
	return out
}

func (f *fakeCH) stored() []fakeBlock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeBlock(nil), f.blocks...)
}

// rowKey renders row i of a block as "v1|v2|...".
func rowKey(b *block, i int) string {
	var s []string
	for _, c := range b.cols {
		var v any
		switch c.kind {
		case kDigits:
			v = c.digits[i].String()
		case kString:
			v = c.strs[i]
		case kTime:
			v = c.i64[i]
		case kU8:
			v = c.u8[i]
		case kU16:
			v = c.u16[i]
		case kU32:
			v = c.u32[i]
		case kBool:
			v = c.bools[i]
		case kU32x8:
			v = c.u32x8[i]
		}
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, "|")
}

func (f *fakeCH) set(fn func(f *fakeCH)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *fakeCH) dedups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deduped
}

// sortedRows is rows(table), sorted.
func (f *fakeCH) sortedRows(table string) []string {
	r := f.rows(table)
	slices.Sort(r)
	return r
}

func (f *fakeCH) tries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}
