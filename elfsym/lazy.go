package elfsym

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// A lazy image indexes DWARF one compile unit at a time, the way addr2line
// does: Open reads only each unit's address ranges (from its unit DIE), and
// a lookup builds the units covering its address. For a handful of
// addresses in a large firmware that is a few units of many.
//
// Answers equal the whole index's: the units covering an address are the
// only ones whose functions and line sequences can cover it, and the
// units built so far are merged exactly as buildDWARF merges all of them
// (in unit order, into one line table and one partition).

// lazyUnit is one compile unit: where its DIE is, the addresses it
// covers, and, once built, what it contributes.
type lazyUnit struct {
	off     uint64 // of the unit header in .debug_info
	hdr     uint64 // header size: the unit DIE is at off+hdr
	size    uint64 // bytes of the unit, bounds its walk
	ranges  [][2]uint64
	aranged bool // ranges from .debug_aranges
	skel    bool // a skeleton unit (-gsplit-dwarf): its functions are in a .dwo

	dataOnce sync.Once
	data     *dwarf.Data  // the unit alone (unitData)
	bytes    []byte       // the unit's bytes, data's .debug_info
	lineLen  uint64       // bytes of its line program
	lineProg []byte       // its line program in the mapped .debug_line, if it is (fastLines)
	abbrevs  *abbrevTable // its abbreviations, once read (unitLines, skim)
	dataErr  error

	built *unitIndex // guarded by lazyDWARF.mu
}

// unitIndex is one unit's share of the index before merging: scope and
// file numbers are the unit's own.
type unitIndex struct {
	damaged bool // reading it met an error (the whole index would warn)
	rows    []lineRow
	seqs    [][2]uint64 // [start, end) of its line sequences, sorted (overrunCuts)
	files   []string
	scopes  []scope
	events  []rangeEvent
}

// unitRange maps [lo, hi) to a unit.
type unitRange struct {
	lo, hi uint64
	unit   int
}

type lazyDWARF struct {
	secs   *dwarfSections // all but .debug_info
	info   *elf.Section
	zeroOK bool
	units  []lazyUnit
	ranges []unitRange // sorted by lo
	maxLen uint64      // longest range, bounds the backward scan
	noSkim bool        // walk every unit with debug/dwarf (tests compare)

	file     *os.File // the ELF, to map .debug_info from; nil: read it
	fileSize int64
	fileMap  struct { // the whole file, mapped (mapFile)
		sync.Once
		b []byte
	}
	infoMap struct {
		sync.Once
		b []byte
	}

	line    *elf.Section // .debug_line, nil if none: read a unit's program at a time (unitLines)
	lineMap struct {     // all of it mapped, when it can be (mappedLine)
		sync.Once
		b []byte
	}
	wholeLine struct { // all of it, for a unit unitLines cannot give its own
		sync.Once
		b   []byte
		err error
	}

	mu     sync.Mutex                // serialises merges
	merged atomic.Pointer[mergedIdx] // the units built so far, merged
}

// mergedIdx is the index over a set of built units.
type mergedIdx struct {
	have  []bool            // per unit: included
	only  []map[uint64]bool // per unit: built for these addresses only (nil: whole)
	lines lineTable
	funcs funcIndex
}

