package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/sys/unix"

	"github.com/sigprobe/sigprobe/bpf"
)

// Errors Open wraps, for callers that map them to exit codes or advice.
var (
	ErrNoInterface = errors.New("interface not found")
	ErrPermission  = errors.New("permission denied")
	ErrEBPF        = errors.New("eBPF refused")
)

// EBPFMode says whether the eBPF filter and fanout are used.
type EBPFMode int

const (
	// EBPFAuto uses eBPF and, where the kernel refuses it, logs a warning and
	// falls back to hash mode: a classic BPF fanout by SCTP port pair
	// (bpf.PortFanout) with filtering in user space.
	EBPFAuto EBPFMode = iota
	// EBPFRequire makes Open fail when eBPF cannot be used.
	EBPFRequire
	// EBPFOff always uses hash mode.
	EBPFOff
)

// Mode is the fanout mode a Capture ended up in.
type Mode string

const (
	ModeEBPF Mode = "ebpf" // eBPF socket filter, PACKET_FANOUT_EBPF by association
	ModeHash Mode = "hash" // PACKET_FANOUT_CBPF by SCTP port pair, user-space filter
)

// Defaults for zero Config fields.
const (
	DefaultBlockSize    = 1 << 20
	DefaultNumBlocks    = 64
	DefaultBlockTimeout = 50 * time.Millisecond
)

// Config says what to capture. Zero fields take defaults.
type Config struct {
	Interfaces []string // at least one
	// Workers is the number of workers; each reads one socket per interface.
	// 0 means runtime.NumCPU().
	Workers int
	// Ring of each socket: NumBlocks blocks of BlockSize bytes (a multiple of
	// the page size), a block handed over when full or after BlockTimeout.
	// At high rates the ring holds NumBlocks*BlockSize bytes of packets; at
	// low rates each block leaves after BlockTimeout however empty, so a
	// worker can stall for NumBlocks*BlockTimeout before the kernel drops.
	BlockSize    int
	NumBlocks    int
	BlockTimeout time.Duration
	// Signaling to keep: SCTP with a port in Ports, or whose first chunk is
	// DATA with a PPID in PPIDs. Empty means bpf.DefaultPorts/DefaultPPIDs.
	Ports []uint16
	PPIDs []uint32
	EBPF  EBPFMode
	// Logger receives the fallback warning; nil means slog.Default().
	Logger *slog.Logger
}

// Packet is one captured frame as it was on the wire (a VLAN tag the kernel
// took off is put back).
type Packet struct {
	// Data points into the kernel ring: it is valid only until the handler
	// returns and must be copied to be kept.
	Data  []byte
	CI    gopacket.CaptureInfo
	Iface int // index into Config.Interfaces
}

// Capture is an open set of capture sockets. Open it, Run it, Close it.
type Capture struct {
	cfg     Config
	mode    Mode
	filter  *bpf.Filter  // ModeEBPF
	fanout  *bpf.Fanout  // ModeEBPF
	matcher *bpf.Matcher // ModeHash
	socks   [][]*socket  // [worker][interface]

	runMu   sync.Mutex
	running bool
	cancel  context.CancelFunc
	done    chan struct{}
	closed  bool

	statsMu    sync.Mutex   // guards the kernel counters in socket, filter and lastFilter
	lastFilter bpf.Counters // filter counters read at Close
}

type socket struct {
	tp     *afpacket.TPacket
	fd     int
	iface  int
	worker int

	// Written by the worker, read by Stats.
	received atomic.Uint64
	passed   atomic.Uint64 // user-space filter, ModeHash
	dropped  atomic.Uint64

	// Kernel counters, accumulated (the kernel resets them on each read).
	packets, drops, freezes uint64
}

