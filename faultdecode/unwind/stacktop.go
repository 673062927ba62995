package unwind

import (
	"encoding/binary"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
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
	// Tasks are the RTOS's tasks (nil for bare metal): a thread stack is
	// bounded by its task's.
	Tasks *rtos.System
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
// RTOS task's stack (Tasks), or of the object that holds sp (a static task
// stack array), bounds it. It never guesses from the end of RAM: a
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
		if v := s.taskStackTop(sp); v != 0 {
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

// taskStackTop is the top of the RTOS task stack that holds sp: the
// running task's when sp is in it or up to 4 KiB below its base (the
// task overflowed), else the task whose stack holds sp. 0 when there are
// no tasks or none holds sp.
func (s Stacks) taskStackTop(sp uint32) uint32 {
	if s.Tasks == nil {
		return 0
	}
	if cur := s.Tasks.Current(); cur != nil && cur.StackTop != 0 && sp < cur.StackTop && uint64(sp)+4096 >= uint64(cur.StackBase) {
		return cur.StackTop
	}
	if t := s.Tasks.TaskAt(sp); t != nil {
		return t.StackTop
	}
	return 0
}
