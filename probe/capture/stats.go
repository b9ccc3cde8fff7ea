package capture

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// SocketStats are the counters of one worker's socket on one interface.
type SocketStats struct {
	Iface  string
	Worker int
	// Received counts packets handed to the handler.
	Received uint64
	// Kernel counters (PACKET_STATISTICS): packets the filter let into the
	// socket, including those dropped because the ring was full (Drops), and
	// how often the ring froze because no block was free.
	KernelPackets uint64
	KernelDrops   uint64
	QueueFreezes  uint64
}

// Stats is a snapshot of a Capture's counters since Open.
type Stats struct {
	Mode    Mode
	Sockets []SocketStats // worker-major: worker 0's interfaces first
	// Totals over Sockets.
	Received, KernelPackets, KernelDrops, QueueFreezes uint64
	// Filter verdicts: the eBPF filter's per-CPU counters in ModeEBPF
	// (dropped there means dropped in the kernel), the user-space filter's in
	// ModeHash.
	FilterPassed, FilterDropped uint64
}

// Stats reads the counters. It may be called at any time, also during Run
// and after Close; it makes a few system calls, so call it per second, not
// per packet.
func (c *Capture) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	c.readKernelStats()
	st := Stats{Mode: c.mode}
	if c.filter != nil {
		if fc, err := c.filter.Counters(); err == nil {
			st.FilterPassed, st.FilterDropped = fc.Passed, fc.Dropped
		}
	} else {
		st.FilterPassed, st.FilterDropped = c.lastFilter.Passed, c.lastFilter.Dropped
	}
	for _, row := range c.socks {
		for _, s := range row {
			ss := SocketStats{
				Iface:         c.cfg.Interfaces[s.iface],
				Worker:        s.worker,
				Received:      s.received.Load(),
				KernelPackets: s.packets,
				KernelDrops:   s.drops,
				QueueFreezes:  s.freezes,
			}
			st.Sockets = append(st.Sockets, ss)
			st.Received += ss.Received
			st.KernelPackets += ss.KernelPackets
			st.KernelDrops += ss.KernelDrops
			st.QueueFreezes += ss.QueueFreezes
			if c.mode == ModeHash {
				st.FilterPassed += s.passed.Load()
				st.FilterDropped += s.dropped.Load()
			}
		}
	}
	return st
}

// readKernelStats adds the kernel's counters (which it resets on each read)
// to the sockets' totals. Callers hold statsMu.
func (c *Capture) readKernelStats() {
	for _, row := range c.socks {
		for _, s := range row {
			if s == nil || s.tp == nil {
				continue
			}
			if k, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
				s.packets += uint64(k.Packets)
				s.drops += uint64(k.Drops)
				s.freezes += uint64(k.Freeze_q_cnt)
			}
		}
	}
}

// String is the one-line summary for shutdown.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "capture (%s): received %d, kernel packets %d, kernel drops %d, queue freezes %d, filter passed %d dropped %d; per worker:",
		s.Mode, s.Received, s.KernelPackets, s.KernelDrops, s.QueueFreezes, s.FilterPassed, s.FilterDropped)
	for _, ss := range s.Sockets {
		fmt.Fprintf(&b, " %s/%d=%d", ss.Iface, ss.Worker, ss.Received)
		if ss.KernelDrops > 0 {
			fmt.Fprintf(&b, "(-%d)", ss.KernelDrops)
		}
	}
	return b.String()
}