// Open creates the sockets, loads and attaches the eBPF programs and joins
// the fanout groups; packets queue in the rings from here on. Errors wrap
// ErrNoInterface, ErrPermission or ErrEBPF and say what to do.
func Open(cfg Config) (*Capture, error) {
	if len(cfg.Interfaces) == 0 {
		return nil, errors.New("capture: no interface given")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Workers > 1<<12 {
		return nil, fmt.Errorf("capture: %d workers is too many", cfg.Workers)
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	if cfg.NumBlocks <= 0 {
		cfg.NumBlocks = DefaultNumBlocks
	}
	if cfg.BlockTimeout <= 0 {
		cfg.BlockTimeout = DefaultBlockTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BlockSize%os.Getpagesize() != 0 {
		return nil, fmt.Errorf("capture: block size %d is not a multiple of the page size %d", cfg.BlockSize, os.Getpagesize())
	}
	ifindex := make([]int, len(cfg.Interfaces))
	for i, name := range cfg.Interfaces {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return nil, fmt.Errorf("capture: interface %s not found: list interfaces with `ip link`: %w", name, ErrNoInterface)
		}
		ifindex[i] = ifi.Index
	}

	if cfg.EBPF == EBPFOff {
		return open(cfg, ifindex, false)
	}
	c, err := open(cfg, ifindex, true)
	if err == nil || !errors.Is(err, ErrEBPF) || cfg.EBPF == EBPFRequire {
		return c, err
	}
	cfg.Logger.Warn("eBPF unavailable; falling back to hash mode with the SIGTRAN filter in user space: "+
		"associations are kept together by their SCTP port pair (those between the same ports share a worker) "+
		"and non-signaling traffic is copied to user space",
		"component", "capture", "err", err)
	return open(cfg, ifindex, false)
}

func ebpfErr(what string, err error) error {
	hint := "grant CAP_BPF (or run as root), or turn eBPF off to use hash fanout"
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		hint = "need CAP_BPF to load BPF programs: run as root or `setcap cap_net_raw,cap_bpf+ep sigprobe`, or turn eBPF off to use hash fanout"
	}
	return fmt.Errorf("capture: %w: %s: %v: %s", ErrEBPF, what, err, hint)
}

func open(cfg Config, ifindex []int, useEBPF bool) (_ *Capture, err error) {
	c := &Capture{cfg: cfg, mode: ModeHash}
	defer func() {
		if err != nil {
			c.closeAll()
		}
	}()
	// Sockets first: a missing CAP_NET_RAW is the most likely problem and
	// should not be reported as an eBPF one.
	c.socks = make([][]*socket, cfg.Workers)
	for w := range c.socks {
		c.socks[w] = make([]*socket, len(cfg.Interfaces))
		for i, name := range cfg.Interfaces {
			s, err := newSocket(cfg, name, ifindex[i])
			if err != nil {
				return nil, err
			}
			s.iface, s.worker = i, w
			c.socks[w][i] = s
		}
	}
	if useEBPF {
		c.mode = ModeEBPF
		rules := bpf.Rules{Ports: cfg.Ports, PPIDs: cfg.PPIDs}
		if c.filter, err = bpf.LoadFilter(rules); err != nil {
			return nil, ebpfErr("loading the SIGTRAN socket filter", err)
		}
		if c.fanout, err = bpf.LoadFanout(cfg.Workers); err != nil {
			return nil, ebpfErr("loading the SCTP fanout program", err)
		}
	} else {
		c.matcher = bpf.NewMatcher(bpf.Rules{Ports: cfg.Ports, PPIDs: cfg.PPIDs})
	}

	// Join the sockets of each interface to one group in worker order, so
	// the kernel's member index (what the fanout program returns) is the
	// worker number. All sockets still drop everything.
	for i, name := range cfg.Interfaces {
		if err := c.joinGroup(i); err != nil {
			return nil, fmt.Errorf("capture: %s: %w", name, err)
		}
		if err := c.socks[0][i].tp.SetPromiscuous(true); err != nil {
			return nil, permErr(fmt.Sprintf("setting %s promiscuous", name), err)
		}
	}
	// Open the taps: attach the real filter in place of the drop-all one.
	for _, row := range c.socks {
		for _, s := range row {
			if useEBPF {
				err = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, c.filter.FD())
				if err != nil {
					return nil, ebpfErr("attaching the socket filter", err)
				}
			} else if err = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0); err != nil {
				return nil, fmt.Errorf("capture: detaching the setup filter: %w", err)
			}
		}
	}
	return c, nil
}

