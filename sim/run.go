package sim

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sim/wire"
)

// Config is one simulator run.
type Config struct {
	Seed        uint64
	Subscribers int
	Days        int
	Start       time.Time // the first day: a date, starting at midnight in the scenario's time zone
	Scenario    *scenario.Scenario
	PCAP        string // output capture path
	TruthDir    string
	// Progress, if set, is called from the simulation loop about once per
	// simulated minute with the simulated time done so far (of Days×24h),
	// and once more at the end. It must return quickly.
	Progress func(simulated time.Duration)
}

// Stats summarises a run.
type Stats struct {
	Subscribers int
	Packets     uint64
	Messages    uint64
	Bytes       uint64
	Dwells      uint64
	Roles       map[string]int
	Elapsed     time.Duration
}

// Validate checks the run parameters.
func (c *Config) Validate() error {
	switch {
	case c.Scenario == nil:
		return errors.New("no scenario")
	case c.Subscribers < 10 || c.Subscribers > 20_000_000:
		return fmt.Errorf("--subscribers: want 10 to 20000000, got %d", c.Subscribers)
	case c.Days < 1 || c.Days > 92:
		return fmt.Errorf("--days: want 1 to 92, got %d", c.Days)
	case c.Start.Before(FirstDay) || c.Start.AddDate(0, 0, c.Days).After(LastEnd):
		return fmt.Errorf("--start: %s and %d day(s) after it must lie between %s and %s (a pcap counts seconds from 1970 in 32 bits)",
			c.Start.Format("2006-01-02"), c.Days, FirstDay.Format("2006-01-02"), LastEnd.Format("2006-01-02 15:04:05"))
	case c.PCAP == "":
		return errors.New("-o: output pcap path is required")
	case c.TruthDir == "":
		return errors.New("--truth: truth directory is required")
	}
	return nil
}

// FirstDay and LastEnd bound the simulated time: a pcap stamps packets with
// unsigned 32-bit seconds since 1970.
var (
	FirstDay = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	LastEnd  = time.Unix(1<<32-1, 0).UTC()
)

