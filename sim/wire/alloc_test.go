package wire

import "testing"

// a3 builds one A-interface frame: CompleteL3(LURequest) in an SCCP CR in
// M3UA DATA in an SCTP packet, into reused buffers.
type a3 struct {
	l3, ap, sc, m3 []byte
	p              Packet
}

var (
	benchSrc = Endpoint{MAC: [6]byte{2, 0, 0, 0, 0, 1}, IP: [4]byte{10, 0, 0, 1}, Port: 2905}
	benchDst = Endpoint{MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: [4]byte{10, 0, 0, 2}, Port: 2905}
	benchID  = MobileID{Type: IDIMSI, Digits: "262011234567890"}
	benchMSC = Addr{SSN: SSNBSSAP, PC: 200, HasPC: true}
	benchBSC = Addr{SSN: SSNBSSAP, PC: 100, HasPC: true}
)

func (x *a3) build(i uint32) []byte {
	x.l3 = LURequest(x.l3[:0], LUNormal, 1, laiA, benchID)
	x.ap = CompleteL3(x.ap[:0], CellDiscCGI, cellA, x.l3)
	x.sc = CR(x.sc[:0], i, benchMSC, benchBSC, x.ap)
	x.m3 = M3UAData(x.m3[:0], 100, 200, SISCCP, NINational, 0, uint8(i), x.sc)
	x.p.Reset(benchSrc, benchDst, 0, 0x1234, uint16(i))
	x.p.AddSACK(i, 65536)
	x.p.AddData(ChunkB|ChunkE, i, 1, uint16(i), PPIDM3UA, x.m3)
	return x.p.Bytes()
}

// mapFrame builds a MAP updateLocation Begin in UDT in M3UA in SCTP.
func (x *a3) mapFrame(i uint32) []byte {
	x.l3 = UpdateLocationArg(x.l3[:0], "262011234567890", "4917200000003", "4917200000002")
	x.ap = TCAP(x.ap[:0], TCBegin, i, 0, ACNetworkLocUp, Component{Kind: CompInvoke, InvokeID: 1, Op: OpUpdateLocation, Param: x.l3})
	x.sc = UDT(x.sc[:0], Class1, Addr{GT: "4917200000001", SSN: SSNHLR}, Addr{GT: "4917200000002", SSN: SSNVLR}, x.ap)
	x.m3 = M3UAData(x.m3[:0], 200, 300, SISCCP, NINational, 0, uint8(i), x.sc)
	x.p.Reset(benchSrc, benchDst, 0, 0x1234, uint16(i))
	x.p.AddData(ChunkB|ChunkE, i, 1, uint16(i), PPIDM3UA, x.m3)
	return x.p.Bytes()
}

func TestAllocs(t *testing.T) {
	var x a3
	x.build(1)
	x.mapFrame(1)
	i := uint32(0)
	if n := testing.AllocsPerRun(1000, func() { i++; x.build(i) }); n != 0 {
		t.Errorf("A-interface frame: %v allocations per run, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { i++; x.mapFrame(i) }); n != 0 {
		t.Errorf("MAP frame: %v allocations per run, want 0", n)
	}
	trip := make([]Triplet, 5)
	var b []byte
	b = SendAuthInfoRes(b, trip)
	if n := testing.AllocsPerRun(1000, func() {
		b = SendAuthInfoRes(b[:0], trip)
		b = InsertSubscriberDataArg(b, "262011234567890", "4917212345678", true)
		b = SMSDeliver(b, "4917212345678", 1700000000, "hello")
	}); n != 0 {
		t.Errorf("long-form BER and SMS: %v allocations per run, want 0", n)
	}
}

func BenchmarkPacket(b *testing.B) {
	var x a3
	b.SetBytes(int64(len(x.build(0))))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x.build(uint32(i))
	}
}

func BenchmarkMAPPacket(b *testing.B) {
	var x a3
	b.SetBytes(int64(len(x.mapFrame(0))))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x.mapFrame(uint32(i))
	}
}
