// Package ident holds the fixed-size identity and location types shared by
// the decode layers (TBCD digit strings, PLMN, cells) and their decoders
// (3GPP TS 23.003, TS 24.008 mobile identity). It allocates nothing.
package ident
