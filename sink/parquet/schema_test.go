package parquet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	ddlpkg "github.com/sigprobe/sigprobe/deploy/clickhouse"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/clickhouse"
)

// parquetSchemas are the Parquet schemas, by table.
var parquetSchemas = map[string]*pq.Schema{
	"trajectories":  pq.SchemaOf(trajectoryRow{}),
	"dwell":         pq.SchemaOf(dwellRow{}),
	"region_minute": pq.SchemaOf(regionMinuteRow{}),
	"events":        pq.SchemaOf(eventRow{}),
	"triggers":      pq.SchemaOf(triggerRow{}),
	"subscribers":   pq.SchemaOf(subscriberRow{}),
}

// parquetType describes a leaf the way the DDL types are compared: physical
// type plus logical annotation.
func parquetType(n pq.Node) string {
	if !n.Leaf() { // LIST<element>
		inner := n.Fields()[0].Fields()[0]
		return "LIST<" + parquetType(inner) + ">"
	}
	s := n.Type().Kind().String()
	if lt := n.Type().LogicalType(); lt != nil {
		s += " " + lt.String()
	}
	return s
}

// loadable maps each DDL type to the Parquet column type that ClickHouse
// loads into it with INSERT ... SELECT * FROM file(..., Parquet).
var loadable = map[string]string{
	"String":                 "BYTE_ARRAY STRING",
	"LowCardinality(String)": "BYTE_ARRAY STRING",
	"DateTime('UTC')":        "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)",
	"UInt8":                  "INT32 INT(8,false)",
	"UInt16":                 "INT32 INT(16,false)",
	"UInt32":                 "INT32 INT(32,false)",
	"Bool":                   "BOOLEAN",
	"Array(UInt32)":          "LIST<INT32 INT(32,false)>",
}

// The Parquet files have the DDL's columns, in the DDL's order (INSERT ...
// SELECT * is positional), with types ClickHouse loads into the DDL's.
func TestParquetMatchesDDL(t *testing.T) {
	sql, err := os.ReadFile("../../deploy/clickhouse/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	ddl, err := clickhouse.TableColumns(string(sql))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range ddlpkg.ReferenceTables {
		delete(ddl, ref) // loaded from regions.yaml, not written by the probe
	}
	if len(ddl) != len(sink.Tables) || len(parquetSchemas) != len(sink.Tables) {
		t.Fatalf("DDL has %d tables, Parquet %d, sink %d", len(ddl), len(parquetSchemas), len(sink.Tables))
	}
	for table, cols := range ddl {
		fields := parquetSchemas[table].Fields()
		if len(fields) != len(cols) {
			t.Errorf("%s: DDL %d columns, Parquet %d", table, len(cols), len(fields))
			continue
		}
		for i, c := range cols {
			f := fields[i]
			if f.Name() != c.Name {
				t.Errorf("%s column %d: DDL %s, Parquet %s", table, i, c.Name, f.Name())
			}
			if got, want := parquetType(f), loadable[c.Type]; got != want {
				t.Errorf("%s.%s: Parquet %s, DDL %s wants %q", table, c.Name, got, c.Type, want)
			}
			if f.Optional() {
				t.Errorf("%s.%s: optional; the DDL has no Nullable columns", table, c.Name)
			}
		}
	}
}

// Each Parquet column carries the sink field whose json tag is its name.
func TestColumnsMatchJSONTags(t *testing.T) {
	b := testBatch(1, 7)
	b.Triggers[0].DwellS = 1234
	pairs := []struct{ sink, pq any }{
		{b.Trajectories[0], want[sink.TrajectoryPoint, trajectoryRow](b.Trajectories)[0]},
		{b.Dwell[0], want[sink.Dwell, dwellRow](b.Dwell)[0]},
		{b.RegionMinutes[0], want[sink.RegionMinute, regionMinuteRow](b.RegionMinutes)[0]},
		{b.Events[0], want[sink.Event, eventRow](b.Events)[0]},
		{b.Triggers[0], want[sink.Trigger, triggerRow](b.Triggers)[0]},
		{b.Subscribers[0], want[sink.Subscriber, subscriberRow](b.Subscribers)[0]},
	}
	for _, p := range pairs {
		js, _ := json.Marshal(p.sink)
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		dec.Decode(&m)
		v := reflect.ValueOf(p.pq)
		if v.NumField() != len(m) {
			t.Errorf("%T: %d fields, json has %d", p.pq, v.NumField(), len(m))
		}
		for i := range v.NumField() {
			tag := v.Type().Field(i).Tag.Get("parquet")
			name, _, _ := strings.Cut(tag, ",")
			got, wantV := fmt.Sprint(v.Field(i).Interface()), fmt.Sprint(m[name])
			if strings.Contains(tag, "timestamp(millisecond") { // JSON has unix seconds
				got = fmt.Sprint(v.Field(i).Int() / 1000)
				if v.Field(i).Int()%1000 != 0 {
					got += " (not whole seconds)"
				}
			}
			if got != wantV {
				t.Errorf("%T.%s = %s, json field %s", p.pq, name, got, wantV)
			}
		}
	}
}
