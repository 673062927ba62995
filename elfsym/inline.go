package elfsym

import (
	"cmp"
	"debug/dwarf"
	"fmt"
	"slices"
	"sort"
)

// A scope is one concrete function body (DW_TAG_subprogram with code) or one
// inlined call (DW_TAG_inlined_subroutine) inside it.
type scope struct {
	name     string // demangled function name
	callFile string // for inlined scopes: where the call is (DW_AT_call_file)
	callLine int
	parent   int32 // enclosing scope, -1 for an outermost function
	depth    int32
	entry    uint64 // low_pc of the function; for inlined ones, of its out-of-line copy, else their own lowest address

	die    dwarf.Offset // DIE whose name chain names this scope
	origin dwarf.Offset // abstract origin for entry lookup, 0 if none
}

// seg says which innermost scope covers [addr, next seg's addr); scope -1
// means no function.
type seg struct {
	addr  uint64
	scope int32
}

// funcIndex maps an address to its innermost scope via a sorted partition of
// the address space, so Frames is one binary search and a parent walk.
type funcIndex struct {
	scopes []scope
	segs   []seg
	// rawScopes and rawSegs, when not nil, hold scopes and segs as a saved
	// index has them (index.go), decoded as lookups touch them; str holds
	// their strings.
	rawScopes, rawSegs []byte
	segFence           []byte // of rawSegs (searchRawSegs)
	str                *strTable
}

// nameInfo holds the naming attributes of a subprogram DIE, resolved after
// the walk because DW_AT_abstract_origin and DW_AT_specification may point
// forward.
type nameInfo struct {
	name, linkage string
	origin, spec  dwarf.Offset
}

// attrMIPSLinkageName is DW_AT_MIPS_linkage_name, still emitted by old
// compilers; debug/dwarf has no constant for it.
const attrMIPSLinkageName = dwarf.Attr(0x2007)

type rangeEvent struct {
	addr  uint64
	start bool
	scope int32
}

type funcBuilder struct {
	d      *dwarf.Data
	fi     *fileInterner
	zeroOK bool
	names  map[dwarf.Offset]nameInfo
	lowpc  map[dwarf.Offset]uint64 // abstract DIE -> entry of a concrete copy
	scopes []scope
	events []rangeEvent
	budget uint64 // entries left before the walk is declared stuck
	// want, if not nil, says whether a function with these ranges is
	// wanted: one that is not is named but its insides are skipped
	// (lazy.go builds a unit for a few addresses).
	want func(ranges [][2]uint64) bool
	// units are the unit DIEs walked, in order (qualifiers).
	units []unitMark
	// skimmer, if not nil, reads the raw DIEs of the (one) unit walked
	// (lazy.go), which finds qualifiers faster than debug/dwarf.
	skimmer func() (*unitSkimmer, error)
}

// A unitMark is where a unit DIE is and whether the unit is C++.
type unitMark struct {
	off dwarf.Offset
	cxx bool
}

// enterUnit notes the unit DIE cu, whose children are walked next. Only
// C++ names are qualified: other languages' units are never walked for it.
func (b *funcBuilder) enterUnit(cu *dwarf.Entry) {
	b.units = append(b.units, unitMark{off: cu.Offset, cxx: isCxxUnit(cu)})
}

// isCxxUnit reports whether the unit DIE cu is C++ (DW_AT_language).
func isCxxUnit(cu *dwarf.Entry) bool {
	lang, _ := cu.Val(dwarf.AttrLanguage).(int64)
	switch lang {
	case 0x4, 0x19, 0x1a, 0x21: // DW_LANG_C_plus_plus, _03, _11, _14
		return true
	}
	return false
}

// next reads one entry, failing when the reader stops advancing.
func (b *funcBuilder) next(r *dwarf.Reader) (*dwarf.Entry, error) {
	if b.budget == 0 {
		return nil, fmt.Errorf(".debug_info: more entries than bytes: damaged unit, walk stopped")
	}
	b.budget--
	e, err := r.Next()
	if err != nil {
		return nil, fmt.Errorf(".debug_info: %w", err)
	}
	return e, nil
}