// newLazyDWARF lists the units of .debug_info and their ranges, reading
// only the unit headers, .debug_aranges and the small shared sections
// (abbreviations, line programs, strings, range lists); a unit's own bytes
// are read when a lookup needs it. It returns nil when the file is not one
// it can index this way (64-bit DWARF, compressed or relocatable, damage):
// the caller then builds the whole index.
//
// The caller sets zeroOK before the first lookup (it needs the symbols,
// which are read meanwhile).
func newLazyDWARF(f *elf.File, file *os.File, fileSize int64) (lz *lazyDWARF) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // see mappedInfo
	defer func() {
		if p := recover(); p != nil {
			lz = nil // a parser panic on hostile input: build the whole index, which reports it
		}
	}()
	info := f.Section(".debug_info")
	// Compressed sections (-gz) are decompressed whole, once, as
	// addr2line does; the units are then built lazily from memory.
	compressed := func(s *elf.Section) bool { return s.Flags&elf.SHF_COMPRESSED != 0 }
	if info == nil || info.Type == elf.SHT_NOBITS || (!compressed(info) && info.Size > uint64(fileSize)) {
		return nil
	}
	lz = &lazyDWARF{file: file, fileSize: fileSize}
	// The shared sections, .debug_info and .debug_line are all sliced
	// from one mapping of the file when it can be mapped: copying the
	// shared ones into fresh memory cost more, in a first run on a small
	// firmware, than reading the units a question needs.
	read := func(s *elf.Section) ([]byte, error) { return sectionBytes(s, fileSize) }
	if whole := lz.mapFile(); whole != nil {
		read = func(s *elf.Section) ([]byte, error) {
			if s.Size > uint64(len(whole)) || s.Offset > uint64(len(whole))-s.Size {
				return nil, fmt.Errorf("%d bytes at %#x lie past the end of the file", s.Size, s.Offset)
			}
			return whole[s.Offset : s.Offset+s.Size : s.Offset+s.Size], nil
		}
	}
	mapped := read
	read = func(s *elf.Section) ([]byte, error) {
		if compressed(s) {
			return inflateSection(s)
		}
		return mapped(s)
	}
	secs, ok, err := readDWARFSectionsWith(f, false, false, true, read)
	if err != nil || !ok {
		return nil
	}
	if compressed(info) {
		b, err := inflateSection(info)
		if err != nil {
			return nil
		}
		lz.infoMap.Do(func() { lz.infoMap.b = b })
	}
	if line := f.Section(".debug_line"); line != nil && line.Type != elf.SHT_NOBITS {
		if compressed(line) {
			b, err := inflateSection(line)
			if err != nil {
				return nil
			}
			lz.lineMap.Do(func() { lz.lineMap.b = b })
		} else if line.Size > uint64(fileSize) || line.Offset > uint64(fileSize)-line.Size {
			return nil
		}
		lz.line = line
	}
	if crossUnitRefs(secs.abbrev) {
		// LTO names a function or inlined call through a DIE in another
		// unit (DW_FORM_ref_addr); a unit read alone cannot follow it.
		return nil
	}
	lz.secs, lz.info = secs, info
	var h [12]byte
	// A small .debug_info's headers are read from the mapping the units
	// are read from later: a read per header was a hundred system calls
	// for a small firmware. A large one's are read: the kernel maps the
	// pages around each touched one, and touching every unit's header
	// put megabytes of .debug_info in the peak RSS.
	m := lz.mappedInfo()
	if info.Size > headerMapMax && !compressed(info) {
		m = nil
	}
	// The units are listed first in a slice of their own: a lazyUnit is
	// a few hundred bytes, and growing a slice of them by appending
	// allocated twice what they need.
	type unitHdr struct {
		off, hdr, size uint64
		skel           bool
	}
	hdrs := make([]unitHdr, 0, 64)
	for off := uint64(0); off < info.Size; {
		if info.Size-off < 12 {
			return nil
		}
		if m != nil {
			copy(h[:], m[off:])
		} else if _, err := info.ReadAt(h[:], int64(off)); err != nil {
			return nil
		}
		n := uint64(binary.LittleEndian.Uint32(h[:]))
		if n >= 0xfffffff0 || n > info.Size-off-4 {
			return nil // 64-bit DWARF or damage
		}
		hdr, skel := uint64(11), false // DWARF 2-4: length, version, abbrev offset, address size
		switch v := binary.LittleEndian.Uint16(h[4:]); {
		case v == 5:
			hdr = 12 // unit type added
			switch h[6] {
			case 0x01, 0x03: // DW_UT_compile, DW_UT_partial
			case 0x04: // DW_UT_skeleton (-gsplit-dwarf): its line program
				hdr, skel = 20, true // and the DWO id
			default:
				off += 4 + n
				continue // type units hold no code
			}
		case v < 2 || v > 5:
			return nil
		}
		hdrs = append(hdrs, unitHdr{off, hdr, n + 4, skel})
		off += 4 + n
	}
	lz.units = make([]lazyUnit, len(hdrs))
	for i, h := range hdrs {
		lz.units[i].off, lz.units[i].hdr, lz.units[i].size, lz.units[i].skel = h.off, h.hdr, h.size, h.skel
	}
	if sec := f.Section(".debug_aranges"); sec != nil {
		if b, err := read(sec); err == nil {
			// The units are in offset order: each set finds its unit by
			// a binary search (a map of them and one of the sets'
			// ranges were a tenth of this function's time).
			parseAranges(b, func(off uint64, rg [2]uint64) {
				i := sort.Search(len(lz.units), func(i int) bool { return lz.units[i].off >= off })
				if i < len(lz.units) && lz.units[i].off == off {
					lz.units[i].ranges = append(lz.units[i].ranges, rg)
					lz.units[i].aranged = true
				}
			})
		}
	}
	for i := range lz.units {
		u := &lz.units[i]
		if !u.aranged {
			// No .debug_aranges entry: the unit DIE's own ranges, which
			// means reading the unit's first entry now.
			rs, err := lz.cuRanges(u)
			if err != nil {
				return nil
			}
			u.ranges = rs
		}
		for _, rg := range u.ranges {
			if rg[0] < rg[1] {
				lz.ranges = append(lz.ranges, unitRange{lo: rg[0] &^ 1, hi: rg[1], unit: i})
				lz.maxLen = max(lz.maxLen, rg[1]-rg[0]&^1)
			}
		}
	}
	slices.SortFunc(lz.ranges, func(a, b unitRange) int { return cmpUint(a.lo, b.lo) })
	lz.merged.Store(&mergedIdx{have: make([]bool, len(lz.units)), only: make([]map[uint64]bool, len(lz.units))})
	return lz
}

