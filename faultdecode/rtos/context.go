package rtos

import "fmt"

// A Port is the layout a FreeRTOS port's context switch leaves on a
// switched-out task's stack, at the TCB's pxTopOfStack.
type Port string

// The layouts, from the ports' xPortPendSVHandler (FreeRTOS-Kernel V11,
// portable/GCC/...):
//
//	ARM_CM3:   stmdb r0!, {r4-r11}               -> r4..r11, then the hardware frame
//	ARM_CM4F:  vstmdbeq r0!, {s16-s31} (if EXC_RETURN bit 4 is clear);
//	           stmdb r0!, {r4-r11, r14}          -> r4..r11, EXC_RETURN, [s16..s31], hardware frame
//	ARM_CM0 (V11.1+): subs r0, #36; stmia r0!, {r3-r7} (r3 = EXC_RETURN);
//	           stmia r0!, {r8-r11 via r4-r7}     -> EXC_RETURN, r4..r7, r8..r11, hardware frame
//	ARM_CM0 (before V11.1): subs r0, #32; r4..r7, r8..r11 -> as ARM_CM3
//
// The hardware frame is r0-r3, r12, lr, pc, xPSR, plus s0-s15, FPSCR and a
// reserved word when EXC_RETURN bit 4 is clear, plus one word of padding
// when xPSR bit 9 says the core aligned the stack.
const (
	PortCM3  Port = "ARM_CM3"
	PortCM4F Port = "ARM_CM4F"
	PortCM0  Port = "ARM_CM0"
)

// A Context is the registers a switched-out task will resume with.
type Context struct {
	Port Port
	// R holds r0-r12, sp (the task's SP after the frame is popped), lr
	// and pc (Thumb bit clear).
	R         [16]uint32
	XPSR      uint32
	ExcReturn uint32 // as saved, or 0xFFFFFFFD for ports that do not save it
	FPU       bool   // the task had an FP context (s0-s31 saved too)
}

// excReturnThreadPSP reports whether v is an EXC_RETURN that returns to
// thread mode on the process stack, the only kind a task switch saves.
func excReturnThreadPSP(v uint32) bool {
	return v == 0xFFFFFFFD || v == 0xFFFFFFED
}

// SavedContext decodes the context port saved at top (a TCB's
// pxTopOfStack).
func SavedContext(mem Memory, port Port, top uint32) (*Context, error) {
	c := &Context{Port: port, ExcReturn: 0xFFFFFFFD}
	at := top
	switch port {
	case PortCM3:
		w, err := readWords(mem, at, 8)
		if err != nil {
			return nil, fmt.Errorf("saved r4-r11: %w", err)
		}
		copy(c.R[4:12], w)
		at += 32
	case PortCM4F:
		w, err := readWords(mem, at, 9)
		if err != nil {
			return nil, fmt.Errorf("saved r4-r11, lr: %w", err)
		}
		copy(c.R[4:12], w[:8])
		c.ExcReturn = w[8]
		at += 36
		if !excReturnThreadPSP(c.ExcReturn) {
			return nil, fmt.Errorf("saved EXC_RETURN 0x%08x at 0x%08x does not return to a task", c.ExcReturn, top+32)
		}
		if c.ExcReturn&0x10 == 0 {
			c.FPU = true
			at += 16 * 4 // s16-s31
		}
	case PortCM0:
		w, err := readWords(mem, at, 9)
		if err != nil {
			return nil, fmt.Errorf("saved context: %w", err)
		}
		if excReturnThreadPSP(w[0]) { // V11.1+: EXC_RETURN first
			c.ExcReturn = w[0]
			copy(c.R[4:12], w[1:9])
			at += 36
		} else {
			copy(c.R[4:12], w[:8])
			at += 32
		}
	default:
		return nil, fmt.Errorf("unknown port layout %q", port)
	}
	hw, err := readWords(mem, at, 8)
	if err != nil {
		return nil, fmt.Errorf("saved hardware frame: %w", err)
	}
	copy(c.R[0:4], hw[0:4])
	c.R[12], c.R[14], c.R[15], c.XPSR = hw[4], hw[5], hw[6]&^1, hw[7]
	at += 32
	if c.FPU {
		at += 18 * 4 // s0-s15, FPSCR, reserved
	}
	if c.XPSR&(1<<9) != 0 {
		at += 4
	}
	c.R[13] = at
	return c, nil
}
