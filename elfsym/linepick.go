package elfsym

import "slices"

// A rowPicker keeps, of a unit's rows handed to it one at a time in line
// program order, what rowsFor keeps of them: for each of its addresses the
// last row at or below it, and the row after that one, in sortRows' order
// (the order rows are handed in breaks ties, as a row's index does in a
// slice of them). It holds two rows an address, never the unit's rows.
//
// A row is a candidate for the last row of every address at or above its
// own, and for the row after the last of every address below it (the
// least row above the address: every row at or below it sorts before the
// last one). add records it at the boundary address only; rows spreads
// the records by a running maximum upward and minimum downward. Finding
// each address by a scan of the unit was half of a first run on a
// firmware of one large unit (10 addresses, 270,000 rows: 12 ms).
type rowPicker struct {
	as         []uint64 // the addresses, sorted
	last, next []pickedRow
	n          int // rows handed in so far
	lo         int // the first address at or above the last row's: rows mostly ascend
	// seqs are the [start, end) of the sequences kept (readLinesPick
	// records them; dropCoveredEnds reads them), seqStart the current one's.
	seqs     [][2]uint64
	seqStart uint64
}

// pickedRow is a row and its place in the order rows were handed in; ord
// is -1 for none.
type pickedRow struct {
	row lineRow
	ord int
}

// before reports whether x sorts before y.
func (x pickedRow) before(y pickedRow) bool {
	if c := cmpRows(x.row, y.row); c != 0 {
		return c < 0
	}
	return x.ord < y.ord
}

func newRowPicker(addrs map[uint64]bool) *rowPicker {
	p := &rowPicker{as: make([]uint64, 0, len(addrs))}
	for a := range addrs {
		p.as = append(p.as, a)
	}
	slices.Sort(p.as)
	p.last, p.next = make([]pickedRow, len(p.as)), make([]pickedRow, len(p.as))
	for j := range p.as {
		p.last[j].ord, p.next[j].ord = -1, -1
	}
	return p
}

// add hands p the next row.
func (p *rowPicker) add(r lineRow) {
	as, m, lo := p.as, len(p.as), p.lo
	if (lo > 0 && as[lo-1] >= r.addr) || (lo < m && as[lo] < r.addr) {
		l, h := 0, m
		for l < h {
			if mid := int(uint(l+h) >> 1); as[mid] < r.addr {
				l = mid + 1
			} else {
				h = mid
			}
		}
		lo, p.lo = l, l
	}
	// Rows handed in earlier sort before r on a tie.
	if lo < m && (p.last[lo].ord < 0 || cmpRows(p.last[lo].row, r) <= 0) {
		p.last[lo] = pickedRow{r, p.n}
	}
	if lo > 0 && (p.next[lo-1].ord < 0 || cmpRows(r, p.next[lo-1].row) < 0) {
		p.next[lo-1] = pickedRow{r, p.n}
	}
	p.n++
}

// rows returns the rows kept, sorted as sortRows sorts them.
func (p *rowPicker) rows() []lineRow {
	last, next := p.last, p.next
	for j := 1; j < len(last); j++ {
		if l := last[j-1]; l.ord >= 0 && (last[j].ord < 0 || last[j].before(l)) {
			last[j] = l
		}
	}
	for j := len(next) - 2; j >= 0; j-- {
		if n := next[j+1]; n.ord >= 0 && (next[j].ord < 0 || n.before(next[j])) {
			next[j] = n
		}
	}
	keep := make([]pickedRow, 0, 2*len(last))
	for j := range last {
		if last[j].ord < 0 {
			continue
		}
		keep = append(keep, last[j])
		if next[j].ord >= 0 {
			keep = append(keep, next[j])
		}
	}
	slices.SortFunc(keep, func(x, y pickedRow) int {
		switch {
		case x.ord == y.ord:
			return 0
		case x.before(y):
			return -1
		}
		return 1
	})
	keep = slices.CompactFunc(keep, func(x, y pickedRow) bool { return x.ord == y.ord })
	out := make([]lineRow, len(keep))
	for k, pr := range keep {
		out[k] = pr.row
	}
	return out
}
