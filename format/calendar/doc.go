// Package calendar reads and writes holiday calendar files: public holidays
// and make-up working days that override a group's weekly pattern. The
// simulator honours them, the whitelist counts them as rest days, and
// `sigprobe regions load` puts them in ClickHouse. It is a leaf: it imports
// nothing of sigprobe.
package calendar
