package track

import (
	"reflect"
	"slices"
	"testing"

	"github.com/sigprobe/sigprobe/probe/ckpt"
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
		{Resolver{}, []string{"Stats", "conns", "cslab", "cfree", "txns", "tslab", "tfree", "prov", "hoSrc", "rands", "waiting", "waitingTMSI", "sweep", "hourly", "orphans"},
			[]string{"emit", "st", "orphanN", "Trace", "pfree", "maxAge", "gap", "obs", "maxConns", "maxTxns", "maxHeld", "heldN", "victims"}},
		{conn{}, []string{"assoc", "refs", "has", "bscSide", "imsi", "tmsi", "cell", "target", "detached", "last", "luType", "callMO", "inCall", "smsDone", "peer", "setup", "answer", "release", "cause", "held", "rand"}, nil},
		{orphan{}, []string{"k", "m"}, nil},
		{txn{}, []string{"imsi", "msisdn", "keys", "nkeys", "last", "told"}, nil},
		{heldBuf{}, []string{"cut", "runs", "evs", "last", "frames"}, nil},
		{provisional{}, []string{"held", "tmsis"}, nil},
		{Obs{}, []string{"TS", "IMSI", "Kind", "Cell", "MSISDN", "IMEI", "Event"}, nil},
		{Event{}, []string{"Kind", "Peer", "SetupTS", "AnswerTS", "ReleaseTS", "Cause"}, nil},
		{State{}, []string{"Stats", "subs", "tmsi", "wheelMin", "reg", "timeout"}, []string{"cfg", "out", "flush", "idx", "due", "rules", "fact", "Persist"}},
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
