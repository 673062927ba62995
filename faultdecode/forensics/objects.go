package forensics

import (
	"sort"
	"strconv"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// dataImage is what the root-cause analyses need beyond image: DWARF
// variables and types. *elfsym.Image implements it.
type dataImage interface {
	DataAt(addr uint64) (string, elfsym.Variable, bool)
	Variables() []elfsym.Variable
	LookupType(name string) (*elfsym.Type, bool)
	Symbols() []elfsym.Symbol
}

// A pointerSlot is a typed pointer in memory: where it is, what it holds
// and how a C programmer would name it.
type pointerSlot struct {
	At    uint32
	Value uint32
	Path  string       // "servers->server->clients[2]"
	Elem  *elfsym.Type // static pointee type, nil for void*
	Union bool         // the pointer is a member of a union: its type is a guess
}

// heapObject is a typed object found by following pointers from globals.
type heapObject struct {
	Addr uint32
	Type *elfsym.Type
	Path string // the expression that designates it: "*servers->server" is written "servers->server"
}

// objectGraph is what following typed pointers from every global found.
type objectGraph struct {
	Slots   []pointerSlot
	Objects []heapObject // reached through pointers, by address
	// Aliases are other paths to an object (by address), beyond the one
	// in Objects: "servers->server" for what conn_server[1] also points to.
	Aliases map[uint32][]string
}

// Bounds keep a walk over a corrupt object graph fast.
const (
	maxGraphObjects  = 4096
	maxGraphSlots    = 1 << 17
	maxArrayElements = 4096
)

type graphWalker struct {
	mem     fault.Memory
	inRAM   func(uint32) bool
	skip    func(uint32) bool // objects not to follow into (free heap blocks)
	vt      *vtables
	g       *objectGraph
	seen    map[objKey]bool
	queue   []heapObject
	ptrMemo map[*elfsym.Type]bool
}

type objKey struct {
	addr uint32
	t    *elfsym.Type
}

// walkObjects reads every global variable that holds pointers and follows
// typed pointers into RAM breadth-first, so each object gets its shortest
// name. Polymorphic objects are followed with their dynamic type, read from
// the vptr.
func walkObjects(mem fault.Memory, vars []elfsym.Variable, inRAM func(uint32) bool, skip func(uint32) bool, vt *vtables) *objectGraph {
	w := &graphWalker{mem: mem, inRAM: inRAM, skip: skip, vt: vt, g: &objectGraph{Aliases: map[uint32][]string{}}, seen: map[objKey]bool{}, ptrMemo: map[*elfsym.Type]bool{}}
	for _, v := range vars {
		// The allocator's own state links free chunks: not program pointers.
		if v.Type == nil || !inRAM(uint32(v.Addr)) || !w.hasPointers(v.Type, 0) || strings.HasPrefix(v.Name, "__malloc") {
			continue
		}
		w.layout(uint32(v.Addr), v.Type, v.Name, false)
	}
	for i := 0; i < len(w.queue) && len(w.g.Objects) < maxGraphObjects; i++ {
		o := w.queue[i]
		w.g.Objects = append(w.g.Objects, o)
		w.layout(o.Addr, o.Type, o.Path, true)
	}
	sort.Slice(w.g.Objects, func(i, j int) bool { return w.g.Objects[i].Addr < w.g.Objects[j].Addr })
	return w.g
}

// hasPointers reports whether an object of type t contains a pointer, so
// big scalar arrays are skipped without reading them.
func (w *graphWalker) hasPointers(t *elfsym.Type, depth int) bool {
	if t == nil || depth > 16 {
		return false
	}
	if v, ok := w.ptrMemo[t]; ok {
		return v
	}
	w.ptrMemo[t] = false // cycles end here
	r := false
	switch t.Kind {
	case elfsym.KindPointer:
		r = true
	case elfsym.KindArray:
		r = w.hasPointers(t.Elem, depth+1)
	case elfsym.KindStruct, elfsym.KindUnion:
		r = t.Polymorphic
		for _, f := range t.Fields {
			if r {
				break
			}
			r = w.hasPointers(f.Type, depth+1)
		}
	}
	w.ptrMemo[t] = r
	return r
}

// layout visits the pointers inside the object of type t at addr. deref is
// set for an object reached through a pointer: its members are written
// path->member.
func (w *graphWalker) layout(addr uint32, t *elfsym.Type, path string, deref bool) {
	w.visit(addr, t, path, deref, false, 0)
}

func member(path, name string, deref bool) string {
	if deref {
		return path + "->" + name
	}
	return path + "." + name
}

func (w *graphWalker) visit(addr uint32, t *elfsym.Type, path string, deref, union bool, depth int) {
	if t == nil || depth > 12 || len(w.g.Slots) >= maxGraphSlots || !w.hasPointers(t, 0) {
		return
	}
	switch t.Kind {
	case elfsym.KindStruct, elfsym.KindUnion:
		for _, f := range t.Fields {
			if f.BitSize > 0 || f.Type == nil {
				continue
			}
			p := path
			d := deref
			if !f.Base && f.Name != "" { // anonymous unions and structs add no name
				p, d = member(path, f.Name, deref), false
			}
			w.visit(addr+uint32(f.Offset), f.Type, p, d, union || t.Kind == elfsym.KindUnion, depth+1)
		}
	case elfsym.KindArray:
		if t.Elem == nil || t.Elem.Size == 0 {
			return
		}
		n := min(t.Count, maxArrayElements)
		if deref {
			path = "(*" + path + ")"
		}
		for i := int64(0); i < n; i++ {
			w.visit(addr+uint32(i)*uint32(t.Elem.Size), t.Elem, path+"["+strconv.FormatInt(i, 10)+"]", false, union, depth+1)
		}
	case elfsym.KindPointer:
		v, err := fault.Read32(w.mem, uint64(addr))
		if err != nil {
			return
		}
		if deref {
			path = "*" + path
		}
		w.g.Slots = append(w.g.Slots, pointerSlot{At: addr, Value: v, Path: path, Elem: t.Elem, Union: union})
		el := t.Elem
		if v == 0 || el == nil || (el.Kind != elfsym.KindStruct && el.Kind != elfsym.KindUnion) || !w.inRAM(v) || w.skip(v) {
			return
		}
		if el.Polymorphic && w.vt != nil {
			dyn, ok := w.vt.dynamicType(w.mem, v, el)
			if !ok {
				return // not an object of that type: the vtable check reports it
			}
			el = dyn
		}
		k := objKey{v, el}
		if w.seen[k] {
			// Only a path from another global is worth showing: one
			// through a back-pointer of the same structure is not.
			if (!union || el.Polymorphic) && len(w.g.Aliases[v]) < 2 && pathRoot(path) != pathRoot(w.firstPath(v)) {
				w.g.Aliases[v] = append(w.g.Aliases[v], path)
			}
			return
		}
		if len(w.queue) >= maxGraphObjects {
			return
		}
		w.seen[k] = true
		w.queue = append(w.queue, heapObject{Addr: v, Type: el, Path: path})
	}
}

// aliasPath rewrites path, which starts with the path of the object
// holding addr, through that object's first alias: the same slot named
// from another global. "" when there is none.
func (g *objectGraph) aliasPath(addr uint32, path string) string {
	o, ok := g.containing(addr)
	if !ok {
		return ""
	}
	if al := g.Aliases[o.Addr]; len(al) > 0 && strings.HasPrefix(path, o.Path) {
		return al[0] + path[len(o.Path):]
	}
	return ""
}

// containing is the object the walk reached that holds addr: the nearest
// typed one at or below it whose size covers it (objects up to 64 KiB
// below are looked at).
func (g *objectGraph) containing(addr uint32) (heapObject, bool) {
	i := sort.Search(len(g.Objects), func(i int) bool { return g.Objects[i].Addr > addr }) - 1
	for ; i >= 0; i-- {
		o := g.Objects[i]
		if o.Type == nil || addr-o.Addr >= uint32(max(o.Type.Size, 1)) {
			if addr-o.Addr > 1<<16 {
				break
			}
			continue
		}
		return o, true
	}
	return heapObject{}, false
}

// objectAt names addr inside an object the walk reached.
func (g *objectGraph) objectAt(addr uint32) (string, bool) {
	if g == nil {
		return "", false
	}
	o, ok := g.containing(addr)
	if !ok {
		return "", false
	}
	sub := elfsym.SubPath(o.Type, uint64(addr-o.Addr))
	if strings.HasPrefix(sub, ".") {
		return o.Path + "->" + sub[1:], true
	}
	return "(*" + o.Path + ")" + sub, true
}

// pathRoot is the global a path starts from.
func pathRoot(p string) string {
	p = strings.TrimLeft(p, "*(")
	if i := strings.IndexAny(p, "-.[)"); i >= 0 {
		return p[:i]
	}
	return p
}

// firstPath is the path an object was first queued with.
func (w *graphWalker) firstPath(addr uint32) string {
	for _, o := range w.queue {
		if o.Addr == addr {
			return o.Path
		}
	}
	return ""
}
