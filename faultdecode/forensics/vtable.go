package forensics

import (
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// vtable is one C++ virtual table symbol (_ZTV...).
type vtable struct {
	Addr, End uint32
	Class     string // "tcp_server_client_t"
	Type      *elfsym.Type
}

// vtables indexes the image's vtables by address.
type vtables struct {
	list []vtable
}

func newVtables(img dataImage) *vtables {
	vt := &vtables{}
	for _, s := range img.Symbols() {
		if s.Func || !strings.HasPrefix(s.RawName, "_ZTV") || s.Size < 8 {
			continue
		}
		// DWARF names a class in an anonymous namespace without it (elfsym
		// qualifies by named scopes only); the demangler spells it out.
		cls := strings.ReplaceAll(strings.TrimPrefix(s.Name, "vtable for "), "(anonymous namespace)::", "")
		t, _ := img.LookupType(cls)
		vt.list = append(vt.list, vtable{Addr: uint32(s.Addr), End: uint32(s.Addr + s.Size), Class: cls, Type: t})
	}
	sort.Slice(vt.list, func(i, j int) bool { return vt.list[i].Addr < vt.list[j].Addr })
	return vt
}

// at returns the vtable a vptr value points into. A vptr points past the
// offset-to-top and typeinfo words (+8), or into a secondary vtable of a
// class with several bases.
func (vt *vtables) at(vptr uint32) (vtable, bool) {
	i := sort.Search(len(vt.list), func(i int) bool { return vt.list[i].Addr > vptr }) - 1
	if i < 0 {
		return vtable{}, false
	}
	v := vt.list[i]
	if vptr >= v.Addr+8 && vptr < v.End && vptr&3 == 0 {
		return v, true
	}
	return vtable{}, false
}

// dynamicType reads the vptr of the object at addr whose static type is
// the polymorphic st, and returns its dynamic type (st or a subclass). ok
// is false when the vptr is not a vtable of st or of a subclass.
func (vt *vtables) dynamicType(mem fault.Memory, addr uint32, st *elfsym.Type) (*elfsym.Type, bool) {
	vptr, err := fault.Read32(mem, uint64(addr))
	if err != nil {
		return nil, false
	}
	v, ok := vt.at(vptr)
	if !ok {
		return nil, false
	}
	if v.Type == nil {
		// No DWARF for the class: trust the name.
		return st, v.Class == st.Name
	}
	if v.Type.IsA(st) {
		return v.Type, true
	}
	return nil, false
}

// vptrProblem says what is wrong with the vptr of an object of static type
// st at addr, "" when nothing is.
func (vt *vtables) vptrProblem(mem fault.Memory, addr uint32, st *elfsym.Type) (vptr uint32, problem string) {
	vptr, err := fault.Read32(mem, uint64(addr))
	if err != nil {
		return 0, ""
	}
	v, ok := vt.at(vptr)
	if !ok {
		return vptr, "is not a vtable"
	}
	if v.Type != nil && !v.Type.IsA(st) || v.Type == nil && v.Class != st.Name {
		return vptr, "is the vtable of " + v.Class + ", not of " + st.Name + " or a subclass"
	}
	return vptr, ""
}
