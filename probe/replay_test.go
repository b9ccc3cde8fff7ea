package probe

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
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

// eachCSV streams a CSV file's rows as maps keyed by the header (the map
// is reused between calls).
func eachCSV(t *testing.T, path string, fn func(map[string]string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	head = slices.Clone(head)
	m := make(map[string]string, len(head))
	for {
		rec, err := r.Read()
		if err != nil {
			return
		}
		for i, h := range head {
			m[h] = rec[i]
		}
		fn(m)
	}
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

// TestReplayMatchesTruth replays two simulated days and compares the probe's
// attribution, dwell records, region minutes and learned identities with the
// simulator's truth.
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
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	gst, err := sim.Run(sim.Config{Seed: 21, Subscribers: subs, Days: 2, Start: start,
		Scenario: sc, PCAP: pcap, TruthDir: truth})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cfg := replayConfig(pcap, out)
	cfg.Regions = filepath.Join(truth, "regions.yaml")
	// Who each frame's messages were attributed to: one IMSI per frame in
	// a slice (most frames), more in a map (bundled packets).
	var attributed []sink.Digits
	extra := map[uint64][]sink.Digits{}
	trace := func(frame uint64, imsi sink.Digits) {
		for uint64(len(attributed)) <= frame {
			attributed = append(attributed, 0)
		}
		if attributed[frame] == 0 {
			attributed[frame] = imsi
		} else {
			extra[frame] = append(extra[frame], imsi)
		}
	}
	st := replay(t, cfg, Options{Trace: trace})
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

	aMsgs, aRight, aWrong := attribution(t, truth, attributed, extra)
	apct := 100 * float64(aRight) / float64(aMsgs)
	t.Logf("attribution: %d of %d A-interface messages to the right IMSI (%.2f%%), %d to a wrong one", aRight, aMsgs, apct, aWrong)
	if apct < 99.5 || aWrong > aMsgs/10000 {
		t.Errorf("attribution %.2f%% < 99.5%% or %d wrong", apct, aWrong)
	}

	// Region minutes equal the counts derived from the truth's dwell.
	lateRegion = st.State.RegionLate
	// A probe starting cold does not know who is in a region until their
	// identities show up; in operation its state survives restarts. So the
	// second day is compared, after a day of warm-up.
	rf, err := regions.Load(cfg.Regions)
	if err != nil {
		t.Fatal(err)
	}
	regionRows(t, truth, out, rf, start.Unix()/60+24*60)

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

// TestTMSIsSharedByVLRs: a TMSI is unique only within its VLR. With
// network.tmsi_bits at 16 the simulated VLRs hand out the same TMSIs to
// different subscribers all the time; the probe must still attribute every
// message to its own subscriber (keyed on the TMSI alone, thousands went to
// the wrong one).
func TestTMSIsSharedByVLRs(t *testing.T) {
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sc.Network.TMSIBits = 16
	dir := t.TempDir()
	pcap, truth := filepath.Join(dir, "day.pcap"), filepath.Join(dir, "truth")
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	if _, err := sim.Run(sim.Config{Seed: 5, Subscribers: 3000, Days: 1, Start: start,
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	// How many TMSIs two subscribers were given (by different VLRs, or by
	// one VLR after the first holder moved on).
	holders := map[string]map[string]bool{}
	eachCSV(t, filepath.Join(truth, "messages.csv"), func(m map[string]string) {
		if m["tmsi"] != "" && (m["name"] == "Location Updating Accept" || m["name"] == "TMSI Reallocation Command") {
			if holders[m["tmsi"]] == nil {
				holders[m["tmsi"]] = map[string]bool{}
			}
			holders[m["tmsi"]][m["imsi"]] = true
		}
	})
	shared := 0
	for _, h := range holders {
		if len(h) > 1 {
			shared++
		}
	}
	if shared < 1000 {
		t.Fatalf("only %d TMSIs given to two subscribers: the scenario does not exercise sharing", shared)
	}
	var attributed []sink.Digits
	extra := map[uint64][]sink.Digits{}
	cfg := replayConfig(pcap, filepath.Join(dir, "out"))
	replay(t, cfg, Options{Trace: func(frame uint64, imsi sink.Digits) {
		for uint64(len(attributed)) <= frame {
			attributed = append(attributed, 0)
		}
		if attributed[frame] == 0 {
			attributed[frame] = imsi
		} else {
			extra[frame] = append(extra[frame], imsi)
		}
	}})
	msgs, right, wrong := attribution(t, truth, attributed, extra)
	t.Logf("%d TMSIs given to two subscribers or more; %d of %d A-interface messages to the right IMSI (%.2f%%), %d to a wrong one",
		shared, right, msgs, 100*float64(right)/float64(msgs), wrong)
	if wrong > 0 || right*1000 < msgs*995 {
		t.Errorf("%d messages attributed to a wrong subscriber, %d of %d right", wrong, right, msgs)
	}
}

// attribution compares who the probe attributed each A-interface message
// to (attributed: by frame, extra: further ones of a frame) with the
// truth. A packet may carry messages of several subscribers: an
// attribution is wrong when it is left over once every message of its
// packet found its own.
func attribution(t *testing.T, truth string, attributed []sink.Digits, extra map[uint64][]sink.Digits) (aMsgs, aRight, aWrong int) {
	var unmatched []uint64
	eachCSV(t, filepath.Join(truth, "messages.csv"), func(m map[string]string) {
		if m["proto"] == "map" || m["imsi"] == "" {
			return
		}
		aMsgs++
		f, _ := strconv.ParseUint(m["frame"], 10, 64)
		want := sink.MakeDigits(m["imsi"])
		switch {
		case f < uint64(len(attributed)) && attributed[f] == want:
			aRight++
			attributed[f] = ^sink.Digits(0) // used
		case slices.Contains(extra[f], want):
			aRight++
			k := slices.Index(extra[f], want)
			extra[f] = slices.Delete(extra[f], k, k+1)
		default:
			unmatched = append(unmatched, f)
		}
	})
	for _, f := range unmatched {
		if f < uint64(len(attributed)) && attributed[f] != 0 && attributed[f] != ^sink.Digits(0) {
			aWrong++
			attributed[f] = ^sink.Digits(0)
		} else if len(extra[f]) > 0 {
			aWrong++
			extra[f] = extra[f][1:]
		}
	}
	return aMsgs, aRight, aWrong
}

// regionRows derives per-region per-minute inflow, outflow and occupancy from
// the truth's dwell intervals (a stay in a region lasts over consecutive
// dwells in its cells) and compares them with the probe's region_minute rows.
var lateRegion uint64

func regionRows(t *testing.T, truth, out string, rf *regions.File, from int64) {
	inRegion := map[string][]string{} // "lac-ci" -> regions
	for _, r := range rf.Regions {
		for _, c := range r.Cells {
			k := strconv.Itoa(int(c.LAC)) + "-" + strconv.Itoa(int(c.CI))
			inRegion[k] = append(inRegion[k], r.Name)
		}
	}
	type iv struct {
		cell       string
		start, end int64
	}
	bySub := map[string][]iv{}
	for _, r := range readCSV(t, filepath.Join(truth, "dwell.csv")) {
		s, _ := strconv.ParseInt(r["start_ts"], 10, 64)
		e, _ := strconv.ParseInt(r["end_ts"], 10, 64)
		bySub[r["imsi"]] = append(bySub[r["imsi"]], iv{r["lac"] + "-" + r["ci"], s, e})
	}
	type rm struct {
		region string
		min    int64
	}
	// A stay still open when the capture ends is no outflow: the probe
	// stopped seeing, nobody left (the truth closes it at the end).
	var capEnd int64
	for _, ivs := range bySub {
		for _, x := range ivs {
			capEnd = max(capEnd, x.end)
		}
	}
	in, outf := map[rm]int{}, map[rm]int{}
	for _, ivs := range bySub {
		slices.SortFunc(ivs, func(a, b iv) int { return int(a.start - b.start) })
		for _, r := range rf.Regions {
			inside := false
			var last int64
			for k, x := range ivs {
				here := slices.Contains(inRegion[x.cell], r.Name)
				cont := k > 0 && ivs[k-1].end == x.start
				if inside && (!here || !cont) {
					outf[rm{r.Name, last / 60}]++
					inside = false
				}
				if here && !inside {
					in[rm{r.Name, x.start / 60}]++
					inside = true
				}
				if here {
					last = x.end
				}
			}
			if inside && last < capEnd {
				outf[rm{r.Name, last / 60}]++
			}
		}
	}
	probe := map[rm][3]int{}
	minMin, maxMin := int64(1<<62), int64(0)
	for _, r := range readJSONL(t, filepath.Join(out, "region_minute.jsonl")) {
		m := int64(r["minute_ts"].(float64)) / 60
		probe[rm{r["region"].(string), m}] = [3]int{int(r["occupancy"].(float64)), int(r["inflow"].(float64)), int(r["outflow"].(float64))}
		minMin, maxMin = min(minMin, m), max(maxMin, m)
	}
	// Inflow, outflow and occupancy (their running sum from the start of the
	// capture) must be equal minute by minute.
	rows, flowsEqual, occExact, occClose := 0, 0, 0, 0
	var firstBad string
	for _, r := range rf.Regions {
		occ := 0
		for m := minMin; m <= maxMin; m++ {
			k := rm{r.Name, m}
			occ += in[k] - outf[k]
			want := [3]int{occ, in[k], outf[k]}
			got := probe[k]
			if want == [3]int{} && got == [3]int{} || m < from {
				continue
			}
			rows++
			if want[1] == got[1] && want[2] == got[2] {
				flowsEqual++
			} else if firstBad == "" {
				firstBad = fmt.Sprintf("%s minute %d: truth occupancy/in/out %v, probe %v", r.Name, m*60, want, got)
			}
			if want[0] == got[0] {
				occExact++
			}
			if d := want[0] - got[0]; d*d*10000 <= want[0]*want[0] || d*d <= 1 {
				occClose++
			}
		}
	}
	pct := func(n int) float64 { return 100 * float64(n) / float64(max(rows, 1)) }
	t.Logf("region minutes: %d; flows equal %.2f%%, occupancy exact %.2f%%, within 1%% %.2f%%; late region events %d; first flow difference: %s",
		rows, pct(flowsEqual), pct(occExact), pct(occClose), lateRegion, firstBad)
	if rows == 0 || pct(flowsEqual) < 99.5 || pct(occExact) < 99 {
		t.Errorf("region minutes: flows equal %.2f%%, occupancy equal %.2f%%", pct(flowsEqual), pct(occExact))
	}
}
