// Package sctp walks the chunks of an SCTP packet (RFC 9260), reassembles
// user messages fragmented over DATA chunks and drops retransmitted DATA.
//
// It is hand-written rather than built on gopacket: gopacket v1.7.7's
// SCTPData is not a DecodingLayer, so a DecodingLayerParser cannot visit
// every bundled DATA chunk without allocating a gopacket.Packet.
package sctp
