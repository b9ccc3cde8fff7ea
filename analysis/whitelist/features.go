package whitelist

import (
	"errors"
	"fmt"
	"sort"

	"github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/format/regions"
)

// Run computes the whitelist from the Parquet tables under dir: dwell
// (imsi, lac, ci, start_ts, end_ts), subscribers (imsi, msisdn) and, with
// p.CallGraph, events (imsi, ts, peer).
func Run(dir string, rf *regions.File, p Params) (*Result, error) {
	g, err := resolve(rf, p)
	if err != nil {
		return nil, err
	}
	in, err := features(dir, g, p)
	if err != nil {
		return nil, err
	}
	return Select(in, p, g.sharing)
}

// Features returns what group_whitelist.sql returns, from Parquet files.
func Features(dir string, rf *regions.File, p Params) (*Input, error) {
	g, err := resolve(rf, p)
	if err != nil {
		return nil, err
	}
	return features(dir, g, p)
}

// hit is presence of one subscriber in one region cell in one hourly slot
// (slot start on the local axis).
type hit struct {
	c    cell
	slot int64
}

func features(dir string, g *group, p Params) (*Input, error) {
	in := &Input{Month: Month{Days: g.nDays, Rest: g.rest}}
	hits := map[string]map[hit]struct{}{}
	dataDays := map[int64]bool{}
	err := scan(dir, "dwell", []string{"imsi", "lac", "ci", "start_ts", "end_ts"}, func(v []parquet.Value) error {
		st, en := integer(v[3]), integer(v[4])
		if en <= g.m0 || st >= g.m1 || en <= st {
			return nil
		}
		a, b := g.local(max(st, g.m0)), g.local(min(en, g.m1)-1)
		for d := day(a); d <= b; d += 86400 {
			dataDays[d] = true
		}
		c := cell{uint16(integer(v[1])), uint16(integer(v[2]))}
		if !g.cells[c] {
			return nil
		}
		imsi := text(v[0])
		h := hits[imsi]
		if h == nil {
			h = map[hit]struct{}{}
			hits[imsi] = h
		}
		for s := (a - g.phase) / 3600; s <= (b-g.phase)/3600; s++ {
			h[hit{c, s*3600 + g.phase}] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	in.Month.DataDays = len(dataDays)
	night := func(sec int64) bool { return sec >= 2*3600 && sec < 5*3600 }
	pool, all := map[string]*Presence{}, map[string]*Presence{}
	for imsi, h := range hits {
		nightDays := map[cell]map[int64]bool{}
		for x := range h {
			if d := day(x.slot); night(x.slot - d) {
				if nightDays[x.c] == nil {
					nightDays[x.c] = map[int64]bool{}
				}
				nightDays[x.c][d] = true
			}
		}
		slots := map[int64]map[int64]bool{} // day -> working-hours slots in non-home cells
		nights := map[int64]bool{}
		for x := range h {
			d := day(x.slot)
			sec := x.slot - d
			if night(sec) {
				nights[d] = true
			}
			if sec >= g.start && sec < g.end && len(nightDays[x.c]) < p.HomeNights {
				if slots[d] == nil {
					slots[d] = map[int64]bool{}
				}
				slots[d][x.slot] = true
			}
		}
		f := &Presence{IMSI: imsi, Nights: len(nights)}
		all[imsi] = f
		for d, s := range slots {
			if len(s) < p.MinSlots {
				continue
			}
			if g.works(d) {
				f.PDays++
			} else {
				f.Offdays++
			}
		}
		if f.PDays+f.Offdays > 0 {
			pool[imsi] = f
		}
	}
	// Numbers.
	msisdn := map[string]string{}
	err = scan(dir, "subscribers", []string{"imsi", "msisdn"}, func(v []parquet.Value) error {
		imsi, n := text(v[0]), text(v[1])
		if n > msisdn[imsi] {
			msisdn[imsi] = n
		} else if _, ok := msisdn[imsi]; !ok {
			msisdn[imsi] = ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	owner := map[string]string{} // number -> IMSI (the smallest, should two share it)
	for imsi, n := range msisdn {
		if n != "" && (owner[n] == "" || imsi < owner[n]) {
			owner[n] = imsi
		}
	}
	in.Month.Numbers = len(owner)
	for _, k := range p.Known {
		imsi := owner[k]
		if _, ok := msisdn[k]; ok {
			imsi = k
		} else if _, ok := hits[k]; ok {
			imsi = k
		}
		if imsi == "" {
			continue
		}
		if pool[imsi] == nil {
			pool[imsi] = all[imsi]
			if pool[imsi] == nil {
				pool[imsi] = &Presence{IMSI: imsi}
			}
		}
		pool[imsi].Known = true
	}
	for imsi, f := range pool {
		f.MSISDN = msisdn[imsi]
	}
	// Call graph: distinct on-net peers in the group's working hours.
	if p.CallGraph {
		adj := map[string]map[string]bool{}
		link := func(a, b string) {
			if adj[a] == nil {
				adj[a] = map[string]bool{}
			}
			adj[a][b] = true
		}
		err = scan(dir, "events", []string{"imsi", "ts", "peer"}, func(v []parquet.Value) error {
			ts := integer(v[1])
			if ts < g.m0 || ts >= g.m1 || v[2].IsNull() {
				return nil
			}
			b := owner[string(v[2].ByteArray())]
			a := string(v[0].ByteArray())
			if b == "" || b == a {
				return nil // an off-net peer, or none
			}
			l := g.local(ts)
			if sec := l - day(l); sec < g.start || sec >= g.end || !g.works(day(l)) {
				return nil
			}
			if pool[a] != nil || pool[b] != nil {
				link(a, b)
				link(b, a)
			}
			return nil
		})
		if errors.Is(err, ErrNoTable) {
			return nil, fmt.Errorf("%w (the call-graph stage needs the events table; without it, turn the stage off)", err)
		}
		if err != nil {
			return nil, err
		}
		for imsi, f := range pool {
			f.Degree = len(adj[imsi])
			for peer := range adj[imsi] {
				if pool[peer] != nil {
					f.Peers = append(f.Peers, peer)
				}
			}
			sort.Strings(f.Peers)
		}
	}
	in.Pool = make([]Presence, 0, len(pool))
	for _, f := range pool {
		in.Pool = append(in.Pool, *f)
	}
	sort.Slice(in.Pool, func(i, j int) bool { return in.Pool[i].IMSI < in.Pool[j].IMSI })
	return in, nil
}
