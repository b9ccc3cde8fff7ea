package regions

import "bytes"

// A region file of a hundred thousand regions is some 20 MB of YAML, which
// the YAML decoder takes seconds to read. Its regions section is read here
// instead, line by line, when it has the shape Write gives it (and most
// hand-written files have):
//
//	regions:
//	  - name: mall
//	    kind: mall   # a comment
//	    cells: [{lac: 256, ci: 10001}, {lac: 256, ci: 10002}]
//
// Anything else in it — another key, block-style cells, a quoted key, an
// anchor, a number the YAML decoder would read otherwise — and the whole
// file goes to the YAML decoder, which also reports every error. The rest
// of the file (groups) always goes to the YAML decoder, with the regions
// section blanked out so that its line numbers stay right.
// FuzzFastPath checks that both ways read the same.

// fastRegions reads the regions section of b. ok is false when the file
// has no such section or it is not of the simple shape; rest is then nil.
// Otherwise rest is b with the section blanked (lines kept).
func fastRegions(b []byte) (regs []Region, rest []byte, ok bool) {
	start, keyLine, ok := regionsKey(b)
	if !ok {
		return nil, nil, false
	}
	p := fastParser{b: b, pos: start, line: keyLine + 1}
	regs, end, ok := p.section()
	if !ok || len(regs) == 0 {
		return nil, nil, false
	}
	rest = make([]byte, 0, len(b)-(end-start))
	rest = append(rest, b[:start]...)
	for _, c := range b[start:end] {
		if c == '\n' {
			rest = append(rest, c)
		}
	}
	return regs, append(rest, b[end:]...), true
}

// regionsKey finds a line "regions:" at column 0 (a comment may follow)
// and returns the offset after it and its line number (1-based).
func regionsKey(b []byte) (after, line int, ok bool) {
	for off, ln := 0, 1; off < len(b); ln++ {
		end := bytes.IndexByte(b[off:], '\n')
		next := len(b)
		if end >= 0 {
			next = off + end + 1
		}
		l := trimEOL(b[off:next])
		if rest, found := bytes.CutPrefix(l, []byte("regions:")); found {
			if r := bytes.TrimLeft(rest, " "); len(r) == 0 || r[0] == '#' && len(r) < len(rest) {
				return next, ln, true
			}
			return 0, 0, false // a value on the key's line: flow style
		}
		off = next
	}
	return 0, 0, false
}

func trimEOL(l []byte) []byte {
	l = bytes.TrimSuffix(l, []byte("\n"))
	return bytes.TrimSuffix(l, []byte("\r"))
}

type fastParser struct {
	b    []byte
	pos  int // offset of the current line
	line int // its number
}

// section reads the items up to the next top-level line; end is where
// that line starts.
func (p *fastParser) section() (regs []Region, end int, ok bool) {
	itemIndent, keyIndent := -1, -1
	var cur *Region
	var seen [3]bool
	for p.pos < len(p.b) {
		nl := bytes.IndexByte(p.b[p.pos:], '\n')
		next := len(p.b)
		if nl >= 0 {
			next = p.pos + nl + 1
		}
		l := trimEOL(p.b[p.pos:next])
		for _, c := range l {
			if c < ' ' || c > '~' { // tabs, control characters, anything not ASCII: the decoder's business
				return nil, 0, false
			}
		}
		ind := len(l) - len(bytes.TrimLeft(l, " "))
		body := l[ind:]
		switch {
		case len(body) == 0 || body[0] == '#': // blank or comment
		case ind == 0 && body[0] != '-':
			if cur != nil && !seen[2] {
				return nil, 0, false // let the YAML decoder see a region without cells
			}
			return regs, p.pos, true // the next top-level key
		case body[0] == '-':
			if itemIndent < 0 {
				itemIndent = ind
			}
			if ind != itemIndent || len(body) < 3 || body[1] != ' ' {
				return nil, 0, false
			}
			if cur != nil && !seen[2] {
				return nil, 0, false
			}
			k := bytes.TrimLeft(body[1:], " ")
			if keyIndent < 0 {
				keyIndent = ind + len(body) - len(k)
			}
			if ind+len(body)-len(k) != keyIndent {
				return nil, 0, false
			}
			regs = append(regs, Region{line: p.line})
			cur, seen = &regs[len(regs)-1], [3]bool{}
			if !p.field(cur, &seen, k) {
				return nil, 0, false
			}
		default:
			if cur == nil || ind != keyIndent || !p.field(cur, &seen, body) {
				return nil, 0, false
			}
		}
		p.pos, p.line = next, p.line+1
	}
	if cur != nil && !seen[2] {
		return nil, 0, false
	}
	return regs, len(p.b), true
}

