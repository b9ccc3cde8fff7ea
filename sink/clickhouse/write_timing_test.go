package clickhouse

import (
	"context"
	"testing"
)

// BenchmarkWrite: copying a batch of every table into the open blocks,
// with blocks sealed at BatchRows and inserted by a fake that keeps nothing.
func BenchmarkWrite(b *testing.B) {
	stream := genStream(20, 50, streamBase)
	w, err := newWriter(Config{BatchRows: 20_000, MaxPending: 1 << 20}, nullInserter{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rows := 0
	for _, s := range stream {
		rows += s.Len()
	}
	b.ReportAllocs()
	b.ReportMetric(float64(rows)/float64(len(stream)), "rows/batch")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := w.Write(stream[i%len(stream)]); err != nil {
			b.Fatal(err)
		}
	}
}

type nullInserter struct{}

func (nullInserter) insert(context.Context, *block) error { return nil }
func (nullInserter) close() error                         { return nil }
