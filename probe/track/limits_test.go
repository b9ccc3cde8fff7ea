package track

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/decode/tcap"
	"github.com/sigprobe/sigprobe/probe/ckpt"
	"github.com/sigprobe/sigprobe/sink"
)

// openConn is a Connection Request whose Complete Layer 3 Information
// shows a cell and carries a CM Service Request of an unknown TMSI: a
// connection that stays open with one held observation.
func openConn(r *Resolver, ref uint32, ts int64) {
	m := decode.Message{Proto: decode.ProtoBSSMAP, SCCPType: sccp.CR, Type: bssap.CompleteLayer3, Assoc: 7, SLR: ref, TsNs: ts}
	m.Loc.Has, m.Loc.LAC, m.Loc.CI = 1, 300, uint16(ref)
	r.Handle(&m)
	m.Proto, m.Type, m.PD, m.TMSI, m.Has = decode.ProtoDTAP, bssap.MMCMServiceRequest, bssap.PDMM, 0x80000000|ref, decode.HasTMSI
	r.Handle(&m)
}

// openTxn is a TCAP Begin never answered.
func openTxn(r *Resolver, tid uint32, ts int64) {
	m := decode.Message{Proto: decode.ProtoMAP, TCAPType: tcap.Begin, Assoc: 9, OTID: tid, TsNs: ts, Type: 2}
	r.Handle(&m)
}

func TestLimitsEvictTheLongestIdle(t *testing.T) {
	const t0 = int64(1790812800e9)
	t.Run("connections", func(t *testing.T) {
		r := NewResolver(NewState(DefaultConfig(), &sink.Batch{}, func(b *sink.Batch) { b.Reset() }))
		r.SetLimits(1000, 0, 0)
		for i := range uint32(5000) {
			openConn(r, i+1, t0+int64(i)*1e6)
			if i == 10 { // connection 1 stays busy
				m := decode.Message{Proto: decode.ProtoDTAP, SCCPType: sccp.DT1, Assoc: 7, DLR: 1, Dir: 1, TsNs: t0 + int64(i)*1e6}
				r.Handle(&m)
			}
		}
		if n := r.OpenConnections(); n > 1000 || n < 1000-1000/evictShare-1 {
			t.Fatalf("%d connections open, bound 1000", n)
		}
		if r.Stats.EvictedConns < 4000 {
			t.Fatalf("%d evicted, want the 4000 beyond the bound", r.Stats.EvictedConns)
		}
		if _, ok := r.conns[connKey{7, 4999, 0}]; !ok {
			t.Fatal("the newest connection was evicted")
		}
		// Evicted connections handed their held history to their TMSI.
		if r.HeldSubscribers() == 0 {
			t.Fatal("no held history kept from the evicted connections")
		}
	})
	t.Run("transactions", func(t *testing.T) {
		r := NewResolver(NewState(DefaultConfig(), &sink.Batch{}, func(b *sink.Batch) { b.Reset() }))
		r.SetLimits(0, 500, 0)
		for i := range uint32(3000) {
			openTxn(r, i+1, t0+int64(i)*1e6)
		}
		if n := r.OpenTransactions(); n > 500 {
			t.Fatalf("%d transactions open, bound 500", n)
		}
		if r.Stats.EvictedTxns < 2500 {
			t.Fatalf("%d evicted", r.Stats.EvictedTxns)
		}
		if _, ok := r.txns[tidKey{9, 3000, 0}]; !ok {
			t.Fatal("the newest transaction was evicted")
		}
		if len(r.txns) != r.OpenTransactions() {
			t.Fatalf("%d keys for %d open transactions", len(r.txns), r.OpenTransactions())
		}
	})
	t.Run("held", func(t *testing.T) {
		r := NewResolver(NewState(DefaultConfig(), &sink.Batch{}, func(b *sink.Batch) { b.Reset() }))
		r.SetLimits(100, 0, 2000)
		for i := range uint32(20000) {
			openConn(r, i+1, t0+int64(i)*1e6)
		}
		if r.HeldObservations() > 2000 {
			t.Fatalf("%d observations held, bound 2000", r.HeldObservations())
		}
		if r.Stats.EvictedHeld == 0 || r.Stats.Unidentified != r.Stats.EvictedHeld || r.Stats.Unresolved < r.Stats.EvictedHeld {
			t.Fatalf("stats %+v: every history given up is an unidentified phone with unresolved observations", r.Stats)
		}
		// The count is exact: what the buffers hold.
		n := 0
		for i := range r.cslab {
			if r.open(int32(i)) {
				n += r.cslab[i].held.size()
			}
		}
		for _, p := range r.prov {
			n += p.held.size()
		}
		if n != r.HeldObservations() {
			t.Fatalf("held count %d, the buffers hold %d", r.HeldObservations(), n)
		}
	})
}

// ConnBytes and TxnBytes bound the heap an open SCCP connection (one held
// observation, its two references) and an open TCAP transaction take:
// about 300 and 125 bytes as measured by TestMemoryPerOpenConnection, which
// the README, bench/README.md and deploy/sigprobe.example.yaml state.
const (
	ConnBytes = 400
	TxnBytes  = 160
)

