package clickhouse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

// goldenSpoolBlock is a fixed sealed block of five dwell rows.
func goldenSpoolBlock() *block {
	b := newBlock(tables[1])
	rows := dwellRows(5, 0)
	tables[1].put(&sink.Batch{Dwell: rows}, 0, len(rows), b.cols)
	b.rows = len(rows)
	b.seal(1, 1)
	return b
}

// The spool file format is stable: a block spooled by an earlier version is
// read by this one. go test -run SpoolGolden -update rewrites the golden
// file and the fuzz seed after a deliberate change.
func TestSpoolGolden(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b := goldenSpoolBlock()
	if _, err := s.push(b); err != nil {
		t.Fatal(err)
	}
	e, _ := s.head()
	got, err := os.ReadFile(filepath.Join(dir, e.name()))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "spool", e.name())
	if *update {
		os.MkdirAll(filepath.Dir(file), 0o755)
		os.WriteFile(file, got, 0o644)
		seed := filepath.Join("testdata", "fuzz", "FuzzSpoolFile", "dwell-5-rows")
		os.MkdirAll(filepath.Dir(seed), 0o755)
		os.WriteFile(seed, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", got)), 0o644)
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("a spooled block differs from %s", file)
	}
	back, err := decodeSpoolFile(want, e)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.rows {
		if rowKey(back, i) != rowKey(b, i) || back.token != b.token {
			t.Fatalf("row %d reads back as %s, token %s; want %s, %s", i, rowKey(back, i), back.token, rowKey(b, i), b.token)
		}
	}
}

// FuzzSpoolFile: a spool file of any content is read back or rejected,
// never a panic. Seeds: testdata/fuzz/FuzzSpoolFile.
func FuzzSpoolFile(f *testing.F) {
	e := spoolEntry{seq: 1, table: "dwell", rows: 5}
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if len(data) >= 12 { // also with the length and checksum made right
			fixed := slices.Clone(data)
			body := fixed[8 : len(fixed)-4]
			binary.LittleEndian.PutUint32(fixed[4:], uint32(len(body)))
			binary.LittleEndian.PutUint32(fixed[len(fixed)-4:], crc32.Checksum(body, castagnoli))
			inputs = append(inputs, fixed)
		}
		for _, in := range inputs {
			b, err := decodeSpoolFile(in, e)
			if err != nil {
				continue
			}
			if b.rows != e.rows || b.table != tables[1] {
				t.Fatalf("decoded %d rows of %s, the entry says %d of dwell", b.rows, b.table.name, e.rows)
			}
		}
	})
}

// A spool file of the layout before key_id (SPB1) is named as such, not
// reported as torn.
func TestSpoolOldLayout(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("testdata", "spool", "00000000000000000001-dwell-5.blk"))
	if err != nil {
		t.Fatal(err)
	}
	old := append([]byte("SPB1"), file[4:]...)
	_, err = decodeSpoolFile(old, spoolEntry{seq: 1, table: "dwell", rows: 5})
	if err == nil || !strings.Contains(err.Error(), "written by an older sigprobe") {
		t.Fatalf("SPB1 file: %v", err)
	}
}
