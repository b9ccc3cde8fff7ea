package whitelist

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Header is the CSV header of WriteCSV.
var Header = []string{"imsi", "msisdn", "stage", "score", "presence_days", "threshold", "k", "nights", "offdays", "peers", "member_peers", "peer_lift", "round"}

// WriteCSV writes members as CSV with Header.
func WriteCSV(w io.Writer, ms []Member) error {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	f := func(v float64, d int) string { return strconv.FormatFloat(round(v, d), 'f', -1, 64) }
	for _, m := range ms {
		cw.Write([]string{m.IMSI, m.MSISDN, m.Stage, f(m.Score, 3), strconv.Itoa(m.PresenceDays), f(m.Threshold, 3), f(m.K, 4),
			strconv.Itoa(m.Nights), strconv.Itoa(m.Offdays), strconv.Itoa(m.Peers), strconv.Itoa(m.MemberPeers), f(m.PeerLift, 3), strconv.Itoa(m.Round)})
	}
	cw.Flush()
	return cw.Error()
}

func round(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}

// ReadKnown reads a known-members CSV: a header whose first column is imsi
// or msisdn, then one member per row (other columns are ignored).
func ReadKnown(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("known members: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("known members: empty file, want a header imsi or msisdn")
	}
	if h := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(recs[0][0], "\ufeff"))); h != "imsi" && h != "msisdn" {
		return nil, fmt.Errorf("known members: first column is %q, want imsi or msisdn", recs[0][0])
	}
	var out []string
	for _, r := range recs[1:] {
		if v := strings.TrimSpace(r[0]); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}
