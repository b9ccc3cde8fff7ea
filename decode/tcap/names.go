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

// ErrorName returns the name of a MAP local error code ("" if unknown).
func ErrorName(code int32) string {
	switch code {
	case 1:
		return "unknownSubscriber"
	case 5:
		return "unidentifiedSubscriber"
	case 6:
		return "absentSubscriberSM"
	case 8:
		return "roamingNotAllowed"
	case 9:
		return "illegalSubscriber"
	case 12:
		return "illegalEquipment"
	case 13:
		return "callBarred"
	case 21:
		return "facilityNotSupported"
	case 27:
		return "absentSubscriber"
	case 34:
		return "systemFailure"
	case 35:
		return "dataMissing"
	case 36:
		return "unexpectedDataValue"
	}
	return ""
}
