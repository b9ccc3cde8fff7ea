package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// Roles as written to subscribers.csv.
const (
	roleResident = iota
	roleMember
	roleNeighbour
	roleVisitor
	roleRelative
	roleDelivery
	roleRoamer
	roleCardFarm
)

var roleNames = [...]string{"resident", "member", "neighbour", "visitor", "relative", "delivery", "roamer", "cardfarm"}

// subscriber is one SIM and its owner's habits, plus the network's view of it.
type subscriber struct {
	imsi, msisdn, imei, imeisv string
	partner                    int16 // roaming partner index, -1 for home subscribers
	role                       uint8
	group                      int16 // group index for members, neighbours, visitors, relatives
	home, day                  int32 // home and daytime cells (day -1: none)
	workMask                   uint8 // working weekdays (members)
	workStart, workEnd         int64 // seconds after local midnight
	worksToday                 bool  // members: today is a working day of theirs (at the office or at home)
	nightOff, silentOff        bool
	rel                        int32 // the member a relative calls; a member's first colleague
	arrive, depart             int64 // roamers: unix seconds
	segment                    uint8

	// Network state.
	on         bool   // switched on and registered
	cell       int32  // camped cell (truth)
	serving    int32  // cell the signaling last showed (dwell truth)
	vlrLA      int32  // location area the VLR holds, -1 unknown
	msc        int8   // serving MSC/VLR, -1 none
	detached   bool   // VLR holds it as IMSI-detached
	tmsi       uint32 // current TMSI (0: none)
	tmsiVLR    int8   // the VLR that allocated tmsi, + 1 (0: none, or abroad)
	vectors    uint8
	cksn       uint8
	authSer    uint32
	cmCount    uint16
	lastSeen   int64 // ns: end of the last radio contact
	busyUntil  int64 // ns: radio connection in use until then
	setupUntil int64 // ns: messages of a call setup are queued until then
	call       int32 // active call index, -1 none
	conn       conn  // active connection (valid while in a call)
	leg        int32 // events.csv call leg of the active call (+1), 0 none
	trip       *trip // a journey abroad during the capture, nil none
	plan       []stay
	planIdx    int
	locStart   int64 // start of the current location.csv interval (ns), -1 none
	locCell    int32
	next       [nTimers]int64
}

// Per-subscriber timers; the subscriber's event time is the earliest.
const (
	tMove = iota
	tLU
	tCall
	tSMS
	tMisc
	tCallEnd
	tDay
	tTrip     // a traveller registers abroad
	tCampaign // a contacted subscriber answers a campaign
	nTimers
)

// stay: from t on the phone camps on cell, or is off.
type stay struct {
	t      int64
	cell   int32
	off    bool
	detach bool // switching off sends IMSI detach (false: battery dies)
}

func pick[T any](rng *rand.Rand, xs []T, weight func(T) float64) int {
	total := 0.0
	for _, x := range xs {
		total += weight(x)
	}
	r := rng.Float64() * total
	for i, x := range xs {
		r -= weight(x)
		if r < 0 {
			return i
		}
	}
	return len(xs) - 1
}