func newFuncBuilder(d *dwarf.Data, fi *fileInterner, zeroOK bool) *funcBuilder {
	return &funcBuilder{d: d, fi: fi, zeroOK: zeroOK, names: map[dwarf.Offset]nameInfo{}, lowpc: map[dwarf.Offset]uint64{}}
}

func offsetAttr(e *dwarf.Entry, a dwarf.Attr) dwarf.Offset {
	if o, ok := e.Val(a).(dwarf.Offset); ok {
		return o
	}
	return 0
}

// walkCU reads the children of a compile unit (r is positioned just after
// the CU entry) up to its closing null entry.
func (b *funcBuilder) walkCU(r *dwarf.Reader, files []*dwarf.LineFile) error {
	return b.walkTo(r, files, 0)
}

// walkSubtree reads the DIE at off, outside every function, and its
// children, as walkCU does (skimUnit hands it the functions it wants).
func (b *funcBuilder) walkSubtree(r *dwarf.Reader, off dwarf.Offset, files []*dwarf.LineFile) error {
	r.Seek(off)
	return b.walkTo(r, files, 1)
}

// walkTo visits DIEs from r until the stack of open DIEs with children
// is back to depth entries: 0 ends at a unit's closing null entry, 1
// after one DIE and its children.
func (b *funcBuilder) walkTo(r *dwarf.Reader, files []*dwarf.LineFile, depth int) error {
	stack := []int32{-1} // enclosing scope per open DIE with children
	for {
		e, err := b.next(r)
		if err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		if stack = b.visit(r, e, stack, files); len(stack) <= depth {
			return nil
		}
	}
}

// visit records entry e, met with stack the enclosing scope of each open
// DIE with children, and returns the stack for the next entry.
func (b *funcBuilder) visit(r *dwarf.Reader, e *dwarf.Entry, stack []int32, files []*dwarf.LineFile) []int32 {
	if e.Tag == 0 {
		return stack[:len(stack)-1]
	}
	cur := stack[len(stack)-1]
	switch e.Tag {
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagEnumerationType:
		// Types hold no code, only member declarations, which
		// resolveName reads when a function's name leads there.
		// Most of a C++ unit's DIEs are types: skipping them (a jump
		// by DW_AT_sibling where the compiler wrote one) saves most
		// of the walk.
		if e.Children {
			r.SkipChildren()
		}
		return stack
	case dwarf.TagSubprogram:
		ni := nameInfo{origin: offsetAttr(e, dwarf.AttrAbstractOrigin), spec: offsetAttr(e, dwarf.AttrSpecification)}
		ni.name, _ = e.Val(dwarf.AttrName).(string)
		if ni.linkage, _ = e.Val(dwarf.AttrLinkageName).(string); ni.linkage == "" {
			ni.linkage, _ = e.Val(attrMIPSLinkageName).(string)
		}
		b.names[e.Offset] = ni
		if b.want != nil && cur < 0 {
			if ranges, err := b.d.Ranges(e); err != nil || !b.want(ranges) {
				b.noteEntry(ranges, ni.origin)
				if e.Children {
					r.SkipChildren()
				}
				return stack
			}
		}
		s, discarded := b.addScope(e, scope{die: e.Offset, origin: ni.origin, parent: -1})
		if discarded {
			// A function the linker dropped: the calls inlined into it
			// and its blocks lie in the same dropped section, relocated
			// to small addresses (newlib's reent.o, gcc -O2: an inlined
			// cleanup_glue at [0xba, 0xc8) inside _reclaim_reent at 0),
			// so they would name real code. None of it is code.
			if e.Children {
				r.SkipChildren()
			}
			return stack
		}
		if s >= 0 {
			cur = s
		}
	case dwarf.TagInlinedSubroutine:
		sc := scope{die: offsetAttr(e, dwarf.AttrAbstractOrigin), parent: cur}
		sc.origin = sc.die
		if cur >= 0 {
			sc.depth = b.scopes[cur].depth + 1
		}
		if i, ok := e.Val(dwarf.AttrCallFile).(int64); ok && i >= 0 && i < int64(len(files)) && files[i] != nil {
			sc.callFile = files[i].Name
		}
		if l, ok := e.Val(dwarf.AttrCallLine).(int64); ok && l > 0 {
			sc.callLine = int(l)
		}
		if s, _ := b.addScope(e, sc); s >= 0 {
			cur = s
		} else if e.Children {
			// An inlined call whose own ranges are empty can still hold
			// inlined calls with code: gcc's DWARF 4 writes a range list
			// whose first pair is (0,0) relative to the CU base, which
			// reads as the end of the list. The DIE nesting still says
			// who called whom, so keep it as a parent (binutils does the
			// same: its caller chain follows nesting, not ranges).
			cur = int32(len(b.scopes))
			b.scopes = append(b.scopes, sc)
		}
	}
	if e.Children {
		stack = append(stack, cur)
	}
	return stack
}

