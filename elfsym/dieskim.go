package elfsym

import (
	"debug/dwarf"
	"encoding/binary"
	"errors"
	"fmt"
)

// A unit built for a few addresses (lazy.go) needs the DIE trees of the
// functions covering them, and of the rest only each top-level function's
// code range and abstract origin. debug/dwarf decodes every attribute of
// every entry it passes (a slice of fields each, strings copied), which
// for the thousands of type and function DIEs of a C++ unit is most of a
// first run's time. skimUnit walks the unit's raw bytes instead, decoding
// just those few attributes and jumping over subtrees by DW_AT_sibling,
// and hands each wanted function to funcBuilder.walkSubtree, so what it
// records is what walkCU records. Anything it does not read plainly (an
// unknown form, DW_AT_ranges, indexed addresses, damage) makes it give up
// and the caller walk the unit with debug/dwarf.

// DWARF attribute forms (DWARF 5, section 7.5.6, and GNU extensions).
const (
	formAddr          = 0x01
	formBlock2        = 0x03
	formBlock4        = 0x04
	formData2         = 0x05
	formData4         = 0x06
	formData8         = 0x07
	formString        = 0x08
	formBlock         = 0x09
	formBlock1        = 0x0a
	formData1         = 0x0b
	formFlag          = 0x0c
	formSdata         = 0x0d
	formStrp          = 0x0e
	formUdata         = 0x0f
	formRefAddr       = 0x10
	formRef1          = 0x11
	formRef2          = 0x12
	formRef4          = 0x13
	formRef8          = 0x14
	formRefUdata      = 0x15
	formIndirect      = 0x16
	formSecOffset     = 0x17
	formExprloc       = 0x18
	formFlagPresent   = 0x19
	formStrx          = 0x1a
	formAddrx         = 0x1b
	formRefSup4       = 0x1c
	formStrpSup       = 0x1d
	formData16        = 0x1e
	formLineStrp      = 0x1f
	formRefSig8       = 0x20
	formImplicitConst = 0x21
	formLoclistx      = 0x22
	formRnglistx      = 0x23
	formRefSup8       = 0x24
	formStrx1         = 0x25
	formStrx4         = 0x28
	formAddrx1        = 0x29
	formAddrx4        = 0x2c
	formGNUAddrIndex  = 0x1f01
	formGNUStrIndex   = 0x1f02
	formGNURefAlt     = 0x1f20
	formGNUStrpAlt    = 0x1f21
)

// skimAbbrev is one abbreviation: the entry's tag, whether it has
// children, and its attributes' names and forms.
type skimAbbrev struct {
	tag      dwarf.Tag
	children bool
	attrs    []skimAttr
}

type skimAttr struct {
	attr dwarf.Attr
	form uint32 // forms are below 0x2000; a larger one is kept as formUnknown
	imm  int64  // DW_FORM_implicit_const's value
}

// formUnknown stands for a form too large to be one: no value reads it.
const formUnknown = 0xffffffff

// An abbrevTable finds abbreviations by code: compilers number them 1, 2,
// 3..., so a slice does, with a map for any code far above the count.
type abbrevTable struct {
	dense  []*skimAbbrev
	sparse map[uint64]*skimAbbrev
}

func (t *abbrevTable) get(code uint64) *skimAbbrev {
	if code < uint64(len(t.dense)) {
		return t.dense[code]
	}
	return t.sparse[code]
}

func (t *abbrevTable) set(code uint64, a *skimAbbrev) {
	if code < 1<<16 {
		for uint64(len(t.dense)) <= code {
			t.dense = append(t.dense, nil)
		}
		t.dense[code] = a
		return
	}
	if t.sparse == nil {
		t.sparse = map[uint64]*skimAbbrev{}
	}
	t.sparse[code] = a
}

