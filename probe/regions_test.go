package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
)

// fakeImage describes an ELF for region planning without building one.
type fakeImage struct {
	secs []elfsym.Section
	syms []elfsym.Symbol
	mem  map[uint64][]byte // loaded contents by start address
}

func (f *fakeImage) Sections() []elfsym.Section { return f.secs }

func (f *fakeImage) LookupSymbol(name string) (elfsym.Symbol, bool) {
	for _, s := range f.syms {
		if s.Name == name {
			return s, true
		}
	}
	return elfsym.Symbol{}, false
}

func (f *fakeImage) SymbolAt(addr uint64) (elfsym.Symbol, uint64, bool) {
	for _, s := range f.syms {
		if addr >= s.Addr && addr < s.Addr+s.Size {
			return s, addr - s.Addr, true
		}
	}
	return elfsym.Symbol{}, 0, false
}

func (f *fakeImage) ReadMemory(buf []byte, addr uint64) (int, error) {
	for a, d := range f.mem {
		if addr >= a && addr+uint64(len(buf)) <= a+uint64(len(d)) {
			return copy(buf, d[addr-a:]), nil
		}
	}
	return 0, errors.New("not loaded")
}

// vectorImage is a flash image at 0 whose vector table gives initialSP,
// with .data and .bss at 0x20000000 and the symbols given.
func vectorImage(initialSP uint32, syms ...elfsym.Symbol) *fakeImage {
	vt := make([]byte, 0x40)
	binary.LittleEndian.PutUint32(vt, initialSP)
	for i := 1; i < 16; i++ {
		binary.LittleEndian.PutUint32(vt[4*i:], 0x101)
	}
	return &fakeImage{
		secs: []elfsym.Section{
			{Name: ".vectors", Addr: 0, Size: 0x40, Alloc: true, Loaded: true},
			{Name: ".text", Addr: 0x40, Size: 0x1000, Alloc: true, Exec: true, Loaded: true},
			{Name: ".data", Addr: 0x20000000, Size: 0x100, Alloc: true, Write: true, Loaded: true},
			{Name: ".bss", Addr: 0x20000100, Size: 0x2000, Alloc: true, Write: true},
		},
		syms: syms,
		mem:  map[uint64][]byte{0: vt},
	}
}

// fakeWords is live memory for the planner's word reads and writes; the
// MPU's RBAR/RASR follow RNR as on the core.
type fakeWords struct {
	w       map[uint64]uint32
	regions [][2]uint32 // per MPU region: RBAR, RASR (or RLAR)
	writes  []string
}

func (f *fakeWords) read(a uint64) (uint32, error) {
	switch a {
	case addrMPURBAR, addrMPURASR:
		n := f.w[addrMPURNR]
		if int(n) >= len(f.regions) {
			return 0, nil
		}
		if a == addrMPURBAR {
			return f.regions[n][0], nil
		}
		return f.regions[n][1], nil
	}
	v, ok := f.w[a]
	if !ok {
		return 0, fmt.Errorf("E14")
	}
	return v, nil
}

func (f *fakeWords) write(a uint64, v uint32) error {
	f.writes = append(f.writes, fmt.Sprintf("%#x=%#x", a, v))
	f.w[a] = v
	return nil
}

func describe(rs []MemRange) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %#x..%#x", r.Name, r.Addr, r.End()))
	}
	return strings.Join(out, "; ")
}

func find(rs []MemRange, name string) (MemRange, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r, true
		}
	}
	return MemRange{}, false
}

