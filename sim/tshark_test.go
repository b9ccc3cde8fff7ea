package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/internal/envtest"
)

// The message kinds the simulator must write (acceptance: a capture that
// covers every kind, checked against tshark).
var requiredKinds = []string{
	"bssmap Complete Layer 3 Information", "bssmap Paging", "bssmap Cipher Mode Command", "bssmap Cipher Mode Complete",
	"bssmap Assignment Request", "bssmap Assignment Complete", "bssmap Clear Command", "bssmap Clear Complete",
	"bssmap Clear Request", "bssmap Reset", "bssmap Reset Acknowledge",
	"bssmap Handover Required", "bssmap Handover Request", "bssmap Handover Request Acknowledge", "bssmap Handover Command",
	"bssmap Handover Complete", "bssmap Handover Performed",
	"dtap Location Updating Request", "dtap Location Updating Accept", "dtap Location Updating Reject", "dtap IMSI Detach Indication",
	"dtap CM Service Request", "dtap Paging Response", "dtap Identity Request", "dtap Identity Response",
	"dtap Authentication Request", "dtap Authentication Response", "dtap TMSI Reallocation Command", "dtap TMSI Reallocation Complete",
	"dtap Setup", "dtap Call Proceeding", "dtap Call Confirmed", "dtap Alerting", "dtap Connect", "dtap Connect Acknowledge",
	"dtap Disconnect", "dtap Release", "dtap Release Complete", "dtap CP-DATA", "dtap CP-ACK", "dtap Register",
	"map updateLocation", "map insertSubscriberData", "map cancelLocation", "map sendAuthenticationInfo", "map sendRoutingInfo",
	"map provideRoamingNumber", "map sendRoutingInfoForSM", "map mo-forwardSM", "map mt-forwardSM", "map purgeMS",
	"map provideSubscriberInfo", "map anyTimeInterrogation", "map checkIMEI", "map processUnstructuredSS-Request",
}

// tsharkFields are read per frame; several occurrences are comma-separated.
var tsharkFields = []string{
	"frame.number", "gsm_a.bssmap.msgtype", "gsm_a.dtap.msg_mm_type", "gsm_a.dtap.msg_cc_type", "gsm_a.dtap.msg_sms_type",
	"gsm_a.dtap.msg_rr_type", "gsm_a.dtap.msg_ss_type", "gsm_old.localValue", "gsm_map.old.Component",
	"e212.imsi", "gsm_a.tmsi", "3gpp.tmsi", "gsm_a.imeisv", "gsm_map.tbcd_digits",
	"gsm_a.lac", "gsm_a.bssmap.cell_lac", "gsm_a.bssmap.cell_ci", "gsm_map.cellGlobalIdOrServiceAreaIdFixedLength", "e164.msisdn",
}

func tsharkPath(t *testing.T) string {
	return envtest.Tool(t, "tshark", "apt-get install tshark; make test does this")
}

// TestTsharkNoErrors: tshark finds no malformed packet and no expert error
// or warning anywhere in a generated capture.
func TestTsharkNoErrors(t *testing.T) {
	ts := tsharkPath(t)
	r := smallRun(t)
	out, err := exec.Command(ts, "-r", r.pcap, "-o", "sctp.reassembly:TRUE", "-o", "sccp.trace_sccp:TRUE",
		"-Y", "_ws.malformed || _ws.expert.severity >= 6291456", "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if lines := bytes.Count(out, []byte{'\n'}); lines > 0 {
		first, _, _ := bytes.Cut(out, []byte{'\n'})
		t.Fatalf("tshark flags %d frames as malformed or with expert warnings/errors; first: %s", lines, first)
	}
}