// Run simulates and writes the capture and the truth files.
func Run(c Config) (Stats, error) {
	if err := c.Validate(); err != nil {
		return Stats{}, err
	}
	began := time.Now()
	if err := os.MkdirAll(c.TruthDir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("truth directory: %w", err)
	}
	files := map[string]*os.File{}
	create := func(path string) (*os.File, error) {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		files[path] = f
		return f, nil
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	pcapF, err := create(c.PCAP)
	if err != nil {
		return Stats{}, err
	}
	msgF, err := create(filepath.Join(c.TruthDir, "messages.csv"))
	if err != nil {
		return Stats{}, err
	}
	dwellF, err := create(filepath.Join(c.TruthDir, "dwell.csv"))
	if err != nil {
		return Stats{}, err
	}
	locF, err := create(filepath.Join(c.TruthDir, "location.csv"))
	if err != nil {
		return Stats{}, err
	}
	evF, err := create(filepath.Join(c.TruthDir, "events.csv"))
	if err != nil {
		return Stats{}, err
	}
	campF, err := create(filepath.Join(c.TruthDir, "campaigns.csv"))
	if err != nil {
		return Stats{}, err
	}
	clk := newClock(c.Scenario.Loc, c.Scenario.Cal)
	y, m, d := c.Start.Date()
	start := time.Unix(clk.midnight(y, m, d), 0).UTC()
	g := &gen{
		sc:       c.Scenario,
		rng:      rand.New(rand.NewPCG(c.Seed, 0x5167_7072_6f62_6500)),
		clk:      clk,
		start:    start,
		days:     c.Days,
		end:      clk.midnight(y, m, d+c.Days) * sec,
		t3212:    int64(c.Scenario.Network.T3212Minutes) * 60 * sec,
		progress: c.Progress,
	}
	g.nw = build(c.Scenario, g.rng)
	g.hlrTID = g.rng.Uint32()
	// Travellers and the marketing model draw from their own stream.
	g.xr = rand.New(rand.NewPCG(c.Seed, 0x726f_616d_2d6f_7574))
	g.addISC(g.xr)
	g.populate(c.Subscribers)
	g.planTrips()
	g.out, err = newOutput(pcapF, msgF, dwellF, evF, g.nw, g.subs, time.Duration(c.Scenario.Transport.BundleWindowUS)*time.Microsecond)
	if err != nil {
		return Stats{}, err
	}
	g.loc = newCSV(locF, "imsi,lac,ci,start_ts,end_ts")
	g.initCampaigns(newCSV(campF, "campaign,imsi,contact_ts,control,respond_ts"))
	g.initState()
	for i := range g.subs {
		if t := g.subs[i].trip; t != nil {
			g.subs[i].next[tTrip] = t.abroad
		}
	}
	g.resets()
	if err := g.run(); err != nil {
		return Stats{}, err
	}
	if err := g.out.close(g.end); err != nil {
		return Stats{}, err
	}
	if err := g.loc.close(); err != nil {
		return Stats{}, err
	}
	if err := g.campaignOut.close(); err != nil {
		return Stats{}, err
	}
	if err := g.writeTruth(c.TruthDir); err != nil {
		return Stats{}, err
	}
	for path, f := range files {
		if err := f.Close(); err != nil {
			return Stats{}, fmt.Errorf("%s: %w", path, err)
		}
		delete(files, path)
	}
	st := Stats{Subscribers: len(g.subs), Packets: g.out.frame, Messages: g.out.nMsgs, Bytes: g.out.nBytes,
		Dwells: g.out.nDwell, Roles: map[string]int{}, Elapsed: time.Since(began)}
	for i := range g.subs {
		st.Roles[roleNames[g.subs[i].role]]++
	}
	return st, nil
}

// initState puts every subscriber where the first day's plan starts, as the
// network would hold it when the capture begins: registered with a TMSI the
// probe has not seen, some authentication vectors left, mid-way through T3212.
func (g *gen) initState() {
	d0 := g.start.Unix()
	for k := range g.subs {
		i := int32(k)
		s := &g.subs[i]
		for t := range s.next {
			s.next[t] = never
		}
		s.serving = -1
		g.planDay(i, d0)
		s.next[tDay] = g.clk.next(d0) * sec
		first := s.plan[0]
		switch {
		case s.role == roleCardFarm || s.role == roleRoamer && s.arrive >= d0:
			if s.role == roleRoamer {
				s.tmsi = g.foreignTMSI() // from the home network; useless here
			}
		default:
			s.cell = s.home
			if !first.off {
				s.cell = first.cell
			}
			la := g.nw.cells[s.cell].la
			s.vlrLA, s.msc = la, int8(g.nw.las[la].msc)
			s.tmsi = g.newTMSI(i)
			s.vectors = uint8(g.rng.IntN(g.sc.Network.AuthVectors))
			s.cksn = uint8(g.rng.IntN(7))
			s.authSer = 1000
			s.lastSeen = g.start.UnixNano() - g.rng.Int64N(g.t3212)
			if first.off {
				s.detached = first.detach
				s.lastSeen -= 3600 * sec
			} else {
				s.on = true
				s.next[tLU] = s.lastSeen + g.t3212
				s.planIdx = 1
				s.locStart, s.locCell = g.start.UnixNano(), s.cell
				if len(s.plan) > 1 {
					s.next[tMove] = s.plan[1].t
				} else {
					s.next[tMove] = never
				}
			}
		}
		tr := g.sc.Traffic
		s.next[tCall] = g.poisson(g.start.UnixNano(), g.callRate(i))
		s.next[tSMS] = g.poisson(g.start.UnixNano(), tr.SMSPerDay)
		s.next[tMisc] = g.poisson(g.start.UnixNano(), tr.USSDPerDay+tr.LocationQueriesPerDay)
		s.next[tCallEnd] = never
	}
}

// resets schedules one BSC restart a day: BSSMAP Reset from the BSC,
// Reset Acknowledge from its MSC (connectionless, SSN 254).
func (g *gen) resets() {
	for d := range g.days {
		la := &g.nw.las[g.rng.IntN(len(g.nw.las))]
		b, m := &g.nw.bscs[la.bsc], &g.nw.mscs[la.msc]
		t := g.start.UnixNano() + int64(d)*86400*sec + g.rng.Int64N(86400*sec)
		if t >= g.end {
			continue
		}
		p := g.out.msg(t, b.link, 0, 0)
		g.bss = wire.Reset(g.bss[:0], 0x07) // O&M intervention
		p.buf = wire.UDT(p.buf, 0, aAddr(m), aAddr(b), g.bss)
		p.add(row{sub: -1, proto: protoBSSMAP, typ: 0x30, name: "Reset", obs: -1})
		g.out.push(p)
		p = g.out.msg(t+g.lat(20, 200), b.link, 1, 0)
		g.bss = wire.ResetAck(g.bss[:0])
		p.buf = wire.UDT(p.buf, 0, aAddr(b), aAddr(m), g.bss)
		p.add(row{sub: -1, proto: protoBSSMAP, typ: 0x31, name: "Reset Acknowledge", obs: -1})
		g.out.push(p)
	}
}

func (g *gen) openLocation(i int32) {
	s := &g.subs[i]
	s.locStart, s.locCell = g.now, s.cell
}

// closeLocation ends i's current location.csv interval at t.
func (g *gen) closeLocation(i int32, t int64) {
	s := &g.subs[i]
	if s.locStart < 0 {
		return
	}
	if t/sec > s.locStart/sec {
		c := g.nw.cells[s.locCell].cgi
		g.loc.row(s.imsi, strconv.Itoa(int(c.LAI.LAC)), strconv.Itoa(int(c.CI)),
			strconv.FormatInt(s.locStart/sec, 10), strconv.FormatInt(t/sec, 10))
	}
	s.locStart = -1
}

// csvWriter writes simple CSV rows whose fields never need quoting.
type csvWriter struct {
	w   *bufio.Writer
	buf []byte
}

func newCSV(f *os.File, header string) *csvWriter {
	c := &csvWriter{w: bufio.NewWriterSize(f, 1<<16)}
	c.w.WriteString(header + "\n")
	return c
}

func (c *csvWriter) row(fields ...string) {
	b := c.buf[:0]
	for k, f := range fields {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, f...)
	}
	b = append(b, '\n')
	c.w.Write(b)
	c.buf = b
}

