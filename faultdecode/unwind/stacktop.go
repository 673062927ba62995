package unwind

import (
	"encoding/binary"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// dataObjects is what the stack bounds need to name objects in RAM;
// *elfsym.Image implements it.
type dataObjects interface {
	DataAt(addr uint64) (string, elfsym.Variable, bool)
	LookupVariable(name string) (elfsym.Variable, bool)
}

// Stacks finds where the stacks of a capture end, from the image (its
// vector table, the linker's stack symbols, the objects that hold thread
// stacks) and the captured memory (an RTOS's current task).
type Stacks struct {
	Mem fault.Memory
	// Image is the firmware image, nil without an ELF. *elfsym.Image
	// implements it; the data objects (DataAt, LookupVariable) are used
	// when it has them.
	Image elfsym.VectorSource
	// VTOR is the captured VTOR, when HaveVTOR.
	VTOR     uint32
	HaveVTOR bool
}

// VectorTable is the address of the vector table in the image: at VTOR
// when VTOR points into the image and word 0 there looks like an initial
// SP, else where elfsym finds the ELF's own table; ok is false when
// unknown. A table moved to RAM is not in the image, so the ELF's own
// table names the handlers then.
func (s Stacks) VectorTable() (addr uint32, ok bool) {
	if s.Image == nil {
		return 0, false
	}
	if s.HaveVTOR {
		var b [4]byte
		if n, _ := s.Image.ReadMemory(b[:], uint64(s.VTOR)); n == 4 {
			if v := binary.LittleEndian.Uint32(b[:]); v >= 0x01000000 && v < 0x40000001 && v&3 == 0 {
				return s.VTOR, true
			}
		}
	}
	vt, ok := elfsym.FindVectorTable(s.Image)
	return uint32(vt), ok
}

// initialSP is the initial MSP from the image's vector table, 0 when
// unknown.
func (s Stacks) initialSP() uint32 {
	vt, ok := s.VectorTable()
	if !ok {
		return 0
	}
	var b [4]byte
	if n, _ := s.Image.ReadMemory(b[:], uint64(vt)); n != 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b[:])
}

// mainStackTops are the declared tops of the main stack: the vector
// table's initial SP and the linker's stack-top symbols.
func (s Stacks) mainStackTops() []uint32 {
	var out []uint32
	if v := s.initialSP(); v != 0 {
		out = append(out, v)
	}
	if s.Image == nil {
		return out
	}
	for _, v := range elfsym.LinkerStackTops(s.Image, 16<<20) {
		if v >= 0x01000000 && v < 0x40000001 {
			out = append(out, uint32(v))
		}
	}
	return out
}

// TopFor is the top of the stack that holds sp, 0 when unknown. For
// the main stack the declared tops win when sp is below one of them (the
// nearest above sp); otherwise, and for thread stacks, the end of the
// object that holds sp (a static task stack array), or of the RTOS task's
// stack allocation, bounds it. It never guesses from the end of RAM: a
// bound that is too low would end unwinding early.
func (s Stacks) TopFor(sp uint32, main bool) uint32 {
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
		for _, v := range s.mainStackTops() {
			closest(v)
		}
		if best != 0 && best-sp <= 16<<20 {
			return best
		}
		best = 0
	}
	if !main {
		if v := s.rtosStackTop(sp); v != 0 {
			return v
		}
	}
	if d, ok := s.Image.(dataObjects); ok && s.Image != nil {
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
func (s Stacks) rtosStackTop(sp uint32) uint32 {
	d, ok := s.Image.(dataObjects)
	if !ok || s.Image == nil {
		return 0
	}
	cur, ok := d.LookupVariable("pxCurrentTCB")
	if !ok || cur.Type == nil || cur.Type.Kind != elfsym.KindPointer || cur.Type.Elem == nil {
		return 0
	}
	tcb, err := fault.Read32(s.Mem, cur.Addr)
	if err != nil || tcb == 0 {
		return 0
	}
	field := func(name string) (uint32, bool) {
		for _, f := range cur.Type.Elem.Fields {
			if f.Name == name {
				v, err := fault.Read32(s.Mem, uint64(tcb)+f.Offset)
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
	if hdr, err := fault.Read32(s.Mem, uint64(base)-4); err == nil {
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