// headerMapMax is the largest .debug_info whose unit headers are read
// from its mapping.
const headerMapMax = 4 << 20

// crossUnitRefs says whether any abbreviation in .debug_abbrev has an
// attribute of a form that refers to a DIE outside its own unit
// (DW_FORM_ref_addr, DW_FORM_GNU_ref_alt, DW_FORM_ref_sig8 but for the
// type attributes of a type unit). Damaged
// abbreviations count as yes: the whole index then reports them. It reads
// the whole section on every lazy open, so it decodes in place, without a
// reader's checks per byte (a sixth of the time the DWARF of a small
// firmware took to open), and takes the one-byte values that almost every
// code, tag, attribute and form is without a LEB128 loop (a pair at a
// time: 2.7 times faster on the web server firmware's 54 KB).
func crossUnitRefs(abbrev []byte) bool {
	const (
		formRefAddr       = 0x10
		formRefSig8       = 0x20
		formImplicitConst = 0x21
		formGNURefAlt     = 0x1f20
		attrContaining    = 0x1d // DW_AT_containing_type
		attrType          = 0x49
		attrSignature     = 0x69
	)
	b := abbrev
	n := len(b)
	var code, attr, form uint64
	for i := 0; i < n; {
		if c := b[i]; c < 0x80 {
			code, i = uint64(c), i+1
		} else if code, i = readULEB(b, i); i < 0 {
			return true
		}
		if code == 0 { // end of one unit's table
			continue
		}
		// The tag, then the children byte.
		if i < n && b[i] < 0x80 {
			i++
		} else if _, i = readULEB(b, i); i < 0 {
			return true
		}
		if i >= n {
			return true
		}
		i++
		for {
			if i+1 < n && b[i]|b[i+1] < 0x80 {
				attr, form, i = uint64(b[i]), uint64(b[i+1]), i+2
			} else {
				if attr, i = readULEB(b, i); i < 0 {
					return true
				}
				if form, i = readULEB(b, i); i < 0 {
					return true
				}
			}
			if attr == 0 && form == 0 {
				break
			}
			switch form {
			case formRefAddr, formGNURefAlt:
				return true
			case formRefSig8:
				// A type unit's signature (-fdebug-types-section): a
				// type, the class a declaration stands for, a member
				// pointer's class. Functions and lines never follow
				// those; anything else through a signature does not
				// stay in the unit.
				if attr != attrType && attr != attrSignature && attr != attrContaining {
					return true
				}
			case formImplicitConst:
				if _, i = readULEB(b, i); i < 0 { // an SLEB128: as long
					return true
				}
			}
		}
	}
	return false
}

// readULEB decodes the unsigned LEB128 at b[i:], returning it and the
// index after it; -1 when b ends inside it.
func readULEB(b []byte, i int) (uint64, int) {
	var v uint64
	for shift := uint(0); i < len(b); shift += 7 {
		c := b[i]
		i++
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c < 0x80 {
			return v, i
		}
	}
	return 0, -1
}

// unitData reads unit u and makes a dwarf.Data of it alone: offsets in it
// count from the unit's start, which is all a unit's own references need.
func (lz *lazyDWARF) unitData(u *lazyUnit) (*dwarf.Data, error) {
	u.dataOnce.Do(func() {
		var b []byte
		if m := lz.mappedInfo(); m != nil {
			b = m[u.off : u.off+u.size : u.off+u.size]
		} else {
			b = make([]byte, u.size)
			if _, err := lz.info.ReadAt(b, int64(u.off)); err != nil {
				u.dataErr = err
				return
			}
		}
		u.bytes = b
		line, err := lz.unitLines(u)
		if err != nil {
			u.dataErr = err
			return
		}
		u.data, u.dataErr = lz.secs.dataWithLine(b, line)
	})
	return u.data, u.dataErr
}

// mappedInfo returns .debug_info mapped from the file, nil when it is not
// (no file, or it cannot be mapped: units are then read). Reading the
// units a question needs copied megabytes into fresh memory, a fifth of
// a first run. The mapping goes when lz does. A file cut short while
// mapped faults on access; buildUnit and newLazyDWARF, the readers, turn
// that into a recovered panic (debug.SetPanicOnFault).
func (lz *lazyDWARF) mappedInfo() []byte {
	lz.infoMap.Do(func() { lz.infoMap.b = lz.mappedSection(lz.info) })
	return lz.infoMap.b
}