// TestTsharkAgrees compares every message of a generated capture with
// tshark's reading of it: message types, IMSI, TMSI, IMEISV, LAC, CI and the
// subscriber's MSISDN, frame by frame.
func TestTsharkAgrees(t *testing.T) {
	ts := tsharkPath(t)
	r := smallRun(t)
	msgs := readCSV(t, filepath.Join(r.truth, "messages.csv"))
	subs := map[string]map[string]string{}
	for _, s := range readCSV(t, filepath.Join(r.truth, "subscribers.csv")) {
		subs[s["imsi"]] = s
	}

	// Coverage: every kind of message appears.
	kinds := map[string]int{}
	byFrame := map[int][]map[string]string{}
	for _, m := range msgs {
		kinds[m["proto"]+" "+m["name"]]++
		f, _ := strconv.Atoi(m["frame"])
		byFrame[f] = append(byFrame[f], m)
		if m["imsi"] != "" && subs[m["imsi"]] == nil {
			t.Fatalf("frame %s: imsi %s is not in subscribers.csv", m["frame"], m["imsi"])
		}
		if m["msisdn"] != "" && subs[m["imsi"]]["msisdn"] != m["msisdn"] {
			t.Fatalf("frame %s: msisdn %s is not subscriber %s's", m["frame"], m["msisdn"], m["imsi"])
		}
	}
	for _, k := range requiredKinds {
		if kinds[k] == 0 {
			t.Errorf("the capture has no %q", k)
		}
	}

	args := []string{"-r", r.pcap, "-o", "sctp.reassembly:TRUE", "-Y", "gsm_a.bssmap || gsm_a.dtap || gsm_map",
		"-T", "fields", "-E", "header=y", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(ts, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan()
	header := strings.Split(sc.Text(), "\t")
	seen := map[int]bool{}
	bad := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		got := map[string][]string{}
		for i, h := range header {
			if i < len(cols) && cols[i] != "" {
				got[h] = strings.Split(cols[i], ",")
			}
		}
		frame, _ := strconv.Atoi(got["frame.number"][0])
		seen[frame] = true
		if diff := compareFrame(got, byFrame[frame]); diff != "" {
			bad++
			if bad <= 10 {
				t.Errorf("frame %d: %s", frame, diff)
			}
		}
	}
	for f := range byFrame {
		if !seen[f] {
			bad++
			if bad <= 10 {
				t.Errorf("frame %d: in messages.csv but tshark decodes no BSSAP/MAP in it", f)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d frames disagree with tshark", bad, len(byFrame))
	}
	t.Logf("%d messages in %d frames agree with tshark; %d kinds", len(msgs), len(byFrame), len(kinds))
}

var dtapPD = map[string]string{"gsm_a.dtap.msg_mm_type": "5", "gsm_a.dtap.msg_cc_type": "3", "gsm_a.dtap.msg_sms_type": "9",
	"gsm_a.dtap.msg_rr_type": "6", "gsm_a.dtap.msg_ss_type": "11"}

// compareFrame returns "" when tshark's fields match the truth rows of one frame.
func compareFrame(got map[string][]string, rows []map[string]string) string {
	var want, have []string
	wIMSI, wTMSI, wIMEISV, wLAC, wCI := set(), set(), set(), set(), set()
	for _, r := range rows {
		switch r["proto"] {
		case "dtap":
			want = append(want, "dtap:"+r["pd"]+":"+r["type"])
		default:
			want = append(want, r["proto"]+":"+r["type"])
		}
		wIMSI.add(r["msg_imsi"])
		if r["tmsi"] != "" {
			wTMSI.add(r["tmsi"])
		}
		wIMEISV.add(r["imeisv"])
		for _, l := range strings.Split(r["lac"], ";") {
			wLAC.add(l)
		}
		for _, c := range strings.Split(r["ci"], ";") {
			wCI.add(c)
		}
		if r["msisdn"] != "" && !slices.Contains(got["e164.msisdn"], r["msisdn"]) {
			return fmt.Sprintf("msisdn %s not among tshark's %v", r["msisdn"], got["e164.msisdn"])
		}
		if r["imei"] != "" && !slices.Contains(got["gsm_map.tbcd_digits"], r["imei"]) {
			return fmt.Sprintf("imei %s not among tshark's %v", r["imei"], got["gsm_map.tbcd_digits"])
		}
	}
	for _, v := range got["gsm_a.bssmap.msgtype"] {
		have = append(have, "bssmap:"+num(v))
	}
	hoCmd := slices.ContainsFunc(got["gsm_a.bssmap.msgtype"], func(v string) bool { return num(v) == "18" || num(v) == "19" })
	for f, pd := range dtapPD {
		for _, v := range got[f] {
			if hoCmd && pd == "6" && num(v) == "43" {
				continue // the RR Handover Command inside Handover Request Ack/Command is not a message of its own
			}
			have = append(have, "dtap:"+pd+":"+num(v))
		}
	}
	for _, v := range got["gsm_old.localValue"] {
		have = append(have, "map:"+v)
	}
	for range len(got["gsm_map.old.Component"]) - len(got["gsm_old.localValue"]) {
		have = append(have, "map:") // a result without parameter carries no operation code
	}
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(want, have) {
		return fmt.Sprintf("messages %v, tshark %v", want, have)
	}
	hIMSI, hTMSI, hIMEISV, hLAC, hCI := set(got["e212.imsi"]...), set(), set(got["gsm_a.imeisv"]...), set(), set()
	for _, v := range append(got["gsm_a.tmsi"], got["3gpp.tmsi"]...) {
		n, _ := strconv.ParseUint(v, 10, 32)
		hTMSI.add(fmt.Sprintf("%08x", n))
	}
	for _, v := range append(got["gsm_a.lac"], got["gsm_a.bssmap.cell_lac"]...) {
		hLAC.add(num(v))
	}
	for _, v := range got["gsm_a.bssmap.cell_ci"] {
		hCI.add(num(v))
	}
	for _, v := range got["gsm_map.cellGlobalIdOrServiceAreaIdFixedLength"] {
		if len(v) == 14 { // MCC/MNC (3 octets), LAC, CI
			l, _ := strconv.ParseUint(v[6:10], 16, 16)
			c, _ := strconv.ParseUint(v[10:14], 16, 16)
			hLAC.add(strconv.FormatUint(l, 10))
			hCI.add(strconv.FormatUint(c, 10))
		}
	}
	for _, c := range []struct {
		name       string
		want, have strset
	}{{"IMSI", wIMSI, hIMSI}, {"TMSI", wTMSI, hTMSI}, {"IMEISV", wIMEISV, hIMEISV}, {"LAC", wLAC, hLAC}, {"CI", wCI, hCI}} {
		if !c.want.equal(c.have) {
			return fmt.Sprintf("%s: messages %v, tshark %v", c.name, c.want.list(), c.have.list())
		}
	}
	return ""
}

// num turns tshark's "0x57" or "87" into decimal text.
func num(v string) string {
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return v
	}
	return strconv.FormatUint(n, 10)
}

type strset map[string]bool

func set(vs ...string) strset {
	s := strset{}
	for _, v := range vs {
		s.add(v)
	}
	return s
}

func (s strset) add(v string) {
	if v != "" {
		s[v] = true
	}
}

func (s strset) equal(o strset) bool {
	if len(s) != len(o) {
		return false
	}
	for k := range s {
		if !o[k] {
			return false
		}
	}
	return true
}

func (s strset) list() []string {
	l := make([]string, 0, len(s))
	for k := range s {
		l = append(l, k)
	}
	slices.Sort(l)
	return l
}
