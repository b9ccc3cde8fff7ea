package bssap

// BSSMAPName returns the name of a BSSMAP message type ("" if unknown).
func BSSMAPName(t uint8) string {
	switch t {
	case AssignmentRequest:
		return "Assignment Request"
	case AssignmentComplete:
		return "Assignment Complete"
	case AssignmentFailure:
		return "Assignment Failure"
	case HandoverRequest:
		return "Handover Request"
	case HandoverRequired:
		return "Handover Required"
	case HandoverRequestAck:
		return "Handover Request Acknowledge"
	case HandoverCommand:
		return "Handover Command"
	case HandoverComplete:
		return "Handover Complete"
	case HandoverSucceeded:
		return "Handover Succeeded"
	case HandoverFailure:
		return "Handover Failure"
	case HandoverPerformed:
		return "Handover Performed"
	case HandoverCandEnquire:
		return "Handover Candidate Enquire"
	case HandoverCandResponse:
		return "Handover Candidate Response"
	case HandoverRequiredRej:
		return "Handover Required Reject"
	case HandoverDetect:
		return "Handover Detect"
	case ClearCommand:
		return "Clear Command"
	case ClearComplete:
		return "Clear Complete"
	case ClearRequest:
		return "Clear Request"
	case SAPInReject:
		return "SAPI n Reject"
	case Confusion:
		return "Confusion"
	case Suspend:
		return "Suspend"
	case Resume:
		return "Resume"
	case CommonID:
		return "Common ID"
	case Reset:
		return "Reset"
	case ResetAck:
		return "Reset Acknowledge"
	case Overload:
		return "Overload"
	case ResetCircuit:
		return "Reset Circuit"
	case ResetCircuitAck:
		return "Reset Circuit Acknowledge"
	case Paging:
		return "Paging"
	case CipherModeCommand:
		return "Cipher Mode Command"
	case ClassmarkUpdate:
		return "Classmark Update"
	case CipherModeComplete:
		return "Cipher Mode Complete"
	case QueuingIndication:
		return "Queuing Indication"
	case CompleteLayer3:
		return "Complete Layer 3 Information"
	case ClassmarkRequest:
		return "Classmark Request"
	case CipherModeReject:
		return "Cipher Mode Reject"
	case LoadIndication:
		return "Load Indication"
	case PerformLocationReq:
		return "Perform Location Request"
	case PerformLocationResp:
		return "Perform Location Response"
	case Block:
		return "Block"
	case BlockingAck:
		return "Blocking Acknowledge"
	case Unblock:
		return "Unblock"
	case UnblockingAck:
		return "Unblocking Acknowledge"
	}
	return ""
}

// DTAPName returns the name of a DTAP message ("" if unknown).
func DTAPName(pd, t uint8) string {
	switch pd {
	case PDMM:
		switch t {
		case MMIMSIDetach:
			return "IMSI Detach Indication"
		case MMLUAccept:
			return "Location Updating Accept"
		case MMLUReject:
			return "Location Updating Reject"
		case MMLURequest:
			return "Location Updating Request"
		case MMAuthReject:
			return "Authentication Reject"
		case MMAuthRequest:
			return "Authentication Request"
		case MMAuthResponse:
			return "Authentication Response"
		case MMAuthFailure:
			return "Authentication Failure"
		case MMIdentityRequest:
			return "Identity Request"
		case MMIdentityResponse:
			return "Identity Response"
		case MMTMSIReallocCmd:
			return "TMSI Reallocation Command"
		case MMTMSIReallocCompl:
			return "TMSI Reallocation Complete"
		case MMCMServiceAccept:
			return "CM Service Accept"
		case MMCMServiceReject:
			return "CM Service Reject"
		case MMCMServiceAbort:
			return "CM Service Abort"
		case MMCMServiceRequest:
			return "CM Service Request"
		case 0x25:
			return "CM Service Prompt"
		case MMCMReestablishment:
			return "CM Re-establishment Request"
		case 0x29:
			return "Abort"
		case 0x31:
			return "MM Status"
		case 0x32:
			return "MM Information"
		}
	case PDRR:
		switch t {
		case RRPagingResponse:
			return "Paging Response"
		case 0x32:
			return "Ciphering Mode Complete"
		case 0x35:
			return "Ciphering Mode Command"
		case 0x16:
			return "Classmark Change"
		case 0x0d:
			return "Channel Release"
		case 0x2b:
			return "Handover Command"
		case 0x2c:
			return "Handover Complete"
		case 0x28:
			return "Handover Failure"
		case 0x29:
			return "Assignment Complete"
		case 0x2e:
			return "Assignment Command"
		case 0x2f:
			return "Assignment Failure"
		case 0x12:
			return "RR Status"
		}
	case PDCC:
		switch t {
		case 0x01:
			return "Alerting"
		case 0x02:
			return "Call Proceeding"
		case 0x03:
			return "Progress"
		case CCSetup:
			return "Setup"
		case 0x07:
			return "Connect"
		case 0x08:
			return "Call Confirmed"
		case CCEmergencySetup:
			return "Emergency Setup"
		case 0x0f:
			return "Connect Acknowledge"
		case 0x10:
			return "User Information"
		case 0x18:
			return "Hold"
		case 0x19:
			return "Hold Acknowledge"
		case 0x1c:
			return "Retrieve"
		case 0x1d:
			return "Retrieve Acknowledge"
		case 0x25:
			return "Disconnect"
		case 0x2a:
			return "Release Complete"
		case 0x2d:
			return "Release"
		case 0x31:
			return "Stop DTMF"
		case 0x32:
			return "Stop DTMF Acknowledge"
		case 0x34:
			return "Status Enquiry"
		case 0x35:
			return "Start DTMF"
		case 0x36:
			return "Start DTMF Acknowledge"
		case 0x37:
			return "Start DTMF Reject"
		case CCFacility:
			return "Facility"
		case 0x3d:
			return "Status"
		case 0x3e:
			return "Notify"
		}
	case PDSMS:
		switch t {
		case SMSCPData:
			return "CP-DATA"
		case SMSCPAck:
			return "CP-ACK"
		case SMSCPError:
			return "CP-ERROR"
		}
	case PDSS:
		switch t {
		case SSRegister:
			return "Register"
		case SSFacility:
			return "Facility"
		case SSReleaseComplete:
			return "Release Complete"
		}
	}
	return ""
}