// mapFile maps the whole file (see mappedInfo), nil when it cannot.
func (lz *lazyDWARF) mapFile() []byte {
	lz.fileMap.Do(func() {
		if lz.file == nil || lz.fileSize <= 0 {
			return
		}
		b, mapping, ok := mapSection(lz.file, 0, uint64(lz.fileSize))
		if !ok {
			return
		}
		lz.fileMap.b = b
		runtime.AddCleanup(lz, unmapSection, mapping)
	})
	return lz.fileMap.b
}

// mappedSection returns s's bytes in the file's mapping, nil when the
// file is not mapped or s does not lie within it.
func (lz *lazyDWARF) mappedSection(s *elf.Section) []byte {
	whole := lz.mapFile()
	if s == nil || whole == nil || s.Offset > uint64(len(whole)) || s.Size > uint64(len(whole))-s.Offset {
		return nil
	}
	return whole[s.Offset : s.Offset+s.Size : s.Offset+s.Size]
}

// mappedLine returns .debug_line mapped from the file, nil when it is not
// (see mappedInfo).
func (lz *lazyDWARF) mappedLine() []byte {
	lz.lineMap.Do(func() {
		if lz.line != nil {
			lz.lineMap.b = lz.mappedSection(lz.line)
		}
	})
	return lz.lineMap.b
}

// unitLines returns what unit u's dwarf.Data has as .debug_line: its own
// line program alone, read now, with the unit DIE's DW_AT_stmt_list
// (in u.bytes) set to 0 to point at it. A unit needs a few kilobytes of a
// section of megabytes. Where the attribute is not a plain 4-byte offset
// the whole section is read (once), and the unit left as it is.
func (lz *lazyDWARF) unitLines(u *lazyUnit) ([]byte, error) {
	if lz.line == nil {
		return nil, nil
	}
	var pos int
	var off uint64
	absent, ok := false, false
	if s, err := newUnitSkimmer(u.bytes, u.hdr, lz.secs.abbrev, u.abbrevs); err == nil {
		u.abbrevs = s.abbrevs // for skim
		pos, off, absent, ok = stmtList(s)
	}
	if absent {
		return nil, nil // no line program
	}
	if m := lz.mappedLine(); m != nil {
		// The whole section, mapped: the unit reads its program where
		// it lies, its DW_AT_stmt_list unchanged. Pointing that at a
		// program read alone writes to the unit's mapped page, a copy of
		// the page for every unit built, a tenth of a first run.
		u.lineLen = uint64(len(m)) / uint64(len(lz.units)) // a guess: the average
		if ok && off < uint64(len(m)) && uint64(len(m))-off >= 4 {
			if n := uint64(binary.LittleEndian.Uint32(m[off:])); n < 0xfffffff0 && n <= uint64(len(m))-off-4 {
				u.lineLen = 4 + n
				u.lineProg = m[off : off+4+n : off+4+n]
			}
		}
		return m, nil
	}
	if ok && off <= lz.line.Size-4 && lz.line.Size >= 4 {
		var h [4]byte
		if _, err := lz.line.ReadAt(h[:], int64(off)); err != nil {
			return nil, fmt.Errorf(".debug_line: %w", err)
		}
		if n := uint64(binary.LittleEndian.Uint32(h[:])); n < 0xfffffff0 && n <= lz.line.Size-off-4 {
			prog := make([]byte, 4+n)
			if _, err := lz.line.ReadAt(prog, int64(off)); err != nil {
				return nil, fmt.Errorf(".debug_line: %w", err)
			}
			binary.LittleEndian.PutUint32(u.bytes[pos:], 0)
			u.lineLen = 4 + n
			return prog, nil
		}
	}
	lz.wholeLine.Do(func() {
		lz.wholeLine.b, lz.wholeLine.err = sectionBytes(lz.line, int64(lz.line.Offset+lz.line.Size))
	})
	u.lineLen = uint64(len(lz.wholeLine.b)) / uint64(len(lz.units)) // a guess: the average
	return lz.wholeLine.b, lz.wholeLine.err
}

// cuRanges returns the address ranges of unit u's DIE: skimmed from the
// mapped unit when the DIE has a plain low and high pc or neither
// (skimUnitRanges), read by debug/dwarf otherwise (unitDIERanges).
func (lz *lazyDWARF) cuRanges(u *lazyUnit) ([][2]uint64, error) {
	if rs, ok := lz.skimUnitRanges(u); ok {
		return rs, nil
	}
	return lz.unitDIERanges(u)
}