// TestPlanReadsEachStackUpToItsTop: each stack is read from a little below
// its SP up to the top the best source names, as its own region, wherever
// it lives (top of a 4 MiB RAM, CCM, a task stack in .bss).
func TestPlanReadsEachStackUpToItsTop(t *testing.T) {
	sym := func(name string, addr, size uint64) elfsym.Symbol {
		return elfsym.Symbol{Name: name, RawName: name, Addr: addr, Size: size}
	}
	tests := []struct {
		name    string
		img     *fakeImage // nil: no ELF
		words   map[uint64]uint32
		mpu     [][2]uint32
		regs    map[string]uint32
		region  string
		wantLo  uint64
		wantTop uint64
		how     string
	}{
		{"main stack at the top of a 4 MiB RAM, _estack", vectorImage(0x20400000, sym("_estack", 0x20400000, 0)),
			nil, nil, map[string]uint32{"msp": 0x203fff00}, "stack-msp", 0x203ffe00, 0x20400000, "linker symbol"},
		{"a recursion 290 KiB deep at the top of a 4 MiB RAM is read whole", vectorImage(0x20400000, sym("__StackTop", 0x20400000, 0)),
			nil, nil, map[string]uint32{"msp": 0x203b9ac8}, "stack-msp", 0x203b99c0, 0x20400000, "linker symbol"},
		{"CMSIS __StackTop", vectorImage(0, sym("__StackTop", 0x20010000, 0)),
			nil, nil, map[string]uint32{"msp": 0x2000ff80}, "stack-msp", 0x2000fe80, 0x20010000, "linker symbol"},
		{"bottom plus size", vectorImage(0, sym("_sstack", 0x20008000, 0), sym("_Min_Stack_Size", 0x400, 0)),
			nil, nil, map[string]uint32{"msp": 0x20008200}, "stack-msp", 0x20008100, 0x20008400, "linker symbol"},
		{"stack in CCM named by the vector table", vectorImage(0x10010000),
			nil, nil, map[string]uint32{"msp": 0x1000ffa0}, "stack-msp", 0x1000fe80, 0x10010000, "initial SP"},
		{"live vector table's initial SP (no ELF)", nil,
			map[uint64]uint32{addrVTOR: 0x08000000, 0x08000000: 0x20020000}, nil,
			map[string]uint32{"msp": 0x2001ff00}, "stack-msp", 0x2001fe00, 0x20020000, "initial SP"},
		{"task stack in .bss ends with its object", vectorImage(0x20400000, sym("_estack", 0x20400000, 0), sym("ucHeap", 0x20000200, 0x1000)),
			nil, nil, map[string]uint32{"msp": 0x203fff00, "psp": 0x20000800}, "stack-psp", 0x20000700, 0x20001200, "object"},
		{"PSP in a section, no object", vectorImage(0x20400000),
			nil, nil, map[string]uint32{"psp": 0x20001f00}, "stack-psp", 0x20001e00, 0x20002100, "section"},
		{"MPU region holds the stack", nil,
			map[uint64]uint32{addrMPUType: 8 << 8, addrMPUCtrl: 1, addrMPURNR: 5, addrCPUID: 0x410fc241},
			[][2]uint32{{0x20000000, 1 | 16<<1}, {0x30004000, 1 | 11<<1}}, // 128 KiB SRAM; 4 KiB stack
			map[string]uint32{"psp": 0x30004800}, "stack-psp", 0x30004700, 0x30005000, "MPU region"},
		{"ARMv8-M MPU (RBAR/RLAR)", nil,
			map[uint64]uint32{addrMPUType: 8 << 8, addrMPUCtrl: 1, addrMPURNR: 0, addrCPUID: 0x410fd210},
			[][2]uint32{{0x30004000, 0x30004fe1}},
			map[string]uint32{"psp": 0x30004800}, "stack-psp", 0x30004700, 0x30005000, "MPU region"},
		{"nothing names the top: a bounded window", nil, map[uint64]uint32{},
			nil, map[string]uint32{"msp": 0x24001234}, "stack-msp", 0x24001100, 0x24006000, "fallback"},
		{"a top too far away is not taken", vectorImage(0x20400000, sym("_estack", 0x20400000, 0)),
			map[uint64]uint32{}, nil, map[string]uint32{"msp": 0x20100000}, "stack-msp", 0x200fff00, 0x20104000, "fallback"},
		{"task stack in Kinetis SRAM_L, its object ending in SRAM_U", vectorImage(0x20008000, sym("__StackTop", 0x20008000, 0), sym("net_stack", 0x1fffe000, 0x3000)),
			nil, nil, map[string]uint32{"msp": 0x20007f00, "psp": 0x1ffff800}, "stack-psp", 0x1ffff700, 0x20001000, "object"},
		{"main stack in Kinetis SRAM_L below a top in SRAM_U", vectorImage(0x20001000),
			nil, nil, map[string]uint32{"msp": 0x1fffff00}, "stack-msp", 0x1ffffe00, 0x20001000, "initial SP"},
		{"a top past SRAM's end in peripheral space is not taken", vectorImage(0x40000100),
			map[uint64]uint32{}, nil, map[string]uint32{"msp": 0x3fffff00}, "stack-msp", 0x3ffffe00, 0x40000000, "fallback"},
		{"window never leaves SRAM for peripherals", nil, map[uint64]uint32{},
			nil, map[string]uint32{"msp": 0x3ffffe00}, "stack-msp", 0x3ffffd00, 0x40000000, "fallback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fw := &fakeWords{w: map[uint64]uint32{}, regions: tc.mpu}
			for k, v := range tc.words {
				fw.w[k] = v
			}
			p := &regionPlan{read: fw.read, write: fw.write}
			if tc.img != nil {
				p.img = tc.img
			}
			if tc.words == nil {
				p.read, p.write = nil, nil
			}
			rs, _ := p.plan(tc.regs)
			r, ok := find(rs, tc.region)
			if !ok {
				t.Fatalf("no %s region: %s", tc.region, describe(rs))
			}
			if r.Addr != tc.wantLo || r.End() != tc.wantTop {
				t.Errorf("%s %#x..%#x, want %#x..%#x (all: %s)", tc.region, r.Addr, r.End(), tc.wantLo, tc.wantTop, describe(rs))
			}
			sp := uint64(tc.regs["msp"])
			if tc.region == "stack-psp" {
				sp = uint64(tc.regs["psp"])
			}
			if _, how := p.stackTop(sp, tc.region == "stack-msp"); how != tc.how {
				t.Errorf("top found by %q, want %q", how, tc.how)
			}
			if tc.mpu != nil && fw.w[addrMPURNR] != tc.words[addrMPURNR] {
				t.Errorf("MPU_RNR left at %d, was %d: the firmware's selection must be restored", fw.w[addrMPURNR], tc.words[addrMPURNR])
			}
		})
	}
}

