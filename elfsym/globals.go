package elfsym

import (
	"debug/dwarf"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A Variable is a global or static variable (DWARF DW_TAG_variable with a
// fixed address), or an object symbol when DWARF does not describe it
// (Type nil then).
type Variable struct {
	Name string // namespace-qualified; static locals as "function::name"
	Addr uint64
	Size uint64
	Type *Type  // nil when only the symbol table knows the object
	File string // compilation unit (source file) that defines it, "" if unknown
}

// dataOnce builds the data index on first use: most callers of Open only
// symbolize code, and the type graph of a big C++ firmware is not free.
type dataOnce struct {
	once sync.Once
	idx  *dataIndex
}

type dataIndex struct {
	vars    []Variable       // sorted by Addr, sized (Size >= 1)
	byName  map[string]int   // name -> index in vars (first definition)
	types   map[string]*Type // qualified name -> complete struct/class/union/enum
	warning string
}

func (im *Image) dataIndex() *dataIndex {
	im.data.once.Do(func() {
		if im.loadPart(partData, func(r *idxReader) bool {
			d, ok := decodeData(r)
			im.data.idx = d
			return ok
		}) {
			return
		}
		im.data.idx = im.buildData()
		im.storePart(partData, func(w *idxWriter) { encodeData(w, im.data.idx) })
	})
	return im.data.idx
}

// Variables returns the global and static variables, sorted by address.
// The first call builds the data index from DWARF (linear in .debug_info).
func (im *Image) Variables() []Variable {
	return slices.Clone(im.dataIndex().vars)
}

// LookupVariable finds a global or static variable by name ("server",
// "net::g_table", or "func::counter" for a static local).
func (im *Image) LookupVariable(name string) (Variable, bool) {
	d := im.dataIndex()
	if i, ok := d.byName[name]; ok {
		return d.vars[i], true
	}
	return Variable{}, false
}

// LookupType finds a complete struct, class, union or enum by its
// qualified name.
func (im *Image) LookupType(name string) (*Type, bool) {
	t, ok := im.dataIndex().types[name]
	return t, ok
}

// DataWarning says why data symbolization is degraded ("" when it is not).
func (im *Image) DataWarning() string { return im.dataIndex().warning }

// DataAt names the RAM (or flash constant) address addr as a C expression
// rooted at a global: "g_server.clients[2]", "table[3].name+2". v is the
// variable that covers addr. ok is false when no variable or object symbol
// covers it.
func (im *Image) DataAt(addr uint64) (path string, v Variable, ok bool) {
	d := im.dataIndex()
	i := sort.Search(len(d.vars), func(i int) bool { return d.vars[i].Addr > addr }) - 1
	for j := i; j >= 0 && j > i-4; j-- { // a few back: a variable may follow one of size 0 at the same address
		if c := d.vars[j]; addr >= c.Addr && addr-c.Addr < c.Size {
			return c.Name + SubPath(c.Type, addr-c.Addr), c, true
		}
	}
	if s, off, found := im.SymbolAt(addr); found && !s.Func {
		v := Variable{Name: s.Name, Addr: s.Addr, Size: s.Size}
		if off == 0 {
			return s.Name, v, true
		}
		return fmt.Sprintf("%s+%d", s.Name, off), v, true
	}
	return "", Variable{}, false
}

// SubPath renders the member/element path of byte offset off inside an
// object of type t: ".clients[2]", "[3].name+2", "" for offset 0 of a
// scalar. Base-class subobjects add no component (C++ names their members
// directly).
func SubPath(t *Type, off uint64) string {
	var b strings.Builder
	for depth := 0; t != nil && depth < 32; depth++ {
		switch t.Kind {
		case KindStruct, KindUnion:
			f, ok := fieldAt(t, off)
			if !ok {
				goto rest
			}
			if !f.Base && f.Name != "" { // anonymous unions add no name
				b.WriteString(".")
				b.WriteString(f.Name)
			}
			off -= f.Offset
			t = f.Type
		case KindArray:
			if t.Elem == nil || t.Elem.Size == 0 {
				goto rest
			}
			i := off / t.Elem.Size
			if t.Count >= 0 && int64(i) >= t.Count {
				goto rest
			}
			fmt.Fprintf(&b, "[%d]", i)
			off -= i * t.Elem.Size
			t = t.Elem
		default:
			goto rest
		}
	}
rest:
	if off > 0 {
		fmt.Fprintf(&b, "+%d", off)
	}
	return b.String()
}

// fieldAt is the member covering off: for a struct the last one starting at
// or before off that is long enough; for a union the first long enough.
func fieldAt(t *Type, off uint64) (Field, bool) {
	if t.Kind == KindUnion {
		for _, f := range t.Fields {
			if f.Type != nil && off < f.Type.Size {
				return f, true
			}
		}
		return Field{}, false
	}
	i := sort.Search(len(t.Fields), func(i int) bool { return t.Fields[i].Offset > off }) - 1
	for ; i >= 0; i-- {
		f := t.Fields[i]
		size := uint64(1)
		if f.Type != nil && f.Type.Size > 0 {
			size = f.Type.Size
		}
		if off-f.Offset < size {
			return f, true
		}
		if f.Offset < off {
			break
		}
	}
	return Field{}, false
}

// scopeEntry is one enclosing DIE during the walk: namespaces and types
// qualify names; subprograms prefix static locals.
type scopeEntry struct {
	tag  dwarf.Tag
	name string
	off  dwarf.Offset
}

type rawVar struct {
	name string
	addr uint64
	typ  dwarf.Offset
	spec dwarf.Offset // DW_AT_specification / DW_AT_abstract_origin
	file string
}

// buildData walks .debug_info once for types and variables. A damaged
// unit stops the walk with a warning; what was read stays usable.
func (im *Image) buildData() *dataIndex {
	d := &dataIndex{byName: map[string]int{}, types: map[string]*Type{}}
	b := &typeBuilder{raw: map[dwarf.Offset]*rawDIE{}, complete: map[string]dwarf.Offset{}, done: map[dwarf.Offset]*Type{}}
	decls := map[dwarf.Offset]rawVar{} // declarations, for DW_AT_specification
	var defs []rawVar
	if im.dwarfData() != nil {
		if err := im.walkData(b, decls, &defs); err != nil {
			d.warning = fmt.Sprintf("DWARF data types partly unreadable: %v", err)
		}
	} else {
		d.warning = "no DWARF: variables from the symbol table only, without types"
	}
	seen := map[uint64]map[string]bool{}
	for _, rv := range defs {
		name, typ := rv.name, rv.typ
		if rv.spec != 0 {
			if dv, ok := decls[rv.spec]; ok {
				if name == "" {
					name = dv.name
				}
				if typ == 0 {
					typ = dv.typ
				}
			}
		}
		if name == "" {
			continue
		}
		if seen[rv.addr][name] {
			continue
		}
		if seen[rv.addr] == nil {
			seen[rv.addr] = map[string]bool{}
		}
		seen[rv.addr][name] = true
		v := Variable{Name: name, Addr: rv.addr, Type: b.resolve(typ, 0), File: rv.file}
		if v.Type != nil {
			v.Size = v.Type.Size
		}
		if v.Size == 0 {
			if s, off, ok := im.SymbolAt(rv.addr); ok && off == 0 && s.Size > 0 {
				v.Size = s.Size
			}
		}
		if v.Size == 0 {
			v.Size = 1
		}
		d.vars = append(d.vars, v)
	}
	// Objects DWARF does not describe (assembly, libraries without debug
	// info) still name their addresses.
	have := map[uint64]bool{}
	for _, v := range d.vars {
		have[v.Addr] = true
	}
	for _, s := range im.allSyms() {
		if s.Func || s.Size == 0 || have[s.Addr] {
			continue
		}
		if _, ok := im.sectionAlloc(s.Addr); !ok {
			continue
		}
		d.vars = append(d.vars, Variable{Name: s.Name, Addr: s.Addr, Size: s.Size})
	}
	sort.SliceStable(d.vars, func(i, j int) bool { return d.vars[i].Addr < d.vars[j].Addr })
	for i, v := range d.vars {
		if _, ok := d.byName[v.Name]; !ok {
			d.byName[v.Name] = i
		}
	}
	for name, off := range b.complete {
		if t := b.resolve(off, 0); t != nil {
			d.types[name] = t
		}
	}
	return d
}

// sectionAlloc reports the alloc section covering addr.
func (im *Image) sectionAlloc(addr uint64) (Section, bool) {
	s, ok := im.SectionAt(addr)
	return s, ok && s.Alloc
}

// walkDIEs reads every DIE of .debug_info in order: enter for each entry,
// leave when the children of the innermost entry that has some end. It
// turns a parser panic into an error and stops a walk that does not
// advance (a damaged section can loop).
func (im *Image) walkDIEs(enter func(e *dwarf.Entry), leave func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parser failed: %v", p)
		}
	}()
	r := im.dwarfData().Reader()
	for budget := im.size * 4; ; budget-- {
		if budget < 0 {
			return fmt.Errorf(".debug_info: walk did not advance")
		}
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf(".debug_info: %w", err)
		}
		if e == nil {
			return nil
		}
		if e.Tag == 0 {
			leave()
			continue
		}
		enter(e)
	}
}