// skimUnitRanges reads unit u's DIE ranges as debug/dwarf's Ranges does,
// without making a dwarf.Data of the unit (its abbreviations parsed again,
// its line program read): ok is false when it cannot (no mapping,
// DW_AT_ranges, an indexed address). The abbreviations it parses are
// kept for the unit's build.
func (lz *lazyDWARF) skimUnitRanges(u *lazyUnit) (rs [][2]uint64, ok bool) {
	m := lz.mappedInfo()
	if m == nil || u.off+u.size > uint64(len(m)) {
		return nil, false
	}
	s, err := newUnitSkimmer(m[u.off:u.off+u.size:u.off+u.size], u.hdr, lz.secs.abbrev, nil)
	if err != nil {
		return nil, false
	}
	d, err := s.next()
	if err != nil || d.abbrev == nil || d.hard {
		return nil, false
	}
	u.abbrevs = s.abbrevs
	if !d.hasLow || !d.hasHigh {
		return nil, true
	}
	hi := d.high
	if d.highConst {
		hi += d.low
	}
	return [][2]uint64{{d.low, hi}}, true
}

// unitDIERanges reads the address ranges of unit u's DIE.
func (lz *lazyDWARF) unitDIERanges(u *lazyUnit) ([][2]uint64, error) {
	d, err := lz.unitData(u)
	if err != nil {
		return nil, err
	}
	e, err := d.Reader().Next()
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("unit at %#x: no DIE", u.off)
	}
	rs, err := d.Ranges(e)
	if err != nil {
		return nil, err
	}
	if p, _ := e.Val(dwarf.AttrProducer).(string); strings.Contains(p, "armclang") {
		// ARM Compiler 6's DW_AT_ranges miss functions of the unit (on a
		// Keil STM32F4 build, 159 of 292): its line sequences say what
		// it covers, as they do for addr2line.
		rs = append(rs, lineSequences(d, e)...)
	}
	return rs, nil
}

// lineSequences returns the address ranges of the sequences of the line
// program of unit DIE e; those at 0 (discarded code) are left out.
func lineSequences(d *dwarf.Data, e *dwarf.Entry) [][2]uint64 {
	lr, err := d.LineReader(e)
	if err != nil || lr == nil {
		return nil
	}
	var rs [][2]uint64
	var le dwarf.LineEntry
	lo, start := uint64(0), true
	for lr.Next(&le) == nil {
		if start {
			lo, start = le.Address, false
		}
		if le.EndSequence {
			if lo != 0 && le.Address > lo {
				rs = append(rs, [2]uint64{lo, le.Address})
			}
			start = true
		}
	}
	return rs
}

// parseAranges reads .debug_aranges, calling add with each address range
// and the offset of its unit, in the order they are listed. A damaged set
// ends the parse; what was read stays.
func parseAranges(b []byte, add func(unit uint64, rg [2]uint64)) {
	le := binary.LittleEndian
	for len(b) >= 16 {
		n := uint64(le.Uint32(b))
		if n >= 0xfffffff0 || n+4 > uint64(len(b)) || n < 12 {
			break
		}
		set := b[4 : 4+n]
		b = b[4+n:]
		unit := uint64(le.Uint32(set[2:]))
		asize, ssize := int(set[6]), set[7]
		if (asize != 4 && asize != 8) || ssize != 0 {
			continue
		}
		// Tuples start at a multiple of twice the address size from the
		// start of the set (which includes the 4-byte length).
		pos := (4 + 8 + 2*asize - 1) / (2 * asize) * (2 * asize)
		for p := pos - 4; p+2*asize <= len(set); p += 2 * asize {
			var addr, length uint64
			if asize == 4 {
				addr, length = uint64(le.Uint32(set[p:])), uint64(le.Uint32(set[p+4:]))
			} else {
				addr, length = le.Uint64(set[p:]), le.Uint64(set[p+8:])
			}
			if addr == 0 && length == 0 {
				break
			}
			if length > 0 && addr+length > addr {
				add(unit, [2]uint64{addr, addr + length})
			}
		}
	}
}

// unitsAt appends the units whose ranges cover addr.
func (lz *lazyDWARF) unitsAt(addr uint64, out []int) []int {
	i := sort.Search(len(lz.ranges), func(i int) bool { return lz.ranges[i].lo > addr })
	for j := i - 1; j >= 0 && addr-lz.ranges[j].lo <= lz.maxLen; j-- {
		if r := lz.ranges[j]; addr < r.hi && !slices.Contains(out, r.unit) {
			out = append(out, r.unit)
		}
	}
	return out
}

// at returns an index that answers for addr: the merged index of the units
// built so far, extended first if a unit covering addr is missing.
func (lz *lazyDWARF) at(addr uint64) *mergedIdx {
	m := lz.merged.Load()
	var need [4]int
	units := lz.unitsAt(addr, need[:0])
	if len(units) == 0 {
		// No unit covers addr, so no function or line sequence does (each
		// lies in its unit's ranges): the whole index finds none there
		// either, whatever is built. The built units' rows must not
		// answer, as a unit built for a few addresses keeps only the
		// rows those find (rowsFor).
		return &noDWARF
	}
	for _, u := range units {
		if !m.answers(u, addr) {
			return lz.include(units, nil)
		}
	}
	return m
}

