package elfsym

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"slices"
	"sort"
	"strings"

	"github.com/ianlancetaylor/demangle"
)

// A Symbol is a function or data object from the ELF symbol table.
type Symbol struct {
	Name    string // demangled (C++), else as in the table
	RawName string // as in the symbol table
	Addr    uint64 // Thumb bit cleared
	Size    uint64
	Func    bool // STT_FUNC
	// Abs marks an absolute symbol (SHN_ABS): a number the linker was
	// given, not the address of code or data (Zephyr's CONFIG_* values,
	// a linker script's _estack = ORIGIN(RAM) + LENGTH(RAM)). Found by
	// name, never by address.
	Abs bool
}

func (im *Image) loadSymbols(f *elf.File) {
	// Gathered unsorted, then put in order in place: a large firmware has
	// hundreds of thousands of symbols, and every copy of them is
	// megabytes of fresh memory for a run that looks up ten.
	var syms []Symbol
	var ends []uint64 // per syms[i]: end of its section, bounds an unsized function
	if sec := f.SectionByType(elf.SHT_SYMTAB); sec != nil && sec.Size <= uint64(im.size) {
		syms = make([]Symbol, 0, sec.Size/elf.Sym32Size)
		ends = make([]uint64, 0, sec.Size/elf.Sym32Size)
	}
	err := eachSymbol(f, im.size, func(name string, value, size uint64, info byte, shndx elf.SectionIndex) {
		typ := elf.ST_TYPE(info)
		if name == "" || isMappingSymbol(name) || shndx == elf.SHN_UNDEF {
			return
		}
		if typ != elf.STT_FUNC && typ != elf.STT_OBJECT && typ != elf.STT_NOTYPE {
			return
		}
		// Name is demangled when asked for (symbol): demangling every
		// C++ symbol of a large firmware costs more than a few lookups.
		sym := Symbol{Name: name, RawName: name, Addr: value, Size: size, Func: typ == elf.STT_FUNC, Abs: shndx == elf.SHN_ABS}
		if strings.HasPrefix(name, "_Z") {
			im.mangled = true
		}
		if sym.Func {
			sym.Addr &^= 1 // Thumb bit
		}
		end := uint64(0)
		if int(shndx) < len(f.Sections) {
			sec := f.Sections[shndx]
			end = sec.Addr + sec.Size
		}
		syms = append(syms, sym)
		ends = append(ends, end)
	})
	if err != nil {
		im.warnf("no symbol table (%v): no symbol names", err)
	}
	// Covering lookups take the last candidate at an address, so among
	// symbols at one address the preferred one sorts last: sized before
	// unsized, functions before objects, and, as binutils does, the first in
	// table order (_mainCRTStartup before its alias _start).
	// Sorted by index: moving the records themselves costs more than
	// comparing them in a table of thousands.
	idx := make([]int32, len(syms))
	for i := range idx {
		idx[i] = int32(i)
	}
	if keys, ok := packedSymbolKeys(len(syms), func(i int) (uint64, bool, bool) { return syms[i].Addr, syms[i].Size > 0, syms[i].Func }); ok {
		// The same order, as integers: sorting them costs a fraction of
		// calling the comparison below for each of a large table's
		// hundreds of thousands of comparisons.
		slices.Sort(keys)
		for i, k := range keys {
			idx[i] = int32(symKeyIndex - k&symKeyIndex)
		}
	} else {
		slices.SortFunc(idx, func(a, b int32) int {
			x, y := &syms[a], &syms[b]
			switch {
			case x.Addr != y.Addr:
				return cmp.Compare(x.Addr, y.Addr)
			case (x.Size > 0) != (y.Size > 0):
				if x.Size == 0 {
					return -1
				}
				return 1
			case x.Func != y.Func:
				if !x.Func {
					return -1
				}
				return 1
			}
			return cmp.Compare(b, a) // table order, as gathered
		})
	}
	permute(syms, idx)
	im.syms = syms
	im.spans = make([]uint64, len(syms))
	nextFunc := ^uint64(0)
	for i := len(syms) - 1; i >= 0; i-- {
		s := &syms[i]
		im.spans[i] = s.Size
		// Assembly functions often have no .size: let an unsized function
		// symbol cover up to the next function or its section's end, as
		// addr2line does. Size stays as in the table.
		if s.Func && s.Size == 0 {
			end := min(nextFunc, ends[idx[i]])
			if end > s.Addr {
				im.spans[i] = end - s.Addr
			}
		}
		if s.Func && s.Addr < nextFunc {
			if i == 0 || syms[i-1].Addr != s.Addr {
				nextFunc = s.Addr
			}
		}
	}
	for i := range im.syms {
		im.maxSize = max(im.maxSize, im.spans[i])
	}
}

// nameIndex maps every symbol's raw, demangled and parameterless names to
// its index, built on first use: symbolizing never needs it.
func (im *Image) nameIndex() map[string]int {
	im.byName.once.Do(func() {
		m := make(map[string]int, im.nsyms()*2)
		for i, s := range im.allSyms() {
			for _, k := range []string{s.RawName, s.Name, stripParams(s.Name)} {
				if _, dup := m[k]; !dup && k != "" {
					m[k] = i
				}
			}
		}
		im.byName.m = m
	})
	return im.byName.m
}

