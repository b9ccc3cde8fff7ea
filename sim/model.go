package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sim/wire"
)

// cell is one radio cell of the grid.
type cell struct {
	cgi      wire.CGI
	col, row int
	la       int32
	regions  []int16
}

// la is a location area, served by one BSC and one MSC/VLR.
type la struct {
	lai   wire.LAI
	msc   int
	bsc   int
	cells []int32
}

// node is a signaling end point with its own SCTP association to a peer.
type node struct {
	name string
	pc   uint32
	gt   string // E.164 global title (core nodes)
	link int    // association index toward the MSC (BSCs) or the STP (core nodes)
	disc uint8  // Cell Identifier discriminator this BSC uses in Complete L3
	tid  uint32 // next TCAP transaction id
	ref  uint32 // next SCCP local reference
}

// network is the static model built from the scenario.
type network struct {
	sc      *scenario.Scenario
	plmn    wire.PLMN
	cells   []cell
	las     []la
	bscs    []node
	mscs    []node
	stp     node
	smsc    node
	scf     node
	hlr     string // home HLR global title
	eir     string
	links   []link
	regions []region
}

type region struct {
	name, kind string
	cells      []int32
	center     int32
}

func (n *network) cellAt(col, row int) int32 { return int32(row*n.sc.Network.Cols + col) }

// build lays out cells, location areas, BSCs, MSCs and their links.
func build(sc *scenario.Scenario, rng *rand.Rand) *network {
	n := &network{sc: sc, plmn: wire.PLMN{MCC: sc.PLMN.MCC, MNC: sc.PLMN.MNC}}
	nw := sc.Network
	laCols := nw.Cols / nw.LACols
	nLA := laCols * (nw.Rows / nw.LARows)
	n.las = make([]la, nLA)
	n.cells = make([]cell, nw.Cols*nw.Rows)
	for i := range n.las {
		n.las[i] = la{
			lai: wire.LAI{PLMN: n.plmn, LAC: uint16(0x0100 + i)},
			msc: i * nw.MSCs / nLA,
			bsc: i,
		}
	}
	for i := range n.cells {
		col, row := i%nw.Cols, i/nw.Cols
		l := int32((row/nw.LARows)*laCols + col/nw.LACols)
		n.cells[i] = cell{col: col, row: row, la: l,
			cgi: wire.CGI{LAI: n.las[l].lai, CI: uint16(10000 + i)}}
		n.las[l].cells = append(n.las[l].cells, int32(i))
	}
	cc := sc.CC + sc.NDC
	n.hlr = cc + "9100001"
	n.eir = cc + "9200001"
	n.stp = node{name: "stp", pc: 10}
	for i := range sc.Network.MSCs {
		n.mscs = append(n.mscs, node{name: fmt.Sprintf("msc%d", i+1), pc: uint32(100 + i), gt: fmt.Sprintf("%s91%05d", cc, 10+i)})
	}
	n.smsc = node{name: "smsc", pc: 20, gt: cc + "9300001"}
	n.scf = node{name: "scf", pc: 30, gt: cc + "9400001"}
	for i := range n.las {
		disc := uint8(wire.CellDiscLACCI)
		if rng.Float64() < nw.CGIShare {
			disc = wire.CellDiscCGI
		}
		n.bscs = append(n.bscs, node{name: fmt.Sprintf("bsc%d", i+1), pc: uint32(1000 + i), disc: disc})
	}
	// Associations: every BSC to its MSC (A-interface), every core node to the STP (C/D and SMS).
	tr := sc.Transport
	mk := func(a, b *node, aIP, bIP [4]byte) int {
		l := link{
			a:    wire.Endpoint{MAC: mac(aIP), IP: aIP, Port: 2905},
			b:    wire.Endpoint{MAC: mac(bIP), IP: bIP, Port: 2905},
			opc:  [2]uint32{a.pc, b.pc},
			vtag: [2]uint32{rng.Uint32() | 1, rng.Uint32() | 1},
			tsn:  [2]uint32{rng.Uint32(), rng.Uint32()},
		}
		if rng.Float64() < tr.VLANShare {
			l.vlan = uint16(100 + len(n.links))
		}
		l.maxChunk = 1400
		if rng.Float64() < tr.FragmentShare {
			l.maxChunk = tr.MaxChunk
		}
		n.links = append(n.links, l)
		return len(n.links) - 1
	}
	for i := range n.bscs {
		m := &n.mscs[n.las[i].msc]
		n.bscs[i].link = mk(&n.bscs[i], m, [4]byte{198, 51, 100, byte(10 + i)}, [4]byte{192, 0, 2, byte(10 + n.las[i].msc)})
	}
	core := len(n.links)
	for i := range n.mscs {
		n.mscs[i].link = mk(&n.mscs[i], &n.stp, [4]byte{192, 0, 2, byte(10 + i)}, [4]byte{192, 0, 2, 1})
	}
	n.smsc.link = mk(&n.smsc, &n.stp, [4]byte{192, 0, 2, 2}, [4]byte{192, 0, 2, 1})
	n.scf.link = mk(&n.scf, &n.stp, [4]byte{192, 0, 2, 3}, [4]byte{192, 0, 2, 1})
	for i := core; i < len(n.links); i++ {
		n.links[i].core = true
	}
	for _, nd := range []*node{&n.stp, &n.smsc, &n.scf} {
		nd.tid = rng.Uint32()
	}
	for i := range n.mscs {
		n.mscs[i].tid, n.mscs[i].ref = rng.Uint32(), rng.Uint32()&0xffffff
	}
	for i := range n.bscs {
		n.bscs[i].ref = rng.Uint32() & 0xffffff
	}
	for ri, r := range sc.Regions {
		rg := region{name: r.Name, kind: r.Kind, center: n.cellAt(r.Center[0], r.Center[1])}
		for dr := -r.Radius; dr <= r.Radius; dr++ {
			for dc := -r.Radius; dc <= r.Radius; dc++ {
				c, rw := r.Center[0]+dc, r.Center[1]+dr
				if c < 0 || rw < 0 || c >= nw.Cols || rw >= nw.Rows {
					continue
				}
				ci := n.cellAt(c, rw)
				rg.cells = append(rg.cells, ci)
				n.cells[ci].regions = append(n.cells[ci].regions, int16(ri))
			}
		}
		n.regions = append(n.regions, rg)
	}
	return n
}

