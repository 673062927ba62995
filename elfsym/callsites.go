package elfsym

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// A CallSite is a call or branch described by DWARF call-site information
// (DW_TAG_call_site in DWARF 5, DW_TAG_GNU_call_site in DWARF 4).
type CallSite struct {
	ReturnPC   uint64 // DW_AT_call_return_pc (DWARF 5) or DW_AT_low_pc (GNU): the address after the call/branch, Thumb bit clear
	Caller     uint64 // entry (low_pc) of the concrete, non-inlined function containing the site
	Target     uint64 // entry of the called function (from DW_AT_call_origin/DW_AT_abstract_origin -> its concrete low_pc, or DW_AT_call_target when a constant address); 0 when unknown (indirect calls)
	TargetName string // demangled name of the callee, "" when unknown
	Tail       bool   // DW_AT_call_tail_call / DW_AT_GNU_tail_call
}

// GNU extensions for call sites in DWARF 4 (gcc -gdwarf-4 -O2).
const (
	tagGNUCallSite        = dwarf.Tag(0x4109)
	attrGNUCallSiteTarget = dwarf.Attr(0x2113)
	attrGNUTailCall       = dwarf.Attr(0x2115)
)

// callSites is the call-site index, built on first use.
type callSites struct {
	once    sync.Once
	byRet   []CallSite            // sorted by ReturnPC
	tails   map[uint64][]CallSite // tail-call sites by Caller
	warning string
}

// rawSite is a call site before its callee is resolved.
type rawSite struct {
	CallSite
	origin dwarf.Offset
}

// CallSiteAt returns the call site whose return address is returnPC (Thumb
// bit ignored). The first call builds the index (one walk of .debug_info).
func (im *Image) CallSiteAt(returnPC uint64) (CallSite, bool) {
	cs := im.callSiteIndex()
	pc := returnPC &^ 1
	i := sort.Search(len(cs.byRet), func(i int) bool { return cs.byRet[i].ReturnPC >= pc })
	if i < len(cs.byRet) && cs.byRet[i].ReturnPC == pc {
		return cs.byRet[i], true
	}
	return CallSite{}, false
}

// TailCalls returns the tail-call sites inside the function whose entry is
// entry (Thumb bit ignored), in address order.
func (im *Image) TailCalls(entry uint64) []CallSite {
	return slices.Clone(im.callSiteIndex().tails[entry&^1])
}

// CallSiteWarning says why call-site information is missing or partial
// ("" when it is complete).
func (im *Image) CallSiteWarning() string { return im.callSiteIndex().warning }

// FuncEntry returns the entry address and name of the outermost (concrete,
// non-inlined) function containing pc (Thumb bit ignored): from DWARF, or
// from the symbol table when DWARF does not cover pc.
func (im *Image) FuncEntry(pc uint64) (entry uint64, name string, ok bool) {
	pc &^= 1
	_, funcs := im.dwarfAt(pc)
	s := funcs.innermost(pc)
	if s < 0 {
		sym, ok := im.funcSymbolAt(pc)
		if !ok {
			return 0, "", false
		}
		return sym.Addr, sym.Name, true
	}
	sc := funcs.scope(s)
	for n := 0; sc.parent >= 0 && n < maxInlineDepth; n++ {
		sc = funcs.scope(sc.parent)
	}
	return sc.entry, sc.name, true
}

func (im *Image) callSiteIndex() *callSites {
	im.calls.once.Do(func() {
		if im.loadPart(partCalls, func(r *idxReader) bool { return decodeCallSites(r, &im.calls) }) {
			return
		}
		im.buildCallSites()
		im.storePart(partCalls, func(w *idxWriter) { encodeCallSites(w, &im.calls) })
	})
	return &im.calls
}

