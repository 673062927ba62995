package gdbcompare

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
)

// A stop is one address gdb breaks on, with the name it had in the ELF.
type stop struct {
	addr uint32
	name string
}

// stops returns the fault handlers of the ELF's vector table (entries 2-6:
// NMI, HardFault, MemManage, BusFault, UsageFault; zero or reserved entries
// skipped) plus the functions named in extra, deduplicated, ascending.
// The table is found the way faultline's capture finds it (elfsym): if
// that were wrong, gdb would never stop and the comparison would fail, so
// sharing it cannot make a wrong answer pass.
func stops(path string, extra []string) ([]stop, error) {
	img, err := elfsym.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read vector table: %w", err)
	}
	defer img.Close()
	base, ok := elfsym.FindVectorTable(img)
	if !ok {
		return nil, fmt.Errorf("%s: no vector table (no known symbol, no section starting with an SP and a reset vector)", path)
	}
	seen := map[uint32]bool{}
	var out []stop
	add := func(addr uint32, name string) {
		if !seen[addr] {
			seen[addr] = true
			out = append(out, stop{addr, name})
		}
	}
	for n := uint64(2); n <= 6; n++ {
		var b [4]byte
		if k, _ := img.ReadMemory(b[:], base+4*n); k != 4 {
			continue
		}
		v := binary.LittleEndian.Uint32(b[:])
		if v&1 == 0 || !img.IsCode(uint64(v&^1)) {
			continue // reserved on ARMv6-M, or not a Thumb code address
		}
		name := fmt.Sprintf("%#x", v&^1)
		if s, off, ok := img.SymbolAt(uint64(v &^ 1)); ok && s.Func && off == 0 {
			name = s.RawName
		}
		add(v&^1, name)
	}
	for _, name := range extra {
		if a, ok := strings.CutPrefix(name, "*"); ok {
			// An address, gdb's way: a stop inside a function.
			v, err := strconv.ParseUint(a, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("stop at %q: %w", name, err)
			}
			add(uint32(v)&^1, name)
			continue
		}
		s, ok := img.LookupSymbol(name)
		if !ok || !s.Func {
			return nil, fmt.Errorf("%s: no function %q to stop at", path, name)
		}
		add(uint32(s.Addr)&^1, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: vector table at %#x names no fault handler", path, base)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out, nil
}