// addScope records sc if e has code ranges and returns its index, or -1;
// discarded says e has ranges but every one is a discarded function's
// (starts at 0 where no function does).
func (b *funcBuilder) addScope(e *dwarf.Entry, sc scope) (idx int32, discarded bool) {
	ranges, err := b.d.Ranges(e)
	if err != nil || len(ranges) == 0 {
		return -1, false
	}
	idx = int32(len(b.scopes))
	lo := ^uint64(0)
	n, dropped := 0, 0
	for _, rg := range ranges {
		// Thumb code is halfword-aligned: an odd end is the Thumb bit
		// GNU as puts in both ends of an assembly function's range.
		start, end := rg[0]&^1, rg[1]&^1
		if start >= end {
			continue
		}
		if start == 0 && !b.zeroOK {
			dropped++
			continue
		}
		b.events = append(b.events, rangeEvent{addr: start, start: true, scope: idx}, rangeEvent{addr: end, scope: idx})
		lo = min(lo, start)
		n++
	}
	if n == 0 {
		return -1, dropped > 0
	}
	sc.entry = lo
	if sc.parent < 0 {
		if sc.origin != 0 {
			if _, seen := b.lowpc[sc.origin]; !seen {
				b.lowpc[sc.origin] = lo
			}
		}
	}
	b.scopes = append(b.scopes, sc)
	return idx, false
}

// noteEntry records, for a function not indexed, what addScope records
// for its abstract origin: the entry of a concrete copy, which inlined
// copies elsewhere report as theirs.
func (b *funcBuilder) noteEntry(ranges [][2]uint64, origin dwarf.Offset) {
	if origin == 0 {
		return
	}
	lo, n := ^uint64(0), 0
	for _, rg := range ranges {
		start, end := rg[0]&^1, rg[1]&^1
		if start >= end || (start == 0 && !b.zeroOK) {
			continue
		}
		lo = min(lo, start)
		n++
	}
	if _, seen := b.lowpc[origin]; n > 0 && !seen {
		b.lowpc[origin] = lo
	}
}

// finish names every scope and turns the ranges into the address partition.
func (b *funcBuilder) finish() funcIndex {
	b.nameScopes()
	return funcIndex{scopes: b.scopes, segs: partition(b.events, b.scopes)}
}

// nameScopes names every scope and sets inlined scopes' entries.
func (b *funcBuilder) nameScopes() {
	type resolved struct {
		name string
		decl dwarf.Offset // a C++ declaration whose qualifier name needs, or 0
	}
	memo := map[dwarf.Offset]resolved{}
	var decls []dwarf.Offset
	for i := range b.scopes {
		die := b.scopes[i].die
		if _, ok := memo[die]; !ok {
			name, decl := b.resolveName(die)
			if decl != 0 && !b.isCxx(decl) {
				decl = 0
			}
			memo[die] = resolved{name, decl}
			if decl != 0 {
				decls = append(decls, decl)
			}
		}
	}
	quals := b.qualifiers(decls)
	for i := range b.scopes {
		sc := &b.scopes[i]
		r := memo[sc.die]
		sc.name = r.name
		if q := quals[r.decl]; r.decl != 0 && q != "" {
			sc.name = q + "::" + r.name
		}
		if e, ok := b.lowpc[sc.origin]; ok && sc.parent >= 0 {
			// Where the function starts out of line. Without such a
			// copy (a kept one: a discarded copy's ranges are dropped),
			// the inlined code's own lowest address, where its first
			// line is too (the unwinder's self-inline rule reads it).
			sc.entry = e
		}
	}
}