// noDWARF answers for addresses no unit covers.
var noDWARF mergedIdx

// answers reports whether m has what unit u contributes at addr.
func (m *mergedIdx) answers(u int, addr uint64) bool {
	return m.have[u] && (m.only[u] == nil || m.only[u][addr])
}

// prepare builds, in parallel, every unit any of addrs needs, and merges
// them once: symbolizing a list of addresses costs one merge, not one per
// new unit. A unit built here holds only the functions covering addrs
// (most of a unit's DWARF is the insides of other functions); a later
// lookup elsewhere in it builds it whole.
func (lz *lazyDWARF) prepare(addrs []uint64) {
	want := map[int][]uint64{}
	var units []int
	for _, a := range addrs {
		a &^= 1
		units = lz.unitsAt(a, units[:0])
		for _, u := range units {
			want[u] = append(want[u], a)
		}
	}
	all := make([]int, 0, len(want))
	for u := range want {
		all = append(all, u)
	}
	lz.include(all, want)
}

// include builds units (in parallel): whole, or, for a unit want lists
// and that is not built yet, only for want's addresses. It then publishes
// a merged index that has them.
func (lz *lazyDWARF) include(units []int, want map[int][]uint64) *mergedIdx {
	lz.mu.Lock()
	defer lz.mu.Unlock()
	m := lz.merged.Load()
	type job struct {
		u    int
		only map[uint64]bool // nil: whole
	}
	var jobs []job
	for _, u := range units {
		switch {
		case m.have[u] && m.only[u] == nil:
			// built whole
		case !m.have[u] && want[u] != nil:
			only := map[uint64]bool{}
			for _, a := range want[u] {
				only[a] = true
			}
			jobs = append(jobs, job{u, only})
		default:
			jobs = append(jobs, job{u, nil})
		}
	}
	if len(jobs) == 0 {
		return m
	}
	// Largest first: the workers finish together, and each one's first
	// unit sizes the buffer its rows are read into (rowScratch) for the
	// rest, which a smaller first unit would have it allocate again.
	slices.SortStableFunc(jobs, func(a, b job) int { return cmpUint(lz.units[b.u].size, lz.units[a.u].size) })
	built := make([]*unitIndex, len(jobs))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(jobs) {
				return
			}
			built[i] = lz.buildUnit(&lz.units[jobs[i].u], jobs[i].only)
		}
	}
	// The calling goroutine is one of the workers, and the only one for
	// a few small units: another waits for a thread to take it up (about
	// a tenth of a millisecond here) and allocates from spans of its own,
	// fresh pages. The web server firmware's 10 units (37 KB) built on
	// one goroutine as fast as on two, with a fifth less CPU; the large
	// firmware's (3 MB) 0.8 ms faster on two.
	var size uint64
	for _, j := range jobs {
		size += lz.units[j.u].size
	}
	if size >= parallelBytes {
		for range min(len(jobs), runtime.GOMAXPROCS(0)) - 1 {
			wg.Go(work)
		}
	}
	work()
	wg.Wait()
	have, only := slices.Clone(m.have), slices.Clone(m.only)
	for i, j := range jobs {
		lz.units[j.u].built = built[i] // under lz.mu, read only by merge
		have[j.u], only[j.u] = true, j.only
	}
	m = lz.merge(have, only)
	lz.merged.Store(m)
	return m
}

// parallelBytes is how much DWARF (units' .debug_info, or .symtab) is
// worth a second goroutine: below it, one does the work as fast.
const parallelBytes = 64 << 10