// TestPlanReadsSectionsSeparately: without a board map each writable
// section is its own bounded region (not one range capped at 1 MiB from
// the lowest), a section holding a stack is not read twice, sections in
// peripheral space are skipped with a note, and the total is capped with
// a note.
func TestPlanReadsSectionsSeparately(t *testing.T) {
	img := vectorImage(0x20400000, elfsym.Symbol{Name: "_estack", Addr: 0x20400000})
	img.secs = append(img.secs,
		elfsym.Section{Name: ".ccm", Addr: 0x10000000, Size: 0x800, Alloc: true, Write: true},
		elfsym.Section{Name: ".axi", Addr: 0x24000000, Size: 0x400, Alloc: true, Write: true},
		elfsym.Section{Name: ".periph", Addr: 0x40001000, Size: 0x40, Alloc: true, Write: true},
		elfsym.Section{Name: ".sdram", Addr: 0xD0000000, Size: 0x200, Alloc: true, Write: true},
		elfsym.Section{Name: ".big", Addr: 0x60000000, Size: 3 << 20, Alloc: true, Write: true},
		elfsym.Section{Name: ".comment", Addr: 0, Size: 0x40},
	)
	for i := range 9 {
		img.secs = append(img.secs, elfsym.Section{Name: fmt.Sprintf(".huge%d", i), Addr: 0x70000000 + uint64(i)<<21, Size: 1 << 20, Alloc: true, Write: true})
	}
	p := &regionPlan{img: img}
	rs, notes := p.plan(map[string]uint32{"msp": 0x203fff00, "psp": 0x20001f00})
	want := []string{
		"section .ccm 0x10000000..0x10000800",
		"section .data 0x20000000..0x20000100",
		"section .bss 0x20000100..0x20001e00",
		"stack-psp 0x20001e00..0x20002100",
		"stack-msp 0x203ffe00..0x20400000",
		"section .axi 0x24000000..0x24000400",
		"section .big 0x60000000..0x60100000",
		"section .sdram 0xd0000000..0xd0000200",
	}
	got := describe(rs)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in %s", w, got)
		}
	}
	if strings.Contains(got, ".periph") || strings.Contains(got, ".comment") {
		t.Errorf("read a peripheral or non-allocated section: %s", got)
	}
	var total uint64
	for _, r := range rs {
		total += r.Size
	}
	if total > maxDerivedTotal {
		t.Errorf("planned %d bytes, over the %d cap", total, maxDerivedTotal)
	}
	joined := strings.Join(notes, "\n")
	for _, w := range []string{".periph", "section .big 0x60100000..0x60300000: only the first 1 MiB", "limit for derived ranges was reached"} {
		if !strings.Contains(joined, w) {
			t.Errorf("notes do not say %q:\n%s", w, joined)
		}
	}
	sorted := sort.SliceIsSorted(rs, func(i, j int) bool { return rs[i].Addr < rs[j].Addr })
	if !sorted {
		t.Errorf("ranges not sorted: %s", got)
	}
}

