package probe

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/probe/regions"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/jsonl"
)

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestReplayMatchesTruth replays a simulated day and compares the probe's
// dwell records and learned identities with the simulator's truth.
func TestReplayMatchesTruth(t *testing.T) {
	subs := 20000
	if testing.Short() {
		subs = 2000
	}
	dir := t.TempDir()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pcap, truth := filepath.Join(dir, "day.pcap"), filepath.Join(dir, "truth")
	gst, err := sim.Run(sim.Config{Seed: 21, Subscribers: subs, Days: 1, Start: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := regions.Load(filepath.Join(truth, "regions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := track.DefaultConfig()
	cfg.Regions = rf
	attributed := map[uint64][]sink.Digits{}
	cfg.Trace = func(frame uint64, imsi sink.Digits) { attributed[frame] = append(attributed[frame], imsi) }
	out := filepath.Join(dir, "out")
	w, err := jsonl.New(out)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Replay(context.Background(), pcap, cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(pcap)
	if st.Decode.Messages != gst.Messages {
		t.Errorf("decoded %d messages, the simulator wrote %d", st.Decode.Messages, gst.Messages)
	}

	type key struct {
		imsi    string
		lac, ci int64
	}
	type span struct{ start, end int64 }
	probe := map[key][]span{}
	for _, r := range readJSONL(t, filepath.Join(out, "dwell.jsonl")) {
		k := key{r["imsi"].(string), int64(r["lac"].(float64)), int64(r["ci"].(float64))}
		probe[k] = append(probe[k], span{int64(r["start_ts"].(float64)), int64(r["end_ts"].(float64))})
	}
	abs := func(x int64) int64 { return max(x, -x) }
	total, matched := 0, 0
	for _, r := range readCSV(t, filepath.Join(truth, "dwell.csv")) {
		total++
		lac, _ := strconv.ParseInt(r["lac"], 10, 64)
		ci, _ := strconv.ParseInt(r["ci"], 10, 64)
		s, _ := strconv.ParseInt(r["start_ts"], 10, 64)
		e, _ := strconv.ParseInt(r["end_ts"], 10, 64)
		for _, p := range probe[key{r["imsi"], lac, ci}] {
			if abs(p.start-s) <= 1 && abs(p.end-e) <= 1 {
				matched++
				break
			}
		}
	}
	pct := 100 * float64(matched) / float64(total)
	t.Logf("dwell: %d of %d truth intervals matched (%.2f%%); resolver %+v", matched, total, pct, st.Resolver)
	if pct < 99 {
		t.Errorf("dwell accuracy %.2f%% < 99%%", pct)
	}

	// Every A-interface message attributed to the right subscriber.
	var aMsgs, aRight, aWrong int
	for _, m := range readCSV(t, filepath.Join(truth, "messages.csv")) {
		if m["proto"] == "map" || m["imsi"] == "" {
			continue
		}
		aMsgs++
		f, _ := strconv.ParseUint(m["frame"], 10, 64)
		want := sink.MakeDigits(m["imsi"])
		got := attributed[f]
		if k := slices.Index(got, want); k >= 0 {
			aRight++
			attributed[f] = slices.Delete(got, k, k+1)
		} else if len(got) > 0 {
			aWrong++
		}
	}
	apct := 100 * float64(aRight) / float64(aMsgs)
	t.Logf("attribution: %d of %d A-interface messages to the right IMSI (%.2f%%), %d to a wrong one", aRight, aMsgs, apct, aWrong)
	if apct < 99.5 || aWrong > aMsgs/10000 {
		t.Errorf("attribution %.2f%% < 99.5%% or %d wrong", apct, aWrong)
	}

	// Identities learned from the signaling itself.
	learned := map[string]map[string]any{}
	for _, r := range readJSONL(t, filepath.Join(out, "subscribers.jsonl")) {
		learned[r["imsi"].(string)] = r
	}
	var seen, msisdnOK, msisdnWrong, imeiWrong int
	for _, s := range readCSV(t, filepath.Join(truth, "subscribers.csv")) {
		l := learned[s["imsi"]]
		if l == nil {
			continue
		}
		seen++
		switch m, _ := l["msisdn"].(string); {
		case m == s["msisdn"]:
			msisdnOK++
		case m != "":
			msisdnWrong++
		}
		if i, _ := l["imei"].(string); i != "" && i != s["imei"] {
			imeiWrong++
		}
	}
	t.Logf("subscribers: %d seen, %d MSISDNs learned", seen, msisdnOK)
	if msisdnWrong > 0 || imeiWrong > 0 {
		t.Errorf("%d wrong MSISDNs and %d wrong IMEIs learned", msisdnWrong, imeiWrong)
	}
	if seen < subs*9/10 || msisdnOK < seen/2 {
		t.Errorf("only %d of %d subscribers seen, %d MSISDNs learned", seen, subs, msisdnOK)
	}
}