// buildUnit reads one unit's line program and function tree. A damaged
// unit gives what could be read (the whole index would warn; a lazy one
// answers without those addresses).
//
// With only, functions (subprogram DIEs) covering none of only's addresses
// are skipped, their insides unread: the index then answers for those
// addresses alone.
func (lz *lazyDWARF) buildUnit(u *lazyUnit, only map[uint64]bool) (ui *unitIndex) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // see mappedInfo
	ui = &unitIndex{damaged: true}                           // until read through
	defer func() {
		if p := recover(); p != nil {
			ui = &unitIndex{damaged: true} // a parser panic on hostile input: nothing from this unit
		}
	}()
	d, err := lz.unitData(u)
	if err != nil {
		return ui
	}
	fi := &fileInterner{idx: map[string]uint32{}}
	b := newFuncBuilder(d, fi, lz.zeroOK)
	b.budget = u.size + 1
	if only != nil {
		b.want = coversAny(only)
	}
	r := d.Reader()
	e, err := b.next(r)
	if err != nil || e == nil {
		return ui
	}
	b.enterUnit(e)
	skimmer := func() (*unitSkimmer, error) { return newUnitSkimmer(u.bytes, u.hdr, lz.secs.abbrev, u.abbrevs) }
	if lz.noSkim {
		skimmer = nil
	}
	b.skimmer = skimmer
	var files []*dwarf.LineFile
	damaged := false
	lr, err := d.LineReader(e)
	damaged = err != nil
	if err == nil && lr != nil {
		files = lr.Files()
		var src lineSource = lr
		if fr := u.fastLines(files); fr != nil {
			src = fr
		}
		if only != nil {
			// The rows rowsFor would keep, picked as the line program
			// is read: the unit's rows are never all in memory.
			p := newRowPicker(only)
			ok, err := readLinesPick(src, fi, lz.zeroOK, p)
			if errors.Is(err, errFastLines) {
				p = newRowPicker(only)
				ok, err = readLinesPick(lr, fi, lz.zeroOK, p)
			}
			if ok && overrunCuts(p.seqs) == nil {
				ui.rows, ui.seqs = p.rows(), p.seqs
			} else {
				// A sequence left unfinished (damage): as readLines
				// reads it, which drops that sequence. A sequence
				// overrunning the next: cut, which needs its rows in
				// program order.
				lr.Reset()
				var rows []lineRow
				rows, err = readLines(lr, fi, lz.zeroOK, nil)
				ui.seqs = sequencesOf(rows)
				ui.rows = rowsFor(clipSequences(rows, overrunCuts(ui.seqs)), only)
			}
			damaged = damaged || err != nil
		} else {
			var err error
			ui.rows, err = readLines(src, fi, lz.zeroOK, make([]lineRow, 0, lz.rowsHint(u)))
			if errors.Is(err, errFastLines) {
				ui.rows, err = readLines(lr, fi, lz.zeroOK, ui.rows[:0])
			}
			damaged = damaged || err != nil
			ui.seqs = sequencesOf(ui.rows)
			ui.rows = clipSequences(ui.rows, overrunCuts(ui.seqs))
			// Sorted here, in parallel with the other units: merge then
			// only merges sorted runs.
			lt := lineTable{rows: ui.rows}
			lt.sortRows()
		}
	}
	if e.Tag == dwarf.TagSkeletonUnit {
		// -gsplit-dwarf: the functions are in the unit's .dwo file, its
		// file numbers those of the skeleton's line program. Without
		// the file the unit has lines only (the open said so).
		if dd, _, err := lz.dwoData(u, e); err == nil {
			want := b.want
			b = newFuncBuilder(dd, fi, lz.zeroOK)
			b.want = want
			b.budget = ^uint64(0) >> 1 // a split unit's DIEs count from the .dwo
			r := dd.Reader()
			de, err := b.next(r)
			if err == nil && de != nil && de.Children {
				b.enterUnit(de)
				err = b.walkCU(r, files)
			}
			damaged = damaged || err != nil
		}
	}
	if e.Children {
		if lz.noSkim || !lz.skim(u, b, files) {
			// The skim gave up (or is off): start again with debug/dwarf.
			want := b.want
			b = newFuncBuilder(d, fi, lz.zeroOK)
			b.budget, b.want, b.skimmer = u.size+1, want, skimmer
			b.enterUnit(e)
			r := d.Reader()
			_, err := b.next(r)
			if err == nil {
				err = b.walkCU(r, files)
			}
			damaged = damaged || err != nil
		}
	}
	b.nameScopes()
	slices.SortFunc(ui.seqs, func(a, b [2]uint64) int { return cmpUint(a[0], b[0]) })
	ui.files, ui.scopes, ui.events = fi.files, b.scopes, b.events
	ui.damaged = damaged
	return ui
}

// fastLines returns a fastLineReader of unit u's line program when it
// lies in the mapped .debug_line (files: LineReader.Files() of the same
// program), nil otherwise.
func (u *lazyUnit) fastLines(files []*dwarf.LineFile) *fastLineReader {
	b := u.bytes
	if u.lineProg == nil || len(b) < 11 {
		return nil
	}
	addrSize := int(b[10]) // DWARF 2-4: length, version, abbrev offset, address size
	if binary.LittleEndian.Uint16(b[4:]) >= 5 {
		addrSize = int(b[7]) // length, version, unit type, address size
	}
	return newFastLineReader(u.lineProg, addrSize, files)
}

// rowsHint is about how many rows unit u's line program has (gcc writes
// about two bytes a row), so reading it does not keep regrowing the
// slice.
func (lz *lazyDWARF) rowsHint(u *lazyUnit) int { return int(min(u.lineLen, 1<<26) / 2) }