// parseAbbrevs reads the abbreviation table at off in .debug_abbrev. The
// abbreviations and their attributes share two slices: a unit's table is
// hundreds of them, each its own allocation otherwise. A first pass counts
// them, so the slices are allocated once at their size: grown by
// appending, they cost twice the memory, and a first run's time goes
// largely to faulting in fresh memory.
func parseAbbrevs(b []byte, off uint64) (*abbrevTable, error) {
	if off >= uint64(len(b)) {
		return nil, fmt.Errorf("abbreviations at %#x past the section's end", off)
	}
	nabbrevs, nattrs, maxCode, ok := countAbbrevs(b, int(off))
	if !ok {
		return nil, fmt.Errorf(".debug_abbrev at %#x: table ends early", off)
	}
	out := &abbrevTable{}
	if maxCode < 1<<16 {
		out.dense = make([]*skimAbbrev, maxCode+1)
	}
	abbrevs := make([]skimAbbrev, 0, nabbrevs)
	attrs := make([]skimAttr, 0, nattrs)
	// countAbbrevs read the same bytes through: they end nowhere early.
	var code, tag, attr, form uint64
	for i := int(off); ; {
		if code, i = readULEB(b, i); code == 0 {
			break
		}
		tag, i = readULEB(b, i)
		a := skimAbbrev{tag: dwarf.Tag(tag), children: b[i] != 0}
		i++
		first := len(attrs)
		for {
			attr, i = readULEB(b, i)
			if form, i = readULEB(b, i); attr == 0 && form == 0 {
				break
			}
			sa := skimAttr{attr: dwarf.Attr(attr), form: formUnknown}
			if form < formUnknown {
				sa.form = uint32(form)
			}
			if form == formImplicitConst {
				r := cfiReader{b: b, pos: i}
				sa.imm = r.sleb()
				i = r.pos
			}
			attrs = append(attrs, sa)
		}
		// Counted first, so neither slice grows: the pointers kept into
		// them stay in one array each.
		a.attrs = attrs[first:len(attrs):len(attrs)]
		abbrevs = append(abbrevs, a)
		out.set(code, &abbrevs[len(abbrevs)-1]) // a duplicate code: the last wins, as in debug/dwarf
	}
	return out, nil
}

// countAbbrevs counts the abbreviations and attributes of the table at
// off, and finds its largest code; ok is false when the section ends
// inside the table.
func countAbbrevs(b []byte, off int) (nabbrevs, nattrs int, maxCode uint64, ok bool) {
	var code, attr, form uint64
	for i := off; ; {
		if code, i = readULEB(b, i); i < 0 {
			return 0, 0, 0, false
		}
		if code == 0 {
			return nabbrevs, nattrs, maxCode, true
		}
		nabbrevs++
		maxCode = max(maxCode, code)
		if _, i = readULEB(b, i); i < 0 || i >= len(b) { // tag, then children
			return 0, 0, 0, false
		}
		i++
		for {
			if attr, i = readULEB(b, i); i < 0 {
				return 0, 0, 0, false
			}
			if form, i = readULEB(b, i); i < 0 {
				return 0, 0, 0, false
			}
			if attr == 0 && form == 0 {
				break
			}
			nattrs++
			if form == formImplicitConst {
				if _, i = readULEB(b, i); i < 0 { // an SLEB128: as long
					return 0, 0, 0, false
				}
			}
		}
	}
}

// errSkim says skimUnit met something it leaves to debug/dwarf.
var errSkim = errors.New("unit not skimmable")

// skimDIE is what skimUnit reads of one entry.
type skimDIE struct {
	off       uint64 // in the unit
	abbrev    *skimAbbrev
	sibling   uint64 // 0: none
	low, high uint64
	hasLow    bool
	hasHigh   bool
	highConst bool // DW_AT_high_pc is an offset from DW_AT_low_pc
	origin    uint64
	hard      bool // an attribute skimming cannot evaluate (DW_AT_ranges, indexed addresses)
}

// unitSkimmer reads one unit's DIEs from its bytes (offsets from the
// unit's start, as in the unit's own dwarf.Data).
type unitSkimmer struct {
	r        cfiReader
	abbrevs  *abbrevTable
	addrSize int
	version  int
}

