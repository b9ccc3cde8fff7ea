package natsbus

import (
	"strings"

	"github.com/sigprobe/sigprobe/sink"
)

// PayloadVersion is the "v" of every payload. Fields are only ever added
// within a version; a change of meaning or a removal bumps it.
const PayloadVersion = 1

// Payload is the JSON body of a trigger message (see README.md).
type Payload struct {
	V       int    `json:"v"`
	ID      string `json:"id"`
	Rule    string `json:"rule"`
	Kind    string `json:"kind"`
	TS      int64  `json:"ts"`
	IMSI    string `json:"imsi"`
	MSISDN  string `json:"msisdn"`
	Region  string `json:"region"`
	LAC     uint16 `json:"lac"`
	CI      uint16 `json:"ci"`
	DwellS  int64  `json:"dwell_s"`
	HomeMCC string `json:"home_mcc"`
	HomeMNC string `json:"home_mnc"`
	Attrs   string `json:"attrs"`
	// Added within version 1.
	Peer      string `json:"peer"`
	DurationS int64  `json:"duration_s"`
	Cause     uint8  `json:"cause"`
	Campaign  string `json:"campaign"`
	// KeyID names the key that pseudonymized imsi and msisdn (when the
	// configuration says so for nats); absent when they are in clear.
	KeyID string `json:"key_id,omitempty"`
}

// NewPayload converts a trigger.
func NewPayload(t *sink.Trigger) Payload {
	return Payload{V: PayloadVersion, ID: t.ID, Rule: t.Rule, Kind: t.Kind, TS: t.TS,
		IMSI: t.IMSI.String(), MSISDN: t.MSISDN.String(), Region: t.Region, LAC: t.LAC, CI: t.CI,
		DwellS: t.DwellS, HomeMCC: t.HomeMCC, HomeMNC: t.HomeMNC, Attrs: t.Attrs,
		Peer: t.Peer.String(), DurationS: t.DurationS, Cause: t.Cause, Campaign: t.Campaign, KeyID: t.KeyID}
}

// SubjectPrefix starts every trigger subject; the stream takes SubjectPrefix + ">".
const SubjectPrefix = "sigprobe.trigger."

// Subject is sigprobe.trigger.<kind>.<region>. Empty tokens become "none";
// characters NATS gives a meaning to (. * > and white space) become "_".
func Subject(kind, region string) string {
	return SubjectPrefix + token(kind) + "." + token(region)
}

func token(s string) string {
	if s == "" {
		return "none"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}
