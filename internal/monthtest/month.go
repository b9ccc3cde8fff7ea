package monthtest

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// version is part of the cache key: bump it when the simulator, the probe or
// this package changes what a month holds (7: times as Parquet timestamps,
// pseudonymized copies, roam-out and campaigns, checksums and
// sendIdentification, local time and calendars). A scenario file's content
// (and its calendar's) is part of the key too.
const version = 7

// Probe makes a month's tables from the simulator's capture instead of its
// truth: the month's pcap arrives on the named pipe pcap and the function
// writes Parquet tables under dir (the chDB acceptance tests pass one that
// runs the probe's replay; this package does not import the probe).
type Probe func(pcap, dir string) error

// Start is the first day of every simulated month here.
var Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// Month is one simulated month on disk.
type Month struct {
	Seed        uint64
	Subscribers int
	Days        int
	// Dir holds the probe tables as Parquet: Dir/dwell, Dir/events and
	// Dir/subscribers, one file each.
	Dir string
	// Truth is the simulator's truth directory (subscribers.csv, dwell.csv,
	// regions.yaml, ...); messages.csv is not kept.
	Truth string
	// Scenario is the scenario file ("" for the built-in default).
	Scenario string

	probe Probe
}

// Regions is the path of the month's regions.yaml.
func (m *Month) Regions() string { return filepath.Join(m.Truth, "regions.yaml") }

// Dwell is a dwell row as a perfect probe writes it.
type Dwell struct {
	IMSI    string `parquet:"imsi"`
	MSISDN  string `parquet:"msisdn"`
	LAC     uint16 `parquet:"lac"`
	CI      uint16 `parquet:"ci"`
	StartTS int64  `parquet:"start_ts"`
	EndTS   int64  `parquet:"end_ts"`
	Roamer  bool   `parquet:"roamer"`
	Reason  string `parquet:"reason"`
}

// Subscriber is a subscribers row.
type Subscriber struct {
	IMSI      string `parquet:"imsi"`
	MSISDN    string `parquet:"msisdn"`
	IMEI      string `parquet:"imei"`
	HomeMCC   string `parquet:"home_mcc"`
	HomeMNC   string `parquet:"home_mnc"`
	FirstSeen int64  `parquet:"first_seen"`
	LastSeen  int64  `parquet:"last_seen"`
}

// Get returns the month for seed and size, generating it on first use. A
// month of 5,000 subscribers takes about two minutes; later calls, from any
// test binary, reuse it (a lock file serialises concurrent callers).
// With probe nil the tables are the truth as a perfect probe would write it.
func Get(seed uint64, subscribers, days int, probe Probe) (*Month, error) {
	return GetScenario("", seed, subscribers, days, probe)
}