// field reads "key: value" of region r.
func (p *fastParser) field(r *Region, seen *[3]bool, kv []byte) bool {
	k, v, found := bytes.Cut(kv, []byte(":"))
	if !found || len(v) == 0 || v[0] != ' ' {
		return false
	}
	if v = bytes.TrimLeft(v, " "); len(v) == 0 {
		return false // a null value: the YAML decoder's business
	}
	var i int
	switch string(k) {
	case "name":
		i = 0
	case "kind":
		i = 1
	case "cells":
		i = 2
	default:
		return false
	}
	if seen[i] {
		return false
	}
	seen[i] = true
	if i == 2 {
		cells, ok := flowCells(v)
		r.Cells = cells
		return ok
	}
	s, ok := scalar(v)
	if i == 0 {
		r.Name = s
	} else {
		r.Kind = s
	}
	return ok
}

// scalar reads a value the YAML decoder reads as the same string: a plain
// word of letters, digits, '_' and '-' starting with a letter or '_' (not
// one of YAML's booleans or null), or a quoted string without escapes; a
// comment may follow.
func scalar(v []byte) (string, bool) {
	var s, rest []byte
	switch q := v[0]; q {
	case '"', '\'':
		end := bytes.IndexByte(v[1:], q)
		if end < 0 {
			return "", false
		}
		s, rest = v[1:1+end], v[2+end:]
		if bytes.IndexByte(s, '\\') >= 0 || bytes.ContainsAny(s, "\"'") {
			return "", false
		}
	default:
		n := 0
		for n < len(v) && (v[n] >= 'a' && v[n] <= 'z' || v[n] >= 'A' && v[n] <= 'Z' || v[n] == '_' ||
			n > 0 && (v[n] >= '0' && v[n] <= '9' || v[n] == '-')) {
			n++
		}
		s, rest = v[:n], v[n:]
		if n == 0 || reserved(s) {
			return "", false
		}
	}
	return string(s), endOfValue(rest)
}

// reserved: plain words YAML reads as something other than a string.
func reserved(s []byte) bool {
	switch string(bytes.ToLower(s)) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n":
		return true
	}
	return false
}

// endOfValue: nothing but spaces and a comment after a value.
func endOfValue(rest []byte) bool {
	r := bytes.TrimLeft(rest, " ")
	return len(r) == 0 || r[0] == '#' && len(r) < len(rest)
}

// flowCells reads [{lac: N, ci: N}, ...] on one line.
func flowCells(v []byte) ([]Cell, bool) {
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	v = skipSpaces(v[1:])
	cells := []Cell{}
	if len(v) > 0 && v[0] == ']' {
		return cells, endOfValue(v[1:])
	}
	for {
		if len(v) == 0 || v[0] != '{' {
			return nil, false
		}
		v = skipSpaces(v[1:])
		var c Cell
		var has [2]bool
		for k := 0; k < 2; k++ {
			var key []byte
			switch {
			case bytes.HasPrefix(v, []byte("lac:")):
				key, v = v[:3], v[4:]
			case bytes.HasPrefix(v, []byte("ci:")):
				key, v = v[:2], v[3:]
			default:
				return nil, false
			}
			if len(v) == 0 || v[0] != ' ' {
				return nil, false
			}
			n, rest, ok := uint16Of(skipSpaces(v))
			if !ok {
				return nil, false
			}
			v = skipSpaces(rest)
			if string(key) == "lac" {
				if has[0] {
					return nil, false
				}
				c.LAC, has[0] = n, true
			} else {
				if has[1] {
					return nil, false
				}
				c.CI, has[1] = n, true
			}
			if k == 0 {
				if len(v) == 0 || v[0] != ',' {
					return nil, false
				}
				v = skipSpaces(v[1:])
			}
		}
		if len(v) == 0 || v[0] != '}' {
			return nil, false
		}
		cells = append(cells, c)
		v = skipSpaces(v[1:])
		if len(v) > 0 && v[0] == ']' {
			return cells, endOfValue(v[1:])
		}
		if len(v) == 0 || v[0] != ',' {
			return nil, false
		}
		v = skipSpaces(v[1:])
	}
}

func skipSpaces(v []byte) []byte { return bytes.TrimLeft(v, " ") }

// uint16Of reads a decimal number without sign or leading zeros (which
// the YAML decoder could read otherwise) that fits 16 bits.
func uint16Of(v []byte) (uint16, []byte, bool) {
	n, i := 0, 0
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		n = n*10 + int(v[i]-'0')
		if n > 65535 {
			return 0, nil, false
		}
	}
	if i == 0 || i > 1 && v[0] == '0' {
		return 0, nil, false
	}
	return uint16(n), v[i:], true
}