// joinGroup puts the interface's sockets into one new fanout group whose id
// the kernel picks (PACKET_FANOUT_FLAG_UNIQUEID), so it cannot merge with a
// group of another Capture or process.
//
// Hash mode uses a classic BPF program on the port pair rather than
// PACKET_FANOUT_HASH: the kernel's flow hash covers the addresses, which
// would split the paths of a multi-homed association over workers.
func (c *Capture) joinGroup(iface int) error {
	typ := unix.PACKET_FANOUT_CBPF
	if c.mode == ModeEBPF {
		typ = unix.PACKET_FANOUT_EBPF
	}
	first := c.socks[0][iface].fd
	if err := unix.SetsockoptInt(first, unix.SOL_PACKET, unix.PACKET_FANOUT, (typ|unix.PACKET_FANOUT_FLAG_UNIQUEID)<<16); err != nil {
		return fmt.Errorf("creating fanout group: %w", err)
	}
	v, err := unix.GetsockoptInt(first, unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return fmt.Errorf("reading fanout group id: %w", err)
	}
	id := v & 0xffff
	if c.mode == ModeEBPF {
		if err := unix.SetsockoptInt(first, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, c.fanout.FD()); err != nil {
			return ebpfErr("setting the fanout program", err)
		}
	} else {
		prog, err := bpf.PortFanout()
		if err != nil {
			return err
		}
		fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
		if err := unix.SetsockoptSockFprog(first, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, &fp); err != nil {
			return fmt.Errorf("setting the classic BPF fanout program: %w", err)
		}
	}
	for w := 1; w < len(c.socks); w++ {
		if err := unix.SetsockoptInt(c.socks[w][iface].fd, unix.SOL_PACKET, unix.PACKET_FANOUT, id|typ<<16); err != nil {
			return fmt.Errorf("joining fanout group %d with worker %d: %w", id, w, err)
		}
	}
	return nil
}

func permErr(what string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("capture: %s: %w: need CAP_NET_RAW (and CAP_BPF for the eBPF filter): run as root or `setcap cap_net_raw,cap_bpf+ep sigprobe`", what, ErrPermission)
	}
	return fmt.Errorf("capture: %s: %w", what, err)
}

// newSocket opens a TPACKET_V3 socket on the interface that receives nothing
// yet: it is created for protocol 0, given a drop-all filter and only then
// bound for all protocols, so no packet lands in it before it has joined its
// fanout group and got its real filter.
func newSocket(cfg Config, name string, ifindex int) (*socket, error) {
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(name),
		afpacket.OptProtocol(0),
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptFrameSize(afpacket.DefaultFrameSize),
		afpacket.OptBlockSize(cfg.BlockSize),
		afpacket.OptNumBlocks(cfg.NumBlocks),
		afpacket.OptBlockTimeout(cfg.BlockTimeout),
		afpacket.OptPollTimeout(0),
		afpacket.OptAddVLANHeader(true),
	)
	if err != nil {
		return nil, permErr("opening a packet socket on "+name, err)
	}
	s := &socket{tp: tp}
	if s.fd, err = socketFD(tp); err != nil {
		tp.Close()
		return nil, err
	}
	dropAll := unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: 0}
	if err := unix.SetsockoptSockFprog(s.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: 1, Filter: &dropAll}); err != nil {
		tp.Close()
		return nil, fmt.Errorf("capture: attaching the setup filter: %w", err)
	}
	// A tap interface sends nothing; ignore what the host itself might.
	_ = unix.SetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(s.fd, sa); err != nil {
		tp.Close()
		return nil, permErr("binding to "+name, err)
	}
	return s, nil
}