// populate creates n subscribers with their roles and habits.
func (g *gen) populate(n int) {
	sc, rng, nw := g.sc, g.rng, g.nw
	subs := make([]subscriber, 0, n)
	add := func(role uint8, group int16) *subscriber {
		i := len(subs)
		s := subscriber{role: role, group: group, partner: -1, day: -1, rel: -1, call: -1, msc: -1, vlrLA: -1, locStart: -1}
		// Scrambled but unique: multiplying by a prime coprime to the modulus is a bijection.
		msin := 15 - len(sc.PLMN.MCC) - len(sc.PLMN.MNC)
		s.imsi = fmt.Sprintf("%s%s%0*d", sc.PLMN.MCC, sc.PLMN.MNC, msin, (uint64(i)*7919+12345)%pow10(msin))
		s.msisdn = fmt.Sprintf("%s%s%07d", sc.CC, sc.NDC, 1000000+(uint64(i)*104729)%9000000)
		d := sc.Devices[pick(rng, sc.Devices, func(d scenario.Device) float64 { return d.Weight })]
		snr := rng.IntN(1000000)
		s.imei = luhn(fmt.Sprintf("%s%06d", d.TAC, snr))
		s.imeisv = fmt.Sprintf("%s%06d%02d", d.TAC, snr, 1+rng.IntN(20))
		s.home = nw.randomCell(rng)
		s.segment = uint8(rng.IntN(4))
		subs = append(subs, s)
		return &subs[len(subs)-1]
	}
	// Groups: members first, then the people around them.
	type grp struct{ members []int32 }
	groups := make([]grp, len(sc.Groups))
	for gi, gc := range sc.Groups {
		r := nw.regionByName(gc.Region)
		mask, _ := regions.ParseWeekdays(gc.Workdays)
		st, _ := scenario.ParseClock(gc.Start)
		en, _ := scenario.ParseClock(gc.End)
		ss, _ := scenario.ParseClock(gc.ShiftStart)
		se, _ := scenario.ParseClock(gc.ShiftEnd)
		size := max(3, int(gc.Share*float64(n)+0.5))
		for range size {
			s := add(roleMember, int16(gi))
			s.day = nw.regionCell(r, rng)
			s.workMask = mask
			s.workStart, s.workEnd = int64(st.Seconds()), int64(en.Seconds())
			switch x := rng.Float64(); {
			case x < gc.PartTime:
				s.workMask = partTime(mask, rng)
			case x < gc.PartTime+gc.Shift:
				s.workStart, s.workEnd = int64(ss.Seconds()), int64(se.Seconds())
			}
			groups[gi].members = append(groups[gi].members, int32(len(subs)-1))
		}
		members := groups[gi].members
		for range int(gc.Neighbours * float64(size)) {
			s := add(roleNeighbour, int16(gi))
			s.home = nw.regionCell(r, rng)
			if rng.Float64() < 0.3 { // next to the region rather than in it
				s.home = nw.neighbour(s.home, rng)
			}
			if rng.Float64() < 0.6 {
				s.day = nw.randomCell(rng)
			}
		}
		for range int(gc.Visitors * float64(size)) {
			s := add(roleVisitor, int16(gi))
			s.day = nw.regionCell(r, rng)
		}
		for range int(gc.Relatives * float64(size)) {
			s := add(roleRelative, int16(gi))
			s.rel = members[rng.IntN(len(members))]
			if rng.Float64() < sc.Population.Workers {
				s.day = nw.randomCell(rng)
			}
		}
		for k, m := range members {
			// A member's closest contact is a colleague (work_friends of
			// them); the others keep none (they call relatives at random).
			if gc.WorkFriends >= 1 || rng.Float64() < gc.WorkFriends {
				subs[m].rel = members[(k+1)%len(members)]
			}
		}
	}
	p := sc.Population
	for range int(p.Delivery * float64(n)) {
		add(roleDelivery, -1)
	}
	start := g.start.Unix()
	for range int(p.Roamers * float64(n)) {
		s := add(roleRoamer, -1)
		ri := pick(rng, sc.Roaming, func(r scenario.Roaming) float64 { return r.Weight })
		rp := sc.Roaming[ri]
		s.partner = int16(ri)
		i := len(subs) - 1
		s.imsi = fmt.Sprintf("%s%s%0*d", rp.PLMN.MCC, rp.PLMN.MNC, 15-len(rp.PLMN.MCC)-len(rp.PLMN.MNC), 5000000+i*31)
		s.msisdn = fmt.Sprintf("%s%09d", rp.CC, 600000000+i*7)
		// Some are already here when the capture starts; the rest arrive during it.
		days := int64(g.days)
		if rng.Float64() < 0.3 {
			s.arrive = start - int64(rng.IntN(86400))
		} else {
			s.arrive = start + rng.Int64N(days*86400)
		}
		stay := int64(p.RoamerStayDays[0]+rng.IntN(p.RoamerStayDays[1]-p.RoamerStayDays[0]+1)) * 86400
		s.depart = s.arrive + stay + rng.Int64N(12*3600) - 6*3600
		if s.depart < s.arrive+3600 {
			s.depart = s.arrive + 3600
		}
		s.home = nw.randomCell(rng) // hotel
		s.silentOff = rng.Float64() < 0.4
	}
	if cf := p.CardFarm; cf.SIMs > 0 && n >= 500 {
		c := nw.cellAt(cf.Cell[0], cf.Cell[1])
		for range cf.SIMs {
			s := add(roleCardFarm, -1)
			s.home = c
			s.arrive = start + int64(cf.Day)*86400 + int64(cf.Hour)*3600 + rng.Int64N(600)
		}
	}
	for len(subs) < n {
		s := add(roleResident, -1)
		if rng.Float64() < p.Workers {
			s.day = nw.randomCell(rng)
		}
		if rng.Float64() < p.NightOff {
			s.nightOff = true
			s.silentOff = rng.Float64() < p.SilentOff
		}
	}
	g.subs = subs
	g.groupMembers = make([][]int32, len(groups))
	for i := range groups {
		g.groupMembers[i] = groups[i].members
	}
	g.byMSISDN = make(map[string]int32, len(subs))
	for i := range subs {
		g.byMSISDN[subs[i].msisdn] = int32(i)
	}
}

// partTime drops one working day from mask: part-timers work a four-day week.
func partTime(mask uint8, rng *rand.Rand) uint8 {
	var days []int
	for d := range 7 {
		if mask&(1<<d) != 0 {
			days = append(days, d)
		}
	}
	rng.Shuffle(len(days), func(i, j int) { days[i], days[j] = days[j], days[i] })
	var m uint8
	for _, d := range days[:max(1, len(days)-1)] {
		m |= 1 << d
	}
	return m
}

// luhn appends the Luhn check digit to a 14-digit IMEI body (TS 23.003 B.2).
func luhn(body string) string {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}
