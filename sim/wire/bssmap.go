package wire

// BSSAP discriminators (TS 48.006 9.3).
const (
	BSSAPBSSMAP = 0x00
	BSSAPDTAP   = 0x01
)

// DLCI values for DTAP: SAPI 0 (MM/CC/RR/SS) and SAPI 3 (SMS).
const (
	DLCISAPI0 = 0x00
	DLCISAPI3 = 0x03
)

// BSSMAP message types (TS 48.008 3.2.2.1).
const (
	BSSMAPAssignmentRequest  = 0x01
	BSSMAPAssignmentComplete = 0x02
	BSSMAPHandoverRequest    = 0x10
	BSSMAPHandoverRequired   = 0x11
	BSSMAPHandoverRequestAck = 0x12
	BSSMAPHandoverCommand    = 0x13
	BSSMAPHandoverComplete   = 0x14
	BSSMAPHandoverPerformed  = 0x17
	BSSMAPClearCommand       = 0x20
	BSSMAPClearComplete      = 0x21
	BSSMAPClearRequest       = 0x22
	BSSMAPReset              = 0x30
	BSSMAPResetAck           = 0x31
	BSSMAPPaging             = 0x52
	BSSMAPCipherModeCommand  = 0x53
	BSSMAPCipherModeComplete = 0x55
	BSSMAPCompleteLayer3     = 0x57
)

// BSSMAP IE identifiers (TS 48.008 3.2.2, table 3.2.2.1).
const (
	ieCIC              = 0x01
	ieCause            = 0x04
	ieCellID           = 0x05
	ieIMSI             = 0x08
	ieTMSI             = 0x09
	ieEncryptionInfo   = 0x0a
	ieChannelType      = 0x0b
	ieClassmark2       = 0x12
	ieLayer3Info       = 0x17
	ieCellIDList       = 0x1a
	ieChosenChannel    = 0x21
	ieChosenEncryption = 0x2c
	ieSpeechVersion    = 0x40
)

// Cell identifier discriminators (TS 48.008 3.2.2.17 / 3.2.2.27).
const (
	CellDiscCGI   = 0
	CellDiscLACCI = 1
	CellDiscCI    = 2
	CellDiscLAI   = 4
	CellDiscLAC   = 5
)

// BSSMAP causes (TS 48.008 3.2.2.5) commonly used.
const (
	BSSCauseRadioInterfaceFailure = 0x01
	BSSCauseUplinkQuality         = 0x02
	BSSCauseDownlinkQuality       = 0x04
	BSSCauseDistance              = 0x05
	BSSCauseBetterCell            = 0x0c
	BSSCauseHandoverSuccessful    = 0x0b
	BSSCauseCallControl           = 0x09
	BSSCauseEquipmentFailure      = 0x20
	BSSCauseOAndMIntervention     = 0x08
	BSSCauseRadioInterfaceMsgFail = 0x00
)

// rrHandoverCommand is an RR Handover Command (TS 44.018 9.1.15): cell
// description (NCC 0, BCC 7, BCCH ARFCN 20), channel description 2
// (TCH/F TN 2, TSC 7, ARFCN 20, no hopping), handover reference 42,
// power command 5.
var rrHandoverCommand = [...]byte{PDRR, RRHandoverCommand, 0x07, 0x14, 0x0a, 0xe0, 0x14, 0x2a, 0x05}

// bssmapStart opens a BSSMAP PDU (discriminator, length) with its type.
func bssmapStart(b []byte, msgType byte) ([]byte, int) {
	b = append(b, BSSAPBSSMAP, 0)
	start := len(b)
	return append(b, msgType), start
}

// DTAP appends a BSSAP DTAP PDU: 0x01, DLCI, length, l3.
func DTAP(b []byte, dlci uint8, l3 []byte) []byte {
	b = append(b, BSSAPDTAP, dlci, byte(len(l3)))
	return append(b, l3...)
}

// cellIDLen is the size of one cell identification for disc.
func cellIDLen(disc uint8) int {
	switch disc {
	case CellDiscCGI:
		return 7
	case CellDiscLACCI:
		return 4
	case CellDiscCI, CellDiscLAC:
		return 2
	case CellDiscLAI:
		return 5
	}
	return 0
}