// resolveName follows DW_AT_abstract_origin and DW_AT_specification, and
// prefers a linkage name anywhere on the chain (demangled, with parameters,
// as addr2line -C prints C++ functions) over a plain DW_AT_name. Without
// one, decl is the chain's last DIE, whose enclosing namespaces and
// classes qualify the name (qualifiers): gcc gives template instances
// over local types and lambdas, and static functions inlined everywhere,
// no linkage name, and their DIEs with code, at unit level, lead to
// declarations inside namespaces and classes ("std::__sort<...>", as gdb
// prints it).
func (b *funcBuilder) resolveName(off dwarf.Offset) (name string, decl dwarf.Offset) {
	plain := ""
	for hops := 0; off != 0 && hops < 8; hops++ {
		ni, ok := b.names[off]
		if !ok {
			// In another unit (DW_FORM_ref_addr): a lazy index walks
			// one unit at a time, so read that DIE on its own.
			if ni, ok = b.readName(off); !ok {
				break
			}
		}
		if ni.linkage != "" {
			return demangleName(ni.linkage), 0
		}
		if plain == "" {
			plain = ni.name
		}
		decl = off
		if ni.origin != 0 {
			off = ni.origin
		} else {
			off = ni.spec
		}
	}
	if plain == "" {
		return "??", 0
	}
	return plain, decl
}

// isCxx reports whether the DIE at off is in a C++ unit walked.
func (b *funcBuilder) isCxx(off dwarf.Offset) bool {
	i := sort.Search(len(b.units), func(i int) bool { return b.units[i].off > off })
	return i > 0 && b.units[i-1].cxx
}

// qualifiers finds the qualifier of each function DIE in decls (all in
// C++ units walked): its enclosing namespaces and classes joined by "::",
// as gdb's determine_prefix makes it; "" for one at unit level or in a
// function. The function walk skips types and does not keep DIE parents,
// so each unit holding some is walked again, into only the DIEs whose
// subtree (up to DW_AT_sibling) holds one, and only until the last.
func (b *funcBuilder) qualifiers(decls []dwarf.Offset) map[dwarf.Offset]string {
	if len(decls) == 0 {
		return nil
	}
	slices.Sort(decls)
	decls = slices.Compact(decls)
	q := make(map[dwarf.Offset]string, len(decls))
	for len(decls) > 0 {
		i := sort.Search(len(b.units), func(i int) bool { return b.units[i].off > decls[0] })
		end := dwarf.Offset(^uint32(0))
		if i < len(b.units) {
			end = b.units[i].off
		}
		n := sort.Search(len(decls), func(j int) bool { return decls[j] >= end })
		b.unitQualifiers(b.units[i-1].off, decls[:n], q)
		decls = decls[n:]
	}
	return q
}

// holdsAny reports whether some of targets (sorted) lies in (lo, hi).
func holdsAny(targets []dwarf.Offset, lo, hi dwarf.Offset) bool {
	j := sort.Search(len(targets), func(j int) bool { return targets[j] > lo })
	return j < len(targets) && targets[j] < hi
}

// unitQualifiers records in q the qualifier of each DIE of targets
// (sorted, all in the unit at unit).
func (b *funcBuilder) unitQualifiers(unit dwarf.Offset, targets []dwarf.Offset, q map[dwarf.Offset]string) {
	if b.skimmer != nil {
		if s, err := b.skimmer(); err == nil && b.skimQualifiers(s, targets, q) == nil {
			return
		}
	}
	dieQualifiers(b.d, unit, targets, q)
}