func (im *Image) walkData(b *typeBuilder, decls map[dwarf.Offset]rawVar, defs *[]rawVar) error {
	var stack []scopeEntry
	var cu string
	var addrBase uint64   // DW_AT_addr_base of the unit, for DW_OP_addrx
	var unit dwarf.Offset // the unit DIE, and whether the unit is C++ (originName)
	var cxx bool
	var cur *rawDIE // type DIE whose children are being read
	leave := func() {
		if len(stack) > 0 {
			stack = stack[:len(stack)-1]
		}
		cur = nil
		if len(stack) > 0 {
			cur = b.raw[stack[len(stack)-1].off]
		}
	}
	return im.walkDIEs(func(e *dwarf.Entry) {
		name, _ := e.Val(dwarf.AttrName).(string)
		if e.Tag == dwarf.TagCompileUnit {
			cu = name
			stack = stack[:0]
			addrBase = unitAddrBase(e)
			unit, cxx = e.Offset, isCxxUnit(e)
		}
		switch {
		case isTypeTag(e.Tag):
			rd := &rawDIE{tag: e.Tag, name: qualify(stack, name)}
			if name == "" {
				rd.name = ""
			}
			rd.size, _ = e.Val(dwarf.AttrByteSize).(int64)
			rd.typ, _ = e.Val(dwarf.AttrType).(dwarf.Offset)
			rd.decl, _ = e.Val(dwarf.AttrDeclaration).(bool)
			if e.Tag == dwarf.TagBaseType {
				enc, _ := e.Val(dwarf.AttrEncoding).(int64)
				switch enc {
				case 0x04: // DW_ATE_float
					rd.float = true
				case 0x05, 0x0d: // signed, signed_fixed
					rd.signed = true
				case 0x06: // signed_char
					rd.signed, rd.char = true, true
				case 0x08: // unsigned_char
					rd.char = true
				}
			}
			b.raw[e.Offset] = rd
			if !rd.decl && rd.name != "" && (e.Tag == dwarf.TagStructType || e.Tag == dwarf.TagClassType || e.Tag == dwarf.TagUnionType || e.Tag == dwarf.TagEnumerationType) {
				if _, ok := b.complete[rd.name]; !ok {
					b.complete[rd.name] = e.Offset
				}
			}
			if e.Children {
				stack = append(stack, scopeEntry{tag: e.Tag, name: name, off: e.Offset})
				cur = rd
			}
			return
		case e.Tag == dwarf.TagMember || e.Tag == dwarf.TagInheritance || e.Tag == dwarf.TagSubrangeType || e.Tag == dwarf.TagEnumerator:
			if cur != nil {
				cur.children = append(cur.children, readChild(e, name))
				if e.Tag == dwarf.TagEnumerator {
					if v, ok := e.Val(dwarf.AttrConstValue).(int64); ok && v < 0 {
						cur.signed = true
					}
				}
			}
			if e.Tag == dwarf.TagMember {
				// A C++ static data member is a declaration member.
				if dv, ok := e.Val(dwarf.AttrDeclaration).(bool); ok && dv {
					t, _ := e.Val(dwarf.AttrType).(dwarf.Offset)
					decls[e.Offset] = rawVar{name: qualify(stack, name), typ: t}
				}
			}
		case e.Tag == dwarf.TagVariable:
			rv := rawVar{name: qualify(stack, name), file: cu}
			if name == "" {
				rv.name = ""
			}
			rv.typ, _ = e.Val(dwarf.AttrType).(dwarf.Offset)
			if s, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
				rv.spec = s
			} else if s, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
				rv.spec = s
			}
			loc, _ := e.Val(dwarf.AttrLocation).([]byte)
			if addr, ok := im.debugAddrs().staticAddress(loc, addrBase); ok {
				rv.addr = addr
				if rv.addr != 0 || im.zeroOK() || im.objectAtZero(name) {
					*defs = append(*defs, rv)
				}
			} else {
				decls[e.Offset] = rv
			}
		}
		if e.Children {
			n := name
			if e.Tag == dwarf.TagSubprogram && n == "" {
				if s, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
					if dv, ok := decls[s]; ok {
						n = dv.name
					}
				} else if o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
					// The out-of-line copy of an inlined function: clang
					// writes the abstract DIE after it.
					if dv, ok := decls[o]; ok {
						n = dv.name
					} else {
						n = im.originName(o, unit, cxx)
					}
				}
			}
			stack = append(stack, scopeEntry{tag: e.Tag, name: n, off: e.Offset})
			cur = nil
		}
		if e.Tag == dwarf.TagSubprogram && name != "" {
			decls[e.Offset] = rawVar{name: qualify(stack[:max(len(stack)-1, 0)], name)}
			if e.Children {
				stack[len(stack)-1].name = decls[e.Offset].name
			}
		}
	}, leave)
}

