package whitelist

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ErrNoTable is returned when DIR/<table> holds no Parquet file.
var ErrNoTable = errors.New("whitelist: no Parquet files for table")

// scan calls fn for every row of dir/table/*.parquet with the named columns,
// in file order. Integer columns may be INT32 or INT64 (lac and ci are 16-bit
// values either way); timestamp columns (the probe writes TIMESTAMP(MILLIS))
// arrive as unix seconds, as do plain INT64 times (older files); strings are
// BYTE_ARRAY. A missing column is an error.
// fn must not keep vals or the byte slices in them after it returns.
func scan(dir, table string, cols []string, fn func(vals []parquet.Value) error) error {
	files, err := filepath.Glob(filepath.Join(dir, table, "*.parquet"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w %s in %s", ErrNoTable, table, dir)
	}
	sort.Strings(files)
	for _, path := range files {
		if err := scanFile(path, cols, fn); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func scanFile(path string, cols []string, fn func(vals []parquet.Value) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return err
	}
	idx := make([]int, len(cols))
	perSecond := make([]int64, len(cols)) // timestamp units per second; 0: not a timestamp
	for i, c := range cols {
		leaf, ok := pf.Schema().Lookup(c)
		if !ok {
			return fmt.Errorf("no column %q", c)
		}
		idx[i] = leaf.ColumnIndex
		if lt := leaf.Node.Type().LogicalType(); lt != nil {
			if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
				perSecond[i] = int64(time.Second / ts.Unit.Value.Duration())
			}
		}
	}
	row := make([]parquet.Value, len(cols))
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		colVals := make([][]parquet.Value, len(cols))
		for i, ci := range idx {
			v, err := readChunk(chunks[ci])
			if err != nil {
				return fmt.Errorf("column %s: %w", cols[i], err)
			}
			if int64(len(v)) != rg.NumRows() {
				return fmt.Errorf("column %s: %d values for %d rows", cols[i], len(v), rg.NumRows())
			}
			colVals[i] = v
		}
		for r := range int(rg.NumRows()) {
			for i := range cols {
				row[i] = colVals[i][r]
				if perSecond[i] != 0 && row[i].Kind() == parquet.Int64 {
					row[i] = parquet.Int64Value(row[i].Int64() / perSecond[i])
				}
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// readChunk reads all values of a flat column chunk.
func readChunk(cc parquet.ColumnChunk) ([]parquet.Value, error) {
	pages := cc.Pages()
	defer pages.Close()
	out := make([]parquet.Value, 0, cc.NumValues())
	buf := make([]parquet.Value, 1024)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				out = append(out, v.Clone())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// integer reads an INT32 or INT64 value (0 for null).
func integer(v parquet.Value) int64 {
	switch v.Kind() {
	case parquet.Int32:
		return int64(v.Int32())
	case parquet.Int64:
		return v.Int64()
	}
	return 0
}

// text reads a BYTE_ARRAY value ("" for null).
func text(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	return string(v.ByteArray())
}
