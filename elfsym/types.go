package elfsym

import (
	"debug/dwarf"
	"strconv"
	"strings"
)

// TypeKind says what a Type is. Typedefs and cv-qualifiers are resolved
// away: a Type is always the underlying type.
type TypeKind int

// Type kinds.
const (
	KindOther   TypeKind = iota // void, function types, anything not walked
	KindBase                    // integer, float, bool, char
	KindEnum                    // enumeration
	KindPointer                 // pointer or C++ reference
	KindStruct                  // struct or C++ class
	KindUnion                   // union
	KindArray                   // array (Count elements of Elem)
)

// A Type is a C/C++ data type read from DWARF. Types form a graph (a struct
// may point to itself); they are built once and never changed.
type Type struct {
	Kind  TypeKind
	Name  string // tag or typedef name, namespace-qualified ("net::Server"); "" if anonymous
	Size  uint64 // bytes
	Elem  *Type  // pointee (KindPointer, nil for void*), element (KindArray)
	Count int64  // KindArray: elements, -1 when unknown (flexible array)
	// Fields of a struct, class or union in offset order. C++ base classes
	// are fields with Base set, named after the base class.
	Fields []Field
	// Polymorphic is set for a C++ class with a vtable pointer (its own
	// _vptr member or one inherited from a base).
	Polymorphic bool
	// Bases lists the direct base classes (C++), for subclass checks.
	Bases []*Type
	// Signed is set for signed integer base types and enums with a
	// negative enumerator.
	Signed bool
	Float  bool // floating-point base type
	Char   bool // char-like base type (printed as a character)
}

// A Field is a member of a struct, class or union, or a C++ base class.
type Field struct {
	Name    string
	Offset  uint64 // byte offset in the enclosing type
	Type    *Type
	Base    bool // a C++ base class subobject
	BitSize int  // >0 for a bit-field
}

// String names the type the way C declares it (approximately).
func (t *Type) String() string {
	if t == nil {
		return "void"
	}
	switch t.Kind {
	case KindPointer:
		return t.Elem.String() + "*"
	case KindArray:
		if t.Count < 0 {
			return t.Elem.String() + "[]"
		}
		return t.Elem.String() + "[" + strconv.FormatInt(t.Count, 10) + "]"
	case KindStruct, KindUnion:
		if t.Name == "" {
			if t.Kind == KindUnion {
				return "union {...}"
			}
			return "struct {...}"
		}
	}
	if t.Name == "" {
		return "?"
	}
	return t.Name
}

// IsA reports whether t is base or derives from it (C++ inheritance).
func (t *Type) IsA(base *Type) bool {
	return t.isA(base, 0)
}

func (t *Type) isA(base *Type, depth int) bool {
	if t == nil || base == nil || depth > 16 {
		return false
	}
	if t == base || (t.Name != "" && t.Name == base.Name && t.Kind == base.Kind) {
		return true
	}
	for _, b := range t.Bases {
		if b.isA(base, depth+1) {
			return true
		}
	}
	return false
}

// rawDIE is what the type builder keeps of a DWARF type DIE before the
// types are linked.
type rawDIE struct {
	tag      dwarf.Tag
	name     string // qualified
	size     int64
	typ      dwarf.Offset // DW_AT_type, 0 if none
	decl     bool
	children []rawChild
	signed   bool
	float    bool
	char     bool
}

type rawChild struct {
	tag     dwarf.Tag
	name    string
	typ     dwarf.Offset
	offset  int64
	bitSize int
	count   int64 // subrange: elements, -1 unknown
	vptr    bool  // member named _vptr.X / _vptr$X
}

// typeBuilder links raw DIEs into Types. It runs once, under the data
// index's sync.Once, so the Types it makes are immutable afterwards.
type typeBuilder struct {
	raw      map[dwarf.Offset]*rawDIE
	complete map[string]dwarf.Offset // qualified name -> a complete definition
	done     map[dwarf.Offset]*Type
}