func readChild(e *dwarf.Entry, name string) rawChild {
	c := rawChild{tag: e.Tag, name: name, count: -1}
	c.typ, _ = e.Val(dwarf.AttrType).(dwarf.Offset)
	switch v := e.Val(dwarf.AttrDataMemberLoc).(type) {
	case int64:
		c.offset = v
	case []byte: // DWARF 2 style: DW_OP_plus_uconst ULEB
		if len(v) >= 2 && v[0] == 0x23 {
			var x int64
			var shift uint
			for _, by := range v[1:] {
				x |= int64(by&0x7f) << shift
				shift += 7
				if by&0x80 == 0 {
					break
				}
			}
			c.offset = x
		}
	}
	if bs, ok := e.Val(dwarf.AttrBitSize).(int64); ok {
		c.bitSize = int(bs)
	}
	if e.Tag == dwarf.TagSubrangeType {
		if n, ok := e.Val(dwarf.AttrCount).(int64); ok {
			c.count = n
		} else if ub, ok := e.Val(dwarf.AttrUpperBound).(int64); ok {
			lb, _ := e.Val(dwarf.AttrLowerBound).(int64)
			c.count = ub - lb + 1
		}
	}
	if e.Tag == dwarf.TagMember && isVptrName(name) {
		c.vptr = true
	}
	return c
}

// qualify joins the enclosing namespaces, classes and functions to name.
func qualify(stack []scopeEntry, name string) string {
	var parts []string
	for _, s := range stack {
		switch s.tag {
		case dwarf.TagNamespace, dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagSubprogram:
			if s.name != "" {
				parts = append(parts, s.name)
			}
		}
	}
	if len(parts) == 0 {
		return name
	}
	// A function's qualified name already carries its namespaces; a
	// class template's name may hold "::" only in its arguments
	// ("Ring<main()::Cell>"), which qualify nothing.
	for i := len(parts) - 1; i > 0; i-- {
		if hasOuterScope(parts[i]) {
			parts = parts[i:]
			break
		}
	}
	return strings.Join(append(parts, name), "::")
}

// hasOuterScope reports whether name holds a "::" outside template
// arguments and parameter lists: "ns::f" does, "Ring<f()::Cell>" not.
func hasOuterScope(name string) bool {
	depth := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '<', '(':
			depth++
		case '>', ')':
			depth--
		case ':':
			if depth == 0 && i+1 < len(name) && name[i+1] == ':' {
				return true
			}
		}
	}
	return false
}
