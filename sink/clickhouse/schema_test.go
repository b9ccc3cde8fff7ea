package clickhouse

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	ddlpkg "github.com/sigprobe/sigprobe/deploy/clickhouse"
	"github.com/sigprobe/sigprobe/sink"
)

// compatible says which DDL types a column kind may feed.
var compatible = map[colKind][]string{
	kDigits: {"String"},
	kString: {"String", "LowCardinality(String)"},
	kTime:   {"DateTime('UTC')"},
	kU8:     {"UInt8"},
	kU16:    {"UInt16"},
	kU32:    {"UInt32"},
	kBool:   {"Bool"},
	kU32x8:  {"Array(UInt32)"},
}

// The inserted column lists are the DDL's, in order and with matching types.
func TestDDLMatchesColumns(t *testing.T) {
	ddl, err := TableColumns(schemaSQL)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.name)
		cols := ddl[tb.name]
		if len(cols) != len(tb.cols) {
			t.Errorf("%s: DDL has %d columns, sink %d", tb.name, len(cols), len(tb.cols))
			continue
		}
		for i, c := range cols {
			if c.Name != tb.cols[i] {
				t.Errorf("%s column %d: DDL %q, sink %q", tb.name, i, c.Name, tb.cols[i])
			}
			if !slices.Contains(compatible[tb.kinds[i]], c.Type) {
				t.Errorf("%s.%s: DDL type %s, sink feeds one of %v", tb.name, c.Name, c.Type, compatible[tb.kinds[i]])
			}
		}
	}
	if !slices.Equal(names, sink.Tables) || len(ddl) != len(sink.Tables)+len(ddlpkg.ReferenceTables) {
		t.Errorf("tables: sink %v, DDL %d tables, sink.Tables %v, reference tables %v", names, len(ddl), sink.Tables, ddlpkg.ReferenceTables)
	}
}

// The cluster schema has the same columns in <t>_local and a Distributed <t>.
func TestClusterSchemaMatches(t *testing.T) {
	single, _ := TableColumns(schemaSQL)
	cluster, err := TableColumns(Schema("probes"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cols := range single {
		local := name + "_local"
		if slices.Contains(ddlpkg.ReferenceTables, name) {
			local = name // a full copy on every replica, no Distributed table
		}
		if !reflect.DeepEqual(cluster[local], cols) {
			t.Errorf("%s columns differ from %s", local, name)
		}
	}
	text := Schema("probes")
	if strings.Contains(text, "{cluster}") || !strings.Contains(text, "{shard}") || !strings.Contains(text, "{replica}") {
		t.Error("cluster name not substituted, or {shard}/{replica} macros missing")
	}
	for _, name := range sink.Tables {
		if !strings.Contains(text, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER 'probes' AS %s_local\nENGINE = Distributed('probes'", name, name)) {
			t.Errorf("no Distributed table %s", name)
		}
	}
	for _, st := range append(Statements(schemaSQL), Statements(clusterSQL)...) {
		if !strings.HasPrefix(st, "CREATE TABLE IF NOT EXISTS ") {
			t.Errorf("statement is not idempotent: %.60s", st)
		}
	}
}

// Each column carries the field whose json tag is its name: put one row of
// every table through a block and compare with the row's JSON.
func TestColumnsMatchJSONTags(t *testing.T) {
	d := func(s string) sink.Digits { return sink.MakeDigits(s) }
	b := &sink.Batch{
		Trajectories:  []sink.TrajectoryPoint{{IMSI: d("001010123456789"), TS: 11, LAC: 12, CI: 13}},
		Dwell:         []sink.Dwell{{IMSI: d("1"), MSISDN: d("2"), LAC: 3, CI: 4, StartTS: 5, EndTS: 6, Roamer: true, Reason: "x"}},
		RegionMinutes: []sink.RegionMinute{{Region: "r", MinuteTS: 1, Occupancy: 2, Inflow: 3, Outflow: 4, Roamers: 5, ExitDwell: [8]uint32{6, 7, 8, 9, 10, 11, 12, 13}}},
		Events:        []sink.Event{{TS: 1, IMSI: d("2"), MSISDN: d("3"), Kind: "k", LAC: 4, CI: 5, Peer: d("6"), SetupTS: 7, AnswerTS: 8, ReleaseTS: 9, Duration: 10, Cause: 11, Roamer: true}},
		Triggers: []sink.Trigger{{ID: "i", Rule: "r", Kind: "k", TS: 1, IMSI: d("2"), MSISDN: d("3"), Region: "g", LAC: 4, CI: 5, DwellS: 6, HomeMCC: "7", HomeMNC: "8", Attrs: "a=9",
			Peer: d("10"), DurationS: 11, Cause: 12, Campaign: "c", Control: true}},
		Subscribers: []sink.Subscriber{{IMSI: d("1"), MSISDN: d("2"), IMEI: d("3"), HomeMCC: "4", HomeMNC: "5", FirstSeen: 6, LastSeen: 7}},
	}
	rows := map[string]any{"trajectories": b.Trajectories[0], "dwell": b.Dwell[0], "region_minute": b.RegionMinutes[0],
		"events": b.Events[0], "triggers": b.Triggers[0], "subscribers": b.Subscribers[0]}
	for _, tb := range tables {
		blk := newBlock(tb)
		tb.put(b, 0, 1, blk.cols)
		blk.rows = 1
		js, _ := json.Marshal(rows[tb.name])
		var want map[string]any
		json.Unmarshal(js, &want)
		if len(want) != len(tb.cols) {
			t.Errorf("%s: row has %d json fields, table %d columns", tb.name, len(want), len(tb.cols))
		}
		for i, name := range tb.cols {
			w := strings.Trim(fmt.Sprint(want[name]), "[]")
			got := strings.Trim(strings.Split(rowKey(blk, 0), "|")[i], "[]")
			if got != w {
				t.Errorf("%s.%s = %s, the json field says %s", tb.name, name, got, w)
			}
		}
	}
}

func TestStatements(t *testing.T) {
	got := Statements("-- a; comment\nSELECT 'x;--y' ; \n\n-- only a comment;\nSELECT `a;b`--tail\n;;")
	want := []string{"SELECT 'x;--y'", "SELECT `a;b`"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