// skim walks unit u's functions for b (whose want is set) with skimUnit,
// reporting false when it gave up.
func (lz *lazyDWARF) skim(u *lazyUnit, b *funcBuilder, files []*dwarf.LineFile) bool {
	s, err := newUnitSkimmer(u.bytes, u.hdr, lz.secs.abbrev, u.abbrevs)
	if err != nil {
		return false
	}
	cu, err := s.next()
	if err != nil || cu.abbrev == nil {
		return false
	}
	if !cu.abbrev.children {
		return true
	}
	return b.skimUnit(s, b.d.Reader(), files) == nil
}

// merge joins the built units marked in have, in unit order, as
// buildDWARF joins all of them.
func (lz *lazyDWARF) merge(have []bool, only []map[uint64]bool) *mergedIdx {
	fi := &fileInterner{idx: map[string]uint32{}}
	var runs [][]lineRow
	var units []int // of each run
	var seqs [][2]uint64
	nscopes, nevents := 0, 0
	for i, ok := range have {
		if ui := lz.units[i].built; ok && ui != nil {
			nscopes += len(ui.scopes)
			nevents += len(ui.events)
		}
	}
	scopes := make([]scope, 0, nscopes)
	events := make([]rangeEvent, 0, nevents)
	for i, ok := range have {
		ui := lz.units[i].built
		if !ok || ui == nil {
			continue
		}
		remap := make([]uint32, len(ui.files))
		for j, f := range ui.files {
			remap[j] = fi.intern(f)
		}
		run := make([]lineRow, len(ui.rows))
		for j, r := range ui.rows {
			r.file = remap[r.file]
			run[j] = r
		}
		runs = append(runs, run)
		units = append(units, i)
		seqs = append(seqs, ui.seqs...)
		base := int32(len(scopes))
		for _, sc := range ui.scopes {
			if sc.parent >= 0 {
				sc.parent += base
			}
			scopes = append(scopes, sc)
		}
		for _, ev := range ui.events {
			ev.scope += base
			events = append(events, ev)
		}
	}
	if cuts := overrunCuts(seqs); cuts != nil {
		for i, u := range units {
			runs[i] = clipRun(runs[i], lz.units[u].built.seqs, cuts)
		}
	}
	lt := lineTable{rows: mergeRows(runs), files: fi.files}
	return &mergedIdx{have: have, only: only, lines: lt, funcs: funcIndex{scopes: scopes, segs: partition(events, scopes)}}
}

// dwarfAt returns the line table and function index that answer for addr.
func (im *Image) dwarfAt(addr uint64) (*lineTable, *funcIndex) {
	if im.lazy != nil {
		m := im.lazy.at(addr)
		return &m.lines, &m.funcs
	}
	return &im.lines, &im.funcs
}

// Prepare readies the index for addrs (Thumb bits ignored) at once: a lazy
// image builds every unit they need, in parallel, before the lookups. It
// changes no answer and does nothing for a whole or loaded index.
func (im *Image) Prepare(addrs []uint64) {
	if im.lazy != nil {
		im.lazy.prepare(addrs)
	}
}

// buildAll builds every unit whole, in parallel: a lazy image's whole
// index, for saving. ok is false when a unit was damaged: buildDWARF then
// builds it instead, saying what it found (a unit's own reader cannot
// word it the same).
func (lz *lazyDWARF) buildAll() (m *mergedIdx, ok bool) {
	all := make([]int, len(lz.units))
	for i := range all {
		all[i] = i
	}
	m = lz.include(all, nil)
	lz.mu.Lock()
	defer lz.mu.Unlock()
	for i := range lz.units {
		if u := lz.units[i].built; u == nil || u.damaged {
			return nil, false
		}
	}
	return m, true
}

// String is for debugging: how many units are built.
func (lz *lazyDWARF) String() string {
	n := 0
	for _, h := range lz.merged.Load().have {
		if h {
			n++
		}
	}
	return fmt.Sprintf("%d of %d units built", n, len(lz.units))
}

// coversAny is a funcBuilder's want for a unit built for the addresses in
// only: a function is wanted when one of its ranges holds one of them (a
// range's start may carry the Thumb bit). It is asked for every function
// of the unit, so the addresses are sorted once and each range is one
// binary search (iterating the map per function was a tenth of a first
// run on a firmware of one large unit).
func coversAny(only map[uint64]bool) func(rs [][2]uint64) bool {
	as := make([]uint64, 0, len(only))
	for a := range only {
		as = append(as, a)
	}
	slices.Sort(as)
	return func(rs [][2]uint64) bool {
		for _, rg := range rs {
			// The least address at or above the range's start.
			i, _ := slices.BinarySearch(as, rg[0]&^1)
			if i < len(as) && as[i] < rg[1] {
				return true
			}
		}
		return false
	}
}