// isMappingSymbol reports ARM ELF mapping symbols ($a, $t, $d and their
// $x.suffix forms), which mark instruction sets, not functions.
func isMappingSymbol(name string) bool {
	if len(name) < 2 || name[0] != '$' {
		return false
	}
	switch name[1] {
	case 'a', 't', 'd', 'x':
		return len(name) == 2 || name[2] == '.'
	}
	return false
}

// demangleName demangles Itanium C++ names (_Z) with parameters as
// c++filt and addr2line -C print them, and Rust names (legacy
// _ZN...17h<hash>E and v0 _R) as rustfilt prints them: without the legacy
// hash and the v0 crate disambiguators, which say nothing to a reader.
// Anything else, a plain C name such as __cortex_m_rt_SVCall included, is
// returned unchanged.
func demangleName(raw string) string {
	if !strings.HasPrefix(raw, "_Z") && !strings.HasPrefix(raw, "_R") {
		return raw
	}
	if s, ok := demangleRustLegacy(raw); ok {
		return s
	}
	if s, err := demangle.ToString(raw); err == nil {
		return s
	}
	return raw
}

// stripParams turns "ns::f(int)" into "ns::f" for LookupSymbol. It stops at
// the first top-level '(' so "operator()" keeps its own parentheses.
func stripParams(name string) string {
	depth := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '<':
			depth++
		case '>':
			depth--
		case '(':
			if depth == 0 && i > 0 && !strings.HasSuffix(name[:i], "operator") {
				return name[:i]
			}
		}
	}
	return name
}

// Symbols returns a copy of all symbols, sorted by Addr (linear: callers
// that look up often should keep the slice).
func (im *Image) Symbols() []Symbol { return append([]Symbol(nil), im.allSyms()...) }

// nsyms returns the number of symbols.
func (im *Image) nsyms() int {
	if im.rawSyms != nil {
		return len(im.rawSyms) / symSize
	}
	return len(im.syms)
}

// symAddr returns symbol i's address.
func (im *Image) symAddr(i int) uint64 {
	if im.rawSyms != nil {
		return binary.LittleEndian.Uint64(im.rawSyms[i*symSize:])
	}
	return im.syms[i].Addr
}

// A symKey is what a search by address needs of a symbol: no names.
type symKey struct {
	addr, span uint64 // span: bytes covered (see Image.spans)
	size       uint64 // as in the table
	fn, abs    bool
}

func (im *Image) symKey(i int) symKey {
	if im.rawSyms != nil {
		return decodeSymKey(im.rawSyms[i*symSize:])
	}
	s := &im.syms[i]
	return symKey{addr: s.Addr, span: im.spans[i], size: s.Size, fn: s.Func, abs: s.Abs}
}

// symbol returns symbol i with its name demangled.
func (im *Image) symbol(i int) Symbol {
	if im.rawSyms != nil {
		return decodeSym(im.rawSyms[i*symSize:], im.symStr)
	}
	s := im.syms[i]
	if im.mangled {
		s.Name = demangleName(s.RawName)
	}
	return s
}

// allSyms returns every symbol with its name demangled, demangling them
// all on the first call.
func (im *Image) allSyms() []Symbol {
	im.demangled.once.Do(func() {
		if im.rawSyms != nil {
			d := make([]Symbol, im.nsyms())
			for i := range d {
				d[i] = im.symbol(i)
			}
			im.demangled.syms = d
			return
		}
		if !im.mangled {
			im.demangled.syms = im.syms
			return
		}
		d := slices.Clone(im.syms)
		for i := range d {
			d[i].Name = demangleName(d[i].RawName)
		}
		im.demangled.syms = d
	})
	return im.demangled.syms
}

// LookupSymbol finds a symbol by raw name, demangled name, or demangled
// name without its parameter list ("net::Server::poll_clients"). Cost: one
// map lookup; with several symbols of one name the first by address wins.
func (im *Image) LookupSymbol(name string) (Symbol, bool) {
	i, ok := im.nameIndex()[name]
	if !ok {
		return Symbol{}, false
	}
	return im.allSyms()[i], true
}

// SymbolAt returns the symbol covering addr (Thumb bit ignored for
// functions) and addr's offset into it. A sized symbol covers
// [Addr, Addr+Size); a function of size 0 (assembly without .size) covers
// up to the next function symbol in its section; an object of size 0 covers
// only its own address; an absolute symbol covers nothing. Cost: a binary
// search.
func (im *Image) SymbolAt(addr uint64) (sym Symbol, off uint64, ok bool) {
	j, ok := im.symbolIndexAt(addr, false)
	if !ok {
		return Symbol{}, 0, false
	}
	s := im.symbol(j)
	if s.Func {
		// A code pointer carries the Thumb bit: offsets count from the
		// instruction.
		return s, (addr &^ 1) - s.Addr, true
	}
	return s, addr - s.Addr, true
}