// appendCellIdent appends one cell identification of the given
// discriminator.
func appendCellIdent(b []byte, disc uint8, c CGI) []byte {
	switch disc {
	case CellDiscCGI:
		return appendCGI(b, c)
	case CellDiscLACCI:
		return append(b, byte(c.LAI.LAC>>8), byte(c.LAI.LAC), byte(c.CI>>8), byte(c.CI))
	case CellDiscCI:
		return append(b, byte(c.CI>>8), byte(c.CI))
	case CellDiscLAI:
		return appendLAI(b, c.LAI)
	case CellDiscLAC:
		return append(b, byte(c.LAI.LAC>>8), byte(c.LAI.LAC))
	}
	return b
}

// appendCellID appends a Cell Identifier IE (3.2.2.17).
func appendCellID(b []byte, disc uint8, c CGI) []byte {
	b = append(b, ieCellID, byte(1+cellIDLen(disc)), disc&0x0f)
	return appendCellIdent(b, disc, c)
}

// appendCellIDList appends a Cell Identifier List IE (3.2.2.27).
func appendCellIDList(b []byte, disc uint8, cells []CGI) []byte {
	b = append(b, ieCellIDList, byte(1+len(cells)*cellIDLen(disc)), disc&0x0f)
	for i := range cells {
		b = appendCellIdent(b, disc, cells[i])
	}
	return b
}

func appendBSSCause(b []byte, cause uint8) []byte {
	return append(b, ieCause, 1, cause&0x7f)
}

// appendEncryptionInfo appends Encryption Information (3.2.2.10) with
// A5/1 permitted and Kc.
func appendEncryptionInfo(b []byte, kc *[8]byte) []byte {
	b = append(b, ieEncryptionInfo, 9, 0x02)
	return append(b, kc[:]...)
}

// appendChannelTypeSpeechFR appends Channel Type (3.2.2.11): speech,
// TCH/F, permitted speech version GSM FR.
func appendChannelTypeSpeechFR(b []byte) []byte {
	return append(b, ieChannelType, 3, 0x01, 0x08, 0x01)
}

// CompleteL3 appends a BSSMAP Complete Layer 3 Information (3.2.1.32).
func CompleteL3(b []byte, disc uint8, cell CGI, l3 []byte) []byte {
	b, s := bssmapStart(b, BSSMAPCompleteLayer3)
	b = appendCellID(b, disc, cell)
	b = append(b, ieLayer3Info, byte(len(l3)))
	b = append(b, l3...)
	return lenEnd(b, s)
}

// Paging appends a BSSMAP Paging (3.2.1.19): IMSI, optional TMSI, Cell
// Identifier List.
func Paging(b []byte, imsi string, tmsi uint32, withTMSI bool, disc uint8, cells []CGI) []byte {
	b, s := bssmapStart(b, BSSMAPPaging)
	id := MobileID{Type: IDIMSI, Digits: imsi}
	b = append(b, ieIMSI)
	b = appendMobileIDLV(b, id)
	if withTMSI {
		b = append(b, ieTMSI, 4, byte(tmsi>>24), byte(tmsi>>16), byte(tmsi>>8), byte(tmsi))
	}
	b = appendCellIDList(b, disc, cells)
	return lenEnd(b, s)
}

// ClearCommand appends a BSSMAP Clear Command (3.2.1.21).
func ClearCommand(b []byte, cause uint8) []byte {
	b, s := bssmapStart(b, BSSMAPClearCommand)
	b = appendBSSCause(b, cause)
	return lenEnd(b, s)
}

// ClearComplete appends a BSSMAP Clear Complete (3.2.1.22).
func ClearComplete(b []byte) []byte {
	return append(b, BSSAPBSSMAP, 1, BSSMAPClearComplete)
}

// ClearRequest appends a BSSMAP Clear Request (3.2.1.20).
func ClearRequest(b []byte, cause uint8) []byte {
	b, s := bssmapStart(b, BSSMAPClearRequest)
	b = appendBSSCause(b, cause)
	return lenEnd(b, s)
}

// CipherModeCommand appends a BSSMAP Cipher Mode Command (3.2.1.30).
func CipherModeCommand(b []byte, kc *[8]byte) []byte {
	b, s := bssmapStart(b, BSSMAPCipherModeCommand)
	b = appendEncryptionInfo(b, kc)
	return lenEnd(b, s)
}

// CipherModeComplete appends a BSSMAP Cipher Mode Complete (3.2.1.31)
// with Chosen Encryption Algorithm A5/1.
func CipherModeComplete(b []byte) []byte {
	return append(b, BSSAPBSSMAP, 3, BSSMAPCipherModeComplete, ieChosenEncryption, 0x02)
}

