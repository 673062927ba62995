package probe

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/forensics"
)

// Bounds on what a capture reads, so a wild stack pointer or a huge .bss
// cannot make it read gigabytes over a slow debug link.
const (
	// maxStackWindow bounds each stack (MSP, PSP) read up to a top the
	// image or the MPU names: a recursion a few hundred KiB deep in a big
	// RAM needs all of it for the unwinder to reach main.
	maxStackWindow  = 1 << 20
	maxSectionRead  = 1 << 20 // per ELF section
	maxDerivedTotal = 8 << 20 // all derived ranges together
	// stackBelow is read under SP too: the red zone and whatever a
	// handler pushed after the fault.
	stackBelow = 256
	// fallbackWindow is read above an SP whose stack top nothing names.
	fallbackWindow = 16 << 10
)

// imageInfo is what region planning needs from the firmware image
// (*elfsym.Image has it); an interface so tests can describe an image
// without building one.
type imageInfo interface {
	Sections() []elfsym.Section
	LookupSymbol(name string) (elfsym.Symbol, bool)
	SymbolAt(addr uint64) (elfsym.Symbol, uint64, bool)
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// regionPlan decides what memory a capture reads. Live reads go through
// read and write (word accesses); either may be nil.
type regionPlan struct {
	img   imageInfo // nil without an ELF
	board Board
	extra []MemRange // --mem and the config file's mem
	read  func(addr uint64) (uint32, error)
	write func(addr uint64, v uint32) error
	// readBlock reads n bytes at once (nil: word by word through read),
	// for the heap walk's reads, which follow each other through memory.
	readBlock func(addr uint64, n int) ([]byte, error)

	mpu     []MemRange // enabled MPU regions, read once when first needed
	mpuRead bool
}

// memClassEnd is the end of the 512 MiB slice of the Cortex-M memory map
// holding a (code, SRAM, peripheral, RAM, device...): a window never
// crosses into the next, so it cannot wander from RAM into peripherals.
func memClassEnd(a uint64) uint64 { return (a | 0x1FFFFFFF) + 1 }

// sameMemory says whether a stack may run from lo up to hi: both in one
// 512 MiB slice of the memory map, or in the code and SRAM slices on
// either side of 0x20000000, which one RAM can span (NXP Kinetis: SRAM_L
// ends at 0x1FFFFFFF, SRAM_U starts at 0x20000000).
func sameMemory(lo, hi uint64) bool {
	return memClassEnd(lo) == memClassEnd(hi) || (lo < 0x20000000 && hi >= 0x20000000 && hi < 0x40000000)
}

// readable says whether a stack window at sp may be read: code, SRAM and
// external RAM, not peripherals or the device and system space, where a
// read can have side effects.
func readable(a uint64) bool {
	return a < 0x40000000 || (a >= 0x60000000 && a < 0xA0000000)
}

// dataMemory says whether memory the image itself places data at (a
// writable section, the malloc heap its allocator hands out) may be read:
// what readable allows, and the external device region 0xA0000000-
// 0xDFFFFFFF, where STM32s map FMC SDRAM (0xC0000000, 0xD0000000) and
// projects put frame buffers and heaps. Peripherals and the system space
// stay out: a section there overlays registers.
func dataMemory(a uint64) bool {
	return readable(a) || (a >= 0xA0000000 && a < 0xE0000000)
}

// plan returns the ranges to read (without the system registers and flash
// samples) and notes on what it left out.
func (p *regionPlan) plan(regs map[string]uint32) ([]MemRange, []string) {
	var cov coverage
	var notes []string
	var out []MemRange
	add := func(r MemRange) { out = append(out, cov.add(r)...) }
	budget := uint64(maxDerivedTotal)
	addDerived := func(r MemRange) {
		pieces := cov.uncovered(r)
		for i, piece := range pieces {
			if piece.Size > budget {
				notes = append(notes, fmt.Sprintf("%s 0x%08x..0x%08x: not read, the capture's %d MiB limit for derived ranges was reached (add it with --mem)",
					piece.Name, piece.Addr+budget, piece.End(), maxDerivedTotal>>20))
				for _, rest := range pieces[i+1:] {
					notes = append(notes, fmt.Sprintf("%s 0x%08x..0x%08x: not read, the capture's size limit was reached", rest.Name, rest.Addr, rest.End()))
				}
				piece.Size = budget
				if piece.Size > 0 {
					cov.add(piece)
					out = append(out, piece)
				}
				budget = 0
				return
			}
			budget -= piece.Size
			cov.add(piece)
			out = append(out, piece)
		}
	}
	for _, r := range p.board.RAM {
		add(r)
	}
	for _, r := range p.board.Extra {
		add(r)
	}
	for _, r := range p.extra {
		add(r)
	}
	for _, sp := range []struct{ reg, name string }{{"msp", "stack-msp"}, {"psp", "stack-psp"}} {
		v, ok := regs[sp.reg]
		if !ok && sp.reg == "msp" {
			v, ok = regs["sp"] // a stub without m-system registers
		}
		if !ok || v == 0 || !readable(uint64(v)) {
			continue
		}
		if inAny(p.board.RAM, uint64(v)) {
			continue // the board's map already covers this stack
		}
		w, how := p.stackWindow(uint64(v), sp.reg == "msp")
		w.Name = sp.name
		addDerived(w)
		if how == "fallback" {
			if top, from := p.farTop(uint64(v), sp.reg == "msp"); top != 0 {
				notes = append(notes, fmt.Sprintf("%s 0x%08x..0x%08x: not read, the stack's top 0x%08x (%s) is %d KiB above SP, more than the %d KiB a capture reads of a stack (add it with --mem)",
					sp.name, w.End(), top, top, from, (top-uint64(v))>>10, maxStackWindow>>10))
			}
		}
	}
	if len(p.board.RAM) == 0 && p.img != nil {
		for _, s := range p.img.Sections() {
			if !s.Alloc || !s.Write || s.Exec || s.Size == 0 {
				continue
			}
			if !dataMemory(s.Addr) {
				notes = append(notes, fmt.Sprintf("section %s at 0x%08x: not read, it lies in peripheral or system space where reads can have side effects", s.Name, s.Addr))
				continue
			}
			r := MemRange{Name: "section " + s.Name, Addr: s.Addr, Size: s.Size}
			if r.Size > maxSectionRead {
				notes = append(notes, fmt.Sprintf("%s 0x%08x..0x%08x: only the first %d MiB read", r.Name, r.Addr+maxSectionRead, r.End(), maxSectionRead>>20))
				r.Size = maxSectionRead
			}
			addDerived(r)
		}
	}
	if h, ok := p.heapRange(); ok {
		if dataMemory(h.Addr) {
			addDerived(h)
		} else {
			notes = append(notes, fmt.Sprintf("%s 0x%08x..0x%08x: not read, it lies in peripheral or system space where reads can have side effects (add it with --mem)", h.Name, h.Addr, h.End()))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out, notes
}

// heapRange is the malloc heap as the allocator's state on the target
// says (forensics.HeapExtent): the analysis walks it to name heap blocks
// and find corrupt ones, and neither the board map nor the ELF's sections
// need cover it (newlib's heap starts after .bss; projects put it in
// external SDRAM or PSRAM, named only by linker symbols).
func (p *regionPlan) heapRange() (MemRange, bool) {
	if p.img == nil || p.read == nil {
		return MemRange{}, false
	}
	lookup := func(name string) (uint32, bool) {
		if s, ok := p.img.LookupSymbol(name); ok {
			return uint32(s.Addr), true
		}
		if v, ok := p.img.(interface {
			LookupVariable(string) (elfsym.Variable, bool)
		}); ok {
			if vv, found := v.LookupVariable(name); found {
				return uint32(vv.Addr), true
			}
		}
		return 0, false
	}
	start, end, ok := forensics.HeapExtent(&liveMemory{word: p.read, block: p.readBlock}, lookup)
	if !ok {
		return MemRange{}, false
	}
	return MemRange{Name: "heap", Addr: uint64(start), Size: uint64(end - start)}, true
}

// liveMemory reads target memory for the reads planning makes through
// the analysis' own code: a word at a time, or, given block, a
// liveBlock-sized aligned block at a time, kept, so a walk over a
// newlib-nano heap's chunk headers costs a read per block, not per chunk.
type liveMemory struct {
	word  func(addr uint64) (uint32, error)
	block func(addr uint64, n int) ([]byte, error)
	at    uint64 // the block kept, when data is not nil
	data  []byte
	// refused is the last block the target would not give whole
	// (refusedOK), so its words do not ask for it again.
	refused   uint64
	refusedOK bool
}

const liveBlock = 1 << 10

func (m *liveMemory) ReadMemory(buf []byte, addr uint64) (int, error) {
	n := 0
	for n < len(buf) {
		a := addr + uint64(n)
		base := a &^ (liveBlock - 1)
		if m.block != nil && (m.data == nil || m.at != base) && (!m.refusedOK || m.refused != base) {
			// A block the target refuses in part (an MPU guard, the end
			// of a RAM) is read a word at a time instead.
			if d, err := m.block(base, liveBlock); err == nil && len(d) == liveBlock {
				m.at, m.data = base, d
			} else {
				m.data, m.refused, m.refusedOK = nil, base, true
			}
		}
		if m.data == nil || m.at != base {
			w, err := m.word(a &^ 3)
			if err != nil {
				return n, err
			}
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], w)
			n += copy(buf[n:], b[a&3:])
			continue
		}
		n += copy(buf[n:], m.data[a-base:])
	}
	return n, nil
}

func inAny(rs []MemRange, a uint64) bool {
	for _, r := range rs {
		if a >= r.Addr && a < r.End() {
			return true
		}
	}
	return false
}

// stackWindow is the range read for a stack whose pointer is sp: from a
// little below sp up to the stack's top, bounded. It returns how the top
// was found, for tests and traces.
func (p *regionPlan) stackWindow(sp uint64, main bool) (MemRange, string) {
	top, how := p.stackTop(sp, main)
	// 64-byte aligned, so pieces a server refuses (an MPU guard) are
	// named at round addresses.
	lo := (sp - min(sp-(sp&^0x1FFFFFFF), stackBelow)) &^ 63
	if top-sp > maxStackWindow {
		top = sp + maxStackWindow
	}
	return MemRange{Addr: lo, Size: top - lo}, how
}

// stackTop finds where the stack holding sp ends. The main stack's top is
// most often named by the linker script or the vector table; a task's stack
// (PSP) is an object or lies in a section, so those are asked first there.
func (p *regionPlan) stackTop(sp uint64, main bool) (uint64, string) {
	type source struct {
		how  string
		tops func() []uint64
	}
	linker := source{"linker symbol", p.linkerTops}
	vectors := source{"initial SP", p.initialSPs}
	object := source{"object", func() []uint64 { return p.objectTop(sp) }}
	section := source{"section", func() []uint64 { return p.sectionTop(sp) }}
	mpu := source{"MPU region", func() []uint64 { return p.mpuTop(sp) }}
	order := []source{linker, vectors, object, section, mpu}
	if !main {
		order = []source{object, section, mpu, linker, vectors}
	}
	for _, s := range order {
		best := uint64(0)
		for _, t := range s.tops() {
			// A top is plausible for sp when it is at or above it, near
			// enough, and in the same part of the memory map.
			if t >= sp && t-sp <= maxStackWindow && sameMemory(sp, t-1) && (best == 0 || t < best) {
				best = t
			}
		}
		if best != 0 {
			return best, s.how
		}
	}
	top := (sp + fallbackWindow + 0xFFF) &^ 0xFFF
	return min(top, memClassEnd(sp)), "fallback"
}

// farTop is the nearest top the image names for sp's stack that is too
// far above it for a window (a recursion deeper than maxStackWindow, or
// an SP that left its stack), and where it comes from; 0 for none.
func (p *regionPlan) farTop(sp uint64, main bool) (uint64, string) {
	best, from := uint64(0), ""
	check := func(how string, tops []uint64) {
		for _, t := range tops {
			if t > sp && t-sp > maxStackWindow && sameMemory(sp, t-1) && (best == 0 || t < best) {
				best, from = t, how
			}
		}
	}
	if main {
		check("linker symbol", p.linkerTops())
		check("initial SP", p.initialSPs())
	}
	check("object", p.objectTop(sp))
	return best, from
}

func (p *regionPlan) linkerTops() []uint64 {
	if p.img == nil {
		return nil
	}
	return elfsym.LinkerStackTops(p.img, maxStackWindow)
}

// initialSPs are word 0 of the ELF's vector table and of the live one.
func (p *regionPlan) initialSPs() []uint64 {
	var out []uint64
	if p.img != nil {
		if vt, ok := elfsym.FindVectorTable(p.img); ok {
			var w [4]byte
			if n, _ := p.img.ReadMemory(w[:], vt); n == 4 {
				out = append(out, uint64(binary.LittleEndian.Uint32(w[:])))
			}
		}
	}
	if p.read != nil {
		if vtor, err := p.read(addrVTOR); err == nil {
			if sp, err := p.read(uint64(vtor)); err == nil {
				out = append(out, uint64(sp))
			}
		}
	}
	return out
}

// objectTop is the end of the sized data object holding sp: a static task
// stack, Zephyr's z_main_stack, FreeRTOS heap_4's ucHeap.
func (p *regionPlan) objectTop(sp uint64) []uint64 {
	if p.img == nil {
		return nil
	}
	if s, _, ok := p.img.SymbolAt(sp); ok && !s.Func && s.Size > 0 && sp < s.Addr+s.Size {
		return []uint64{s.Addr + s.Size}
	}
	return nil
}

// sectionTop is the end of the writable section holding sp (a .stack,
// .bss or heap section).
func (p *regionPlan) sectionTop(sp uint64) []uint64 {
	if p.img == nil {
		return nil
	}
	var out []uint64
	for _, s := range p.img.Sections() {
		// sp may equal the end: an empty full-descending stack.
		if s.Alloc && s.Write && s.Size > 0 && sp >= s.Addr && sp <= s.Addr+s.Size {
			out = append(out, s.Addr+s.Size)
		}
	}
	return out
}

// mpuTop is the end of the smallest enabled MPU region holding sp.
func (p *regionPlan) mpuTop(sp uint64) []uint64 {
	if !p.mpuRead {
		p.mpuRead = true
		p.mpu = readMPU(p.read, p.write)
	}
	var best MemRange
	for _, r := range p.mpu {
		if sp >= r.Addr && sp < r.End() && (best.Size == 0 || r.Size < best.Size) {
			best = r
		}
	}
	if best.Size == 0 {
		return nil
	}
	return []uint64{best.End()}
}

// MPU registers (PMSAv7 and PMSAv8 share the addresses).
const (
	addrCPUID   = 0xE000ED00
	addrMPUType = 0xE000ED90
	addrMPUCtrl = 0xE000ED94
	addrMPURNR  = 0xE000ED98
	addrMPURBAR = 0xE000ED9C
	addrMPURASR = 0xE000EDA0 // RLAR on ARMv8-M
)

// readMPU lists the enabled MPU regions. Selecting a region means writing
// RNR, so the firmware's RNR is put back afterwards.
func readMPU(read func(uint64) (uint32, error), write func(uint64, uint32) error) []MemRange {
	if read == nil || write == nil {
		return nil
	}
	typ, err := read(addrMPUType)
	if err != nil {
		return nil
	}
	n := int(typ>>8) & 0xFF
	ctrl, err := read(addrMPUCtrl)
	if err != nil || n == 0 || ctrl&1 == 0 {
		return nil
	}
	cpuid, _ := read(addrCPUID)
	v8 := (cpuid>>4)&0xFFF >= 0xD20 // Cortex-M23/M33/M55/M85...: PMSAv8
	rnr, err := read(addrMPURNR)
	if err != nil {
		return nil
	}
	defer write(addrMPURNR, rnr) //nolint:errcheck // best effort: a failed restore cannot be undone either
	var out []MemRange
	for i := 0; i < n && i < 16; i++ {
		if write(addrMPURNR, uint32(i)) != nil {
			return out
		}
		rbar, err1 := read(addrMPURBAR)
		rasr, err2 := read(addrMPURASR)
		if err1 != nil || err2 != nil || rasr&1 == 0 {
			continue
		}
		if v8 {
			base, limit := uint64(rbar&^0x1F), uint64(rasr|0x1F)
			if limit > base {
				out = append(out, MemRange{Name: fmt.Sprintf("mpu%d", i), Addr: base, Size: limit + 1 - base})
			}
			continue
		}
		size := uint64(1) << (((rasr >> 1) & 0x1F) + 1)
		if size < 32 {
			continue
		}
		out = append(out, MemRange{Name: fmt.Sprintf("mpu%d", i), Addr: uint64(rbar) &^ (size - 1), Size: size})
	}
	return out
}

// coverage is the set of addresses already planned, so a range planned
// later (a section holding a stack already read) is not read twice.
type coverage struct{ rs []MemRange } // sorted, disjoint

// uncovered returns the parts of r not yet covered, named as r.
func (c *coverage) uncovered(r MemRange) []MemRange {
	var out []MemRange
	at := r.Addr
	for _, x := range c.rs {
		if x.End() <= at || x.Addr >= r.End() {
			continue
		}
		if x.Addr > at {
			out = append(out, MemRange{Name: r.Name, Addr: at, Size: x.Addr - at})
		}
		at = max(at, x.End())
	}
	if at < r.End() {
		out = append(out, MemRange{Name: r.Name, Addr: at, Size: r.End() - at})
	}
	return out
}

// add covers r and returns the parts of it that were new.
func (c *coverage) add(r MemRange) []MemRange {
	pieces := c.uncovered(r)
	c.rs = append(c.rs, pieces...)
	sort.Slice(c.rs, func(i, j int) bool { return c.rs[i].Addr < c.rs[j].Addr })
	return pieces
}