// socketFD reads the file descriptor afpacket keeps unexported; fanout
// programs and rebinding need it. Pinned by go.mod and covered by tests.
func socketFD(tp *afpacket.TPacket) (int, error) {
	v := reflect.ValueOf(tp).Elem().FieldByName("fd")
	if !v.IsValid() || v.Kind() != reflect.Int {
		return -1, errors.New("capture: afpacket.TPacket has no int field fd any more: update socketFD")
	}
	return int(v.Int()), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Mode reports whether the eBPF filter and fanout are in use.
func (c *Capture) Mode() Mode { return c.mode }

// Workers is the number of workers Run starts.
func (c *Capture) Workers() int { return len(c.socks) }

// Handler receives a worker's packets. Packet is called for each signaling
// packet, never concurrently for the same worker, so per-worker state needs
// no locks; p and p.Data belong to the capture and are valid only until
// Packet returns. Idle is called by the worker whenever its rings hold no
// packet right now: the moment to hand on what it has batched, so that at
// low rates nothing waits for a batch to fill. Idle returns how soon it
// wants to be called again with no packet in between (0: only when packets
// come): a handler holding packets for a while says when they are due.
type Handler interface {
	Packet(worker int, p *Packet)
	Idle(worker int) time.Duration
}

// HandlerFunc is a Handler with nothing to do when idle.
type HandlerFunc func(worker int, p *Packet)

func (f HandlerFunc) Packet(worker int, p *Packet) { f(worker, p) }
func (HandlerFunc) Idle(int) time.Duration         { return 0 }

// Run reads packets until ctx is done or Close is called, with one goroutine
// per worker, and hands them to h. Run returns nil when stopped, or the
// first socket error.
func (c *Capture) Run(ctx context.Context, h Handler) error {
	c.runMu.Lock()
	if c.closed || c.running {
		c.runMu.Unlock()
		return errors.New("capture: Run called on a closed or running capture")
	}
	ctx, cancel := context.WithCancel(ctx)
	c.running, c.cancel, c.done = true, cancel, make(chan struct{})
	c.runMu.Unlock()
	defer func() {
		cancel()
		close(c.done)
	}()

	errs := make(chan error, len(c.socks))
	var wg sync.WaitGroup
	for w := range c.socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.work(ctx, w, h); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// burst bounds how many packets a worker takes from one socket before it
// looks at its others and at ctx.
const burst = 1024

// idlePoll (ms) is the longest a worker sleeps in poll: how soon it sees
// ctx end with no traffic.
const idlePoll = 50

func (c *Capture) work(ctx context.Context, w int, h Handler) error {
	socks := c.socks[w]
	fds := make([]unix.PollFd, len(socks))
	for i, s := range socks {
		fds[i] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	}
	var p Packet
	for ctx.Err() == nil {
		got := 0
		for _, s := range socks {
			n, err := c.drain(s, w, &p, h)
			if err != nil {
				return fmt.Errorf("capture: worker %d, %s: %w", w, c.cfg.Interfaces[s.iface], err)
			}
			got += n
		}
		if got > 0 {
			continue
		}
		wait := idlePoll
		if d := h.Idle(w); d > 0 {
			wait = min(idlePoll, max(1, int((d+time.Millisecond-1)/time.Millisecond)))
		}
		for i := range fds {
			fds[i].Revents = 0
		}
		if _, err := unix.Poll(fds, wait); err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("capture: worker %d: poll: %w", w, err)
		}
	}
	return nil
}

func (c *Capture) drain(s *socket, w int, p *Packet, h Handler) (int, error) {
	n, passed, dropped := 0, uint64(0), uint64(0)
	for ; n < burst; n++ {
		data, ci, err := s.tp.ZeroCopyReadPacketData()
		if err == afpacket.ErrTimeout {
			break
		}
		if err != nil {
			return n, err
		}
		if c.matcher != nil {
			if !c.matcher.Match(data) {
				dropped++
				continue
			}
			passed++
		}
		p.Data, p.CI, p.Iface = data, ci, s.iface
		h.Packet(w, p)
	}
	if n > 0 {
		s.received.Add(uint64(n) - dropped)
		if c.matcher != nil {
			s.passed.Add(passed)
			s.dropped.Add(dropped)
		}
	}
	return n, nil
}

// Close stops Run if it is still running, waits for it and releases the
// sockets and programs. Stats keep working after Close.
func (c *Capture) Close() error {
	c.runMu.Lock()
	if c.closed {
		c.runMu.Unlock()
		return nil
	}
	c.closed = true
	running, cancel, done := c.running, c.cancel, c.done
	c.runMu.Unlock()
	if running {
		cancel()
		<-done
	}
	c.statsMu.Lock()
	c.readKernelStats()
	if c.filter != nil {
		c.lastFilter, _ = c.filter.Counters()
	}
	c.statsMu.Unlock()
	c.closeAll()
	return nil
}

func (c *Capture) closeAll() {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	for _, row := range c.socks {
		for _, s := range row {
			if s != nil && s.tp != nil {
				s.tp.Close()
				s.tp = nil
			}
		}
	}
	if c.filter != nil {
		c.filter.Close()
		c.filter = nil
	}
	if c.fanout != nil {
		c.fanout.Close()
		c.fanout = nil
	}
}