func (c *csvWriter) close() error { return c.w.Flush() }

// writeTruth writes subscribers.csv, attributes.csv, regions.yaml and README.
func (g *gen) writeTruth(dir string) error {
	write := func(name string, fill func(f *os.File) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	segments := []string{"consumer", "youth", "business", "premium"}
	err := write("subscribers.csv", func(f *os.File) error {
		c := newCSV(f, "imsi,msisdn,imei,home_mcc,home_mnc,group,role,msisdn_ts_ns")
		for i := range g.subs {
			s := &g.subs[i]
			mcc, mnc := g.sc.PLMN.MCC, g.sc.PLMN.MNC
			if s.partner >= 0 {
				p := g.sc.Roaming[s.partner].PLMN
				mcc, mnc = p.MCC, p.MNC
			}
			grp := ""
			if s.group >= 0 {
				grp = g.sc.Groups[s.group].Name
			}
			known := ""
			if ts := g.out.revealedAt[i]; ts > 0 {
				known = strconv.FormatInt(ts, 10)
			}
			c.row(s.imsi, s.msisdn, s.imei, mcc, mnc, grp, roleNames[s.role], known)
		}
		return c.close()
	})
	if err != nil {
		return err
	}
	err = write("attributes.csv", func(f *os.File) error {
		c := newCSV(f, "msisdn,segment,tags")
		for i := range g.subs {
			s := &g.subs[i]
			if s.partner >= 0 {
				continue // the operator has no profile of inbound roamers
			}
			tags := "prepaid"
			if s.segment >= 2 {
				tags = "postpaid"
			}
			if s.role == roleMember || s.day >= 0 && s.segment == 2 {
				tags += ";commuter"
			}
			c.row(s.msisdn, segments[s.segment], tags)
		}
		return c.close()
	})
	if err != nil {
		return err
	}
	// Consent lists as an operator would export them: most home subscribers
	// and some roamers (welcome SMS) opted in to location-based offers, a few
	// opted out of everything.
	if err := os.MkdirAll(filepath.Join(dir, "consent"), 0o755); err != nil {
		return err
	}
	for _, list := range []struct {
		name string
		keep func(s *subscriber, x uint64) bool
	}{
		{"opt_in.txt", func(s *subscriber, x uint64) bool { return x%100 < 70 && (s.partner < 0 || x%100 < 40) }},
		{"opt_out.txt", func(s *subscriber, x uint64) bool { return x%100 >= 97 }},
	} {
		err = write(filepath.Join("consent", list.name), func(f *os.File) error {
			w := bufio.NewWriter(f)
			w.WriteString("# MSISDNs, one per line\n")
			for i := range g.subs {
				if s := &g.subs[i]; list.keep(s, mix(uint64(i)^0xc0)) {
					w.WriteString(s.msisdn)
					w.WriteByte('\n')
				}
			}
			return w.Flush()
		})
		if err != nil {
			return err
		}
	}
	err = write("regions.yaml", func(f *os.File) error {
		var rf regions.File
		for _, r := range g.nw.regions {
			reg := regions.Region{Name: r.name, Kind: r.kind}
			for _, c := range r.cells {
				cg := g.nw.cells[c].cgi
				reg.Cells = append(reg.Cells, regions.Cell{LAC: cg.LAI.LAC, CI: cg.CI})
			}
			rf.Regions = append(rf.Regions, reg)
		}
		cal := ""
		if g.sc.Cal != nil {
			cal = "calendar.csv"
		}
		for _, gr := range g.sc.Groups {
			rf.Groups = append(rf.Groups, regions.Group{Name: gr.Name, Region: gr.Region, Workdays: gr.Workdays, Start: gr.Start, End: gr.End,
				Timezone: g.sc.Timezone, Calendar: cal})
		}
		return rf.Write(f)
	})
	if err != nil {
		return err
	}
	if g.sc.Cal != nil {
		if err := write("calendar.csv", func(f *os.File) error { return g.sc.Cal.Write(f) }); err != nil {
			return err
		}
	}
	return write("README", func(f *os.File) error {
		_, err := f.WriteString(truthReadme)
		return err
	})
}
