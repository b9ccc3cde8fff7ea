// Package sccp decodes ITU-T SCCP messages (Q.713): connectionless UDT,
// XUDT, LUDT and their returns UDTS, XUDTS, LUDTS; connection-oriented CR, CC, CREF, DT1, RLSD, RLC; party
// addresses; and reassembles segmented XUDT messages.
package sccp