func isTypeTag(t dwarf.Tag) bool {
	switch t {
	case dwarf.TagBaseType, dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType,
		dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagArrayType,
		dwarf.TagEnumerationType, dwarf.TagTypedef, dwarf.TagConstType, dwarf.TagVolatileType,
		dwarf.TagRestrictType, dwarf.TagSubroutineType, dwarf.TagUnspecifiedType, dwarf.TagPtrToMemberType,
		dwarf.TagAtomicType:
		return true
	}
	return false
}

// resolve returns the Type for a DIE offset, building it (and what it
// refers to) on first use. Cycles go through pointers, which are created
// before their pointee is resolved.
func (b *typeBuilder) resolve(off dwarf.Offset, depth int) *Type {
	if off == 0 || depth > 64 {
		return nil
	}
	if t, ok := b.done[off]; ok {
		return t
	}
	r := b.raw[off]
	if r == nil {
		return nil
	}
	switch r.tag {
	case dwarf.TagTypedef, dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
		t := b.resolve(r.typ, depth+1)
		if t != nil && t.Name == "" && r.tag == dwarf.TagTypedef && (t.Kind == KindStruct || t.Kind == KindUnion || t.Kind == KindEnum) {
			// typedef struct {...} name_t: the typedef names the struct.
			t.Name = r.name
		}
		b.done[off] = t
		return t
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
		if r.decl && r.name != "" {
			if full, ok := b.complete[r.name]; ok && full != off {
				t := b.resolve(full, depth+1)
				b.done[off] = t
				return t
			}
		}
	}
	t := &Type{Name: r.name, Size: uint64(max(r.size, 0))}
	b.done[off] = t
	switch r.tag {
	case dwarf.TagBaseType:
		t.Kind, t.Signed, t.Float, t.Char = KindBase, r.signed, r.float, r.char
	case dwarf.TagEnumerationType:
		t.Kind, t.Signed = KindEnum, r.signed
	case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
		t.Kind = KindPointer
		if t.Size == 0 {
			t.Size = 4
		}
		t.Elem = b.resolve(r.typ, depth+1)
	case dwarf.TagArrayType:
		t.Kind = KindArray
		t.Elem = b.resolve(r.typ, depth+1)
		t.Count = -1
		var dims []int64
		for _, c := range r.children {
			if c.tag == dwarf.TagSubrangeType {
				dims = append(dims, c.count)
			}
		}
		if len(dims) > 0 {
			// int a[2][3]: an array of 2 arrays of 3.
			for i := len(dims) - 1; i >= 1; i-- {
				inner := &Type{Kind: KindArray, Elem: t.Elem, Count: dims[i]}
				if dims[i] > 0 && t.Elem != nil {
					inner.Size = uint64(dims[i]) * t.Elem.Size
				}
				t.Elem = inner
			}
			t.Count = dims[0]
		}
		if t.Size == 0 && t.Count > 0 && t.Elem != nil {
			t.Size = uint64(t.Count) * t.Elem.Size
		}
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
		t.Kind = KindStruct
		if r.tag == dwarf.TagUnionType {
			t.Kind = KindUnion
		}
		for _, c := range r.children {
			switch c.tag {
			case dwarf.TagMember:
				ft := b.resolve(c.typ, depth+1)
				t.Fields = append(t.Fields, Field{Name: c.name, Offset: uint64(max(c.offset, 0)), Type: ft, BitSize: c.bitSize})
				if c.vptr {
					t.Polymorphic = true
				}
			case dwarf.TagInheritance:
				bt := b.resolve(c.typ, depth+1)
				if bt == nil {
					continue
				}
				t.Fields = append(t.Fields, Field{Name: bt.Name, Offset: uint64(max(c.offset, 0)), Type: bt, Base: true})
				t.Bases = append(t.Bases, bt)
				if bt.Polymorphic {
					t.Polymorphic = true
				}
			}
		}
		sortFields(t.Fields)
	default:
		t.Kind = KindOther
	}
	return t
}

func sortFields(fs []Field) {
	// insertion sort: DWARF lists members in declaration order, which is
	// nearly always offset order already.
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Offset < fs[j-1].Offset; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// isVptrName reports gcc's and clang's names for the vtable pointer member.
func isVptrName(n string) bool {
	return strings.HasPrefix(n, "_vptr.") || strings.HasPrefix(n, "_vptr$") || n == "_vptr"
}
