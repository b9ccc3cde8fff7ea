package track

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/probe/ckpt"
	"github.com/sigprobe/sigprobe/sink"
)

// Every field of the tracking state is either written to checkpoints
// (checkpoint.go) or derived from the configuration or the saved fields.
// A field added without deciding which fails here: a restart from a
// checkpoint would otherwise silently forget it.
func TestCheckpointCoversEveryField(t *testing.T) {
	for _, tc := range []struct {
		v              any
		saved, derived []string
	}{
		{Resolver{}, []string{"Stats", "conns", "cslab", "cfree", "txns", "tslab", "tfree", "prov", "hoSrc", "rands", "waiting", "waitingTMSI", "las", "sendIDs", "sweep", "hourly", "orphans", "mapMSISDN", "link"},
			[]string{"emit", "st", "orphanN", "plmns", "Trace", "pfree", "maxAge", "gap", "obs", "maxConns", "maxTxns", "maxHeld", "heldN", "victims"}},
		{conn{}, []string{"assoc", "refs", "has", "bscSide", "imsi", "vlr", "tmsi", "cell", "target", "detached", "last", "luType", "callMO", "inCall", "smsDone", "peer", "setup", "answer", "release", "cause", "held", "rand", "callCell", "moLeg"}, nil},
		{orphan{}, []string{"k", "m"}, nil},
		{callLinker{}, []string{"legs", "next", "votes"}, []string{"window", "need"}},
		{moLeg{}, []string{"seq", "ts", "caller", "called", "open"}, nil},
		{numberVote{}, []string{"num", "n", "told"}, nil},
		{txn{}, []string{"imsi", "msisdn", "keys", "nkeys", "last", "told", "sendIDTMSI"}, nil},
		{heldBuf{}, []string{"cut", "runs", "evs", "last", "frames"}, nil},
		{provisional{}, []string{"held"}, nil},
		{Obs{}, []string{"TS", "IMSI", "Kind", "Cell", "MSISDN", "IMEI", "Event"}, nil},
		{Event{}, []string{"Kind", "Peer", "SetupTS", "AnswerTS", "ReleaseTS", "Cause"}, nil},
		{State{}, []string{"Stats", "subs", "tmsi", "vlrs", "wheelMin", "reg", "timeout", "abroad"}, []string{"cfg", "out", "flush", "idx", "vlrIDs", "due", "rules", "fact", "Persist"}},
		{subState{}, []string{"imsi", "msisdn", "imei", "cell", "dwellStart", "lastSeen", "firstSeen", "lastAny", "offAt"}, nil},
		{regionState{}, []string{"live", "since", "ring", "settled", "occ", "roam", "Late"}, []string{"names", "cells", "onMove", "at", "lastMin", "lastPos", "maxEnts"}},
		{minuteSlot{}, []string{"min", "ents"}, nil},
		{regionCount{}, []string{"g", "in", "out", "rIn", "rOut", "hist"}, nil},
	} {
		typ := reflect.TypeOf(tc.v)
		for i := range typ.NumField() {
			f := typ.Field(i).Name
			if !slices.Contains(tc.saved, f) && !slices.Contains(tc.derived, f) {
				t.Errorf("%s.%s is neither saved in checkpoints nor listed as derived: decide (checkpoint.go) and list it here", typ.Name(), f)
			}
		}
	}
}

// The Stats types are saved field by field by reflection: they must hold
// uint64 counters only (or structs of them).
func TestStatsAreCounters(t *testing.T) {
	var check func(typ reflect.Type)
	check = func(typ reflect.Type) {
		for i := range typ.NumField() {
			switch f := typ.Field(i); f.Type.Kind() {
			case reflect.Uint64:
			case reflect.Struct:
				check(f.Type)
			default:
				t.Errorf("%s.%s is %v: checkpoints save only uint64 counters", typ.Name(), f.Name, f.Type)
			}
		}
	}
	for _, v := range []any{ResolverStats{}, StateStats{}} {
		check(reflect.TypeOf(v))
	}
}

func TestLoadStateRejectsOtherVersions(t *testing.T) {
	e := ckpt.NewEnc(0)
	e.Uvarint(stateVersion + 1)
	if err := NewResolver(NewState(DefaultConfig(), nil, nil)).LoadState(ckpt.NewDec(e.Bytes())); err == nil {
		t.Error("resolver state of another version accepted")
	}
	s := NewState(DefaultConfig(), nil, nil)
	if err := s.LoadState(ckpt.NewDec(e.Bytes())); err == nil {
		t.Error("state of another version accepted")
	}
	if err := s.LoadState(ckpt.NewDec([]byte{stateVersion, 1, 2})); err == nil {
		t.Error("truncated state accepted")
	}
}

// BenchmarkCheckpoint1M encodes and decodes the state of 1,000,000
// subscribers with a TMSI each: the pause a live probe's pipeline takes
// at each checkpoint (the file is written on another goroutine).
func BenchmarkCheckpoint1M(b *testing.B) {
	const n = 1_000_000
	var batch sink.Batch
	cfg := DefaultConfig()
	st := NewState(cfg, &batch, func(bt *sink.Batch) { bt.Reset() })
	res := NewResolver(st)
	base := int64(1790812800e9)
	for i := range n {
		imsi := sink.Digits(15<<56 | uint64(1010000000000+i))
		o := Obs{TS: base + int64(i)*1000, IMSI: imsi, Kind: obsCell, Cell: mkCell(uint16(256+i%30), uint16(10000+i%480))}
		st.Observe(&o)
		res.learnTMSI(mkTMSIKey(uint16(i%8), uint32(i*2654435761)), imsi, base)
	}
	var size int
	for b.Loop() {
		t0 := time.Now()
		e := ckpt.NewEnc(64 * n)
		res.SaveState(e)
		st.SaveState(e)
		enc := time.Since(t0)
		size = e.Len()
		t1 := time.Now()
		st2 := NewState(cfg, &batch, nil)
		d := ckpt.NewDec(e.Bytes())
		if err := NewResolver(st2).LoadState(d); err != nil {
			b.Fatal(err)
		}
		if err := st2.LoadState(d); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(enc.Seconds(), "encode-s")
		b.ReportMetric(time.Since(t1).Seconds(), "decode-s")
	}
	b.ReportMetric(float64(size)/n, "bytes/sub")
}