// TestPlanBoardMapStillReadsStacksOutsideIt: a board's fixed RAM map wins
// over the ELF's sections, but a stack outside it is read, and --mem and
// the board's extra ranges are added.
func TestPlanBoardMapStillReadsStacksOutsideIt(t *testing.T) {
	board := Board{Name: "b", RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 128 << 10}},
		Extra: []MemRange{{Name: "ccm", Addr: 0x10000000, Size: 64 << 10}}}
	p := &regionPlan{img: vectorImage(0x20020000), board: board,
		extra: []MemRange{{Name: "mem", Addr: 0x2001f000, Size: 0x4000}}}
	rs, _ := p.plan(map[string]uint32{"msp": 0x2001ff00, "psp": 0x30000100})
	got := describe(rs)
	for _, w := range []string{"ram 0x20000000..0x20020000", "ccm 0x10000000..0x10010000", "mem 0x20020000..0x20023000", "stack-psp 0x30000000..0x30005000"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in %s", w, got)
		}
	}
	if strings.Contains(got, "stack-msp") || strings.Contains(got, "section") {
		t.Errorf("read what the board map covers again: %s", got)
	}
}

// TestPlanReadsTheMallocHeapWhereverItLies: newlib's heap is found from
// the allocator's state on the target and read, though no section covers
// it (after .bss, in external PSRAM named only by linker symbols, in FMC
// SDRAM in the device region); a board map covering it is not read twice,
// and a heap pointer into peripheral space is named in a note, not read.
func TestPlanReadsTheMallocHeapWhereverItLies(t *testing.T) {
	const av, sbrkBase = 0x20000010, 0x20000008
	img := vectorImage(0x20400000,
		elfsym.Symbol{Name: "_estack", Addr: 0x20400000},
		elfsym.Symbol{Name: "__malloc_av_", Addr: av, Size: 0x408},
		elfsym.Symbol{Name: "__malloc_sbrk_base", Addr: sbrkBase, Size: 4})
	heapAt := func(base, top uint32) map[uint64]uint32 {
		return map[uint64]uint32{sbrkBase: base, av + 8: top}
	}
	tests := []struct {
		name  string
		board Board
		words map[uint64]uint32
		want  string // the heap region, "" for none
		note  string
	}{
		{"heap in PSRAM", Board{}, heapAt(0x60000000, 0x60010130), "heap 0x60000000..0x60010140", ""},
		{"heap after .bss", Board{}, heapAt(0x20002100, 0x20002400), "heap 0x20002100..0x20002410", ""},
		{"board map covers it", Board{Name: "b", RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 128 << 10}}},
			heapAt(0x20002100, 0x20002400), "", ""},
		{"malloc never called", Board{}, heapAt(0, 0), "", ""},
		{"heap in FMC SDRAM (the device region)", Board{}, heapAt(0xD0000000, 0xD0001000), "heap 0xd0000000..0xd0001010", ""},
		{"heap pointer into peripherals (corrupt state)", Board{}, heapAt(0x40001000, 0x40002000), "", "heap 0x40001000..0x40002010: not read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fw := &fakeWords{w: tc.words}
			p := &regionPlan{img: img, board: tc.board, read: fw.read, write: fw.write}
			rs, notes := p.plan(map[string]uint32{"msp": 0x203fff00})
			h, ok := find(rs, "heap")
			switch {
			case tc.want == "" && ok:
				t.Errorf("read a heap region %#x..%#x (all: %s)", h.Addr, h.End(), describe(rs))
			case tc.want != "" && !strings.Contains(describe(rs), tc.want):
				t.Errorf("no %q in %s", tc.want, describe(rs))
			}
			if joined := strings.Join(notes, "\n"); tc.note != "" && !strings.Contains(joined, tc.note) {
				t.Errorf("notes do not say %q:\n%s", tc.note, joined)
			}
		})
	}
}

