// Package pseudonym replaces subscriber identities (IMSI, MSISDN, IMEI) in
// table rows and triggers with keyed pseudonyms before an output writes
// them: HMAC-SHA-256 under a secret key, truncated to 63 bits and carried
// in a sink.Digits (printed as 16 hex digits), with the key's id in every
// row. One key gives one pseudonym per identity, so joins, the group
// whitelist and the analysis SQL work on pseudonymized tables as on clear
// ones; only the key holder can go from an identity to its pseudonym
// (`sigprobe pseudonym`), nobody back. The format is in deploy/SECURITY.md.
package pseudonym