// newUnitSkimmer reads a unit's header; its abbreviations are table, or
// when nil parsed from .debug_abbrev (abbrev).
func newUnitSkimmer(unit []byte, hdr uint64, abbrev []byte, table *abbrevTable) (*unitSkimmer, error) {
	if uint64(len(unit)) < hdr || hdr < 11 {
		return nil, errSkim
	}
	le := binary.LittleEndian
	s := &unitSkimmer{r: cfiReader{b: unit, pos: int(hdr)}, version: int(le.Uint16(unit[4:])), abbrevs: table}
	var aoff uint64
	if s.version >= 5 {
		s.addrSize, aoff = int(unit[7]), uint64(le.Uint32(unit[8:]))
	} else {
		aoff, s.addrSize = uint64(le.Uint32(unit[6:])), int(unit[10])
	}
	if s.addrSize != 4 && s.addrSize != 8 {
		return nil, errSkim
	}
	if s.abbrevs == nil {
		var err error
		if s.abbrevs, err = parseAbbrevs(abbrev, aoff); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// next reads the entry at the current position; abbrev is nil for the
// null entry that ends a list of children.
func (s *unitSkimmer) next() (skimDIE, error) {
	d := skimDIE{off: uint64(s.r.pos)}
	code := s.r.uleb()
	if s.r.err != nil {
		return d, errSkim
	}
	if code == 0 {
		return d, nil
	}
	a := s.abbrevs.get(code)
	if a == nil {
		return d, errSkim
	}
	d.abbrev = a
	for _, at := range a.attrs {
		form := uint64(at.form)
		if form == formIndirect {
			form = s.r.uleb()
		}
		v, ok := s.value(form, at.imm)
		if !ok {
			return d, errSkim
		}
		switch at.attr {
		case dwarf.AttrSibling:
			if isRefForm(form) {
				d.sibling = v
			}
		case dwarf.AttrLowpc:
			if form != formAddr {
				d.hard = true
			}
			d.low, d.hasLow = v, true
		case dwarf.AttrHighpc:
			switch {
			case form == formAddr:
			case isConstForm(form):
				d.highConst = true
			default:
				d.hard = true
			}
			d.high, d.hasHigh = v, true
		case dwarf.AttrRanges:
			d.hard = true
		case dwarf.AttrAbstractOrigin:
			if !isRefForm(form) {
				d.hard = true
			}
			d.origin = v
		}
	}
	if s.r.err != nil {
		return d, errSkim
	}
	return d, nil
}

func isRefForm(form uint64) bool {
	switch form {
	case formRef1, formRef2, formRef4, formRef8, formRefUdata:
		return true
	}
	return false
}

func isConstForm(form uint64) bool {
	switch form {
	case formData1, formData2, formData4, formData8, formUdata:
		return true
	}
	return false
}

// value reads one attribute value of form, returning integers and
// references as numbers and skipping the rest. ok is false for a form it
// does not know.
func (s *unitSkimmer) value(form uint64, imm int64) (v uint64, ok bool) {
	r := &s.r
	skip := func(n uint64) {
		if n > uint64(len(r.b)-r.pos) {
			r.fail("attribute runs past the unit")
			return
		}
		r.pos += int(n)
	}
	switch form {
	case formAddr:
		return r.uint(s.addrSize), true
	case formData1, formRef1, formFlag, formStrx1, formAddrx1:
		return r.uint(1), true
	case formData2, formRef2, formStrx1 + 1, formAddrx1 + 1:
		return r.uint(2), true
	case formStrx1 + 2, formAddrx1 + 2:
		return r.uint(3), true
	case formData4, formRef4, formStrp, formSecOffset, formLineStrp, formRefSup4, formStrpSup,
		formStrx4, formAddrx4, formGNURefAlt, formGNUStrpAlt:
		return r.uint(4), true
	case formData8, formRef8, formRefSig8, formRefSup8:
		return r.uint(8), true
	case formData16:
		skip(16)
		return 0, true
	case formRefAddr:
		if s.version <= 2 {
			return r.uint(s.addrSize), true
		}
		return r.uint(4), true
	case formUdata, formRefUdata, formStrx, formAddrx, formLoclistx, formRnglistx, formGNUAddrIndex, formGNUStrIndex:
		return r.uleb(), true
	case formSdata:
		return uint64(r.sleb()), true
	case formString:
		for r.pos < len(r.b) && r.b[r.pos] != 0 {
			r.pos++
		}
		skip(1)
		return 0, true
	case formBlock1:
		skip(r.uint(1))
		return 0, true
	case formBlock2:
		skip(r.uint(2))
		return 0, true
	case formBlock4:
		skip(r.uint(4))
		return 0, true
	case formBlock, formExprloc:
		skip(r.uleb())
		return 0, true
	case formFlagPresent:
		return 1, true
	case formImplicitConst:
		return uint64(imm), true
	}
	return 0, false
}

// skipChildren moves past the children of d (whose attributes were just
// read), by its sibling reference when it has one ahead, as
// dwarf.Reader.SkipChildren does. It loops rather than recurses: nesting
// in a hostile file is as deep as the unit is long.
func (s *unitSkimmer) skipChildren(d skimDIE) error {
	if !d.abbrev.children {
		return nil
	}
	if ok, err := s.jumpToSibling(d); ok || err != nil {
		return err
	}
	for depth := 1; depth > 0; {
		c, err := s.next()
		if err != nil {
			return err
		}
		if c.abbrev == nil {
			depth--
			continue
		}
		if !c.abbrev.children {
			continue
		}
		if ok, err := s.jumpToSibling(c); err != nil {
			return err
		} else if !ok {
			depth++
		}
	}
	return nil
}

// jumpToSibling moves to d's sibling when d names one ahead.
func (s *unitSkimmer) jumpToSibling(d skimDIE) (bool, error) {
	if d.sibling == 0 || d.sibling < uint64(s.r.pos) {
		return false, nil
	}
	if d.sibling > uint64(len(s.r.b)) {
		return false, errSkim
	}
	s.r.pos = int(d.sibling)
	return true, nil
}

// ranges returns d's code range as dwarf.Data.Ranges would.
func (d *skimDIE) ranges() [][2]uint64 {
	if !d.hasLow || !d.hasHigh {
		return nil
	}
	hi := d.high
	if d.highConst {
		hi = d.low + d.high
	}
	return [][2]uint64{{d.low, hi}}
}

// skimUnit walks the children of the unit DIE (the skimmer positioned just
// after it) as walkCU does: wanted functions (every one when b.want is
// nil, and inlined calls outside every function) go to walkSubtree, the
// rest only note their entry; types are jumped over.
func (b *funcBuilder) skimUnit(s *unitSkimmer, r *dwarf.Reader, files []*dwarf.LineFile) error {
	depth := 1
	for depth > 0 {
		if s.r.pos >= len(s.r.b) {
			return nil // walkCU stops at the unit's end too
		}
		d, err := s.next()
		if err != nil {
			return err
		}
		if d.abbrev == nil {
			depth--
			continue
		}
		switch d.abbrev.tag {
		case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagEnumerationType:
			if err := s.skipChildren(d); err != nil {
				return err
			}
			continue
		case dwarf.TagSubprogram, dwarf.TagInlinedSubroutine:
			if d.abbrev.tag == dwarf.TagSubprogram && !d.hard && b.want != nil {
				if rs := d.ranges(); !b.want(rs) {
					b.noteEntry(rs, dwarf.Offset(d.origin))
					if err := s.skipChildren(d); err != nil {
						return err
					}
					continue
				}
			}
			// Wanted, or read only by debug/dwarf: walkCU's way, then
			// on past its children.
			if err := b.walkSubtree(r, dwarf.Offset(d.off), files); err != nil {
				return err
			}
			if err := s.skipChildren(d); err != nil {
				return err
			}
			continue
		}
		if d.abbrev.children {
			depth++
		}
	}
	return nil
}

// stmtList finds the unit DIE's DW_AT_stmt_list (s at the unit DIE): its
// position and value. It reports absent when the DIE has none (no line
// program), and ok only for a 4-byte offset (DW_FORM_sec_offset, or
// DW_FORM_data4 before DWARF 4) it read.
func stmtList(s *unitSkimmer) (pos int, off uint64, absent, ok bool) {
	code := s.r.uleb()
	a := s.abbrevs.get(code)
	if s.r.err != nil || a == nil {
		return 0, 0, false, false
	}
	for _, at := range a.attrs {
		form := uint64(at.form)
		if form == formIndirect {
			return 0, 0, false, false
		}
		at0 := s.r.pos
		v, known := s.value(form, at.imm)
		if !known || s.r.err != nil {
			return 0, 0, false, false
		}
		if at.attr == dwarf.AttrStmtList {
			if form != formSecOffset && !(form == formData4 && s.version < 4) {
				return 0, 0, false, false
			}
			return at0, v, false, true
		}
	}
	return 0, 0, true, false
}