// TestPlanSaysWhatADeepStackLeftOut: a stack whose named top is further
// above SP than a capture reads gets the fallback window and a note
// naming the rest (a recursion over a MiB deep: the frames stop where the
// capture does, and the note says why).
func TestPlanSaysWhatADeepStackLeftOut(t *testing.T) {
	img := vectorImage(0x20400000, elfsym.Symbol{Name: "__StackTop", Addr: 0x20400000})
	p := &regionPlan{img: img}
	rs, notes := p.plan(map[string]uint32{"msp": 0x202e6bc8})
	w, ok := find(rs, "stack-msp")
	if !ok || w.End() != 0x202eb000 {
		t.Fatalf("stack-msp window: %s", describe(rs))
	}
	want := "stack-msp 0x202eb000..0x20400000: not read, the stack's top 0x20400000 (linker symbol) is 1125 KiB above SP"
	if joined := strings.Join(notes, "\n"); !strings.Contains(joined, want) {
		t.Errorf("notes do not say %q:\n%s", want, joined)
	}
	// A stack read up to its top has nothing to say.
	if _, notes := p.plan(map[string]uint32{"msp": 0x203fff00}); len(notes) != 0 {
		t.Errorf("notes for a stack read whole: %q", notes)
	}
}

// TestLiveMemoryReadsBlocksOnce: the planner's reads through the analysis'
// heap walk cost one target read per block they pass through, not one per
// word; a block the target refuses is read a word at a time.
func TestLiveMemoryReadsBlocksOnce(t *testing.T) {
	mem := make([]byte, 4*liveBlock)
	for i := range mem {
		mem[i] = byte(i)
	}
	const base = 0x20000000
	var blocks, words int
	word := func(a uint64) (uint32, error) {
		words++
		return binary.LittleEndian.Uint32(mem[a-base:]), nil
	}
	block := func(a uint64, n int) ([]byte, error) {
		blocks++
		if a == base+2*liveBlock {
			return nil, errors.New("E14") // an MPU guard
		}
		return mem[a-base : a-base+uint64(n)], nil
	}
	m := &liveMemory{word: word, block: block}
	for a := uint64(base); a < base+uint64(len(mem)); a += 16 { // a walk over 16-byte chunks
		var b [4]byte
		if n, err := m.ReadMemory(b[:], a); n != 4 || err != nil {
			t.Fatalf("read %#x: %d, %v", a, n, err)
		}
		if got, want := binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint32(mem[a-base:]); got != want {
			t.Fatalf("read %#x: %#x, want %#x", a, got, want)
		}
	}
	if blocks != 4 || words != liveBlock/16 {
		t.Errorf("%d block reads and %d word reads for 4 blocks, one refused; want 4 and %d", blocks, words, liveBlock/16)
	}
}
