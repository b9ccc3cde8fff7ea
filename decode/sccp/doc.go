// Package sccp decodes ITU-T SCCP messages (Q.713): connectionless UDT,
// XUDT, UDTS, XUDTS; connection-oriented CR, CC, CREF, DT1, RLSD, RLC; party
// addresses; and reassembles segmented XUDT messages.
package sccp
