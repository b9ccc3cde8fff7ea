package wire

// Protocol discriminators (TS 24.007 11.2.3.1.1).
const (
	PDCC  = 0x03
	PDMM  = 0x05
	PDRR  = 0x06
	PDSMS = 0x09
	PDSS  = 0x0b
)

// MM message types (TS 24.008 10.4, table 10.2).
const (
	MMIMSIDetach          = 0x01
	MMLUAccept            = 0x02
	MMLUReject            = 0x04
	MMLURequest           = 0x08
	MMAuthReject          = 0x11
	MMAuthRequest         = 0x12
	MMAuthResponse        = 0x14
	MMIdentityRequest     = 0x18
	MMIdentityResponse    = 0x19
	MMTMSIReallocCommand  = 0x1a
	MMTMSIReallocComplete = 0x1b
	MMCMServiceAccept     = 0x21
	MMCMServiceReject     = 0x22
	MMCMServiceRequest    = 0x24
)

// RR message types used on the A interface (TS 44.018 10.4).
const (
	RRHandoverCommand = 0x2b
	RRPagingResponse  = 0x27
)

// Location updating types (TS 24.008 10.5.3.5).
const (
	LUNormal     = 0
	LUPeriodic   = 1
	LUIMSIAttach = 2
)

// CM service types (TS 24.008 10.5.3.3).
const (
	CMSvcMOCall = 1
	CMSvcSMS    = 4
	CMSvcSS     = 8
)

// CC message types (TS 24.008 10.4, table 10.3).
const (
	CCAlerting        = 0x01
	CCCallProceeding  = 0x02
	CCProgress        = 0x03
	CCSetup           = 0x05
	CCConnect         = 0x07
	CCCallConfirmed   = 0x08
	CCConnectAck      = 0x0f
	CCDisconnectType  = 0x25
	CCReleaseComplete = 0x2a
	CCReleaseType     = 0x2d
)

// SS message types (TS 24.080 3.4).
const (
	SSReleaseCompleteType = 0x2a
	SSFacilityType        = 0x3a
	SSRegisterType        = 0x3b
)

// CC causes (TS 24.008 10.5.4.11) commonly used.
const (
	CauseUnassignedNumber = 1
	CauseNormalClearing   = 16
	CauseUserBusy         = 17
	CauseNoAnswer         = 19
)

// msClassmark1 is a phase 2 MS, ES IND, A5/1 available, RF power class 4.
const msClassmark1 = 0x33

// msClassmark2 is the value of Mobile station classmark 2 (10.5.1.6).
var msClassmark2 = [3]byte{0x33, 0x19, 0xa2}

// tiOctet is the first octet of a CC/SMS/SS message (TS 24.007 11.2.3.1.3).
func tiOctet(ti uint8, fromOrig bool, pd byte) byte {
	o := (ti&7)<<4 | pd
	if !fromOrig {
		o |= 0x80
	}
	return o
}

// LURequest appends an MM Location Updating Request (TS 24.008 9.2.15).
// luType: 0 normal, 1 periodic, 2 IMSI attach.
func LURequest(b []byte, luType, cksn uint8, old LAI, id MobileID) []byte {
	b = append(b, PDMM, MMLURequest, (cksn&7)<<4|luType&0xf)
	b = appendLAI(b, old)
	b = append(b, msClassmark1)
	return appendMobileIDLV(b, id)
}

// LUAccept appends an MM Location Updating Accept (9.2.13), with the new
// TMSI in the optional Mobile identity IE when withTMSI.
func LUAccept(b []byte, lai LAI, newTMSI uint32, withTMSI bool) []byte {
	b = append(b, PDMM, MMLUAccept)
	b = appendLAI(b, lai)
	if withTMSI {
		b = append(b, 0x17)
		b = appendMobileIDLV(b, MobileID{Type: IDTMSI, TMSI: newTMSI})
	}
	return b
}

// LUReject appends an MM Location Updating Reject (9.2.14).
func LUReject(b []byte, cause uint8) []byte {
	return append(b, PDMM, MMLUReject, cause)
}

// IMSIDetach appends an MM IMSI Detach Indication (9.2.12).
func IMSIDetach(b []byte, id MobileID) []byte {
	b = append(b, PDMM, MMIMSIDetach, msClassmark1)
	return appendMobileIDLV(b, id)
}

// CMServiceRequest appends an MM CM Service Request (9.2.9).
// svcType: 1 MO call, 4 SMS, 8 SS activation.
func CMServiceRequest(b []byte, svcType, cksn uint8, id MobileID) []byte {
	b = append(b, PDMM, MMCMServiceRequest, (cksn&7)<<4|svcType&0xf, 3)
	b = append(b, msClassmark2[:]...)
	return appendMobileIDLV(b, id)
}

// CMServiceAccept appends an MM CM Service Accept (9.2.5).
func CMServiceAccept(b []byte) []byte {
	return append(b, PDMM, MMCMServiceAccept)
}

// PagingResponse appends an RR Paging Response (TS 44.018 9.1.25).
func PagingResponse(b []byte, cksn uint8, id MobileID) []byte {
	b = append(b, PDRR, RRPagingResponse, cksn&7, 3)
	b = append(b, msClassmark2[:]...)
	return appendMobileIDLV(b, id)
}

