package unwind

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-delve/delve/pkg/dwarf/frame"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// Program is what the unwinder needs from the firmware image;
// *elfsym.Image implements it. Tests use fakes.
type Program interface {
	FrameContext(pc uint64) (*frame.FrameContext, error)
	Frames(addr uint64) []elfsym.Frame
	IsCode(addr uint64) bool
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// How a frame was found (report field "how").
const (
	HowFaultPC        = "fault-pc"
	HowCFI            = "cfi"
	HowExceptionFrame = "exception-frame"
	HowLR             = "lr"
	HowStackScan      = "stack-scan"
	HowTailCall       = "tail-call"
	HowPrologue       = "prologue" // a frame rule from prologue analysis (code without CFI)
)

// Confidence levels (report field "confidence"), best first.
const (
	Certain = "certain"
	Likely  = "likely"
	Guess   = "guess"
)

func confRank(c string) int {
	switch c {
	case Certain:
		return 0
	case Likely:
		return 1
	}
	return 2
}

func minConf(a, b string) string {
	if confRank(a) >= confRank(b) {
		return a
	}
	return b
}

// Range is a half-open address range [Start, End).
type Range struct{ Start, End uint32 }

// Contains reports whether a is in the range.
func (r Range) Contains(a uint32) bool { return a >= r.Start && a < r.End }

// InRAM reports whether a is in one of the ranges; no ranges at all mean
// the ARM SRAM region 0x20000000-0x40000000.
func InRAM(ram []Range, a uint32) bool {
	if len(ram) == 0 {
		return a >= 0x20000000 && a < 0x40000000
	}
	for _, r := range ram {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// Frame is one physical stack frame.
type Frame struct {
	PC         uint32 // code address, Thumb bit cleared; a caller frame's is its return address
	Lookup     uint32 // address used for CFI and lines: PC, or return address - 2 (the call)
	SP         uint32 // the frame's SP when it was interrupted or made its call
	How        string
	Confidence string
	NotCode    bool           // PC is not in the image's code (a wild jump)
	Funcs      []elfsym.Frame // inlined chain at Lookup, innermost first; nil when unknown
	Exception  *fault.ExceptionFrame
	Regs       fault.Regs // registers as unwound for this frame
	Bottom     bool       // the outermost frame: unwinding ended normally here
	Err        error      // why unwinding could not go past this frame, if it could not
}

// UnwindStart is where unwinding begins.
type UnwindStart struct {
	// Regs holds the registers of the first frame: the faulting context
	// (already taken from the exception frame) or the stop registers.
	Regs fault.Regs
	// How and Confidence describe frame 0.
	How        string
	Confidence string
	// MSP and PSP are the stack pointers at the stop, for crossing into
	// exception frames of outer contexts.
	MSP, PSP         uint32
	HaveMSP, HavePSP bool
	// RAM bounds every SP; empty means the ARM SRAM region
	// 0x20000000-0x40000000.
	RAM []Range
	// StackTop is the top of the main stack (the initial MSP from the
	// vector table, or a linker symbol such as _estack; 0 = unknown): a
	// frame on the MSP whose SP reaches it is the bottom, and a stack scan
	// on the MSP never reads past it.
	StackTop uint32
	// PSPTop is the top of the process stack the faulting thread ran on
	// (a task's stack bound, or the end of the object holding PSP; 0 =
	// unknown). It plays StackTop's role for frames on the PSP.
	PSPTop uint32
	// OnPSP says frame 0 runs on the process stack.
	OnPSP bool
	// IPSR is the exception frame 0 runs in (0 = thread mode), and
	// VectorTable the address of the vector table in the image (when
	// HaveVectorTable): together they name the handler that was entered,
	// so a handler that tail-called its way out of its frame comes back.
	IPSR            uint32
	VectorTable     uint32
	HaveVectorTable bool
	// ScanFirst says frame 0 is unknown (its registers were lost, e.g.
	// stacking failed): the first frame is found by scanning the stack
	// upwards from Regs' SP.
	ScanFirst bool
	// MaxDepth caps the number of frames (0 = 64).
	MaxDepth int
}

// NotCodeError says an address the unwinder would have followed is not
// code; Addr is the raw value (a corrupt return address, a data word).
type NotCodeError struct {
	What string
	Addr uint32
}

func (e *NotCodeError) Error() string { return fmt.Sprintf("%s 0x%08x is not code", e.What, e.Addr) }

// Is makes a NotCodeError an ErrCorrupt.
func (e *NotCodeError) Is(target error) bool { return target == ErrCorrupt }

// ErrCorrupt marks a stop caused by stack contents that cannot be right (as
// opposed to missing debug information).
var ErrCorrupt = errors.New("corrupt stack")

// ErrDepth is the error when the depth cap stopped unwinding.
var ErrDepth = errors.New("depth cap reached")

// Unwinder walks frames innermost first: for u.Next() { f := u.Frame() }.
// It never loops: a depth cap, SPs that must grow (except when crossing to
// another stack through an exception frame), and stops at PC 0, at the
// stack top, and when neither CFI nor the stack scan finds a caller.
type Unwinder struct {
	mem    fault.Memory
	prog   Program
	start  UnwindStart
	depth  int
	cur    Frame
	next   *Frame
	done   bool
	err    error
	sameSP bool    // the previous step did not grow SP
	onPSP  bool    // the frame being stepped runs on the process stack
	ipsr   uint32  // the exception the frame being stepped runs in
	queue  []Frame // frames found but not yet returned (a tail-call chain, then its caller)
}

// NewUnwinder prepares an unwinder over stack memory mem and the image prog
// (nil: only frame 0).
func NewUnwinder(mem fault.Memory, prog Program, start UnwindStart) *Unwinder {
	if start.MaxDepth <= 0 {
		start.MaxDepth = 64
	}
	if len(start.RAM) == 0 {
		start.RAM = []Range{{0x20000000, 0x40000000}}
	}
	if start.How == "" {
		start.How = HowFaultPC
	}
	if start.Confidence == "" {
		start.Confidence = Certain
	}
	u := &Unwinder{mem: mem, prog: prog, start: start, onPSP: start.OnPSP, ipsr: start.IPSR}
	if start.ScanFirst {
		u.scanFirst()
		return u
	}
	f := u.makeFrame(start.Regs, false, start.How, start.Confidence)
	u.next = &f
	return u
}

// scanFirst finds frame 0 by a stack scan when the faulting code's
// registers are lost; without a result there are no frames at all.
func (u *Unwinder) scanFirst() {
	if u.prog == nil {
		u.err = errors.New("no ELF: cannot scan the stack for return addresses")
		return
	}
	var f Frame
	f.Regs.Set(fault.RegSP, u.start.Regs.R[fault.RegSP])
	f.SP = f.Regs.R[fault.RegSP]
	f.PC = 0xFFFFFFFF // matches no return address
	sf, err := u.scan(f)
	if sf == nil {
		if err == nil || errors.Is(err, errBottom) {
			err = errors.New("no return address found on the stack")
		}
		u.err = fmt.Errorf("stack scan from 0x%08x: %w", f.SP, err)
		return
	}
	u.next = sf
}

// Next advances to the next frame and reports whether there is one.
func (u *Unwinder) Next() bool {
	if u.next == nil || u.done {
		return false
	}
	if u.depth >= u.start.MaxDepth {
		u.err = fmt.Errorf("%w (%d frames)", ErrDepth, u.start.MaxDepth)
		u.done = true
		return false
	}
	u.cur = *u.next
	u.depth++
	if len(u.queue) > 0 {
		// A frame restored from call-site information has no registers
		// of its own to step from: the real caller follows it.
		u.next = &u.queue[0]
		u.queue = u.queue[1:]
		return true
	}
	nf, err := u.step(u.cur)
	switch {
	case err != nil:
		u.cur.Err = err
		u.err = err
		u.next = nil
	case nf == nil:
		u.cur.Bottom = true
		u.next = nil
	default:
		chain := u.tailCalls(u.cur, *nf)
		if u.depth == 1 && u.cur.NotCode && nf.How == HowStackScan {
			chain = u.openCallee(*nf)
		}
		if nf.Exception != nil {
			u.onPSP = nf.Exception.Stack == "PSP"
			u.ipsr = uint32(nf.Exception.XPSR) & 0x1FF
		}
		if len(chain) > 0 {
			u.queue = append(chain[1:], *nf)
			u.next = &chain[0]
			return true
		}
		u.next = nf
	}
	return true
}

// Frame is the current frame.
func (u *Unwinder) Frame() Frame { return u.cur }

// Err says why unwinding stopped early (nil at a normal bottom).
func (u *Unwinder) Err() error { return u.err }

// makeFrame builds a frame from registers. ret says PC is a return
// address, so lookups use the call instruction before it.
func (u *Unwinder) makeFrame(r fault.Regs, ret bool, how, conf string) Frame {
	pc := r.R[fault.RegPC] &^ 1
	f := Frame{PC: pc, Lookup: pc, SP: r.R[fault.RegSP], How: how, Confidence: conf, Regs: r}
	if ret && pc >= 2 {
		f.Lookup = pc - 2
	}
	if u.prog != nil {
		// Address 0 holds the initial SP, never an instruction, even
		// where the vector table sits in an executable section (Zephyr's
		// rom_start): a PC of 0 is a jump through a null pointer. Nor is
		// any word of the table's 16 system entries (a PC of 0x2: a task
		// switched in from a zeroed context; a small integer called as a
		// function), which gdb names as the table object.
		f.NotCode = (pc == 0 && !ret) || u.inVectorTable(f.Lookup) || !u.prog.IsCode(uint64(f.Lookup))
		if !f.NotCode {
			f.Funcs = u.selfInlineless(u.prog.Frames(uint64(f.Lookup)))
		}
	}
	return f
}

// inVectorTable reports whether a is in the vector table's system
// entries (initial SP, reset .. SysTick: 16 words), which are data.
func (u *Unwinder) inVectorTable(a uint32) bool {
	return u.start.HaveVectorTable && a >= u.start.VectorTable && a-u.start.VectorTable < 16*4
}

// selfInlineless drops a function "inlined into itself" at its own first
// first line or before it (its declaration): GCC describes part of a
// function it split that way, and showing it would double a frame the
// source has once. A real recursive call inlined into itself is kept: its
// call line is in the body, after the function's first line. The first
// line is the function's line at its Entry: of its out-of-line copy, or,
// when it has none, of the inlined copy itself (libstdc++'s _S_copy
// inlined into _M_mutate), there inlined into something else, so the
// outermost frame of that function there says it.
func (u *Unwinder) selfInlineless(fs []elfsym.Frame) []elfsym.Frame {
	for i := 0; i+1 < len(fs); i++ {
		in, out := fs[i], fs[i+1]
		if !in.Inlined || in.Function != out.Function || out.Entry == 0 {
			continue
		}
		first, ok := 0, false
		for _, f := range u.prog.Frames(out.Entry) {
			if f.Function == out.Function {
				first, ok = f.Line, true
			}
		}
		if !ok || out.Line > first {
			continue
		}
		merged := append([]elfsym.Frame(nil), fs[:i]...)
		in.Inlined = out.Inlined
		merged = append(merged, in)
		return append(merged, fs[i+2:]...)
	}
	return fs
}

func (u *Unwinder) inRAM(a uint32) bool { return InRAM(u.start.RAM, a) }

// spInRAM reports whether sp can be a stack pointer into RAM: in it, or
// just past a range's end, where a full-descending stack that is empty
// points (main's caller, the reset handler, runs at the initial SP, the
// stack's top, one past the last word captured).
func (u *Unwinder) spInRAM(sp uint32) bool { return u.inRAM(sp) || (sp != 0 && u.inRAM(sp-1)) }

// step finds the caller of f. (nil, nil) is a normal bottom.
func (u *Unwinder) step(f Frame) (*Frame, error) {
	// PC 0 ends a chain of callers (a cleared LR), but as the first frame
	// (or the first of an interrupted context, from its exception frame)
	// it is a jump through a null function pointer: LR still finds the
	// caller.
	if f.PC == 0 {
		lr, ok := f.Regs.Get(fault.RegLR)
		if (u.depth > 1 && f.Exception == nil) || !f.NotCode || !ok || lr&^1 == 0 {
			return nil, nil
		}
	}
	if u.prog == nil {
		return nil, errors.New("no ELF: cannot unwind past the first frame")
	}
	// Only the main stack's top is a hard bottom: nothing calls the reset
	// handler. A thread's frames may sit at its stack's top and still have
	// callers (code that switched stacks, its CFA kept in r7).
	if top := u.start.StackTop; !u.onPSP && top != 0 && f.SP >= top && f.Exception == nil && u.depth > 1 {
		return nil, nil
	}
	if isBottomFunc(f) {
		return nil, nil
	}
	if f.NotCode {
		if u.depth == 1 || f.Exception != nil {
			// A wild jump: the callee never ran, so LR (the stacked one
			// for an interrupted context) still holds the caller's return
			// address and SP is the caller's.
			return u.fromLR(f)
		}
		return nil, fmt.Errorf("0x%08x is not code", f.PC)
	}
	if _, err := u.prog.FrameContext(uint64(f.Lookup)); err != nil {
		// Code without CFI may still have the compiler's rule in the
		// EHABI index (C++ with exceptions, -funwind-tables).
		if xf, _ := u.exidxStep(f); xf != nil {
			return xf, nil
		}
	}
	if lf, ok := u.leafWithoutCFI(f); ok {
		return lf, nil
	}
	nf, err := u.cfiStep(f)
	if err == nil {
		return nf, nil
	}
	if errors.Is(err, errBottom) {
		return nil, nil
	}
	// Code without CFI (nor an EHABI entry): its prologue says where the
	// caller's state is. Without an answer (or with a bottom, which only
	// the scan's own bound confirms) the stack scan follows as before.
	if pf, _ := u.prologueStep(f); pf != nil {
		return pf, nil
	}
	if sf, serr := u.scan(f); sf != nil {
		return sf, nil
	} else if errors.Is(serr, errBottom) && !errors.Is(err, ErrCorrupt) {
		return nil, nil
	} else if serr != nil && !errors.Is(serr, errBottom) {
		return nil, fmt.Errorf("%w; stack scan: %v", err, serr)
	}
	return nil, err
}

var errBottom = errors.New("bottom of the stack")

// leafWithoutCFI steps out of a first frame that has no CFI (a hand-written
// assembly leaf such as newlib's memcpy) through LR: the registers are the
// faulting code's own, a leaf leaves LR alone, and a stack scan would skip
// the caller for an older, stale return address. LR must follow a call
// and lie in another function (a non-leaf that called out has LR in
// itself). A leaf may still push registers (newlib's strlen for ARMv7E-M:
// strd r4, r5, [sp, #-8]!): its prologue says how far, and where they are.
func (u *Unwinder) leafWithoutCFI(f Frame) (*Frame, bool) {
	if u.depth != 1 || f.NotCode {
		return nil, false
	}
	if _, err := u.prog.FrameContext(uint64(f.Lookup)); err == nil {
		return nil, false
	}
	lr, ok := f.Regs.Get(fault.RegLR)
	ret := lr &^ 1
	if !ok || lr&1 == 0 || fault.ExcReturn(lr).Valid() || !u.prog.IsCode(uint64(ret)) || !fault.CallBefore(u.prog, ret) {
		return nil, false
	}
	if !u.hasCallerRule(ret - 2) {
		return nil, false // the caller has no CFI or EHABI entry either: no better than a scan
	}
	in, out := u.prog.Frames(uint64(f.Lookup)), u.prog.Frames(uint64(ret-2))
	if len(in) > 0 && len(out) > 0 && in[len(in)-1].Function == out[len(out)-1].Function {
		return nil, false
	}
	r := f.Regs
	if len(in) > 0 && in[len(in)-1].Entry != 0 {
		fn := uint32(in[len(in)-1].Entry) &^ 1
		rule, err := fault.AnalyzePrologue(u.prog, fn, f.PC, true)
		if _, lrSaved := rule.SavedAt(fault.RegLR); err == nil && !rule.SPLost && !lrSaved {
			if u.restoreSaved(&r, rule, f.SP+rule.CFA) != nil {
				return nil, false
			}
			r.Set(fault.RegSP, f.SP+rule.CFA)
		}
	}
	r.Set(fault.RegPC, ret)
	nf := u.makeFrame(r, true, HowLR, minConf(f.Confidence, Likely))
	return &nf, true
}

// restoreSaved sets the registers a prologue rule says were saved below
// cfa to the values saved there.
func (u *Unwinder) restoreSaved(r *fault.Regs, rule fault.FrameRule, cfa uint32) error {
	for reg := 0; reg <= 15; reg++ {
		if off, ok := rule.SavedAt(reg); ok {
			v, err := fault.Read32(u.mem, uint64(int64(cfa)+int64(off)))
			if err != nil {
				return fmt.Errorf("restore r%d: %w", reg, err)
			}
			r.Set(reg, v)
		}
	}
	return nil
}

func (u *Unwinder) fromLR(f Frame) (*Frame, error) {
	lr, ok := f.Regs.Get(fault.RegLR)
	if !ok {
		return nil, fmt.Errorf("PC 0x%08x is not code and LR is unknown", f.PC)
	}
	if fault.ExcReturn(lr).Valid() {
		return u.crossException(f, f.Regs, fault.ExcReturn(lr), f.Regs.R[fault.RegSP])
	}
	if !u.prog.IsCode(uint64(lr&^1)) || lr&^1 == 0 {
		if sf, _ := u.scan(f); sf != nil {
			return sf, nil
		}
		return nil, fmt.Errorf("PC 0x%08x is not code and LR 0x%08x is not a return address", f.PC, lr)
	}
	r := f.Regs
	r.Set(fault.RegPC, lr&^1)
	nf := u.makeFrame(r, true, HowLR, minConf(f.Confidence, Likely))
	return &nf, nil
}

// cfiStep applies the CFI row for f.Lookup.
func (u *Unwinder) cfiStep(f Frame) (*Frame, error) {
	fc, err := u.prog.FrameContext(uint64(f.Lookup))
	if err != nil {
		return nil, fmt.Errorf("no CFI for 0x%08x: %w", f.Lookup, err)
	}
	if fc.CFA.Rule != frame.RuleCFA {
		return nil, fmt.Errorf("CFA rule %d at 0x%08x not supported", fc.CFA.Rule, f.Lookup)
	}
	base, ok := f.Regs.Get(int(fc.CFA.Reg))
	if fc.CFA.Reg > 15 || !ok {
		return nil, fmt.Errorf("CFA register r%d unknown at 0x%08x", fc.CFA.Reg, f.Lookup)
	}
	cfa := uint32(int64(base) + fc.CFA.Offset)
	caller := f.Regs
	// Registers in number order, not map order: the first one that cannot
	// be restored names the error, and reports must be reproducible.
	for reg := uint64(0); reg <= 15; reg++ {
		rule, ok := fc.Regs[reg]
		if !ok {
			continue
		}
		switch rule.Rule {
		case frame.RuleOffset:
			v, err := fault.Read32(u.mem, uint64(int64(cfa)+rule.Offset))
			if err != nil {
				return nil, fmt.Errorf("restore r%d: %w", reg, err)
			}
			caller.Set(int(reg), v)
		case frame.RuleValOffset:
			caller.Set(int(reg), uint32(int64(cfa)+rule.Offset))
		case frame.RuleRegister:
			v, ok := f.Regs.Get(int(rule.Reg))
			if !ok || rule.Reg > 15 {
				caller.Known &^= 1 << reg
				continue
			}
			caller.Set(int(reg), v)
		case frame.RuleUndefined:
			caller.Known &^= 1 << reg
		}
	}
	raReg := int(fc.RetAddrReg)
	if raReg > 15 {
		raReg = fault.RegLR
	}
	if !savedRule(fc, raReg) && f.Lookup != f.PC && f.Exception == nil {
		// This frame made a call (its PC is a return address), which
		// overwrote LR, and its CFI says it never saved it: a function
		// that does not return (a task entry, a main loop). Reading LR
		// here would repeat this frame. On the main stack it may also be
		// a naked exception handler whose CFI says nothing (an RTOS's
		// context switch): if it saved an EXC_RETURN, follow that.
		if !u.onPSP {
			if nf, _ := u.scanWords(f, 64, true); nf != nil {
				return nf, nil
			}
		}
		return nil, errBottom
	}
	ret, ok := caller.Get(raReg)
	if !ok {
		return nil, errBottom
	}
	return u.toCaller(f, caller, cfa, ret, HowCFI, minConf(f.Confidence, Certain))
}

// toCaller checks and builds the caller of f from a rule's result: its
// registers, CFA and return address; how and conf describe the rule.
func (u *Unwinder) toCaller(f Frame, caller fault.Regs, cfa, ret uint32, how, conf string) (*Frame, error) {
	caller.Set(fault.RegSP, cfa)
	if cfa < f.SP || (cfa == f.SP && u.sameSP) {
		return nil, fmt.Errorf("%w: no progress, SP 0x%08x -> 0x%08x", ErrCorrupt, f.SP, cfa)
	}
	if fault.IsExcReturn(ret) {
		if !fault.ExcReturn(ret).Valid() {
			return nil, errBottom // e.g. LR's reset value 0xFFFFFFFF
		}
		return u.crossException(f, caller, fault.ExcReturn(ret), cfa)
	}
	if ret&^1 == 0 {
		return nil, errBottom
	}
	if !u.spInRAM(cfa) {
		return nil, fmt.Errorf("%w: SP 0x%08x is outside RAM", ErrCorrupt, cfa)
	}
	if !u.prog.IsCode(uint64(ret&^1 - 2)) {
		if u.plantedReturn(ret) {
			return nil, errBottom
		}
		return nil, &NotCodeError{What: "return address", Addr: ret}
	}
	if !fault.CallBefore(u.prog, ret&^1) {
		if u.plantedReturn(ret) {
			// A thread-exit function an RTOS put in the task's initial
			// LR (FreeRTOS prvTaskExitError, ...): the task entry is
			// the bottom.
			return nil, errBottom
		}
		return nil, fmt.Errorf("%w: return address 0x%08x does not follow a call", ErrCorrupt, ret)
	}
	u.sameSP = cfa == f.SP
	caller.Set(fault.RegPC, ret&^1)
	nf := u.makeFrame(caller, true, how, conf)
	return &nf, nil
}

// crossException follows an EXC_RETURN into the frame the core stacked for
// the interrupted context. cur is the SP the handler returned with (its
// CFA), the frame's address when it was on the MSP; regs are the
// handler's caller-side registers (r4-r11 as restored by its CFI).
func (u *Unwinder) crossException(f Frame, regs fault.Regs, er fault.ExcReturn, cur uint32) (*Frame, error) {
	addr := cur
	if er.PSP() {
		if !u.start.HavePSP {
			return nil, fmt.Errorf("EXC_RETURN 0x%08x: frame on PSP but PSP is unknown", uint32(er))
		}
		addr = u.start.PSP
	}
	if !u.inRAM(addr) {
		return nil, fmt.Errorf("exception frame at 0x%08x is outside RAM", addr)
	}
	ef, err := fault.ReadExceptionFrame(u.mem, addr, er)
	if err != nil {
		return nil, err
	}
	// A clear T bit is stacked only by the fault on that very fetch (a
	// BX/BLX to an even address: INVSTATE), so it is allowed when the
	// handler being left is a fault's (HardFault .. UsageFault), never an
	// interrupt's.
	invstate := ef.PC&1 == 0 && u.ipsr >= 3 && u.ipsr <= 6 && !ef.XPSR.ReservedException()
	if !ef.Plausible() && !invstate {
		return nil, fmt.Errorf("exception frame at 0x%08x is not plausible (xPSR 0x%08x, PC 0x%08x)", addr, uint32(ef.XPSR), ef.PC)
	}
	r := fault.RegsFromFrame(regs, ef)
	u.sameSP = false
	nf := u.makeFrame(r, false, HowExceptionFrame, minConf(f.Confidence, Certain))
	nf.Exception = &ef
	// A PC that is not code is kept: the fault this exception took was
	// the fetch there (a null or wild function pointer), as when a
	// handler found mid-way (Zephyr's, printing its dump) is unwound back
	// to the fault; step follows the interrupted context's LR from it.
	return &nf, nil
}

// openCallee is, after a wild return, the function whose call the stack
// scan found still open: the return address the scan took is a BL's, so
// the function it called had not returned, and the wild return came from
// it or from a function it called (its own return slot is the one that
// was smashed). Its PC inside it is unknown, so the frame stands at its
// entry, a guess.
func (u *Unwinder) openCallee(scanned Frame) []Frame {
	c := u.calleeOf(scanned)
	if c == 0 || !u.prog.IsCode(uint64(c)) {
		return nil
	}
	r := scanned.Regs
	r.Known = 1 << fault.RegSP
	r.Set(fault.RegPC, c)
	f := u.makeFrame(r, false, HowStackScan, Guess)
	return []Frame{f}
}

// savedRule reports whether the CFI row says where reg's caller value is
// (saved in memory or another register, or computed), as opposed to
// "unchanged" or no rule at all.
func savedRule(fc *frame.FrameContext, reg int) bool {
	r, ok := fc.Regs[uint64(reg)]
	if !ok {
		return false
	}
	switch r.Rule {
	case frame.RuleSameVal, frame.RuleUndefined:
		return false
	}
	return true
}

// bottomFuncs end an unwind where they are: reset handlers and the entry
// trampolines of RTOS threads. What lies below them on the stack is not a
// caller (an RTOS puts a thread-exit address there, a reset handler has
// none), so unwinding past them would print junk frames. A switch, not a
// map: a map literal is built by package init, in every command's start.
func isBottomName(name string) bool {
	switch name {
	case "Reset_Handler", "reset_handler", "ResetHandler", "Reset",
		"_start", "_mainCRTStartup", "__start",
		"prvTaskExitError", "z_thread_entry", "z_thread_entry_wrapper",
		"_thread_entry", "osThreadExit":
		return true
	}
	return false
}

func isBottomFunc(f Frame) bool {
	if len(f.Funcs) == 0 {
		return false
	}
	return isBottomName(f.Funcs[len(f.Funcs)-1].Function)
}

// plantedReturn reports whether ret is not the address after a call but
// one that start-up or RTOS code planted as a fake return address: the
// first instruction of a function (FreeRTOS's prvTaskExitError, a
// thread-exit routine) or a known bottom function.
func (u *Unwinder) plantedReturn(ret uint32) bool {
	fs := u.prog.Frames(uint64(ret &^ 1))
	if len(fs) == 0 {
		return false
	}
	outer := fs[len(fs)-1]
	return outer.Entry == uint64(ret&^1) || isBottomName(outer.Function)
}

// top is the top of the stack the frame being stepped is on, 0 if unknown.
func (u *Unwinder) top() uint32 {
	if u.onPSP {
		return u.start.PSPTop
	}
	return u.start.StackTop
}

// switchedOutRegs fills r4-r11 of a thread interrupted by a context
// switch, where RTOS ports on ARMv7-M/v8-M (FreeRTOS, Zephyr, RTX,
// ThreadX) all put them: pushed on the thread's stack right below the
// exception frame, with the EXC_RETURN after them on FP-capable ports
// (FreeRTOS ARM_CM4F: stmdb {r4-r11, r14}) and s16-s31 below them when
// the thread used the FPU. A guess, used only past a handler without
// CFI; without it a thread's frame-pointer-based CFI cannot be followed.
func (u *Unwinder) switchedOutRegs(r *fault.Regs, er fault.ExcReturn) {
	if !u.start.HavePSP {
		return
	}
	psp := u.start.PSP
	at := psp - 32
	if w, err := fault.Read32(u.mem, uint64(psp-4)); err == nil && fault.ExcReturn(w).Valid() {
		at = psp - 36
	}
	var b [32]byte
	if n, _ := u.mem.ReadMemory(b[:], uint64(at)); n < len(b) {
		return
	}
	for i := range 8 {
		r.Set(4+i, binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// maxScan bounds the stack scan (words) so a huge RAM snapshot stays cheap.
const maxScan = 4096

// scan looks upward from f's SP for a word that is a Thumb return address:
// bit 0 set, in code, right after a BL or BLX. The caller's SP is then taken
// to be just above that word (LR is the highest register a prologue pushes).
func (u *Unwinder) scan(f Frame) (*Frame, error) { return u.scanWords(f, maxScan, false) }

// scanWords scans up to words words above f's SP; excOnly takes only a
// saved EXC_RETURN, not return addresses.
func (u *Unwinder) scanWords(f Frame, words uint32, excOnly bool) (*Frame, error) {
	sp := f.Regs.R[fault.RegSP]
	if !u.inRAM(sp) {
		return nil, fmt.Errorf("SP 0x%08x is outside RAM", sp)
	}
	limit := sp + words*4
	toTop := false
	if top := u.top(); top != 0 && top > sp && top <= limit {
		// Never past the stack's top: above it lies another stack or
		// data, whose return addresses are not this thread's callers.
		limit, toTop = top, true
	}
	buf := make([]byte, 256)
	read := false
	for a, step := sp&^3, uint32(0); a < limit; a += step {
		chunk := buf[:min(uint32(len(buf)), limit-a)]
		step = uint32(len(chunk))
		n, _ := u.mem.ReadMemory(chunk, uint64(a))
		n &^= 3
		if n == 0 && !read {
			// Not captured (an MPU guard the stack overflowed into):
			// the stack above it may still be there.
			step = 4
			continue
		}
		read = true
		for i := 0; i < n; i += 4 {
			w := uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2])<<16 | uint32(buf[i+3])<<24
			if er := fault.ExcReturn(w); er.Valid() && !f.NotCode {
				// A handler without CFI (a naked RTOS context switch
				// such as FreeRTOS's xPortPendSVHandler) saved its
				// EXC_RETURN: the interrupted context's frame is
				// either just above it (MSP) or at PSP.
				var r fault.Regs
				r.Set(fault.RegSP, a+uint32(i)+4)
				if er.PSP() {
					u.switchedOutRegs(&r, er)
				}
				if nf, err := u.crossException(f, r, er, a+uint32(i)+4); err == nil {
					nf.How, nf.Confidence = HowExceptionFrame, Likely
					return nf, nil
				}
				continue
			}
			if excOnly || w&1 == 0 || w < 4 || fault.IsExcReturn(w) {
				continue
			}
			ret := w &^ 1
			if ret == f.PC || !u.prog.IsCode(uint64(ret-2)) || !fault.CallBefore(u.prog, ret) {
				continue
			}
			r := f.Regs
			r.Known = 1<<fault.RegPC | 1<<fault.RegSP
			r.Set(fault.RegPC, ret)
			r.Set(fault.RegSP, a+uint32(i)+4)
			u.sameSP = false
			nf := u.makeFrame(r, true, HowStackScan, Guess)
			return &nf, nil
		}
		if n < len(chunk) {
			toTop = false
			break
		}
	}
	if toTop {
		return nil, errBottom // nothing left between SP and the stack's top
	}
	return nil, errors.New("no return address found")
}