func TestMemoryPerOpenConnection(t *testing.T) {
	const n = 200_000
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	t0 := int64(1790812800e9)
	r := NewResolver(NewState(DefaultConfig(), &sink.Batch{}, func(b *sink.Batch) { b.Reset() }))
	before := heap()
	for i := range uint32(n) {
		openConn(r, i+1, t0+int64(i)*1e6)
	}
	mid := heap()
	for i := range uint32(n) {
		openTxn(r, i+1, t0+int64(i)*1e6)
	}
	after := heap()
	perConn := float64(mid-before) / n
	perTxn := float64(after-mid) / n
	t.Logf("%.0f B per open connection (struct %d B), %.0f B per open transaction (struct %d B)", perConn, unsafe.Sizeof(conn{}), perTxn, unsafe.Sizeof(txn{}))
	if perConn > ConnBytes || perTxn > TxnBytes {
		t.Fatalf("%.0f B per connection (stated %d), %.0f B per transaction (stated %d)", perConn, ConnBytes, perTxn, TxnBytes)
	}
	runtime.KeepAlive(r)
}

// A lost Connection Confirm hides the MSC's reference: the uplink messages
// (here the Identity Response with the IMSI) wait for the release, which
// carries both references, and are attributed then.
func TestLostConnectionConfirm(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "straight", true: "restarted while the message waits"}[restart], func(t *testing.T) {
			lostConnectionConfirm(t, restart)
		})
	}
}

func lostConnectionConfirm(t *testing.T, restart bool) {
	var batch sink.Batch
	st := NewState(DefaultConfig(), &batch, func(b *sink.Batch) {})
	r := NewResolver(st)
	const t0, bscRef, mscRef = int64(1790812800e9), 100, 200
	msgs := []decode.Message{
		{Proto: decode.ProtoBSSMAP, SCCPType: sccp.CR, Type: bssap.CompleteLayer3, Dir: 0, SLR: bscRef, Has: decode.HasSLR},
		{Proto: decode.ProtoDTAP, SCCPType: sccp.CR, PD: bssap.PDMM, Type: bssap.MMLURequest, Dir: 0, SLR: bscRef, TMSI: 0x1234, Has: decode.HasSLR | decode.HasTMSI},
		// the Connection Confirm is lost
		{Proto: decode.ProtoDTAP, SCCPType: sccp.DT1, PD: bssap.PDMM, Type: bssap.MMIdentityRequest, Dir: 1, DLR: bscRef, Has: decode.HasDLR},
		{Proto: decode.ProtoDTAP, SCCPType: sccp.DT1, PD: bssap.PDMM, Type: bssap.MMIdentityResponse, Dir: 0, DLR: mscRef, Has: decode.HasDLR},
		{Proto: decode.ProtoNone, SCCPType: sccp.RLSD, Dir: 1, DLR: bscRef, SLR: mscRef, Has: decode.HasDLR | decode.HasSLR},
		{Proto: decode.ProtoNone, SCCPType: sccp.RLC, Dir: 0, DLR: mscRef, SLR: bscRef, Has: decode.HasDLR | decode.HasSLR},
	}
	msgs[0].Loc.Has, msgs[0].Loc.LAC, msgs[0].Loc.CI = 1, 300, 7
	msgs[3].IMSI.Set("001010000000042")
	for i := range msgs {
		m := &msgs[i]
		m.Assoc, m.TsNs = 7, t0+int64(max(i, 1))*1e8 // the first two travel in one Connection Request
		r.Handle(m)
		if i == 3 && (r.Orphans() != 1 || r.Stats.NoConnection != 0) {
			t.Fatalf("after the Identity Response: %d waiting, %d given up", r.Orphans(), r.Stats.NoConnection)
		}
		if i == 3 && restart {
			re, se := ckpt.NewEnc(0), ckpt.NewEnc(0)
			r.SaveState(re)
			st.SaveState(se)
			st = NewState(DefaultConfig(), &batch, func(b *sink.Batch) {})
			r = NewResolver(st)
			if err := st.LoadState(ckpt.NewDec(se.Bytes())); err != nil {
				t.Fatal(err)
			}
			if err := r.LoadState(ckpt.NewDec(re.Bytes())); err != nil {
				t.Fatal(err)
			}
		}
	}
	imsi := sink.MakeDigits("001010000000042")
	if r.Stats.Adopted != 1 || r.Orphans() != 0 || r.Stats.NoConnection != 0 || r.OpenConnections() != 0 {
		t.Fatalf("adopted %d, waiting %d, given up %d, open %d", r.Stats.Adopted, r.Orphans(), r.Stats.NoConnection, r.OpenConnections())
	}
	if st.imsiOfTMSI(0x1234, t0) != imsi {
		t.Fatal("the TMSI of the connection was not learned")
	}
	i := st.idx.get(st.subs, imsi)
	if i < 0 || st.subs[i].cell != mkCell(300, 7) {
		t.Fatal("the subscriber is not placed in the connection's cell")
	}
}
