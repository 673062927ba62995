package elfsym

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"

	"github.com/ianlancetaylor/demangle"
)

// DWARF expression opcodes that name a fixed address.
const (
	opAddr          = 0x03
	opPlusUconst    = 0x23
	opAddrx         = 0xa1 // DWARF 5: index into .debug_addr
	opGNUAddrIndex  = 0xfb // the same, GNU split-DWARF spelling
	addrBaseDefault = 8    // DWARF 5 .debug_addr header size: addr_base of a unit without DW_AT_addr_base
)

// debugAddr is the raw .debug_addr section. debug/dwarf resolves
// DW_FORM_addrx attributes with it but not DW_OP_addrx inside location
// expressions, which is how clang's DWARF 5 places every global.
type debugAddr []byte

func loadDebugAddr(f *elf.File, fileSize int64) debugAddr {
	s := debugSection(f, ".debug_addr")
	if s == nil || s.Size > uint64(fileSize) {
		return nil
	}
	b, err := debugSectionData(s)
	if err != nil {
		return nil
	}
	return b
}

// unitAddrBase is a compile unit's DW_AT_addr_base (the offset of its
// first .debug_addr entry).
func unitAddrBase(cu *dwarf.Entry) uint64 {
	if v, ok := cu.Val(dwarf.AttrAddrBase).(int64); ok && v >= 0 {
		return uint64(v)
	}
	return addrBaseDefault
}

// at returns entry idx of the unit whose entries start at base (4-byte
// addresses: elfsym reads 32-bit ARM only).
func (d debugAddr) at(base, idx uint64) (uint64, bool) {
	off := base + idx*4
	if idx > uint64(len(d))/4 || off > uint64(len(d)) || uint64(len(d))-off < 4 {
		return 0, false
	}
	return uint64(binary.LittleEndian.Uint32(d[off:])), true
}

// staticAddress evaluates a location expression that names a fixed
// address: DW_OP_addr A or DW_OP_addrx I (resolved through .debug_addr
// at addrBase), optionally followed by DW_OP_plus_uconst N (clang places
// merged globals that way). ok is false for anything else (registers,
// the stack, TLS, computed locations).
func (d debugAddr) staticAddress(loc []byte, addrBase uint64) (addr uint64, ok bool) {
	r := &cfiReader{b: loc}
	switch r.u8() {
	case opAddr:
		addr = r.uint(4)
	case opAddrx, opGNUAddrIndex:
		idx := r.uleb()
		if r.err != nil {
			return 0, false
		}
		if addr, ok = d.at(addrBase, idx); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
	if r.pos < len(loc) && loc[r.pos] == opPlusUconst {
		r.pos++
		addr += r.uleb()
	}
	if r.err != nil || r.pos != len(loc) {
		return 0, false
	}
	return addr & 0xffffffff, true
}

// originName names the function DIE at off (an abstract origin written
// after its concrete copy, or a declaration without a name of its own),
// in the unit whose DIE is at unit, following DW_AT_specification and
// DW_AT_abstract_origin: the demangled linkage name without parameters or
// return type, else DW_AT_name, qualified in a C++ unit by the namespaces
// and classes enclosing the chain's last DIE as function frames are
// (dieQualifiers). "" when unreadable.
func (im *Image) originName(off, unit dwarf.Offset, cxx bool) string {
	plain, decl := "", dwarf.Offset(0)
	for hops := 0; hops < 4 && off != 0; hops++ {
		r := im.dwarfData().Reader()
		r.Seek(off)
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if l, ok := e.Val(dwarf.AttrLinkageName).(string); ok && l != "" {
			// NoParams also drops a template instance's return type
			// ("int ns::f<T>(T)"), which stripParams would keep.
			if n, err := demangle.ToString(l, demangle.NoParams); err == nil {
				return n
			}
			return stripParams(demangleName(l))
		}
		if n, ok := e.Val(dwarf.AttrName).(string); ok && plain == "" {
			plain = n
		}
		decl = off
		next, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset)
		if !ok {
			next, _ = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		}
		off = next
	}
	if plain == "" || !cxx || decl <= unit {
		return plain
	}
	q := map[dwarf.Offset]string{}
	dieQualifiers(im.dwarfData(), unit, []dwarf.Offset{decl}, q)
	if p := q[decl]; p != "" {
		return p + "::" + plain
	}
	return plain
}

// objectAtZero reports whether an object symbol named name starts at 0: a
// variable really placed there (a vector table at the start of flash),
// not one of a discarded section relocated to 0.
func (im *Image) objectAtZero(name string) bool {
	for i := range im.nsyms() {
		if im.symAddr(i) > 0 {
			return false
		}
		if s := im.symbol(i); !s.Func && s.RawName == name {
			return true
		}
	}
	return false
}
