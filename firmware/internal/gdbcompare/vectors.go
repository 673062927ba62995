package gdbcompare

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// vectorSymbols are the names startup code commonly gives the vector table
// (CMSIS, ST's and NXP's startup files, this repository's crash labs). A
// table under another name is found by its shape instead.
var vectorSymbols = []string{
	"__Vectors", "__isr_vector", "g_pfnVectors", "__vector_table", "vector_table",
	"_vector_table", "isr_vector", "_vectors", "vectors", "__VECTOR_TABLE", "exception_table",
}

// A stop is one address gdb breaks on, with the name it had in the ELF.
type stop struct {
	addr uint32
	name string
}

// stops returns the fault handlers of the ELF's vector table (entries 2-6:
// NMI, HardFault, MemManage, BusFault, UsageFault; zero or reserved entries
// skipped) plus the functions named in extra, deduplicated, ascending.
func stops(path string, extra []string) ([]stop, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read vector table: %w", err)
	}
	defer f.Close()
	syms, _ := f.Symbols() // an ELF without symbols still has a table to read
	img := elfImage{f: f}
	base, err := img.vectorTable(syms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[uint32]bool{}
	var out []stop
	add := func(addr uint32, name string) {
		if !seen[addr] {
			seen[addr] = true
			out = append(out, stop{addr, name})
		}
	}
	for n := uint32(2); n <= 6; n++ {
		v, ok := img.word(base + 4*n)
		if !ok || v&1 == 0 || !img.executable(v&^1) {
			continue // reserved on ARMv6-M, or not a Thumb code address
		}
		add(v&^1, symbolAt(syms, v&^1))
	}
	for _, name := range extra {
		addr, ok := funcAddr(syms, name)
		if !ok {
			return nil, fmt.Errorf("%s: no function %q to stop at", path, name)
		}
		add(addr, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: vector table at %#x names no fault handler", path, base)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out, nil
}

// elfImage reads the initialised contents of an ELF's allocated sections.
type elfImage struct{ f *elf.File }

func (m elfImage) word(addr uint32) (uint32, bool) {
	for _, s := range m.f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		if uint64(addr) < s.Addr || uint64(addr)+4 > s.Addr+s.Size {
			continue
		}
		var b [4]byte
		if _, err := s.ReadAt(b[:], int64(uint64(addr)-s.Addr)); err != nil {
			return 0, false
		}
		return binary.LittleEndian.Uint32(b[:]), true
	}
	return 0, false
}

func (m elfImage) executable(addr uint32) bool {
	for _, s := range m.f.Sections {
		if s.Flags&elf.SHF_EXECINSTR != 0 && uint64(addr) >= s.Addr && uint64(addr) < s.Addr+s.Size {
			return true
		}
	}
	return false
}

// looksLikeTable reports whether base holds an initial SP (word-aligned, not
// code) and a Thumb reset vector into code.
func (m elfImage) looksLikeTable(base uint32) bool {
	sp, ok1 := m.word(base)
	reset, ok2 := m.word(base + 4)
	return ok1 && ok2 && sp&3 == 0 && sp != 0 && reset&1 == 1 && m.executable(reset&^1)
}

// vectorTable finds the table by a well-known symbol, else as the
// lowest-addressed allocated section that has the table's shape.
func (m elfImage) vectorTable(syms []elf.Symbol) (uint32, error) {
	for _, name := range vectorSymbols {
		for _, s := range syms {
			if s.Name == name && m.looksLikeTable(uint32(s.Value)) {
				return uint32(s.Value), nil
			}
		}
	}
	var secs []*elf.Section
	for _, s := range m.f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_ALLOC != 0 && s.Size >= 8 {
			secs = append(secs, s)
		}
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i].Addr < secs[j].Addr })
	for _, s := range secs {
		if m.looksLikeTable(uint32(s.Addr)) {
			return uint32(s.Addr), nil
		}
	}
	return 0, errors.New("no vector table (no known symbol, no section starting with an SP and a reset vector)")
}

// symbolAt names the function at addr, or the address itself.
func symbolAt(syms []elf.Symbol, addr uint32) string {
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && uint32(s.Value)&^1 == addr {
			return s.Name
		}
	}
	return fmt.Sprintf("%#x", addr)
}

func funcAddr(syms []elf.Symbol, name string) (uint32, bool) {
	for _, s := range syms {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			return uint32(s.Value) &^ 1, true
		}
	}
	return 0, false
}