func mac(ip [4]byte) [6]byte { return [6]byte{0x02, 0x53, ip[0], ip[1], ip[2], ip[3]} }

// neighbour returns a random adjacent cell of c.
func (n *network) neighbour(c int32, rng *rand.Rand) int32 {
	cl := n.cells[c]
	for {
		dc, dr := rng.IntN(3)-1, rng.IntN(3)-1
		col, row := cl.col+dc, cl.row+dr
		if (dc != 0 || dr != 0) && col >= 0 && row >= 0 && col < n.sc.Network.Cols && row < n.sc.Network.Rows {
			return n.cellAt(col, row)
		}
	}
}

// between returns the cell at fraction f of the way from a to b.
func (n *network) between(a, b int32, f float64) int32 {
	ca, cb := n.cells[a], n.cells[b]
	col := int(math.Round(float64(ca.col) + f*float64(cb.col-ca.col)))
	row := int(math.Round(float64(ca.row) + f*float64(cb.row-ca.row)))
	return n.cellAt(col, row)
}

func (n *network) randomCell(rng *rand.Rand) int32 { return int32(rng.IntN(len(n.cells))) }

// regionCell returns a random cell of region r.
func (n *network) regionCell(r int, rng *rand.Rand) int32 {
	cs := n.regions[r].cells
	return cs[rng.IntN(len(cs))]
}

func (n *network) regionByName(name string) int {
	for i, r := range n.regions {
		if r.name == name {
			return i
		}
	}
	return -1
}

func (n *network) regionByKind(kind string) int {
	for i, r := range n.regions {
		if r.kind == kind {
			return i
		}
	}
	return -1
}
