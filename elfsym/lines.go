package elfsym

import (
	"cmp"
	"debug/dwarf"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// lineRow is one row of the merged DWARF line tables. end marks the first
// address after a sequence.
type lineRow struct {
	addr uint64
	file uint32 // index into lineTable.files
	line uint32
	end  bool
}

// lineTable is every CU's line program flattened into one slice sorted by
// address, so a lookup is one binary search.
type lineTable struct {
	rows  []lineRow
	files []string
	// raw, when not nil, holds the rows instead of rows, as a saved index
	// has them (rowSize bytes each, index.go): a lookup reads the few rows
	// its binary search touches instead of decoding them all at load.
	raw []byte
}

// fileInterner gives each distinct path one index.
type fileInterner struct {
	idx   map[string]uint32
	files []string
}

func (fi *fileInterner) intern(name string) uint32 {
	if i, ok := fi.idx[name]; ok {
		return i
	}
	i := uint32(len(fi.files))
	fi.idx[name] = i
	fi.files = append(fi.files, name)
	return i
}

// readLines appends the rows of one CU's line program. zeroOK says whether a
// sequence starting at address 0 is real (see doc.go).
func readLines(lr lineSource, fi *fileInterner, zeroOK bool, rows []lineRow) ([]lineRow, error) {
	var le dwarf.LineEntry
	seqStart := len(rows)
	rm := rowMaker{fi: fi}
	for {
		err := lr.Next(&le)
		if err == io.EOF {
			break
		}
		if err != nil {
			return rows[:seqStart], err
		}
		if rm.shadowed(&le) {
			continue
		}
		rows = append(rows, rm.row(&le))
		if le.EndSequence {
			if rows[seqStart].addr == 0 && !zeroOK {
				rows = rows[:seqStart]
			}
			seqStart = len(rows)
		}
	}
	// A sequence without its end row is truncated: drop it rather than let
	// its last row cover everything above it.
	return rows[:seqStart], nil
}

// readLinesPick hands p the rows readLines would return, as they are read,
// so p keeps what rowsFor keeps of them without the unit's rows ever being
// all in memory (a unit of 270,000 rows took 6.5 MB of fresh memory to
// keep twenty: page faults that cost more than reading them). Whether a
// sequence is dropped for starting at address 0 is known from its first
// row. ok is false when the program ended inside a sequence or a read
// failed: readLines drops that sequence, which p has been given part of,
// so the caller reads the unit with readLines instead.
func readLinesPick(lr lineSource, fi *fileInterner, zeroOK bool, p *rowPicker) (ok bool, err error) {
	var le dwarf.LineEntry
	rm := rowMaker{fi: fi}
	inSeq, keep := false, false
	for {
		err := lr.Next(&le)
		if err == io.EOF {
			return !inSeq, nil
		}
		if err != nil {
			return false, err
		}
		if rm.shadowed(&le) {
			continue
		}
		r := rm.row(&le)
		if !inSeq {
			inSeq, keep = true, r.addr != 0 || zeroOK
			p.seqStart = r.addr
		}
		if keep {
			p.add(r)
		}
		if le.EndSequence {
			inSeq = false
			if keep {
				p.seqs = append(p.seqs, [2]uint64{p.seqStart, r.addr})
			}
		}
	}
}

// rowMaker makes the rows of line entries. Consecutive rows are mostly in
// one file: it interns a path once per run of rows, not once a row.
type rowMaker struct {
	fi       *fileInterner
	lastFile *dwarf.LineFile
	file     uint32
	interned bool
	seq      gdbLineState
}

// gdbLineState is what gdb's line program reader (dwarf2/read.c,
// lnp_state_machine::record_line, gdb 13) keeps of one sequence to decide
// which rows it records, and what shadowed needs to answer as its
// find_pc_sect_line does.
type gdbLineState struct {
	inSeq bool
	at    uint64 // the address of the sequence's last row
	// stmtAt: a row at at is a statement (gdb's m_stmt_at_address);
	// keptStmtAt: one gdb recorded.
	stmtAt, keptStmtAt bool
	line               int    // the last row's line
	discr              bool   // that line has had a non-zero discriminator
	keptFile           string // the file and line of the last row gdb recorded
	keptLine           int
	kept               bool // gdb recorded a row of this sequence
}

// shadowed reports whether le is a row no lookup answers with, as gdb
// reads line tables. Of several rows at one address gdb answers the last
// statement row's line (is_stmt), else the last row's: gcc -O2
// (-gstatement-frontiers, view numbering) puts a statement and then rows
// that are not statements at one address, and the statement is the line
// that starts there; find_pc_sect_line steps back to it. gdb's reader
// also never records a row that is not a statement switching files at an
// address with a statement, nor a row of the line it recorded last once
// that line had a non-zero discriminator (PR 17276), which decides which
// statement is there to step back to. Dropping what gdb would not answer
// with keeps "the last row at an address wins" (where binutils' addr2line
// stops) true of what is kept, so lookups are unchanged. Rows of line 0,
// which gdb ignores, are kept as before. It reads le in line program
// order.
func (m *rowMaker) shadowed(le *dwarf.LineEntry) bool {
	g := &m.seq
	if le.EndSequence {
		*g = gdbLineState{}
		return false
	}
	same := g.inSeq && le.Address == g.at
	if !same {
		g.stmtAt, g.keptStmtAt = false, false
	}
	if !g.inSeq || le.Line != g.line {
		g.discr = le.Discriminator != 0
	} else if le.Discriminator != 0 {
		g.discr = true
	}
	g.inSeq, g.at, g.line = true, le.Address, le.Line
	file := ""
	if le.File != nil {
		file = le.File.Name
	}
	drop := false
	switch {
	case le.Line == 0:
	case (!g.kept || file != g.keptFile) && same && !le.IsStmt && g.stmtAt:
		drop = true // gdb ignores it
	case g.kept && file == g.keptFile && le.Line == g.keptLine && g.discr:
		drop = true // gdb coalesces it with the row it recorded last
	default:
		g.kept, g.keptFile, g.keptLine = true, file, le.Line
		if le.IsStmt {
			g.keptStmtAt = true
		} else {
			drop = g.keptStmtAt // recorded, but gdb answers the statement before it
		}
	}
	g.stmtAt = g.stmtAt || le.IsStmt
	return drop
}

func (m *rowMaker) row(le *dwarf.LineEntry) lineRow {
	if !m.interned || le.File != m.lastFile {
		m.lastFile, m.interned = le.File, true
		name := ""
		if le.File != nil {
			name = le.File.Name
		}
		m.file = m.fi.intern(name)
	}
	line := le.Line
	if line < 0 {
		line = 0
	}
	return lineRow{addr: le.Address, file: m.file, line: uint32(line), end: le.EndSequence}
}

// sortRows orders rows by address. At one address, end rows come first (a
// sequence may end where the next begins) and other rows keep their order,
// so the last row at an address wins, as in binutils.
func (t *lineTable) sortRows() { slices.SortStableFunc(t.rows, cmpRows) }

// cmpRows is sortRows' order.
func cmpRows(x, y lineRow) int {
	if x.addr != y.addr {
		return cmp.Compare(x.addr, y.addr)
	}
	if x.end != y.end {
		if x.end {
			return -1
		}
		return 1
	}
	return 0
}

// mergeRows merges runs, each sorted by sortRows, into what sortRows
// makes of their concatenation: on a tie the earlier run's row comes
// first. Merging sorted runs is linear per pass where sorting their
// concatenation again is not.
func mergeRows(runs [][]lineRow) []lineRow {
	if len(runs) == 0 {
		return nil
	}
	// Units mostly hold code in address order: then the runs, one after
	// another, are sorted already.
	n, inOrder := 0, true
	var last *lineRow
	for _, r := range runs {
		if len(r) == 0 {
			continue
		}
		if last != nil && cmpRows(*last, r[0]) > 0 {
			inOrder = false
		}
		last = &r[len(r)-1]
		n += len(r)
	}
	if inOrder {
		out := make([]lineRow, 0, n)
		for _, r := range runs {
			out = append(out, r...)
		}
		return out
	}
	for len(runs) > 1 {
		next := runs[:0:0]
		for i := 0; i < len(runs); i += 2 {
			if i+1 == len(runs) {
				next = append(next, runs[i])
				continue
			}
			a, b := runs[i], runs[i+1]
			out := make([]lineRow, 0, len(a)+len(b))
			for len(a) > 0 && len(b) > 0 {
				if cmpRows(a[0], b[0]) <= 0 {
					out, a = append(out, a[0]), a[1:]
				} else {
					out, b = append(out, b[0]), b[1:]
				}
			}
			out = append(append(out, a...), b...)
			next = append(next, out)
		}
		runs = next
	}
	return runs[0]
}

// sequencesOf returns the [start, end) of each sequence of rows as
// readLines returns them (each sequence's rows together, ending in its end
// row).
func sequencesOf(rows []lineRow) [][2]uint64 {
	var seqs [][2]uint64
	start := 0
	for i, r := range rows {
		if r.end {
			seqs = append(seqs, [2]uint64{rows[start].addr, r.addr})
			start = i + 1
		}
	}
	return seqs
}

// IAR and ARM Compiler 6 end a function's line sequence a few bytes into
// the next function, whose own sequence starts there (26 of 282 sequences
// of a Keil AC6 build, 3 of 87 of an IAR one): the overrun's rows, a line
// 0 and the end row, hid the next function's first lines, where addr2line
// and gdb give them. overrunCuts finds each sequence that a later-starting
// one, lasting at least as long, begins inside, and where to cut it; the
// rows of the cut sequence from there on are dropped (clipSequences,
// clipRun). A sequence nested inside another is left as it is.
func overrunCuts(seqs [][2]uint64) map[[2]uint64]uint64 {
	if len(seqs) < 2 {
		return nil
	}
	sorted := slices.Clone(seqs)
	slices.SortFunc(sorted, func(a, b [2]uint64) int { return cmp.Compare(a[0], b[0]) })
	var cuts map[[2]uint64]uint64
	for i, a := range sorted {
		// Overruns are between neighbours: a few sequences ahead suffice.
		for j := i + 1; j < len(sorted) && j-i <= 16 && sorted[j][0] < a[1]; j++ {
			if s := sorted[j]; s[0] > a[0] && s[1] >= a[1] {
				if cuts == nil {
					cuts = map[[2]uint64]uint64{}
				}
				cuts[a] = s[0]
				break
			}
		}
	}
	return cuts
}

// clipSequences cuts the overruns (overrunCuts) out of rows as readLines
// returns them, each sequence's rows together.
func clipSequences(rows []lineRow, cuts map[[2]uint64]uint64) []lineRow {
	if len(cuts) == 0 {
		return rows
	}
	out := rows[:0]
	start := 0
	for i, r := range rows {
		if !r.end {
			continue
		}
		cut, clip := cuts[[2]uint64{rows[start].addr, r.addr}]
		for _, q := range rows[start : i+1] {
			if !clip || q.addr < cut {
				out = append(out, q)
			}
		}
		start = i + 1
	}
	return out
}

// clipRun cuts the overruns out of one unit's rows sorted by sortRows;
// seqs are the unit's sequences sorted by start, which tell each row's.
func clipRun(rows []lineRow, seqs [][2]uint64, cuts map[[2]uint64]uint64) []lineRow {
	if len(cuts) == 0 {
		return rows
	}
	out := rows[:0]
	for _, r := range rows {
		if sq, ok := sequenceOf(seqs, r); ok {
			if cut, clip := cuts[sq]; clip && r.addr >= cut {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// sequenceOf finds the sequence of seqs (sorted by start) that row r is
// in: an end row ends one, another row lies inside one.
func sequenceOf(seqs [][2]uint64, r lineRow) ([2]uint64, bool) {
	i := sort.Search(len(seqs), func(i int) bool { return seqs[i][0] > r.addr })
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		s := seqs[j]
		if r.end && s[1] == r.addr && s[0] < r.addr || !r.end && r.addr < s[1] {
			return s, true
		}
	}
	return [2]uint64{}, false
}

// len returns the number of rows.
func (t *lineTable) len() int {
	if t.raw != nil {
		return len(t.raw) / rowSize
	}
	return len(t.rows)
}

// row returns row i.
func (t *lineTable) row(i int) lineRow {
	if t.raw != nil {
		return decodeRow(t.raw[i*rowSize:])
	}
	return t.rows[i]
}

// at returns the file and line for addr, ok false outside every sequence.
func (t *lineTable) at(addr uint64) (file string, line int, ok bool) {
	return t.atIn(addr, 0, t.len())
}

// atIn is at, given that the first row past addr is in rows [lo, hi]
// (funcIndex.segRows).
func (t *lineTable) atIn(addr uint64, lo, hi int) (file string, line int, ok bool) {
	i := lo + sort.Search(hi-lo, func(j int) bool { return t.row(lo+j).addr > addr })
	if i == 0 {
		return "", 0, false
	}
	r := t.row(i - 1)
	if r.end {
		return "", 0, false
	}
	if int(r.file) < len(t.files) { // checked here: raw rows are not checked at load
		file = t.files[r.file]
	}
	return file, int(r.line), true
}

// buildDWARF reads the line tables and the function tree of every CU. It
// returns what it could read and the first error met.
//
// infoSize is the size of .debug_info: every entry takes at least one byte,
// so more entries than that means the reader is not advancing (debug/dwarf
// can return null entries forever on a damaged unit header).
func buildDWARF(d *dwarf.Data, zeroOK bool, infoSize, lineSize uint64) (lt lineTable, fx funcIndex, split bool, err error) {
	fi := &fileInterner{idx: map[string]uint32{}}
	b := newFuncBuilder(d, fi, zeroOK)
	b.budget = infoSize + 1
	// Size the slices from the sections (gcc's line programs take about
	// two bytes a row) so building does not keep regrowing them.
	rows := make([]lineRow, 0, min(lineSize/2, 1<<24))
	b.events = make([]rangeEvent, 0, min(infoSize, lineSize*4)/32)
	var errs []error
	r := d.Reader()
	for {
		e, err := b.next(r)
		if err != nil {
			errs = append(errs, err)
			break
		}
		if e == nil {
			break
		}
		split = split || e.Tag == dwarf.TagSkeletonUnit
		if e.Tag != dwarf.TagCompileUnit && e.Tag != dwarf.TagPartialUnit && e.Tag != dwarf.TagSkeletonUnit {
			// Type units and the like: nothing to index. A skeleton
			// unit (-gsplit-dwarf) keeps its line program here, its
			// functions in a .dwo file: lines, named by the symbols.
			r.SkipChildren()
			continue
		}
		var files []*dwarf.LineFile
		lr, err := d.LineReader(e)
		if err != nil {
			errs = append(errs, fmt.Errorf(".debug_line for CU at %#x: %w", e.Offset, err))
		} else if lr != nil {
			files = lr.Files()
			if rows, err = readLines(lr, fi, zeroOK, rows); err != nil {
				errs = append(errs, fmt.Errorf(".debug_line for CU at %#x: %w", e.Offset, err))
			}
		}
		if e.Children {
			b.enterUnit(e)
			if err := b.walkCU(r, files); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	rows = clipSequences(rows, overrunCuts(sequencesOf(rows)))
	lt = lineTable{rows: rows, files: fi.files}
	lt.sortRows()
	return lt, b.finish(), split, errors.Join(errs...)
}

// rowsFor keeps, of one unit's rows (in line program order), the rows a
// lookup at addrs finds, sorted as sortRows sorts them: for each address
// the last row at or below it, and the row after that one, which bounds
// it for a lookup elsewhere (an address outside every unit, answered from
// the rows at hand). A unit built for a few addresses then merges a few
// rows instead of its thousands, and a lookup at addrs finds the same row
// as in the whole table.
func rowsFor(rows []lineRow, addrs map[uint64]bool) []lineRow {
	p := newRowPicker(addrs)
	for _, r := range rows {
		p.add(r)
	}
	return p.rows()
}
