package wire

import (
	"bytes"
	"encoding/hex"
	"hash/crc32"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncodings checks the identity and address encodings against bytes
// worked out by hand from TS 24.008 10.5.1.3/10.5.1.4, TS 29.002 TBCD,
// TS 23.038 6.1.2.1 and Q.713 3.4.
func TestEncodings(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"TBCD odd", appendTBCD(nil, "12345"), "2143f5"},
		{"TBCD even", appendTBCD(nil, "1234"), "2143"},
		{"TBCD empty", appendTBCD(nil, ""), ""},
		{"PLMN 262/01", appendPLMN(nil, PLMN{"262", "01"}), "62f210"},
		{"PLMN 310/260", appendPLMN(nil, PLMN{"310", "260"}), "130062"},
		{"LAI", appendLAI(nil, LAI{PLMN{"262", "01"}, 0x1234}), "62f2101234"},
		{"CGI", appendCGI(nil, CGI{LAI{PLMN{"234", "15"}, 0x0001}, 0xfffe}), "32f4510001fffe"},
		{"MobileID IMSI", appendMobileIDLV(nil, MobileID{Type: IDIMSI, Digits: "262011234567890"}), "08292610214365870" + "9"},
		{"MobileID IMSI even", appendMobileIDLV(nil, MobileID{Type: IDIMSI, Digits: "00101123456789"}), "0801101021436587f9"},
		{"MobileID TMSI", appendMobileIDLV(nil, MobileID{Type: IDTMSI, TMSI: 0x1a2b3c4d}), "05f41a2b3c4d"},
		{"MobileID IMEISV", appendMobileIDLV(nil, MobileID{Type: IDIMEISV, Digits: "3534900698733190"}), "09333594009678339" + "1f0"},
		{"MobileID IMEI", appendMobileIDLV(nil, MobileID{Type: IDIMEI, Digits: "353490069873319"}), "083a3594009678339" + "1"},
		{"Called BCD", appendBCDNumber(nil, 0x5e, "4917212345678"), "5e08919471123254" + "76f8"},
		{"AddressString", appendBERAddr(nil, 0x04, "4917200000001"), "0408919471020000" + "00f1"},
		{"GSM 7-bit", appendPacked7(nil, "hellohello", false), "e8329bfd4697d9ec37"},
		{"USSD 7-bit CR pad", appendPacked7(nil, "1234567", true), "31d98c56b3dd1a"},
		{"SCCP GT addr", appendAddr(nil, Addr{GT: "4917200000001", SSN: SSNHLR}), "0c120600110494710200000" + "0f1"},
		{"SCCP SSN+PC addr", appendAddr(nil, Addr{SSN: SSNBSSAP, PC: 0x1234, HasPC: true}), "04433412fe"},
		{"SCCP ref", appendRef(nil, 0x000216), "160200"},
		{"M3UA padding", M3UAData(nil, 1, 2, 3, 2, 0, 5, []byte{1, 2, 3, 4, 5}),
			"0100010100000020021000150000000100000002030200050102030405000000"},
		{"TCAP invoke", Comp(nil, Component{Kind: CompInvoke, InvokeID: 1, Op: OpProcessUSSD, Param: []byte{0x30, 0}}), "a10802010102013b3000"},
		{"TCAP result nil", Comp(nil, Component{Kind: CompResultLast, InvokeID: 200}), "a204020200c8"},
		{"SMS-DELIVER SCTS", SMSDeliver(nil, "123", 0, ""), "04039121f3" + "0000" + "07101000000000" + "00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := unhex(t, tc.want); !bytes.Equal(tc.got, w) {
				t.Errorf("got %x, want %x", tc.got, w)
			}
		})
	}
}

// TestBERLength checks the back-patched length switches to the long forms.
func TestBERLength(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 1000} {
		b, s := berStart([]byte{0xee}, 0x04)
		for i := 0; i < n; i++ {
			b = append(b, byte(i))
		}
		b = berEnd(b, s)
		var hdr []byte
		switch {
		case n < 128:
			hdr = []byte{0xee, 0x04, byte(n)}
		case n < 256:
			hdr = []byte{0xee, 0x04, 0x81, byte(n)}
		default:
			hdr = []byte{0xee, 0x04, 0x82, byte(n >> 8), byte(n)}
		}
		if !bytes.Equal(b[:len(hdr)], hdr) || len(b) != len(hdr)+n {
			t.Fatalf("n=%d: header %x, len %d", n, b[:len(hdr)], len(b))
		}
		for i := 0; i < n; i++ {
			if b[len(hdr)+i] != byte(i) {
				t.Fatalf("n=%d: content shifted wrongly at %d", n, i)
			}
		}
	}
}

// TestPacketChecksums checks the IPv4 header checksum sums to 0xffff and
// the SCTP checksum is the CRC32c of the packet with the field zeroed,
// least significant byte first (RFC 9260 appendix A); a probe that
// verifies checksums drops the packet otherwise.
func TestPacketChecksums(t *testing.T) {
	var p Packet
	p.Reset(benchSrc, benchDst, 7, 1, 2)
	p.AddData(ChunkB|ChunkE, 1, 0, 0, PPIDM3UA, []byte{1, 2, 3})
	b := p.Bytes()
	if b[12] != 0x81 || b[13] != 0 || b[15] != 7 {
		t.Fatalf("802.1Q tag %x", b[12:18])
	}
	ip := b[18:38]
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	if sum != 0xffff || int(ip[2])<<8|int(ip[3]) != len(b)-18 {
		t.Errorf("IPv4 header %x: checksum sum %#x", ip, sum)
	}
	if len(b)%4 != 2 { // 14+4 L2, 20 IP, 12 SCTP, 16+3+1 pad chunk
		t.Errorf("frame length %d", len(b))
	}
	sctp := append([]byte(nil), b[38:]...)
	stored := uint32(sctp[8]) | uint32(sctp[9])<<8 | uint32(sctp[10])<<16 | uint32(sctp[11])<<24
	copy(sctp[8:12], []byte{0, 0, 0, 0})
	if want := crc32.Checksum(sctp, crc32.MakeTable(crc32.Castagnoli)); stored != want || stored == 0 {
		t.Errorf("SCTP checksum %#08x, want CRC32c %#08x", stored, want)
	}
}
