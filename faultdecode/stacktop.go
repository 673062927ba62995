package faultdecode

import (
	"encoding/binary"

	"github.com/faultline-dev/faultline/elfsym"
)

// dataObjects is what the stack bounds need to name objects in RAM;
// *elfsym.Image implements it.
type dataObjects interface {
	DataAt(addr uint64) (string, elfsym.Variable, bool)
	LookupVariable(name string) (elfsym.Variable, bool)
}

// vectorTable is the address of the vector table in the image: at VTOR
// when VTOR points into the image and word 0 there looks like an initial
// SP, else where elfsym finds the ELF's own table; ok is false when
// unknown. A table moved to RAM is not in the image, so the ELF's own
// table names the handlers then.
func (a *analysis) vectorTable() (addr uint32, ok bool) {
	if a.img == nil {
		return 0, false
	}
	if a.fr.Has(AddrVTOR) {
		var b [4]byte
		if n, _ := a.img.ReadMemory(b[:], uint64(a.fr.VTOR)); n == 4 {
			if v := binary.LittleEndian.Uint32(b[:]); v >= 0x01000000 && v < 0x40000001 && v&3 == 0 {
				return a.fr.VTOR, true
			}
		}
	}
	vt, ok := elfsym.FindVectorTable(a.img)
	return uint32(vt), ok
}

// initialSP is the initial MSP from the image's vector table, 0 when
// unknown.
func (a *analysis) initialSP() uint32 {
	vt, ok := a.vectorTable()
	if !ok {
		return 0
	}
	var b [4]byte
	if n, _ := a.img.ReadMemory(b[:], uint64(vt)); n != 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b[:])
}

// mainStackTops are the declared tops of the main stack: the vector
// table's initial SP and the linker's stack-top symbols.
func (a *analysis) mainStackTops() []uint32 {
	var out []uint32
	if v := a.initialSP(); v != 0 {
		out = append(out, v)
	}
	if a.img == nil {
		return out
	}
	for _, v := range elfsym.LinkerStackTops(a.img, 16<<20) {
		if v >= 0x01000000 && v < 0x40000001 {
			out = append(out, uint32(v))
		}
	}
	return out
}

// stackTopFor is the top of the stack that holds sp, 0 when unknown. For
// the main stack the declared tops win when sp is below one of them (the
// nearest above sp); otherwise, and for thread stacks, the end of the
// object that holds sp (a static task stack array), or of the RTOS task's
// stack allocation, bounds it. It never guesses from the end of RAM: a
// bound that is too low would end unwinding early.
func (a *analysis) stackTopFor(sp uint32, main bool) uint32 {
	if sp == 0 {
		return 0
	}
	best := uint32(0)
	closest := func(v uint32) {
		if v > sp && (best == 0 || v < best) {
			best = v
		}
	}
	if main {
		for _, v := range a.mainStackTops() {
			closest(v)
		}
		if best != 0 && best-sp <= 16<<20 {
			return best
		}
		best = 0
	}
	if !main {
		if v := a.rtosStackTop(sp); v != 0 {
			return v
		}
	}
	if d, ok := a.img.(dataObjects); ok && a.img != nil {
		if _, v, ok := d.DataAt(uint64(sp)); ok && v.Size >= 64 && v.Size <= 16<<20 {
			closest(uint32(v.Addr + v.Size))
		}
	}
	return best
}

// rtosStackTop is the top of the running FreeRTOS task's stack when sp is
// inside it: pxCurrentTCB->pxEndOfStack when the TCB records it, else the
// end of the heap block that holds pxStack (heap_4/heap_5 put an 8-byte
// header, the next-free link and the size with the allocated bit, before
// the block), else the object holding pxStack. 0 when not FreeRTOS or sp
// is not in the current task's stack.
func (a *analysis) rtosStackTop(sp uint32) uint32 {
	d, ok := a.img.(dataObjects)
	if !ok || a.img == nil {
		return 0
	}
	cur, ok := d.LookupVariable("pxCurrentTCB")
	if !ok || cur.Type == nil || cur.Type.Kind != elfsym.KindPointer || cur.Type.Elem == nil {
		return 0
	}
	tcb, err := read32(a.snap, cur.Addr)
	if err != nil || tcb == 0 {
		return 0
	}
	field := func(name string) (uint32, bool) {
		for _, f := range cur.Type.Elem.Fields {
			if f.Name == name {
				v, err := read32(a.snap, uint64(tcb)+f.Offset)
				return v, err == nil
			}
		}
		return 0, false
	}
	base, ok := field("pxStack")
	// An SP up to 4 KiB below pxStack is this task's stack overflowed.
	if !ok || base == 0 || uint64(sp)+4096 < uint64(base) {
		return 0
	}
	if end, ok := field("pxEndOfStack"); ok && end > base && sp <= end+4 {
		// pxEndOfStack is the highest usable word.
		return end + 4
	}
	if hdr, err := read32(a.snap, uint64(base)-4); err == nil {
		size := hdr &^ (1 << 31)
		if hdr&(1<<31) != 0 && size > 8 && size <= 1<<20 {
			if top := base - 8 + size; sp < top {
				return top
			}
		}
	}
	if _, v, ok := d.DataAt(uint64(base)); ok && v.Size <= 1<<20 {
		if top := uint32(v.Addr + v.Size); sp < top {
			return top
		}
	}
	return 0
}