// buildCallSites walks every unit once. Call sites inside inlined calls
// belong to the function they were inlined into; those inside functions
// the linker discarded (relocated to 0) are dropped, since their return
// addresses would alias real code.
func (im *Image) buildCallSites() {
	cs := &im.calls
	cs.tails = map[uint64][]CallSite{}
	if im.dwarfData() == nil {
		cs.warning = "no DWARF: no call-site information"
		return
	}
	var raw []rawSite
	entries := map[dwarf.Offset]uint64{} // subprogram DIE (concrete, abstract or declaration) -> entry
	names := map[dwarf.Offset]nameInfo{}
	if err := im.walkCallSites(&raw, entries, names); err != nil {
		cs.warning = fmt.Sprintf("call-site information partly unreadable: %v", err)
	}
	for _, r := range raw {
		c := r.CallSite
		if r.origin != 0 {
			c.Target, c.TargetName = im.resolveCallee(r.origin, entries, names)
		}
		if c.Target != 0 && c.TargetName == "" {
			if s, off, ok := im.SymbolAt(c.Target); ok && off == 0 && s.Func {
				c.TargetName = s.Name
			}
		}
		cs.byRet = append(cs.byRet, c)
		if c.Tail {
			cs.tails[c.Caller] = append(cs.tails[c.Caller], c)
		}
	}
	slices.SortStableFunc(cs.byRet, func(a, b CallSite) int { return cmpUint(a.ReturnPC, b.ReturnPC) })
	for k := range cs.tails {
		slices.SortStableFunc(cs.tails[k], func(a, b CallSite) int { return cmpUint(a.ReturnPC, b.ReturnPC) })
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// resolveCallee maps a call origin (a concrete subprogram, its abstract
// DIE, or a declaration, possibly in another unit) to the callee's entry
// and name: through DW_AT_abstract_origin/DW_AT_specification links seen
// in the walk, else by name through the symbol table.
func (im *Image) resolveCallee(origin dwarf.Offset, entries map[dwarf.Offset]uint64, names map[dwarf.Offset]nameInfo) (uint64, string) {
	name := ""
	for off, hops := origin, 0; off != 0 && hops < 8; hops++ {
		ni := names[off]
		if name == "" {
			if ni.linkage != "" {
				name = demangleName(ni.linkage)
			} else if ni.name != "" {
				name = ni.name
			}
		}
		if e, ok := entries[off]; ok {
			if s, o, ok := im.SymbolAt(e); ok && o == 0 && s.Func {
				return e, s.Name
			}
			return e, name
		}
		if ni.origin != 0 {
			off = ni.origin
		} else {
			off = ni.spec
		}
	}
	for off, hops := origin, 0; off != 0 && hops < 8; hops++ {
		ni := names[off]
		for _, n := range []string{ni.linkage, ni.name} {
			if s, ok := im.LookupSymbol(n); ok && s.Func && n != "" {
				return s.Addr, s.Name
			}
		}
		if ni.origin != 0 {
			off = ni.origin
		} else {
			off = ni.spec
		}
	}
	return 0, name
}

// walkCallSites collects call sites, subprogram entries and names.
func (im *Image) walkCallSites(raw *[]rawSite, entries map[dwarf.Offset]uint64, names map[dwarf.Offset]nameInfo) error {
	type open struct {
		caller uint64 // entry of the concrete function this DIE is inside; 0 none
		skip   bool   // inside a discarded function
	}
	var stack []open
	var addrBase uint64
	zeroOK := im.zeroOK()
	leave := func() {
		if len(stack) > 0 {
			stack = stack[:len(stack)-1]
		}
	}
	enter := func(e *dwarf.Entry) {
		cur := open{}
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		switch e.Tag {
		case dwarf.TagCompileUnit, dwarf.TagPartialUnit:
			stack = stack[:0]
			cur = open{}
			addrBase = unitAddrBase(e)
		case dwarf.TagSubprogram:
			ni := nameInfo{origin: offsetAttr(e, dwarf.AttrAbstractOrigin), spec: offsetAttr(e, dwarf.AttrSpecification)}
			ni.name, _ = e.Val(dwarf.AttrName).(string)
			if ni.linkage, _ = e.Val(dwarf.AttrLinkageName).(string); ni.linkage == "" {
				ni.linkage, _ = e.Val(attrMIPSLinkageName).(string)
			}
			names[e.Offset] = ni
			if entry, ok := im.subprogramEntry(e); ok {
				if entry == 0 && !zeroOK {
					cur = open{skip: true}
					break
				}
				cur = open{caller: entry}
				for _, off := range []dwarf.Offset{e.Offset, ni.origin, ni.spec} {
					if _, seen := entries[off]; off != 0 && !seen {
						entries[off] = entry
					}
				}
			}
		case dwarf.TagCallSite, tagGNUCallSite:
			if cur.skip || cur.caller == 0 {
				break
			}
			if c, ok := im.readCallSite(e, addrBase); ok {
				c.Caller = cur.caller
				*raw = append(*raw, c)
			}
		}
		if e.Children {
			stack = append(stack, cur)
		}
	}
	skeletons := false
	err := im.walkDIEs(func(e *dwarf.Entry) {
		skeletons = skeletons || e.Tag == dwarf.TagSkeletonUnit
		enter(e)
	}, leave)
	if skeletons {
		// -gsplit-dwarf: the call sites are in the .dwo files.
		if derr := im.walkDwoDIEs(enter, leave); err == nil {
			err = derr
		}
	}
	return err
}

// subprogramEntry is a concrete subprogram's entry: DW_AT_low_pc, else the
// lowest address of its ranges. ok is false for declarations and abstract
// (inline-only) DIEs.
func (im *Image) subprogramEntry(e *dwarf.Entry) (uint64, bool) {
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		return lo &^ 1, true
	}
	if e.Val(dwarf.AttrRanges) == nil {
		return 0, false
	}
	rs, err := im.dwarfData().Ranges(e)
	if err != nil || len(rs) == 0 {
		return 0, false
	}
	lo := ^uint64(0)
	for _, r := range rs {
		lo = min(lo, r[0]&^1)
	}
	return lo, true
}

// readCallSite reads one call-site DIE. DWARF 5 gives DW_AT_call_return_pc;
// clang gives only DW_AT_call_pc (the branch itself) for tail calls, so the
// return address is computed from the branch's length (a 32-bit Thumb-2
// encoding starts 0b11101, 0b11110 or 0b11111); GNU DWARF 4 gives
// DW_AT_low_pc.
func (im *Image) readCallSite(e *dwarf.Entry, addrBase uint64) (rawSite, bool) {
	var c rawSite
	if pc, ok := e.Val(dwarf.AttrCallReturnPC).(uint64); ok {
		c.ReturnPC = pc
	} else if pc, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		c.ReturnPC = pc
	} else if pc, ok := e.Val(dwarf.AttrCallPC).(uint64); ok {
		var hw [2]byte
		if _, err := im.ReadMemory(hw[:], pc&^1); err != nil {
			return c, false
		}
		n := uint64(2)
		if binary.LittleEndian.Uint16(hw[:])>>11 >= 0x1d {
			n = 4
		}
		c.ReturnPC = pc + n
	} else {
		return c, false
	}
	c.ReturnPC &^= 1
	c.Tail, _ = e.Val(dwarf.AttrCallTailCall).(bool)
	if !c.Tail {
		c.Tail, _ = e.Val(attrGNUTailCall).(bool)
	}
	if c.origin = offsetAttr(e, dwarf.AttrCallOrigin); c.origin == 0 {
		c.origin = offsetAttr(e, dwarf.AttrAbstractOrigin)
	}
	for _, a := range []dwarf.Attr{dwarf.AttrCallTarget, attrGNUCallSiteTarget} {
		if loc, ok := e.Val(a).([]byte); ok {
			if t, ok := im.debugAddrs().staticAddress(loc, addrBase); ok {
				c.Target = t &^ 1
			}
		}
	}
	return c, true
}
