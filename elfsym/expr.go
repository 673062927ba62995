package elfsym

import (
	"fmt"
	"strconv"
	"strings"
)

// Eval finds the object a C expression designates: a global or static
// variable followed by any number of ".member", "->member" and "[index]"
// ("servers->server->clients[2]", "table[1].pos"), with a leading "*" to
// dereference the result. Pointers are read from mem. It returns the
// object's address and type.
func (im *Image) Eval(mem MemReader, expr string) (uint64, *Type, error) {
	expr = strings.TrimSpace(expr)
	deref := 0
	for strings.HasPrefix(expr, "*") {
		deref++
		expr = strings.TrimSpace(expr[1:])
	}
	end := strings.IndexAny(expr, ".-[")
	if end < 0 {
		end = len(expr)
	}
	// C++ names contain "::", never ".", "-" or "[".
	name, rest := expr[:end], expr[end:]
	v, ok := im.LookupVariable(name)
	if !ok {
		return 0, nil, fmt.Errorf("no global or static variable %q", name)
	}
	if v.Type == nil {
		return 0, nil, fmt.Errorf("%s has no DWARF type", name)
	}
	addr, t := v.Addr, v.Type
	for rest != "" {
		var err error
		switch {
		case strings.HasPrefix(rest, "->"):
			if t.Kind != KindPointer {
				return 0, nil, fmt.Errorf("%s: -> on a %s, not a pointer", expr, t)
			}
			if addr, t, err = im.derefPtr(mem, addr, t); err != nil {
				return 0, nil, err
			}
			rest = rest[2:]
			fallthrough
		case strings.HasPrefix(rest, "."):
			rest = strings.TrimPrefix(rest, ".")
			n := strings.IndexAny(rest, ".-[")
			if n < 0 {
				n = len(rest)
			}
			f, ok := FindField(t, rest[:n])
			if !ok {
				return 0, nil, fmt.Errorf("%s: %s has no member %q", expr, t, rest[:n])
			}
			addr, t, rest = addr+f.Offset, f.Type, rest[n:]
		case strings.HasPrefix(rest, "["):
			n := strings.IndexByte(rest, ']')
			if n < 0 {
				return 0, nil, fmt.Errorf("%s: missing ]", expr)
			}
			i, err := strconv.ParseInt(strings.TrimSpace(rest[1:n]), 0, 64)
			if err != nil || i < 0 {
				return 0, nil, fmt.Errorf("%s: bad index %q", expr, rest[1:n])
			}
			switch {
			case t.Kind == KindArray && t.Elem != nil:
				if t.Count >= 0 && i >= t.Count {
					return 0, nil, fmt.Errorf("%s: index %d past %d elements", expr, i, t.Count)
				}
				addr, t = addr+uint64(i)*t.Elem.Size, t.Elem
			case t.Kind == KindPointer && t.Elem != nil:
				if addr, t, err = im.derefPtr(mem, addr, t); err != nil {
					return 0, nil, err
				}
				addr += uint64(i) * t.Size
			default:
				return 0, nil, fmt.Errorf("%s: [] on a %s", expr, t)
			}
			rest = rest[n+1:]
		default:
			return 0, nil, fmt.Errorf("%s: cannot parse %q", expr, rest)
		}
		if t == nil {
			return 0, nil, fmt.Errorf("%s: no type", expr)
		}
	}
	for ; deref > 0; deref-- {
		if t.Kind != KindPointer {
			return 0, nil, fmt.Errorf("%s: * on a %s, not a pointer", expr, t)
		}
		var err error
		if addr, t, err = im.derefPtr(mem, addr, t); err != nil {
			return 0, nil, err
		}
	}
	return addr, t, nil
}

func (im *Image) derefPtr(mem MemReader, addr uint64, t *Type) (uint64, *Type, error) {
	p, err := ReadUint(mem, addr, t.Size)
	if err != nil {
		return 0, nil, err
	}
	if t.Elem == nil {
		return 0, nil, fmt.Errorf("cannot dereference a void pointer (0x%08x)", p)
	}
	return p, t.Elem, nil
}

// FindField looks a member of struct or union t up by name, through base
// classes and anonymous unions and structs; its Offset is from t's start.
func FindField(t *Type, name string) (Field, bool) {
	return findFieldDepth(t, name, 0)
}

func findFieldDepth(t *Type, name string, depth int) (Field, bool) {
	if t == nil || depth > 8 || (t.Kind != KindStruct && t.Kind != KindUnion) {
		return Field{}, false
	}
	for _, f := range t.Fields {
		if f.Name == name && !f.Base {
			return f, true
		}
	}
	for _, f := range t.Fields {
		if f.Base || f.Name == "" {
			if g, ok := findFieldDepth(f.Type, name, depth+1); ok {
				g.Offset += f.Offset
				return g, true
			}
		}
	}
	return Field{}, false
}
