package wire

// MAP operation codes (TS 29.002 17.5).
const (
	OpUpdateLocation         = 2
	OpCancelLocation         = 3
	OpProvideRoamingNumber   = 4
	OpInsertSubscriberData   = 7
	OpSendRoutingInfo        = 22
	OpUpdateGprsLocation     = 23
	OpCheckIMEI              = 43
	OpMTForwardSM            = 44
	OpSendRoutingInfoForSM   = 45
	OpMOForwardSM            = 46
	OpSendAuthenticationInfo = 56
	OpProcessUSSD            = 59
	OpUSSDRequest            = 60
	OpUSSDNotify             = 61
	OpReadyForSM             = 66
	OpPurgeMS                = 67
	OpProvideSubscriberInfo  = 70
	OpAnyTimeInterrogation   = 71
)

// MAP error codes (TS 29.002 17.6).
const (
	ErrUnknownSubscriber         = 1
	ErrAbsentSubscriberSM        = 6
	ErrUnidentifiedSubscriber    = 5
	ErrIllegalSubscriber         = 9
	ErrIllegalEquipment          = 12
	ErrRoamingNotAllowed         = 8
	ErrTeleserviceNotProvisioned = 11
	ErrCallBarred                = 13
	ErrFacilityNotSupported      = 21
	ErrAbsentSubscriber          = 27
	ErrSubscriberBusyForMTSMS    = 31
	ErrSMDeliveryFailure         = 32
	ErrSystemFailure             = 34
	ErrDataMissing               = 35
	ErrUnexpectedDataValue       = 36
)

// MAP application context names (TS 29.002 17.3.3).
var (
	ACNetworkLocUp          = ACN{1, 3}
	ACLocationCancellation  = ACN{2, 3}
	ACRoamingNumberEnquiry  = ACN{3, 3}
	ACLocationInfoRetrieval = ACN{5, 3}
	ACEquipmentMngt         = ACN{13, 3}
	ACInfoRetrieval         = ACN{14, 3}
	ACNetworkUnstructuredSs = ACN{19, 2}
	ACShortMsgGateway       = ACN{20, 3}
	ACShortMsgMORelay       = ACN{21, 3}
	ACShortMsgMTRelay       = ACN{25, 3}
	ACMSPurging             = ACN{27, 3}
	ACSubscriberInfoEnquiry = ACN{28, 3}
	ACAnyTimeEnquiry        = ACN{29, 3}
)

// Ext-SS-Status values (TS 29.002 17.7.4): bit A active, R registered,
// P provisioned.
const (
	ssProvisioned       = 0x04
	ssActiveProvisioned = 0x05
)

// UpdateLocationArg appends UpdateLocationArg: imsi, msc-Number [1],
// vlr-Number, vlr-Capability [6] {supportedCamelPhases phase 1-3}.
func UpdateLocationArg(b []byte, imsi, msc, vlr string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x04, imsi)
	b = appendBERAddr(b, 0x81, msc)
	b = appendBERAddr(b, 0x04, vlr)
	b = append(b, 0xa6, 0x04, 0x80, 0x02, 0x05, 0xe0)
	return berEnd(b, s)
}

// UpdateLocationRes appends UpdateLocationRes {hlr-Number}.
func UpdateLocationRes(b []byte, hlr string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERAddr(b, 0x04, hlr)
	return berEnd(b, s)
}

// appendExtForw appends an Ext-SS-Info forwardingInfo [0] for ssCode,
// applying to all speech services, provisioned.
func appendExtForw(b []byte, ssCode byte) []byte {
	return append(b, 0xa0, 0x0d, 0x04, 0x01, ssCode,
		0x30, 0x08, 0x30, 0x06, // forwardingFeatureList { Ext-ForwFeature
		0x83, 0x01, 0x10, // ext-Teleservice allSpeechTransmissionServices
		0x84, 0x01, ssProvisioned) // ss-Status }
}

// appendExtCallBar appends an Ext-SS-Info callBarringInfo [1].
func appendExtCallBar(b []byte, ssCode byte) []byte {
	return append(b, 0xa1, 0x0d, 0x04, 0x01, ssCode,
		0x30, 0x08, 0x30, 0x06,
		0x83, 0x01, 0x10,
		0x84, 0x01, ssProvisioned)
}