// AssignmentRequest appends a BSSMAP Assignment Request (3.2.1.1):
// Channel Type speech FR and the CIC.
func AssignmentRequest(b []byte, cic uint16) []byte {
	b, s := bssmapStart(b, BSSMAPAssignmentRequest)
	b = appendChannelTypeSpeechFR(b)
	b = append(b, ieCIC, byte(cic>>8), byte(cic))
	return lenEnd(b, s)
}

// AssignmentComplete appends a BSSMAP Assignment Complete (3.2.1.2) with
// Chosen Channel (speech, TCH/F) and Speech Version (FR).
func AssignmentComplete(b []byte) []byte {
	return append(b, BSSAPBSSMAP, 5, BSSMAPAssignmentComplete, ieChosenChannel, 0x98, ieSpeechVersion, 0x01)
}

// HandoverRequired appends a BSSMAP Handover Required (3.2.1.9): Cause and
// Cell Identifier List (Preferred).
func HandoverRequired(b []byte, cause uint8, disc uint8, targets []CGI) []byte {
	b, s := bssmapStart(b, BSSMAPHandoverRequired)
	b = appendBSSCause(b, cause)
	b = appendCellIDList(b, disc, targets)
	return lenEnd(b, s)
}

// HandoverRequest appends a BSSMAP Handover Request (3.2.1.8): Channel
// Type, Encryption Information, Classmark Information 2, Cell Identifier
// (Serving), CIC, Cell Identifier (Target), Cause (better cell) and IMSI.
func HandoverRequest(b []byte, kc *[8]byte, disc uint8, serving, target CGI, cic uint16, imsi string) []byte {
	b, s := bssmapStart(b, BSSMAPHandoverRequest)
	b = appendChannelTypeSpeechFR(b)
	b = appendEncryptionInfo(b, kc)
	b = append(b, ieClassmark2, 3)
	b = append(b, msClassmark2[:]...)
	b = appendCellID(b, disc, serving)
	b = append(b, ieCIC, byte(cic>>8), byte(cic))
	b = appendCellID(b, disc, target)
	b = appendBSSCause(b, BSSCauseBetterCell)
	if imsi != "" {
		b = append(b, ieIMSI)
		b = appendMobileIDLV(b, MobileID{Type: IDIMSI, Digits: imsi})
	}
	return lenEnd(b, s)
}

// HandoverRequestAck appends a BSSMAP Handover Request Acknowledge
// (3.2.1.10) whose Layer 3 Information holds an RR Handover Command.
func HandoverRequestAck(b []byte) []byte {
	b, s := bssmapStart(b, BSSMAPHandoverRequestAck)
	b = append(b, ieLayer3Info, byte(len(rrHandoverCommand)))
	b = append(b, rrHandoverCommand[:]...)
	b = append(b, ieChosenChannel, 0x98, ieChosenEncryption, 0x02)
	return lenEnd(b, s)
}

// HandoverCommand appends a BSSMAP Handover Command (3.2.1.11) with the
// same RR Handover Command in Layer 3 Information.
func HandoverCommand(b []byte) []byte {
	b, s := bssmapStart(b, BSSMAPHandoverCommand)
	b = append(b, ieLayer3Info, byte(len(rrHandoverCommand)))
	b = append(b, rrHandoverCommand[:]...)
	return lenEnd(b, s)
}

// HandoverComplete appends a BSSMAP Handover Complete (3.2.1.12).
func HandoverComplete(b []byte) []byte {
	return append(b, BSSAPBSSMAP, 1, BSSMAPHandoverComplete)
}

// HandoverPerformed appends a BSSMAP Handover Performed (3.2.1.25).
func HandoverPerformed(b []byte, cause uint8, disc uint8, cell CGI) []byte {
	b, s := bssmapStart(b, BSSMAPHandoverPerformed)
	b = appendBSSCause(b, cause)
	b = appendCellID(b, disc, cell)
	return lenEnd(b, s)
}

// Reset appends a BSSMAP Reset (3.2.1.23).
func Reset(b []byte, cause uint8) []byte {
	b, s := bssmapStart(b, BSSMAPReset)
	b = appendBSSCause(b, cause)
	return lenEnd(b, s)
}

// ResetAck appends a BSSMAP Reset Acknowledge (3.2.1.24).
func ResetAck(b []byte) []byte {
	return append(b, BSSAPBSSMAP, 1, BSSMAPResetAck)
}