// GetScenario is Get for the scenario file at path ("" for the default).
func GetScenario(path string, seed uint64, subscribers, days int, probe Probe) (*Month, error) {
	source := "truth"
	if probe != nil {
		source = "probe"
	}
	name := "default"
	if path != "" {
		sc, err := scenario.Load(path)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		h.Write(b)
		if sc.Cal != nil {
			sc.Cal.Write(h)
		}
		name = sc.Name + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	}
	root := filepath.Join(os.TempDir(), fmt.Sprintf("sigprobe-month-v%d-%s-%s-s%d-n%d-d%d-%s", version, source, name, seed, subscribers, days, Start.Format("20060102")))
	m := &Month{Seed: seed, Subscribers: subscribers, Days: days, Scenario: path, probe: probe, Dir: filepath.Join(root, "tables"), Truth: filepath.Join(root, "truth")}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(root, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	done := filepath.Join(root, "done")
	if _, err := os.Stat(done); err == nil {
		return m, nil
	}
	os.RemoveAll(m.Dir)
	os.RemoveAll(m.Truth)
	if err := m.generate(); err != nil {
		return nil, fmt.Errorf("simulated month in %s: %w", root, err)
	}
	return m, os.WriteFile(done, nil, 0o644)
}

// fromCapture runs the simulator into a pipe that m.probe reads.
func (m *Month) fromCapture(sc *scenario.Scenario) error {
	pcap := filepath.Join(filepath.Dir(m.Dir), "month.pcap")
	msgs := filepath.Join(m.Truth, "messages.csv")
	for _, f := range []string{pcap, msgs} {
		os.Remove(f)
		if err := syscall.Mkfifo(f, 0o644); err != nil {
			return err
		}
	}
	drained := make(chan struct{})
	go func() { // messages.csv is not needed here
		if f, err := os.Open(msgs); err == nil {
			io.Copy(io.Discard, f)
			f.Close()
		}
		close(drained)
	}()
	perr := make(chan error, 1)
	go func() { perr <- m.probe(pcap, m.Dir) }()
	_, err := sim.Run(sim.Config{Seed: m.Seed, Subscribers: m.Subscribers, Days: m.Days, Start: Start, Scenario: sc, PCAP: pcap, TruthDir: m.Truth})
	<-drained
	if perr := <-perr; err == nil {
		err = perr
	}
	os.Remove(pcap)
	os.Remove(msgs)
	return err
}

func (m *Month) generate() error {
	if m.probe != nil {
		if err := os.MkdirAll(m.Truth, 0o755); err != nil {
			return err
		}
		sc, err := scenario.Load(m.Scenario)
		if err != nil {
			return err
		}
		return m.fromCapture(sc)
	}
	for _, d := range []string{m.Truth, filepath.Join(m.Dir, "dwell"), filepath.Join(m.Dir, "events"), filepath.Join(m.Dir, "subscribers")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	sc, err := scenario.Load(m.Scenario)
	if err != nil {
		return err
	}
	// messages.csv (gigabytes for a month) goes through a pipe and is turned
	// into events as it is written. The simulator writes subscribers.csv first.
	fifo := filepath.Join(m.Truth, "messages.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		return err
	}
	type result struct {
		evs []Event
		err error
	}
	evc := make(chan result, 1)
	go func() {
		evs, err := m.events(fifo)
		evc <- result{evs, err}
	}()
	_, err = sim.Run(sim.Config{Seed: m.Seed, Subscribers: m.Subscribers, Days: m.Days, Start: Start, Scenario: sc, PCAP: os.DevNull, TruthDir: m.Truth})
	if err != nil {
		// Release a reader still waiting for a writer.
		if f, e := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); e == nil {
			f.Close()
		}
		<-evc
		return err
	}
	ev := <-evc
	if ev.err != nil {
		return ev.err
	}
	os.Remove(fifo)
	return m.tables(ev.evs)
}

// subscribers reads the truth subscribers.csv.
func (m *Month) subscribers() ([]map[string]string, error) {
	return readCSV(filepath.Join(m.Truth, "subscribers.csv"))
}

// events derives the events from the messages written into fifo; they are
// kept in memory until subscribers.csv gives the numbers.
func (m *Month) events(fifo string) ([]Event, error) {
	f, err := os.Open(fifo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var evs []Event
	err = deriveEvents(f, func(e *Event) error {
		evs = append(evs, *e)
		return nil
	})
	if err != nil {
		io.Copy(io.Discard, f)
	}
	return evs, err
}

// tables writes the events, dwell and subscribers tables from the truth.
func (m *Month) tables(evs []Event) error {
	subs, err := m.subscribers()
	if err != nil {
		return err
	}
	msisdn, roamer := map[string]string{}, map[string]bool{}
	for _, s := range subs {
		msisdn[s["imsi"]] = s["msisdn"]
		roamer[s["imsi"]] = s["role"] == "roamer"
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].TS < evs[j].TS })
	for i := range evs {
		e := &evs[i]
		e.MSISDN, e.Roamer = msisdn[e.IMSI], roamer[e.IMSI]
		if e.Peer != "" {
			e.Peer = msisdn[e.Peer]
		}
	}
	if err := parquet.WriteFile(filepath.Join(m.Dir, "events", "part-0.parquet"), evs); err != nil {
		return err
	}
	in, err := os.Open(filepath.Join(m.Truth, "dwell.csv"))
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(m.Dir, "dwell", "part-0.parquet"))
	if err != nil {
		return err
	}
	defer out.Close()
	w := parquet.NewGenericWriter[Dwell](out)
	r := csv.NewReader(in)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return err
	}
	seen := map[string][2]int64{}
	buf := make([]Dwell, 0, 4096)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		lac, _ := strconv.ParseUint(rec[1], 10, 16)
		ci, _ := strconv.ParseUint(rec[2], 10, 16)
		st, _ := strconv.ParseInt(rec[3], 10, 64)
		en, _ := strconv.ParseInt(rec[4], 10, 64)
		d := Dwell{IMSI: rec[0], MSISDN: msisdn[rec[0]], LAC: uint16(lac), CI: uint16(ci), StartTS: st, EndTS: en, Roamer: roamer[rec[0]]}
		buf = append(buf, d)
		if fl, ok := seen[d.IMSI]; !ok {
			seen[d.IMSI] = [2]int64{st, en}
		} else {
			seen[d.IMSI] = [2]int64{min(fl[0], st), max(fl[1], en)}
		}
		if len(buf) == cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	rows := make([]Subscriber, 0, len(subs))
	for _, s := range subs {
		fl, ok := seen[s["imsi"]]
		if !ok {
			continue // never seen by the probe
		}
		rows = append(rows, Subscriber{IMSI: s["imsi"], MSISDN: s["msisdn"], IMEI: s["imei"], HomeMCC: s["home_mcc"], HomeMNC: s["home_mnc"], FirstSeen: fl[0], LastSeen: fl[1]})
	}
	return parquet.WriteFile(filepath.Join(m.Dir, "subscribers", "part-0.parquet"), rows)
}

// Members returns the IMSIs of group's members in the truth.
func (m *Month) Members(group string) (map[string]bool, error) {
	subs, err := m.subscribers()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, s := range subs {
		if s["role"] == "member" && s["group"] == group {
			out[s["imsi"]] = true
		}
	}
	return out, nil
}

// Known samples share of group's members (at least 2), the list an account
// manager would give to calibrate k, sorted.
func (m *Month) Known(group string, share float64, seed uint64) ([]string, error) {
	mem, err := m.Members(group)
	if err != nil {
		return nil, err
	}
	all := make([]string, 0, len(mem))
	for imsi := range mem {
		all = append(all, imsi)
	}
	sort.Strings(all)
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	n := max(2, int(share*float64(len(all))+0.5))
	out := all[:min(n, len(all))]
	sort.Strings(out)
	return out, nil
}

// WriteKnown writes imsis as a --known CSV file.
func WriteKnown(path string, imsis []string) error {
	b := []byte("imsi\n")
	for _, s := range imsis {
		b = append(b, s...)
		b = append(b, '\n')
	}
	return os.WriteFile(path, b, 0o644)
}

// readCSV reads a CSV file with a header into maps.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	out := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, h := range recs[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}