// appendExtSSData appends an Ext-SS-Info ss-Data [3] for ssCode.
func appendExtSSData(b []byte, ssCode, status byte) []byte {
	return append(b, 0xa3, 0x06, 0x04, 0x01, ssCode, 0x84, 0x01, status)
}

// InsertSubscriberDataArg appends InsertSubscriberDataArg. imsi "" omits
// the imsi [0] (as inside an updateLocation dialogue). full adds a
// realistic profile: bearer services, provisioned SS (call forwarding,
// barring, CLIP/CLIR, call waiting, hold, multiparty), ODB data and the
// network access mode.
func InsertSubscriberDataArg(b []byte, imsi, msisdn string, full bool) []byte {
	b, s := berStart(b, 0x30)
	if imsi != "" {
		b = appendBERTBCD(b, 0x80, imsi)
	}
	b = appendBERAddr(b, 0x81, msisdn)
	b = append(b, 0x82, 0x01, 0x0a) // category: ordinary subscriber
	b = append(b, 0x83, 0x01, 0x00) // subscriberStatus: serviceGranted
	if full {
		// bearerServiceList [4]: allDataCDA-Services, allDataCDS-Services
		b = append(b, 0xa4, 0x06, 0x04, 0x01, 0x10, 0x04, 0x01, 0x18)
	}
	// teleserviceList [6]: telephony, emergencyCalls, SMS MT-PP, SMS MO-PP
	b = append(b, 0xa6, 0x0c, 0x04, 0x01, 0x11, 0x04, 0x01, 0x12, 0x04, 0x01, 0x21, 0x04, 0x01, 0x22)
	if full {
		var p int
		b, p = berStart(b, 0xa7)                          // provisionedSS
		b = appendExtForw(b, 0x21)                        // cfu
		b = appendExtForw(b, 0x29)                        // cfb
		b = appendExtForw(b, 0x2a)                        // cfnry
		b = appendExtForw(b, 0x2b)                        // cfnrc
		b = appendExtCallBar(b, 0x92)                     // baoc
		b = appendExtCallBar(b, 0x93)                     // boic
		b = appendExtCallBar(b, 0x9a)                     // baic
		b = appendExtSSData(b, 0x11, ssActiveProvisioned) // clip
		b = appendExtSSData(b, 0x12, ssProvisioned)       // clir
		b = appendExtSSData(b, 0x41, ssActiveProvisioned) // cw
		b = appendExtSSData(b, 0x42, ssActiveProvisioned) // hold
		b = appendExtSSData(b, 0x51, ssActiveProvisioned) // multiPTY
		b = berEnd(b, p)
		// odb-Data [8] { odb-GeneralData: nothing barred (16 bits) }
		b = append(b, 0xa8, 0x05, 0x03, 0x03, 0x00, 0x00, 0x00)
		// networkAccessMode [24]: packetAndCircuit
		b = append(b, 0x98, 0x01, 0x00)
	}
	return berEnd(b, s)
}

// InsertSubscriberDataRes appends an empty InsertSubscriberDataRes.
func InsertSubscriberDataRes(b []byte) []byte {
	return append(b, 0x30, 0x00)
}

// CancelLocationArg appends the v3 CancelLocationArg [3] {imsi,
// cancellationType updateProcedure}.
func CancelLocationArg(b []byte, imsi string) []byte {
	b, s := berStart(b, 0xa3)
	b = appendBERTBCD(b, 0x04, imsi)
	b = append(b, 0x0a, 0x01, 0x00)
	return berEnd(b, s)
}

// PurgeMSArg appends PurgeMS-Arg [3] {imsi, vlr-Number [0]}.
func PurgeMSArg(b []byte, imsi, vlr string) []byte {
	b, s := berStart(b, 0xa3)
	b = appendBERTBCD(b, 0x04, imsi)
	b = appendBERAddr(b, 0x80, vlr)
	return berEnd(b, s)
}

// SendAuthInfoArg appends the v3 SendAuthenticationInfoArg {imsi [0],
// numberOfRequestedVectors}.
func SendAuthInfoArg(b []byte, imsi string, n uint8) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x80, imsi)
	b = append(b, 0x02, 0x01, n&0x7f)
	return berEnd(b, s)
}

