package fault

import (
	"encoding/binary"
	"fmt"
)

// ExceptionFrame is the state the core pushed on exception entry.
type ExceptionFrame struct {
	Addr      uint32 // where the frame starts (the SP after stacking)
	Stack     string // "MSP" or "PSP"
	R         [4]uint32
	R12       uint32
	LR        uint32
	PC        uint32 // return address: for a precise fault, the faulting instruction
	XPSR      Xpsr
	FP        bool       // extended frame (s0-s15, FPSCR)
	S         [16]uint32 // valid only when FP
	FPSCR     uint32
	Size      uint32 // bytes the frame occupies, realignment padding included
	Realigned bool   // stacked xPSR bit 9: 4 bytes of padding above the frame
}

// SPBefore is the stack pointer of the interrupted code, before stacking.
func (f ExceptionFrame) SPBefore() uint32 { return f.Addr + f.Size }

// ReadExceptionFrame reads the frame at addr in the form er says (basic
// 0x20 bytes, or extended 0x68 with FP state).
func ReadExceptionFrame(mem Memory, addr uint32, er ExcReturn) (ExceptionFrame, error) {
	size := er.FrameSize()
	buf := make([]byte, size)
	n, err := mem.ReadMemory(buf, uint64(addr))
	if n < len(buf) {
		if err == nil {
			err = fmt.Errorf("short read")
		}
		return ExceptionFrame{}, fmt.Errorf("read exception frame at 0x%08x (%d bytes): %w", addr, size, err)
	}
	w := func(i int) uint32 { return binary.LittleEndian.Uint32(buf[i*4:]) }
	f := ExceptionFrame{Addr: addr, Stack: "MSP", FP: er.FPFrame(), Size: size}
	if er.PSP() {
		f.Stack = "PSP"
	}
	for i := range 4 {
		f.R[i] = w(i)
	}
	f.R12, f.LR, f.PC, f.XPSR = w(4), w(5), w(6), Xpsr(w(7))
	if f.FP {
		for i := range 16 {
			f.S[i] = w(8 + i)
		}
		f.FPSCR = w(24)
	}
	if f.XPSR.Realigned() {
		f.Realigned = true
		f.Size += 4
	}
	return f, nil
}

// Plausible reports whether the frame looks like a real exception frame: the
// Thumb bit set in xPSR and a halfword-aligned PC. A frame read from a stack
// that was not stacked (a lockup, a guessed address) often fails this.
func (f ExceptionFrame) Plausible() bool {
	return f.XPSR.Thumb() && f.PC&1 == 0
}