// funcSymbolAt is SymbolAt restricted to functions, for the no-DWARF path.
func (im *Image) funcSymbolAt(addr uint64) (Symbol, bool) {
	j, ok := im.symbolIndexAt(addr, true)
	if !ok {
		return Symbol{}, false
	}
	return im.symbol(j), true
}

// symbolIndexAt finds the symbol SymbolAt returns (a function, if fn).
// An unsized function symbol is a label inside a sized function that
// covers addr (armlink's _memcpy_lastbytes inside __rt_memcpy, IAR's
// ??__iar_copy_init3_5 inside __iar_copy_init3): the sized one is named,
// as gdb (lookup_minimal_symbol_by_pc_section) and addr2line name it. The
// unsized one stands when the first sized symbol before it does not cover
// addr (assembly without .size after a sized function).
func (im *Image) symbolIndexAt(addr uint64, fn bool) (int, bool) {
	i := sort.Search(im.nsyms(), func(i int) bool { return im.symAddr(i) > addr })
	label := -1
	for j := i - 1; j >= 0; j-- {
		k := im.symKey(j)
		if addr-k.addr > im.maxSize {
			break
		}
		if k.abs || fn && !k.fn {
			continue
		}
		if label >= 0 {
			if k.fn && k.size == 0 {
				continue // another label
			}
			if k.fn && addr-k.addr < k.size {
				return j, true
			}
			break
		}
		if addr-k.addr < k.span || addr == k.addr {
			if !k.fn || k.size != 0 {
				return j, true
			}
			label = j
		}
	}
	return label, label >= 0
}

// permute reorders s in place so that s[i] becomes what s[idx[i]] was
// (idx a permutation): a large table is not copied to be sorted.
func permute[T any](s []T, idx []int32) {
	done := make([]bool, len(s))
	for i := range s {
		if done[i] {
			continue
		}
		tmp := s[i]
		j := i
		for {
			done[j] = true
			k := int(idx[j])
			if k == i {
				s[j] = tmp
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}

// symKeyIndex masks the index in a packed symbol key.
const symKeyIndex = 1<<30 - 1

// packedSymbolKeys packs, for n symbols given by at (address, sized,
// function), one integer each that sorts as loadSymbols orders them:
// address, unsized before sized, objects before functions, later in the
// table first (the index, reversed, in the low 30 bits). ok is false
// when an address or the count does not fit (a 64-bit ELF).
func packedSymbolKeys(n int, at func(i int) (addr uint64, sized, fn bool)) (keys []uint64, ok bool) {
	if n > symKeyIndex {
		return nil, false
	}
	keys = make([]uint64, n)
	for i := range keys {
		addr, sized, fn := at(i)
		if addr > 0xffffffff {
			return nil, false
		}
		k := addr<<32 | uint64(symKeyIndex-i)
		if sized {
			k |= 1 << 31
		}
		if fn {
			k |= 1 << 30
		}
		keys[i] = k
	}
	return keys, true
}

// eachSymbol calls fn for each symbol f.Symbols returns, in table order.
// A little-endian ELF32 file (every Cortex-M firmware) is read without
// allocating a string per name or a record per symbol: the names are
// slices of one copy of the string table. Anything else goes through
// f.Symbols, as do tables it would report damaged.
func eachSymbol(f *elf.File, fileSize int64, fn func(name string, value, size uint64, info byte, shndx elf.SectionIndex)) error {
	viaELF := func() error {
		syms, err := f.Symbols()
		for _, s := range syms {
			fn(s.Name, s.Value, s.Size, s.Info, s.Section)
		}
		return err
	}
	sec := f.SectionByType(elf.SHT_SYMTAB)
	if f.Class != elf.ELFCLASS32 || f.Data != elf.ELFDATA2LSB || sec == nil || sec.Size%elf.Sym32Size != 0 || sec.Size == 0 ||
		int(sec.Link) >= len(f.Sections) || f.Sections[sec.Link].Type != elf.SHT_STRTAB {
		return viaELF()
	}
	data, err := sectionBytes(sec, fileSize)
	if err != nil {
		return viaELF()
	}
	strb, err := sectionBytes(f.Sections[sec.Link], fileSize)
	if err != nil {
		return viaELF()
	}
	strs := string(strb)
	le := binary.LittleEndian
	// From 1: the null symbol, which f.Symbols leaves out too.
	for off := elf.Sym32Size; off+elf.Sym32Size <= len(data); off += elf.Sym32Size {
		b := data[off : off+elf.Sym32Size]
		name := ""
		if start := int(le.Uint32(b)); start < len(strs) {
			if end := strings.IndexByte(strs[start:], 0); end >= 0 {
				name = strs[start : start+end]
			}
		}
		fn(name, uint64(le.Uint32(b[4:])), uint64(le.Uint32(b[8:])), b[12], elf.SectionIndex(le.Uint16(b[14:])))
	}
	return nil
}