// Triplet is a GSM authentication triplet.
type Triplet struct {
	RAND [16]byte
	SRES [4]byte
	Kc   [8]byte
}

// SendAuthInfoRes appends the v3 SendAuthenticationInfoRes [3] {tripletList [0]}.
func SendAuthInfoRes(b []byte, t []Triplet) []byte {
	b, s := berStart(b, 0xa3)
	b, l := berStart(b, 0xa0)
	for i := range t {
		b = append(b, 0x30, 34, 0x04, 16)
		b = append(b, t[i].RAND[:]...)
		b = append(b, 0x04, 4)
		b = append(b, t[i].SRES[:]...)
		b = append(b, 0x04, 8)
		b = append(b, t[i].Kc[:]...)
	}
	b = berEnd(b, l)
	return berEnd(b, s)
}

// SendRoutingInfoArg appends SendRoutingInfoArg {msisdn [0],
// interrogationType [3] basicCall, gmsc-OrGsmSCF-Address [6]}.
func SendRoutingInfoArg(b []byte, msisdn, gmsc string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERAddr(b, 0x80, msisdn)
	b = append(b, 0x83, 0x01, 0x00)
	b = appendBERAddr(b, 0x86, gmsc)
	return berEnd(b, s)
}

// SendRoutingInfoRes appends the v3 SendRoutingInfoRes [3] {imsi [9],
// extendedRoutingInfo roamingNumber}.
func SendRoutingInfoRes(b []byte, imsi, msrn string) []byte {
	b, s := berStart(b, 0xa3)
	b = appendBERTBCD(b, 0x89, imsi)
	b = appendBERAddr(b, 0x04, msrn)
	return berEnd(b, s)
}

// ProvideRoamingNumberArg appends ProvideRoamingNumberArg {imsi [0],
// msc-Number [1], msisdn [2], gmsc-Address [8]}.
func ProvideRoamingNumberArg(b []byte, imsi, msc, msisdn, gmsc string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x80, imsi)
	b = appendBERAddr(b, 0x81, msc)
	b = appendBERAddr(b, 0x82, msisdn)
	b = appendBERAddr(b, 0x88, gmsc)
	return berEnd(b, s)
}

// ProvideRoamingNumberRes appends the v3 ProvideRoamingNumberRes {roamingNumber}.
func ProvideRoamingNumberRes(b []byte, msrn string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERAddr(b, 0x04, msrn)
	return berEnd(b, s)
}

// SRISMArg appends RoutingInfoForSM-Arg {msisdn [0], sm-RP-PRI [1] TRUE,
// serviceCentreAddress [2]}.
func SRISMArg(b []byte, msisdn, sca string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERAddr(b, 0x80, msisdn)
	b = append(b, 0x81, 0x01, 0xff)
	b = appendBERAddr(b, 0x82, sca)
	return berEnd(b, s)
}

// SRISMRes appends RoutingInfoForSM-Res {imsi, locationInfoWithLMSI [0]
// {networkNode-Number [1]}}.
func SRISMRes(b []byte, imsi, msc string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x04, imsi)
	b, l := berStart(b, 0xa0)
	b = appendBERAddr(b, 0x81, msc)
	b = berEnd(b, l)
	return berEnd(b, s)
}

// MOForwardSMArg appends MO-ForwardSM-Arg {sm-RP-DA serviceCentreAddressDA
// [4], sm-RP-OA msisdn [2], sm-RP-UI, imsi (omitted when "")}.
func MOForwardSMArg(b []byte, sca, msisdn string, tpdu []byte, imsi string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERAddr(b, 0x84, sca)
	b = appendBERAddr(b, 0x82, msisdn)
	b, u := berStart(b, 0x04) // sm-RP-UI: a full SMS needs the long length form
	b = append(b, tpdu...)
	b = berEnd(b, u)
	if imsi != "" {
		b = appendBERTBCD(b, 0x04, imsi)
	}
	return berEnd(b, s)
}

// MTForwardSMArg appends MT-ForwardSM-Arg {sm-RP-DA imsi [0], sm-RP-OA
// serviceCentreAddressOA [4], sm-RP-UI}.
func MTForwardSMArg(b []byte, imsi, sca string, tpdu []byte) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x80, imsi)
	b = appendBERAddr(b, 0x84, sca)
	b, u := berStart(b, 0x04) // sm-RP-UI: a full SMS needs the long length form
	b = append(b, tpdu...)
	b = berEnd(b, u)
	return berEnd(b, s)
}

