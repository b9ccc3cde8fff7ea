package track

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sigprobe/sigprobe/sink"
)

// The state directory holds one snapshot file, replaced atomically.
const snapshotFile = "state.gob"

// snapshotVersion changes whenever the snapshot's layout does.
const snapshotVersion = 1

// snapshot is what survives a restart: every subscriber's identities, cell
// and times, the TMSI→IMSI map, and who is inside which region since when.
// Open SCCP connections and TCAP transactions do not survive (a restart in
// the middle of a call loses that call's event); neither do region minutes
// not yet settled.
type snapshot struct {
	Version     int
	TS          int64 // capture time of the snapshot, ns
	Subs        []snapSub
	TMSIs       []snapTMSI
	Regions     []snapRegion
	Settled     int64
	Subscribers uint64
}

type snapSub struct {
	IMSI, MSISDN, IMEI                              sink.Digits
	Cell                                            uint32
	DwellStart, LastSeen, FirstSeen, LastAny, OffAt uint32
	Roamer                                          bool
}

type snapTMSI struct {
	TMSI uint32
	IMSI sink.Digits
	TS   int64
}

type snapRegion struct {
	Name      string
	Occupancy uint32
	Roamers   uint32
	Inside    []snapInside
}

type snapInside struct {
	IMSI  sink.Digits
	Since int64
}

// Save writes the state of s and r to dir/state.gob (through a temporary
// file and a rename, so a crash never leaves half a snapshot).
func Save(dir string, s *State, r *Resolver, ts int64) error {
	snap := snapshot{Version: snapshotVersion, TS: ts, Settled: s.reg.settled, Subscribers: s.Stats.Subscribers}
	snap.Subs = make([]snapSub, len(s.subs))
	for i := range s.subs {
		u := &s.subs[i]
		snap.Subs[i] = snapSub{u.imsi, u.msisdn, u.imei, uint32(u.cell), u.dwellStart, u.lastSeen, u.firstSeen, u.lastAny, u.off(), u.roamer()}
	}
	snap.TMSIs = make([]snapTMSI, 0, len(r.tmsi))
	for t, e := range r.tmsi {
		snap.TMSIs = append(snap.TMSIs, snapTMSI{t, e.imsi, e.ts})
	}
	rg := &s.reg
	for g, name := range rg.names {
		sr := snapRegion{Name: name, Occupancy: rg.occ[g], Roamers: rg.roam[g]}
		snap.Regions = append(snap.Regions, sr)
	}
	for k, since := range rg.since {
		u, g := int32(k>>16), int(k&0xffff)
		snap.Regions[g].Inside = append(snap.Regions[g].Inside, snapInside{s.subs[u].imsi, since})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".state-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := gob.NewEncoder(w).Encode(&snap); err != nil {
		tmp.Close()
		return fmt.Errorf("state snapshot: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, snapshotFile))
}

// Restore loads dir/state.gob into a fresh s and r. A missing file is not an
// error (first start); it returns the snapshot's capture time, 0 if none.
func Restore(dir string, s *State, r *Resolver) (int64, error) {
	f, err := os.Open(filepath.Join(dir, snapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&snap); err != nil && err != io.EOF {
		return 0, fmt.Errorf("%s: not a sigprobe state snapshot: %w", f.Name(), err)
	}
	if snap.Version != snapshotVersion {
		return 0, fmt.Errorf("%s: snapshot version %d, this sigprobe reads %d; move it away to start afresh", f.Name(), snap.Version, snapshotVersion)
	}
	s.subs = make([]subState, 0, len(snap.Subs))
	for _, x := range snap.Subs {
		u := subState{imsi: x.IMSI, msisdn: x.MSISDN, imei: x.IMEI, cell: cellKey(x.Cell), dwellStart: x.DwellStart,
			lastSeen: x.LastSeen, firstSeen: x.FirstSeen, lastAny: x.LastAny, offAt: x.OffAt &^ roamerBit}
		if x.Roamer {
			u.offAt |= roamerBit
		}
		s.subs = append(s.subs, u)
		s.idx.put(s.subs, x.IMSI, int32(len(s.subs)-1))
	}
	s.Stats.Subscribers = uint64(len(s.subs))
	for i := range s.subs {
		if s.subs[i].cell != 0 {
			s.schedule(&s.subs[i], 0)
		}
	}
	for _, t := range snap.TMSIs {
		r.tmsi[t.TMSI] = tmsiEntry{t.IMSI, t.TS}
	}
	rg := &s.reg
	for _, sr := range snap.Regions {
		g := -1
		for i, n := range rg.names {
			if n == sr.Name {
				g = i
			}
		}
		if g < 0 {
			continue // region no longer configured
		}
		rg.occ[g], rg.roam[g] = sr.Occupancy, sr.Roamers
		for _, in := range sr.Inside {
			u := s.idx.get(s.subs, in.IMSI)
			if u < 0 {
				continue
			}
			rg.since[uint64(u)<<16|uint64(g)] = in.Since
			rg.live[g]++
		}
	}
	if snap.Settled > 0 {
		rg.settled = snap.Settled
	}
	if snap.TS > 0 {
		s.wheelMin = snap.TS / 60e9 // catch up on silences during the downtime
	}
	s.restored = true
	return snap.TS, nil
}
