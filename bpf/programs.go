package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// Default SIGTRAN ports and payload protocol identifiers.
var (
	DefaultPorts = []uint16{2905, 3565} // M3UA, M2PA
	DefaultPPIDs = []uint32{3, 5}       // M3UA, M2PA
)

// maxRuleEntries is the size of the ports and ppids maps in sigtran_filter.c.
const maxRuleEntries = 64

// Counters are the socket filter's verdicts, summed over all CPUs.
type Counters struct {
	Passed  uint64
	Dropped uint64
}

// Filter is the loaded sigtran_filter socket program and its maps. Attach it
// with SO_ATTACH_BPF on as many sockets as needed; they share the counters.
type Filter struct {
	objs sigtranFilterObjects
}

// LoadFilter loads the socket filter keeping SCTP packets with a port in
// rules.Ports or a first DATA chunk with a PPID in rules.PPIDs. Empty rule
// lists take the defaults. Errors come from the kernel as they are (for
// example EPERM without CAP_BPF); callers add advice.
func LoadFilter(rules Rules) (*Filter, error) {
	rules = rules.withDefaults()
	if len(rules.Ports) > maxRuleEntries || len(rules.PPIDs) > maxRuleEntries {
		return nil, fmt.Errorf("bpf: at most %d ports and %d PPIDs", maxRuleEntries, maxRuleEntries)
	}
	f := &Filter{}
	if err := loadSigtranFilterObjects(&f.objs, nil); err != nil {
		return nil, fmt.Errorf("bpf: load sigtran_filter: %w", err)
	}
	one := uint8(1)
	for _, p := range rules.Ports {
		if err := f.objs.Ports.Put(p, one); err != nil {
			f.Close()
			return nil, fmt.Errorf("bpf: set port %d: %w", p, err)
		}
	}
	for _, p := range rules.PPIDs {
		if err := f.objs.Ppids.Put(p, one); err != nil {
			f.Close()
			return nil, fmt.Errorf("bpf: set PPID %d: %w", p, err)
		}
	}
	return f, nil
}

// Program returns the socket filter program.
func (f *Filter) Program() *ebpf.Program { return f.objs.SigtranFilter }

// FD returns the program's file descriptor for SO_ATTACH_BPF.
func (f *Filter) FD() int { return f.objs.SigtranFilter.FD() }

// Counters sums the per-CPU passed and dropped counters.
func (f *Filter) Counters() (Counters, error) {
	var c Counters
	var per []uint64
	for key, dst := range map[uint32]*uint64{0: &c.Passed, 1: &c.Dropped} {
		if err := f.objs.Counters.Lookup(key, &per); err != nil {
			return Counters{}, fmt.Errorf("bpf: read counters: %w", err)
		}
		for _, v := range per {
			*dst += v
		}
	}
	return c, nil
}

// Close releases the program and maps. Sockets the program is attached to
// keep their own reference.
func (f *Filter) Close() error { return f.objs.Close() }

// Fanout is the loaded sctp_fanout program for PACKET_FANOUT_EBPF.
type Fanout struct {
	objs sctpFanoutObjects
}

// LoadFanout loads the association-steering program for a group of workers
// sockets. Set it on one socket of the group with PACKET_FANOUT_DATA.
func LoadFanout(workers int) (*Fanout, error) {
	if workers < 1 {
		return nil, errors.New("bpf: fanout needs at least one worker")
	}
	f := &Fanout{}
	if err := loadSctpFanoutObjects(&f.objs, nil); err != nil {
		return nil, fmt.Errorf("bpf: load sctp_fanout: %w", err)
	}
	if err := f.objs.FanoutConfig.Put(uint32(0), uint32(workers)); err != nil {
		f.Close()
		return nil, fmt.Errorf("bpf: set fanout workers: %w", err)
	}
	return f, nil
}

// Program returns the fanout program.
func (f *Fanout) Program() *ebpf.Program { return f.objs.SctpFanout }

// FD returns the program's file descriptor for PACKET_FANOUT_DATA.
func (f *Fanout) FD() int { return f.objs.SctpFanout.FD() }

// Close releases the program and its map; a fanout group keeps its own
// reference.
func (f *Fanout) Close() error { return f.objs.Close() }
