package elfsym

import (
	"encoding/binary"
	"sort"
)

// What firmware names its vector table and its main stack, shared by
// capture (what memory to read) and analysis (where a stack ends). The
// names come from common startup files and linker scripts.
var (
	// VectorTableSymbols: ST (g_pfnVectors), CMSIS (__isr_vector,
	// __Vectors), NXP (__VECTOR_TABLE), Zephyr (_vector_table), others.
	VectorTableSymbols = []string{
		"g_pfnVectors", "__isr_vector", "__Vectors", "__VECTOR_TABLE", "_vector_table", "__vector_table",
		"vector_table", "_vectors", "__vectors", "vectors", "exception_table", "_exception_table", "g_vectors",
	}
	// VectorTableSections are the sections startup files put it in.
	VectorTableSections = []string{".isr_vector", ".vectors", ".vector_table", ".intvecs", ".isr_vectors", ".vector"}

	// StackTopSymbols name the top of the main stack: GNU/ST/Atmel
	// (_estack), CMSIS and Nordic/Pico (__StackTop), newlib (__stack),
	// NXP MCUXpresso (_vStackTop), Keil (__initial_sp), cortex-m-rt
	// (_stack_start), TI (__STACK_END) and others.
	StackTopSymbols = []string{
		"_estack", "__StackTop", "__stack", "_stack_top", "__stack_top", "__stack_end__",
		"__initial_sp", "_stack_start", "_vStackTop", "__STACK_END", "_eram", "__StackOneTop",
	}
	// StackBottomSymbols name the lowest address of the main stack (its
	// limit); with StackSizeSymbols they give a top as bottom + size where
	// a script names only those.
	StackBottomSymbols = []string{"__stack_limit", "__StackLimit", "_sstack", "__stack_start__", "_stack_limit", "_stack_bottom"}
	StackSizeSymbols   = []string{"_Min_Stack_Size", "__stack_size__", "__STACK_SIZE", "_stack_size", "__stack_size", "STACK_SIZE"}
)

// A VectorSource is what finding the vector table needs; *Image has it,
// and tests can describe an image without building one.
type VectorSource interface {
	Sections() []Section
	LookupSymbol(name string) (Symbol, bool)
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// FindVectorTable finds the image's vector table: a known symbol or
// section whose first words look like one (a word-aligned initial SP, then
// a Thumb address in executable code), else the lowest loaded read-only
// section that does.
func FindVectorTable(img VectorSource) (uint64, bool) {
	secs := img.Sections()
	looksLike := func(a uint64) bool {
		var w [8]byte
		if n, _ := img.ReadMemory(w[:], a); n != len(w) {
			return false
		}
		sp, reset := binary.LittleEndian.Uint32(w[:]), uint64(binary.LittleEndian.Uint32(w[4:]))
		if sp&3 != 0 || reset&1 == 0 {
			return false
		}
		for _, s := range secs {
			if s.Exec && reset&^1 >= s.Addr && reset&^1 < s.Addr+s.Size {
				return true
			}
		}
		return false
	}
	for _, n := range VectorTableSymbols {
		if s, ok := img.LookupSymbol(n); ok && looksLike(s.Addr) {
			return s.Addr, true
		}
	}
	for _, n := range VectorTableSections {
		for _, s := range secs {
			if s.Name == n && s.Loaded && looksLike(s.Addr) {
				return s.Addr, true
			}
		}
	}
	var loaded []uint64
	for _, s := range secs {
		if s.Loaded && !s.Write && s.Size >= 8 {
			loaded = append(loaded, s.Addr)
		}
	}
	sort.Slice(loaded, func(i, j int) bool { return loaded[i] < loaded[j] })
	for _, a := range loaded {
		if looksLike(a) {
			return a, true
		}
	}
	return 0, false
}

// LinkerStackTops are the main stack's tops the linker symbols give: each
// StackTopSymbols entry present, and bottom + size pairs (sizes up to
// maxSize), in that order.
func LinkerStackTops(img interface {
	LookupSymbol(name string) (Symbol, bool)
}, maxSize uint64) []uint64 {
	var out []uint64
	for _, n := range StackTopSymbols {
		if s, ok := img.LookupSymbol(n); ok && s.Addr != 0 {
			out = append(out, s.Addr)
		}
	}
	for _, b := range StackBottomSymbols {
		bs, ok := img.LookupSymbol(b)
		if !ok {
			continue
		}
		for _, n := range StackSizeSymbols {
			if ss, ok := img.LookupSymbol(n); ok && ss.Addr > 0 && ss.Addr <= maxSize {
				out = append(out, bs.Addr+ss.Addr)
			}
		}
	}
	return out
}