// dieQualifiers records in q the qualifier (childQualifier's, as gdb's
// determine_prefix makes it) of each DIE of targets (sorted, all in the
// unit whose DIE is at unit), walking with debug/dwarf into only the
// subtrees (by DW_AT_sibling) holding some. Function names (nameScopes)
// and the functions of static locals (originName) are both qualified here.
func dieQualifiers(d *dwarf.Data, unit dwarf.Offset, targets []dwarf.Offset, q map[dwarf.Offset]string) {
	holds := func(lo, hi dwarf.Offset) bool { return holdsAny(targets, lo, hi) }
	r := d.Reader()
	r.Seek(unit)
	e, err := r.Next()
	if err != nil || e == nil || e.Offset != unit || !e.Children {
		return
	}
	stack := []string{""} // the qualifier of each open DIE's children
	last, left := e.Offset, len(targets)
	for len(stack) > 0 && left > 0 {
		e, err := r.Next()
		if err != nil || e == nil || (e.Offset <= last && e.Tag != 0) {
			return // damaged, or the reader not advancing
		}
		last = e.Offset
		if e.Tag == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		outer := stack[len(stack)-1]
		if _, found := slices.BinarySearch(targets, e.Offset); found {
			q[e.Offset] = outer
			left--
		}
		if !e.Children {
			continue
		}
		if sib, ok := e.Val(dwarf.AttrSibling).(dwarf.Offset); ok && sib > e.Offset && !holds(e.Offset, sib) {
			r.SkipChildren()
			continue
		}
		stack = append(stack, childQualifier(e, outer))
	}
}

// skimQualifiers is unitQualifiers over the unit's raw DIEs (s at the
// unit DIE): it decodes no attribute but the sibling and jumps over every
// subtree holding no target, then reads with debug/dwarf only the DIEs
// enclosing a target. An error means it gave up (q may hold some).
func (b *funcBuilder) skimQualifiers(s *unitSkimmer, targets []dwarf.Offset, q map[dwarf.Offset]string) error {
	cu, err := s.next()
	if err != nil || cu.abbrev == nil || !cu.abbrev.children {
		return errSkim
	}
	var path []dwarf.Offset            // the open DIEs with children below the unit
	inner := map[dwarf.Offset]string{} // qualifier of a path DIE's children
	qualOf := func() (string, error) {
		outer := ""
		for _, off := range path {
			if c, ok := inner[off]; ok {
				outer = c
				continue
			}
			r := b.d.Reader()
			r.Seek(off)
			e, err := r.Next()
			if err != nil || e == nil || e.Offset != off {
				return "", errSkim
			}
			outer = childQualifier(e, outer)
			inner[off] = outer
		}
		return outer, nil
	}
	for left := len(targets); left > 0; {
		if s.r.pos >= len(s.r.b) {
			return nil
		}
		d, err := s.next()
		if err != nil {
			return err
		}
		if d.abbrev == nil {
			if len(path) == 0 {
				return nil // the unit's end
			}
			path = path[:len(path)-1]
			continue
		}
		off := dwarf.Offset(d.off)
		if _, found := slices.BinarySearch(targets, off); found {
			qual, err := qualOf()
			if err != nil {
				return err
			}
			q[off] = qual
			left--
		}
		if !d.abbrev.children {
			continue
		}
		if d.sibling > d.off && !holdsAny(targets, off, dwarf.Offset(d.sibling)) {
			if err := s.skipChildren(d); err != nil {
				return err
			}
			continue
		}
		path = append(path, off)
	}
	return nil
}

// childQualifier is the qualifier of the children of e, itself qualified
// by outer, as gdb's determine_prefix gives it for C++: a namespace adds
// its name ("(anonymous namespace)" without one), a named class, struct
// or union its name; an anonymous one (gcc's lambda closures) and a
// function start afresh; other DIEs (lexical blocks) pass outer on.
func childQualifier(e *dwarf.Entry, outer string) string {
	name, _ := e.Val(dwarf.AttrName).(string)
	switch e.Tag {
	case dwarf.TagNamespace:
		if name == "" {
			name = "(anonymous namespace)"
		}
	case dwarf.TagClassType, dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagInterfaceType:
		if name == "" {
			return ""
		}
	case dwarf.TagSubprogram, dwarf.TagEnumerationType:
		return ""
	default:
		return outer
	}
	if outer == "" {
		return name
	}
	return outer + "::" + name
}

