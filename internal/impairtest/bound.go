package impairtest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Interval is a dwell interval: a subscriber in one cell from Start to End
// (unix seconds).
type Interval struct {
	IMSI    string
	LAC, CI uint16
	Start   int64
	End     int64
}

// ReadDwell reads a truth directory's dwell.csv.
func ReadDwell(truth string) ([]Interval, error) {
	var out []Interval
	err := eachRow(filepath.Join(truth, "dwell.csv"), func(col func(string) string) error {
		lac, err1 := strconv.ParseUint(col("lac"), 10, 16)
		ci, err2 := strconv.ParseUint(col("ci"), 10, 16)
		st, err3 := strconv.ParseInt(col("start_ts"), 10, 64)
		en, err4 := strconv.ParseInt(col("end_ts"), 10, 64)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return err
		}
		out = append(out, Interval{col("imsi"), uint16(lac), uint16(ci), st, en})
		return nil
	})
	return out, err
}

// Bound recomputes the truth's dwell intervals from the messages of the
// frames that survived (messages.csv), with the simulator's own rule
// (README in the truth directory): an interval starts at the first message
// showing a cell and ends at the first message from another cell, at an
// IMSI Detach Indication, or at the last message before a silence longer
// than 1.05 × t3212; intervals still open end at the last packet (end,
// unix ns). Only the messages a perfect probe could place count:
//
//   - its connection's Connection Request survived (Complete Layer 3
//     Information, Handover Request): nothing else on a connection says
//     which cell it is in;
//   - the surviving messages tie the connection to the subscriber's IMSI,
//     directly or through TMSIs and RANDs, at any time of the capture (a
//     probe holds what it cannot attribute yet): an IMSI or TMSI on the
//     connection, a Paging with both, an Authentication Request's RAND and
//     the sendAuthenticationInfo result that delivered it.
//
// The share of the truth's intervals the bound reproduces is what any
// probe's dwell share is measured against. It errs on the generous side:
// a message counts when the frame that completes it survived (a lost
// earlier fragment is not seen here), a lost Connection Confirm or
// sendAuthenticationInfo invoke costs it nothing, and knowledge gained
// late is used as if it had come in time.
func Bound(truth string, lost func(frame uint64) bool, t3212 time.Duration, end int64) ([]Interval, error) {
	path := filepath.Join(truth, "messages.csv")
	// What ties connections, TMSIs, RANDs and IMSIs together.
	var ids unionFind
	opened := map[string]bool{} // connection -> its Connection Request survived
	err := eachRow(path, func(col func(string) string) error {
		f, err := strconv.ParseUint(col("frame"), 10, 64)
		if err != nil {
			return err
		}
		conn := col("conn")
		if conn != "" {
			if _, ok := opened[conn]; !ok {
				opened[conn] = !lost(f) // its first message is in the Connection Request
			}
		}
		if lost(f) {
			return nil
		}
		imsi, tmsi, rands := col("msg_imsi"), col("tmsi"), col("rand")
		if conn != "" {
			if imsi != "" {
				ids.union("c"+conn, "i"+imsi)
			}
			if tmsi != "" {
				ids.union("c"+conn, "t"+tmsi)
			}
			for _, r := range strings.Split(rands, ";") {
				if r != "" {
					ids.union("c"+conn, "r"+r)
				}
			}
			return nil
		}
		if imsi != "" && tmsi != "" {
			ids.union("i"+imsi, "t"+tmsi) // Paging
		}
		if who := col("imsi"); who != "" && rands != "" {
			for _, r := range strings.Split(rands, ";") {
				ids.union("r"+r, "i"+who) // the vectors fetched for who
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	silence := int64(t3212) * 105 / 100
	type sub struct {
		cell         string
		start, last  int64
		open, silent bool
	}
	subs := map[string]*sub{}
	var order []string
	var out []Interval
	emit := func(imsi string, u *sub, endNs int64) {
		lac, ci, _ := strings.Cut(u.cell, "-")
		l, _ := strconv.ParseUint(lac, 10, 16)
		c, _ := strconv.ParseUint(ci, 10, 16)
		out = append(out, Interval{imsi, uint16(l), uint16(c), u.start / 1e9, endNs / 1e9})
		u.open = false
	}
	err = eachRow(path, func(col func(string) string) error {
		f, err := strconv.ParseUint(col("frame"), 10, 64)
		if err != nil {
			return err
		}
		imsi, cell, conn := col("imsi"), col("cell"), col("conn")
		if lost(f) || imsi == "" || cell == "" {
			return nil
		}
		if conn != "" && (!opened[conn] || !ids.same("c"+conn, "i"+imsi)) {
			return nil
		}
		ts, err := strconv.ParseInt(col("ts_ns"), 10, 64)
		if err != nil {
			return err
		}
		u := subs[imsi]
		if u == nil {
			u = &sub{}
			subs[imsi] = u
			order = append(order, imsi)
		}
		if u.open && ts-u.last > silence {
			emit(imsi, u, u.last) // went silent, knowably
		}
		if !u.open || u.cell != cell {
			if u.open {
				emit(imsi, u, ts)
			}
			u.cell, u.start, u.open = cell, ts, true
		}
		u.last = ts
		if col("proto") == "dtap" && col("pd") == "5" && col("type") == "1" { // IMSI Detach Indication
			emit(imsi, u, ts)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, imsi := range order {
		if u := subs[imsi]; u.open {
			if end-u.last > silence {
				emit(imsi, u, u.last)
			} else {
				emit(imsi, u, end)
			}
		}
	}
	return out, nil
}

// unionFind groups identities (a connection, TMSI, RAND, IMSI) that the
// capture ties together.
type unionFind struct {
	id     map[string]int
	parent []int
}

func (u *unionFind) find(k string) int {
	if u.id == nil {
		u.id = map[string]int{}
	}
	i, ok := u.id[k]
	if !ok {
		i = len(u.parent)
		u.id[k] = i
		u.parent = append(u.parent, i)
	}
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(a), u.find(b)
	u.parent[ra] = rb
}

func (u *unionFind) same(a, b string) bool { return u.find(a) == u.find(b) }

// Matched counts the intervals of want that got holds too, start and end
// within a second (each of got's used once).
func Matched(want, got []Interval) int {
	type key struct {
		imsi    string
		lac, ci uint16
	}
	idx := map[key][]int{}
	for i, g := range got {
		k := key{g.IMSI, g.LAC, g.CI}
		idx[k] = append(idx[k], i)
	}
	used := make([]bool, len(got))
	abs := func(x int64) int64 { return max(x, -x) }
	n := 0
	for _, w := range want {
		for _, i := range idx[key{w.IMSI, w.LAC, w.CI}] {
			if g := got[i]; !used[i] && abs(g.Start-w.Start) <= 1 && abs(g.End-w.End) <= 1 {
				used[i] = true
				n++
				break
			}
		}
	}
	return n
}

// Share is the share of want's intervals that got reproduces (Matched/len).
func Share(want, got []Interval) float64 {
	if len(want) == 0 {
		return 1
	}
	return float64(Matched(want, got)) / float64(len(want))
}

// eachRow calls fn for every row of a CSV file with a header; col returns a
// column of the current row by name.
func eachRow(path string, fn func(col func(string) string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	head = slices.Clone(head)
	pos := map[string]int{}
	for i, h := range head {
		pos[h] = i
	}
	var rec []string
	col := func(name string) string {
		if i, ok := pos[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for line := 2; ; line++ {
		rec, err = r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(col); err != nil {
			return fmt.Errorf("%s: line %d: %w", path, line, err)
		}
	}
}