// requestedInfo is RequestedInfo {locationInformation [0], subscriberState [1]}.
var requestedInfo = [...]byte{0x80, 0x00, 0x81, 0x00}

// PSIArg appends ProvideSubscriberInfoArg {imsi [0], requestedInfo [2]}.
func PSIArg(b []byte, imsi string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x80, imsi)
	b = append(b, 0xa2, byte(len(requestedInfo)))
	b = append(b, requestedInfo[:]...)
	return berEnd(b, s)
}

// appendSubscriberInfo appends SubscriberInfo {locationInformation [0]
// {ageOfLocationInformation 0, vlr-number [1], cellGlobalIdOrServiceAreaIdOrLAI
// [3] {cellGlobalIdOrServiceAreaIdFixedLength [0]}}, subscriberState [1]
// {assumedIdle}}.
func appendSubscriberInfo(b []byte, vlr string, cgi CGI) []byte {
	b, s := berStart(b, 0x30)
	b, l := berStart(b, 0xa0)
	b = append(b, 0x02, 0x01, 0x00)
	b = appendBERAddr(b, 0x81, vlr)
	b = append(b, 0xa3, 0x09, 0x80, 0x07)
	b = appendCGI(b, cgi)
	b = berEnd(b, l)
	b = append(b, 0xa1, 0x02, 0x80, 0x00)
	return berEnd(b, s)
}

// PSIRes appends ProvideSubscriberInfoRes {subscriberInfo}.
func PSIRes(b []byte, vlr string, cgi CGI) []byte {
	b, s := berStart(b, 0x30)
	b = appendSubscriberInfo(b, vlr, cgi)
	return berEnd(b, s)
}

// ATIArg appends AnyTimeInterrogationArg {subscriberIdentity [0] {msisdn
// [1]}, requestedInfo [1], gsmSCF-Address [3]}.
func ATIArg(b []byte, msisdn, scf string) []byte {
	b, s := berStart(b, 0x30)
	b, i := berStart(b, 0xa0)
	b = appendBERAddr(b, 0x81, msisdn)
	b = berEnd(b, i)
	b = append(b, 0xa1, byte(len(requestedInfo)))
	b = append(b, requestedInfo[:]...)
	b = appendBERAddr(b, 0x83, scf)
	return berEnd(b, s)
}

// ATIRes appends AnyTimeInterrogationRes {subscriberInfo}.
func ATIRes(b []byte, vlr string, cgi CGI) []byte {
	return PSIRes(b, vlr, cgi)
}

// CheckIMEIArg appends the v3 CheckIMEI-Arg {imei, requestedEquipmentInfo
// {equipmentStatus}}.
func CheckIMEIArg(b []byte, imei string) []byte {
	b, s := berStart(b, 0x30)
	b = appendBERTBCD(b, 0x04, imei)
	b = append(b, 0x03, 0x02, 0x06, 0x80)
	return berEnd(b, s)
}

// CheckIMEIRes appends the v3 CheckIMEI-Res {equipmentStatus whiteListed}.
func CheckIMEIRes(b []byte) []byte {
	return append(b, 0x30, 0x03, 0x0a, 0x01, 0x00)
}

// appendUSSDString appends ussd-DataCodingScheme 0x0f and the packed
// ussd-String.
func appendUSSDString(b []byte, text string) []byte {
	b = append(b, 0x04, 0x01, 0x0f)
	b, s := berStart(b, 0x04)
	b = appendPacked7(b, text, true)
	return berEnd(b, s)
}

// USSDArg appends USSD-Arg {dcs, ussd-String, msisdn [0] (omitted when "")}.
func USSDArg(b []byte, text, msisdn string) []byte {
	b, s := berStart(b, 0x30)
	b = appendUSSDString(b, text)
	if msisdn != "" {
		b = appendBERAddr(b, 0x80, msisdn)
	}
	return berEnd(b, s)
}

// USSDRes appends USSD-Res {dcs, ussd-String}.
func USSDRes(b []byte, text string) []byte {
	b, s := berStart(b, 0x30)
	b = appendUSSDString(b, text)
	return berEnd(b, s)
}