// readName reads the naming attributes of the subprogram DIE at off.
func (b *funcBuilder) readName(off dwarf.Offset) (nameInfo, bool) {
	r := b.d.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil || e == nil || e.Offset != off || (e.Tag != dwarf.TagSubprogram && e.Tag != dwarf.TagInlinedSubroutine) {
		return nameInfo{}, false
	}
	ni := nameInfo{origin: offsetAttr(e, dwarf.AttrAbstractOrigin), spec: offsetAttr(e, dwarf.AttrSpecification)}
	ni.name, _ = e.Val(dwarf.AttrName).(string)
	if ni.linkage, _ = e.Val(dwarf.AttrLinkageName).(string); ni.linkage == "" {
		ni.linkage, _ = e.Val(attrMIPSLinkageName).(string)
	}
	b.names[off] = ni
	return ni, true
}

// partition sweeps the range events in address order and records, for each
// stretch of addresses, the deepest scope open there (the latest opened on a
// tie). Nesting in gcc's output is proper, but the sweep does not rely on it.
func partition(events []rangeEvent, scopes []scope) []seg {
	slices.SortStableFunc(events, func(x, y rangeEvent) int { return cmp.Compare(x.addr, y.addr) })
	var segs []seg
	var active []int32
	for i := 0; i < len(events); {
		addr := events[i].addr
		for ; i < len(events) && events[i].addr == addr; i++ {
			ev := events[i]
			if ev.start {
				active = append(active, ev.scope)
				continue
			}
			for j := len(active) - 1; j >= 0; j-- {
				if active[j] == ev.scope {
					active = append(active[:j], active[j+1:]...)
					break
				}
			}
		}
		inner := int32(-1)
		for _, s := range active {
			if inner < 0 || scopes[s].depth >= scopes[inner].depth {
				inner = s
			}
		}
		if len(segs) > 0 && segs[len(segs)-1].scope == inner {
			continue
		}
		if len(segs) > 0 && segs[len(segs)-1].addr == addr {
			segs[len(segs)-1].scope = inner
			continue
		}
		segs = append(segs, seg{addr: addr, scope: inner})
	}
	return segs
}

// innermost returns the innermost scope at addr, -1 if none.
func (fx *funcIndex) innermost(addr uint64) int32 {
	s, _ := fx.innermostSeg(addr)
	return s
}

// innermostSeg is innermost, also returning the segment holding addr
// (-1 if none) for segRows.
func (fx *funcIndex) innermostSeg(addr uint64) (int32, int) {
	if fx.rawSegs != nil {
		i := searchRawSegs(fx.rawSegs, fx.segFence, addr)
		if i == 0 {
			return -1, -1
		}
		return decodeSeg(fx.rawSegs[(i-1)*segSize:], fx.nscopes()).scope, i - 1
	}
	s := fx.innermostBuilt(addr)
	return s, -1
}

// innermostBuilt is innermost in a built index.
func (fx *funcIndex) innermostBuilt(addr uint64) int32 {
	i := sort.Search(len(fx.segs), func(i int) bool { return fx.segs[i].addr > addr })
	if i == 0 {
		return -1
	}
	return fx.segs[i-1].scope
}

func (fx *funcIndex) nscopes() int {
	if fx.rawScopes != nil {
		return len(fx.rawScopes) / scopeSize
	}
	return len(fx.scopes)
}

// scope returns scope i (0 <= i < nscopes).
func (fx *funcIndex) scope(i int32) scope {
	if fx.rawScopes != nil {
		return decodeScope(fx.rawScopes[int(i)*scopeSize:], i, fx.str)
	}
	return fx.scopes[i]
}