// IdentityRequest appends an MM Identity Request (9.2.10).
func IdentityRequest(b []byte, idType uint8) []byte {
	return append(b, PDMM, MMIdentityRequest, idType&7)
}

// IdentityResponse appends an MM Identity Response (9.2.11).
func IdentityResponse(b []byte, id MobileID) []byte {
	b = append(b, PDMM, MMIdentityResponse)
	return appendMobileIDLV(b, id)
}

// TMSIReallocCommand appends an MM TMSI Reallocation Command (9.2.17).
func TMSIReallocCommand(b []byte, lai LAI, tmsi uint32) []byte {
	b = append(b, PDMM, MMTMSIReallocCommand)
	b = appendLAI(b, lai)
	return appendMobileIDLV(b, MobileID{Type: IDTMSI, TMSI: tmsi})
}

// TMSIReallocComplete appends an MM TMSI Reallocation Complete (9.2.18).
func TMSIReallocComplete(b []byte) []byte {
	return append(b, PDMM, MMTMSIReallocComplete)
}

// AuthRequest appends an MM Authentication Request (9.2.2), GSM RAND only.
func AuthRequest(b []byte, cksn uint8, rand *[16]byte) []byte {
	b = append(b, PDMM, MMAuthRequest, cksn&7)
	return append(b, rand[:]...)
}

// AuthResponse appends an MM Authentication Response (9.2.3).
func AuthResponse(b []byte, sres [4]byte) []byte {
	return append(b, PDMM, MMAuthResponse, sres[0], sres[1], sres[2], sres[3])
}

// appendBearerSpeech appends a Bearer capability IE (10.5.4.5) for full
// rate speech, GSM coding, circuit mode.
func appendBearerSpeech(b []byte) []byte {
	return append(b, 0x04, 0x01, 0xa0)
}

// appendBCDNumber appends a called/calling party BCD number TLV
// (10.5.4.7 / 10.5.4.9), international ISDN numbering.
func appendBCDNumber(b []byte, iei byte, digits string) []byte {
	b = append(b, iei, byte(1+tbcdLen(digits)), 0x91)
	return appendTBCD(b, digits)
}

// CCSetupMO appends a mobile originating CC Setup (9.3.23.2).
func CCSetupMO(b []byte, ti uint8, called string) []byte {
	b = append(b, tiOctet(ti, true, PDCC), CCSetup)
	b = appendBearerSpeech(b)
	return appendBCDNumber(b, 0x5e, called)
}

// CCSetupMT appends a mobile terminating CC Setup (9.3.23.1).
func CCSetupMT(b []byte, ti uint8, calling string) []byte {
	b = append(b, tiOctet(ti, true, PDCC), CCSetup)
	b = appendBearerSpeech(b)
	return appendBCDNumber(b, 0x5c, calling)
}

// CCSimple appends a CC message that has no mandatory IE beyond its type
// (Alerting, Call Proceeding, Connect, Call Confirmed, Connect Ack,
// Release Complete).
func CCSimple(b []byte, ti uint8, fromOrig bool, msgType uint8) []byte {
	return append(b, tiOctet(ti, fromOrig, PDCC), msgType)
}

// appendCauseValue appends a Cause value (10.5.4.11): GSM coding
// standard, location "public network serving the local user".
func appendCauseValue(b []byte, cause uint8) []byte {
	return append(b, 2, 0xe2, 0x80|cause)
}

// CCDisconnect appends a CC Disconnect (9.3.7) with its mandatory Cause.
func CCDisconnect(b []byte, ti uint8, fromOrig bool, cause uint8) []byte {
	b = append(b, tiOctet(ti, fromOrig, PDCC), CCDisconnectType)
	return appendCauseValue(b, cause)
}

// CCRelease appends a CC Release (9.3.18) with the optional Cause IE.
func CCRelease(b []byte, ti uint8, fromOrig bool, cause uint8) []byte {
	b = append(b, tiOctet(ti, fromOrig, PDCC), CCReleaseType, 0x08)
	return appendCauseValue(b, cause)
}

// SSRegister appends an SS Register (TS 24.080 2.4) with the Facility IE
// holding facility (one component, see Comp) and SS version indicator 0.
func SSRegister(b []byte, ti uint8, facility []byte) []byte {
	b = append(b, tiOctet(ti, true, PDSS), SSRegisterType, 0x1c, byte(len(facility)))
	b = append(b, facility...)
	return append(b, 0x7f, 0x01, 0x00)
}

// SSReleaseComplete appends an SS Release Complete (2.5) with the Facility
// IE when facility is not empty.
func SSReleaseComplete(b []byte, ti uint8, fromOrig bool, facility []byte) []byte {
	b = append(b, tiOctet(ti, fromOrig, PDSS), SSReleaseCompleteType)
	if len(facility) > 0 {
		b = append(b, 0x1c, byte(len(facility)))
		b = append(b, facility...)
	}
	return b
}

// SSFacility appends an SS Facility message (2.3).
func SSFacility(b []byte, ti uint8, fromOrig bool, facility []byte) []byte {
	b = append(b, tiOctet(ti, fromOrig, PDSS), SSFacilityType, byte(len(facility)))
	return append(b, facility...)
}
