package decode

import (
	"strconv"

	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/tcap"
)

func mapName(op int32) string { return tcap.OpName(op) }

// AppendJSON appends m as one JSON object (no newline) in the key order of
// the `sigprobe decode` output contract, omitting absent keys. It does not
// allocate when dst has room.
func AppendJSON(dst []byte, m *Message) []byte {
	dst = append(dst, `{"frame":`...)
	dst = strconv.AppendUint(dst, m.Frame, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, m.TsNs, 10)
	if m.Has&HasMTP != 0 {
		dst = appendUint(dst, "opc", uint64(m.OPC))
		dst = appendUint(dst, "dpc", uint64(m.DPC))
	}
	if m.Has&HasSCCP != 0 {
		dst = appendUint(dst, "sccp_type", uint64(m.SCCPType))
	}
	if m.Has&HasSLR != 0 {
		dst = appendUint(dst, "slr", uint64(m.SLR))
	}
	if m.Has&HasDLR != 0 {
		dst = appendUint(dst, "dlr", uint64(m.DLR))
	}
	dst = appendStr(dst, "proto", m.Proto.String())
	if m.Proto == ProtoDTAP {
		dst = appendUint(dst, "pd", uint64(m.PD))
	}
	if m.Has&HasType != 0 {
		dst = append(dst, `,"type":`...)
		dst = strconv.AppendInt(dst, int64(m.Type), 10)
	}
	if m.Comp != CompNone {
		dst = appendStr(dst, "comp", m.Comp.String())
	}
	if m.Comp == CompError && m.Has&HasCause != 0 {
		dst = appendUint(dst, "err", uint64(m.Cause)) // the local error code; name has it only when assigned
	}
	if n := m.Name(); n != "" {
		dst = appendStr(dst, "name", n)
	}
	dst = appendDigits(dst, "imsi", &m.IMSI)
	if m.Has&HasTMSI != 0 {
		dst = append(dst, `,"tmsi":"`...)
		dst = appendHex32(dst, m.TMSI)
		dst = append(dst, '"')
	}
	dst = appendDigits(dst, "imei", &m.IMEI)
	dst = appendDigits(dst, "imeisv", &m.IMEISV)
	dst = appendDigits(dst, "msisdn", &m.MSISDN)
	dst = appendCell(dst, &m.Loc)
	if m.NCells > 0 {
		dst = append(dst, `,"cells":[`...)
		for i := 0; i < int(m.NCells); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			n := len(dst)
			dst = appendCell(dst, &m.Cells[i])
			if len(dst) > n {
				dst = append(dst[:n], dst[n+1:]...) // drop the leading comma
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendCell(dst []byte, c *ident.Cell) []byte {
	if c.Has&ident.HasPLMN != 0 {
		dst = append(dst, `,"mcc":"`...)
		dst = append(dst, c.PLMN.MCC[:]...)
		dst = append(dst, `","mnc":"`...)
		dst = append(dst, c.PLMN.MNC[:c.PLMN.MNCLen]...)
		dst = append(dst, '"')
	}
	if c.Has&ident.HasLAC != 0 {
		dst = appendUint(dst, "lac", uint64(c.LAC))
	}
	if c.Has&ident.HasCI != 0 {
		dst = appendUint(dst, "ci", uint64(c.CI))
	}
	if c.Has&ident.HasSAC != 0 {
		dst = appendUint(dst, "sac", uint64(c.CI))
	}
	return dst
}

func appendUint(dst []byte, k string, v uint64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	dst = append(dst, '"', ':')
	return strconv.AppendUint(dst, v, 10)
}

func appendStr(dst []byte, k, v string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	dst = append(dst, `":"`...)
	dst = append(dst, v...) // names and digits need no escaping
	return append(dst, '"')
}

func appendDigits(dst []byte, k string, d *ident.Digits) []byte {
	if d.N == 0 {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	dst = append(dst, `":"`...)
	dst = append(dst, d.D[:d.N]...)
	return append(dst, '"')
}

func appendHex32(dst []byte, v uint32) []byte {
	const hex = "0123456789abcdef"
	for i := 28; i >= 0; i -= 4 {
		dst = append(dst, hex[v>>uint(i)&0xf])
	}
	return dst
}
