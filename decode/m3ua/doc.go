// Package m3ua decodes the MTP3 user adaptation layers that carry SCCP over
// SCTP: M3UA DATA (RFC 4666), M2PA User Data (RFC 4165) and the ITU MTP3
// routing label (Q.704) they or an MTP2/MTP3 capture carry.
package m3ua
