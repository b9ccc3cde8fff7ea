package tcap

// OpName returns the name of a MAP operation code ("" if unknown).
func OpName(op int32) string {
	switch op {
	case OpUpdateLocation:
		return "updateLocation"
	case OpCancelLocation:
		return "cancelLocation"
	case OpProvideRoamingNumber:
		return "provideRoamingNumber"
	case OpInsertSubscriberData:
		return "insertSubscriberData"
	case 8:
		return "deleteSubscriberData"
	case OpSendRoutingInfo:
		return "sendRoutingInfo"
	case OpUpdateGprsLocation:
		return "updateGprsLocation"
	case 24:
		return "sendRoutingInfoForGprs"
	case 37:
		return "reset"
	case 38:
		return "forwardCheckSS-Indication"
	case OpCheckIMEI:
		return "checkIMEI"
	case OpMTForwardSM:
		return "mt-forwardSM"
	case OpSendRoutingInfoForSM:
		return "sendRoutingInfoForSM"
	case OpMOForwardSM:
		return "mo-forwardSM"
	case 47:
		return "reportSM-DeliveryStatus"
	case 50:
		return "activateTraceMode"
	case OpSendIdentification:
		return "sendIdentification"
	case OpSendAuthenticationInfo:
		return "sendAuthenticationInfo"
	case 57:
		return "restoreData"
	case 58:
		return "sendIMSI"
	case OpProcessUnstructuredSS:
		return "processUnstructuredSS-Request"
	case OpUnstructuredSSRequest:
		return "unstructuredSS-Request"
	case OpUnstructuredSSNotify:
		return "unstructuredSS-Notify"
	case 63:
		return "informServiceCentre"
	case 64:
		return "alertServiceCentre"
	case OpReadyForSM:
		return "readyForSM"
	case OpPurgeMS:
		return "purgeMS"
	case 68:
		return "prepareHandover"
	case 69:
		return "prepareSubsequentHandover"
	case OpProvideSubscriberInfo:
		return "provideSubscriberInfo"
	case OpAnyTimeInterrogation:
		return "anyTimeInterrogation"
	}
	return ""
}

// ErrorName returns the name of a MAP local error code ("" if unassigned):
// every error of 3GPP TS 29.002's MAP-Errors module (17.6.6), the three MAP
// v2 handover and location errors the module dropped later (2, 23, 24) and
// secureTransportError (4, TS 33.200 MAPsec), as tshark names them.
func ErrorName(code int32) string {
	if code < 0 || int(code) >= len(errorNames) {
		return ""
	}
	return errorNames[code]
}

var errorNames = [...]string{
	// identification and numbering
	1:  "unknownSubscriber",
	2:  "unknownBaseStation", // MAP v2
	3:  "unknownMSC",
	4:  "secureTransportError", // TS 33.200
	5:  "unidentifiedSubscriber",
	7:  "unknownEquipment",
	44: "numberChanged",
	// subscription
	8:  "roamingNotAllowed",
	9:  "illegalSubscriber",
	10: "bearerServiceNotProvisioned",
	11: "teleserviceNotProvisioned",
	12: "illegalEquipment",
	// call handling
	13: "callBarred",
	14: "forwardingViolation",
	15: "cug-Reject",
	27: "absentSubscriber",
	39: "noRoamingNumberAvailable",
	45: "busySubscriber",
	46: "noSubscriberReply",
	47: "forwardingFailed",
	48: "or-NotAllowed",
	// supplementary services
	16: "illegalSS-Operation",
	17: "ss-ErrorStatus",
	18: "ss-NotAvailable",
	19: "ss-SubscriptionViolation",
	20: "ss-Incompatibility",
	29: "shortTermDenial",
	30: "longTermDenial",
	37: "pw-RegistrationFailure",
	38: "negativePW-Check",
	43: "numberOfPW-AttemptsViolation",
	71: "unknownAlphabet",
	72: "ussd-Busy",
	// generic
	21: "facilityNotSupported",
	28: "incompatibleTerminal",
	34: "systemFailure",
	35: "dataMissing",
	36: "unexpectedDataValue",
	51: "resourceLimitation",
	// group call
	22: "ongoingGroupCall",
	50: "noGroupCallNumberAvailable",
	// handover
	23: "invalidTargetBaseStation", // MAP v2
	24: "noRadioResourceAvailable", // MAP v2
	25: "noHandoverNumberAvailable",
	26: "subsequentHandoverFailure",
	42: "targetCellOutsideGroupCallArea",
	// short message service
	6:  "absentSubscriberSM",
	31: "subscriberBusyForMT-SMS",
	32: "sm-DeliveryFailure",
	33: "messageWaitingListFull",
	// operation and maintenance
	40: "tracingBufferFull",
	// any time interrogation and information handling
	49: "ati-NotAllowed",
	60: "atsi-NotAllowed",
	61: "atm-NotAllowed",
	62: "informationNotAvailable",
	// location services
	52: "unauthorizedRequestingNetwork",
	53: "unauthorizedLCSClient",
	54: "positionMethodFailure",
	58: "unknownOrUnreachableLCSClient",
	// mobility management
	59: "mm-EventNotSupported",
}
