package faultdecode

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/go-delve/delve/pkg/dwarf/frame"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// imageMeta is what Analyze needs from the image beyond unwinding;
// *elfsym.Image implements it.
type imageMeta interface {
	Path() string
	BuildID() string
	Sections() []elfsym.Section
	SymbolAt(addr uint64) (elfsym.Symbol, uint64, bool)
	LookupSymbol(name string) (elfsym.Symbol, bool)
	Warnings() []string
}

// image is the union used inside the package.
type image interface {
	unwind.Program
	imageMeta
}

// Analyze explains a snapshot against the firmware image (img may be nil:
// then only the registers are decoded). It never fails: what it cannot
// know is said in Notes. It reads nothing but the snapshot and the image;
// AnalyzeWith may also hand it the sources.
func Analyze(snap *capture.Snapshot, img *elfsym.Image) *report.Report {
	return AnalyzeWith(snap, img, Options{})
}

// Options hand Analyze what it may read besides the snapshot and image.
type Options struct {
	// Source reads a source file by the path the ELF records; nil: none.
	// A configASSERT passes only file and line, so the failed expression
	// is the macro's argument on that line, read through Source.
	Source report.SourceFunc
}

// AnalyzeWith is Analyze with opts.
func AnalyzeWith(snap *capture.Snapshot, img *elfsym.Image, opts Options) *report.Report {
	if img == nil {
		return analyze(snap, nil, opts)
	}
	return analyze(snap, img, opts)
}

// analysis carries the state of one Analyze call.
type analysis struct {
	snap  *capture.Snapshot
	img   image // nil without ELF
	core  fault.Core
	rep   *report.Report
	fr    fault.FaultRegs
	fault fault.Fault
	ram   []unwind.Range

	stop     fault.Regs
	ctx      fault.Regs // the faulting context
	ctxXPSR  uint32
	haveXPSR bool
	msp, psp uint32
	haveMSP  bool
	havePSP  bool
	exc      *fault.ExceptionFrame
	stackAt  uint32 // where the exception frame is (or should have been)
	haveAt   bool
	onPSP    bool // the faulting context ran on the process stack
	frameOK  bool // ctx came from a valid exception frame (or the stop itself)
	frames   []unwind.Frame
	// elided calls of a deep recursion were left out of frames before
	// frames[elidedAt] (recursion.go).
	elided, elidedAt int
	unwErr           error
	sys              *rtos.System      // the RTOS's tasks, nil for bare metal
	source           report.SourceFunc // nil: no source files
}

func analyze(snap *capture.Snapshot, img image, opts ...Options) *report.Report {
	if snap == nil {
		snap = &capture.Snapshot{}
	}
	a := &analysis{snap: snap, img: img}
	if len(opts) > 0 {
		a.source = opts[0].Source
	}
	a.rep = &report.Report{
		Schema:    report.Schema,
		Registers: map[string]string{},
		Frames:    []report.Frame{},
		Findings:  []report.Finding{},
		Trigger:   report.Trigger{Kind: snap.Meta.Trigger.Kind, Detail: snap.Meta.Trigger.Detail},
		Target:    snap.Meta.Target,
	}
	a.rep.Fault.Causes = []string{}
	a.rep.Fault.Registers = map[string]string{}
	a.core = fault.ForCore(coreName(snap))
	a.ram = ramRanges(snap, a.img)
	a.elfInfo()
	a.decodeFault()
	a.faultingContext()
	a.zephyrContext()      // a Zephyr dump: thread mode is on PSP; no sp: its exception frame in RAM (zephyr.go)
	a.explainInstruction() // cores without CFSR: the cause from the faulting instruction (v6m.go)
	a.readTasks()          // before unwinding: task stacks bound the thread stack scan (tasks.go)
	a.unwind()
	a.atDeadEndEntry()
	a.reportFrames()
	a.taskReport()
	a.findings()
	a.consoleEvidence()
	if s, ok := a.consoleSummary(); ok {
		a.rep.Fault.Summary = s
	} else {
		a.rep.Fault.Summary = a.summary()
		a.zephyrSummary() // z_fatal_error's reason when the dump has no exception (zephyr.go)
	}
	a.deliberateStops() // a failed assertion leads the summary (stops.go)
	a.rootCause()       // why, not where: heap, stale pointers, vtables, stacks (package forensics); leads the summary
	a.rep.Fingerprint = report.Fingerprint(a.rep)
	return a.rep
}

// coreName picks the core family: an explicit Extra["core"], else the board.
func coreName(s *capture.Snapshot) string {
	if c := s.Meta.Extra["core"]; c != "" {
		return c
	}
	return s.Meta.Board
}

func (a *analysis) note(format string, args ...any) {
	a.rep.Notes = append(a.rep.Notes, fmt.Sprintf(format, args...))
}

// ramRanges are the captured regions that hold RAM (not the system
// registers, not flash samples). Below 0x10000000 (the code region, where
// flash usually is) only regions a capture read as RAM count: a stack, the
// malloc heap or a writable section placed there (block RAM, DTCM, ITCM).
// Importers of other tools' dumps name a region by its address alone
// (capture.RegionName: "flash-sample" below 0x20000000), and a core from
// another tool (gdb's gcore) names none, so with an ELF such a region is
// RAM exactly when it lies in none of the ELF's read-only sections (an
// STM32F4's CCM at 0x10000000, Kinetis SRAM_L at 0x1FFF0000 are; flash
// executed in place at 0x60000000 or 0x10000000 is not), as a probe's own
// flash samples, taken from those sections, never are.
func ramRanges(s *capture.Snapshot, img sectionLister) []unwind.Range {
	var out []unwind.Range
	for _, r := range s.Memory {
		if r.Addr >= 0xE0000000 {
			continue
		}
		if (r.Name == "flash-sample" || r.Name == "") && img != nil {
			if !inFlash(img, r) {
				out = append(out, unwind.Range{Start: r.Addr, End: r.Addr + uint32(len(r.Data))})
			}
			continue
		}
		if r.Name == "flash-sample" {
			continue
		}
		if r.Addr < 0x10000000 && !(r.Name == "ram" || r.Name == "mem" || r.Name == "heap" || strings.HasPrefix(r.Name, "stack-") || strings.HasPrefix(r.Name, "section ") || strings.HasPrefix(r.Name, "rtos ")) {
			continue
		}
		out = append(out, unwind.Range{Start: r.Addr, End: r.Addr + uint32(len(r.Data))})
	}
	return out
}

// sectionLister is what ramRanges asks of the image.
type sectionLister interface{ Sections() []elfsym.Section }

// inFlash says whether r overlaps a loaded, non-writable section of the
// image: code and constants, what a flash sample is read from.
func inFlash(img sectionLister, r capture.Region) bool {
	lo, hi := uint64(r.Addr), uint64(r.Addr)+uint64(len(r.Data))
	for _, sec := range img.Sections() {
		if sec.Loaded && !sec.Write && sec.Size > 0 && sec.Addr < hi && lo < sec.Addr+sec.Size {
			return true
		}
	}
	return false
}

func (a *analysis) inRAM(v uint32) bool { return unwind.InRAM(a.ram, v) }

// ramEndsAt says whether a captured RAM range ends at v.
func (a *analysis) ramEndsAt(v uint32) bool {
	for _, r := range a.ram {
		if r.End == v {
			return true
		}
	}
	return false
}

func (a *analysis) elfInfo() {
	if a.snap.Meta.ELF.Path != "" || a.snap.Meta.ELF.BuildID != "" {
		a.rep.ELF.Path, a.rep.ELF.BuildID = a.snap.Meta.ELF.Path, a.snap.Meta.ELF.BuildID
	}
	if a.img == nil {
		a.note("no ELF: functions, lines and CFI unwinding are not available")
		return
	}
	a.rep.ELF.Path, a.rep.ELF.BuildID = a.img.Path(), a.img.BuildID()
	for _, w := range a.img.Warnings() {
		a.note("ELF: %s", w)
	}
	if want := a.snap.Meta.ELF.BuildID; want != "" && a.img.BuildID() != "" && want != a.img.BuildID() {
		a.note("the capture was taken with build id %s but the ELF has %s", want, a.img.BuildID())
	}
	m, at, ok := a.matchTarget()
	if !ok {
		return
	}
	a.rep.ELF.MatchesTarget = &m
	if !m {
		a.note("the ELF does not match the target: every symbol below may lie (flash differs at 0x%08x)", at)
	}
}

// matchTarget compares captured memory that overlaps the ELF's read-only
// loaded sections (vector table, flash samples) with the ELF's contents.
// ok is false when nothing overlapped.
func (a *analysis) matchTarget() (match bool, at uint32, ok bool) {
	match = true
	for _, sec := range a.img.Sections() {
		if !sec.Loaded || sec.Write || sec.Size == 0 {
			continue
		}
		for _, r := range a.snap.Memory {
			lo := max(uint64(r.Addr), sec.Addr)
			hi := min(uint64(r.Addr)+uint64(len(r.Data)), sec.Addr+sec.Size)
			if lo >= hi {
				continue
			}
			want := make([]byte, hi-lo)
			n, _ := a.img.ReadMemory(want, lo)
			if n == 0 {
				continue
			}
			got := r.Data[lo-uint64(r.Addr) : lo-uint64(r.Addr)+uint64(n)]
			ok = true
			if !bytes.Equal(got, want[:n]) {
				for i := range got {
					if got[i] != want[i] {
						return false, uint32(lo) + uint32(i), true
					}
				}
			}
		}
	}
	return match, 0, ok
}

func (a *analysis) decodeFault() {
	a.identifyCore() // CPUID, the ELF's architecture, then the board (coreinfo.go)
	fr, missing := fault.ReadFaultRegs(a.snap, a.core)
	a.fr = fr
	if len(missing) > 0 {
		a.note("fault registers not captured: %v", missing)
	}
	a.fault = fault.Decode(a.core, a.snap.Registers, fr, a.snap.Meta.Trigger.Kind)
	for name, v := range fr.Registers() {
		a.rep.Fault.Registers[name] = report.Hex(v)
	}
	f := a.fault
	a.rep.Fault.Exception = f.Exception
	a.rep.Fault.Forced = f.Forced
	a.rep.Fault.Lockup = f.Lockup
	a.rep.Fault.Causes = f.CauseNames()
	for _, c := range f.Causes {
		a.rep.Fault.Explanations = append(a.rep.Fault.Explanations, c.Name+": "+c.Text)
	}
	if f.HasAddress {
		a.rep.Fault.FaultAddress = report.Hex(f.FaultAddress)
	}
	a.rep.Notes = append(a.rep.Notes, f.Notes...)
	if fr.Has(fault.AddrDFSR) {
		if names := fault.DecodeDFSR(fr.DFSR); len(names) > 0 && a.fault.Exception == "None" {
			a.note("DFSR says the debugger halted the core (%v), not a fault", names)
		}
	}
	a.stackLimits()
	a.captureGaps()
}

// faultingContext finds the registers of the code that faulted.
func (a *analysis) faultingContext() {
	regs := a.snap.Registers
	for i, n := range fault.RegNames {
		if v, ok := regs[n]; ok {
			a.stop.Set(i, v)
		}
	}
	a.msp, a.haveMSP = regs["msp"]
	a.psp, a.havePSP = regs["psp"]
	if _, ok := a.stop.Get(fault.RegSP); !ok && a.haveMSP {
		a.stop.Set(fault.RegSP, a.msp)
	}
	a.ctx = a.stop
	a.ctxXPSR, a.haveXPSR = regs["xpsr"]
	if len(regs) == 0 {
		a.note("no registers were captured: no frames")
		return
	}
	if a.stoppedAsIs() {
		// The stop is the evidence itself: frame 0 is where the core
		// is, an interrupt handler's frames included (FreeRTOS calls its
		// stack-overflow hook inside PendSV), unwound through the
		// exception frames below them.
		a.frameOK = true
		return
	}
	lr, haveLR := a.stop.Get(fault.RegLR)
	if haveLR && fault.ExcReturn(lr).Valid() {
		a.fromExcReturn(fault.ExcReturn(lr))
		return
	}
	if !a.fault.Lockup && a.haveXPSR && a.ctxXPSR&0x1FF != 0 && a.throughHandler() {
		return
	}
	if a.fault.Lockup {
		a.note("the core is locked up and LR (0x%08x) is not an EXC_RETURN: looking for the original fault's frame on the stack", lr)
		a.guessLockupFrame()
		return
	}
	a.frameOK = true
	if a.fault.Active > 0 && a.fault.Exception != "None" {
		a.note("LR does not hold an EXC_RETURN: the stop is not at the handler's entry, so frame 0 is where the handler was stopped")
	}
}

// stoppedAsIs: no fault is recorded and the capture was taken where the
// core stopped for another reason (a dead-end function's entry, a halt on
// request), not at a fault handler's entry.
func (a *analysis) stoppedAsIs() bool {
	if a.snap == nil {
		return false
	}
	k := a.snap.Meta.Trigger.Kind
	return (k == "dead-end" || k == "manual") && a.fault.Exception == "None" && !a.fault.Lockup
}

// atDeadEndEntry drops the inlined frames of frame 0 when the core stopped
// on a dead-end function's first instruction (capture's breakpoint there)
// and that instruction is already an inlined callee's
// (taskDISABLE_INTERRUPTS' vPortRaiseBASEPRI): none of it has run, the
// function was only entered.
func (a *analysis) atDeadEndEntry() {
	if a.snap.Meta.Trigger.Kind != "dead-end" || a.img == nil || len(a.frames) == 0 {
		return
	}
	f := &a.frames[0]
	if len(f.Funcs) < 2 || f.Lookup != f.PC {
		return
	}
	if sym, off, ok := a.img.SymbolAt(uint64(f.PC)); ok && sym.Func && off == 0 {
		f.Funcs = f.Funcs[len(f.Funcs)-1:]
	}
}

func (a *analysis) fromExcReturn(er fault.ExcReturn) {
	addr := a.handlerCFA()
	stack := "MSP"
	if er.PSP() {
		stack = "PSP"
		a.onPSP = true
		if !a.havePSP {
			a.note("EXC_RETURN 0x%08x says the frame is on PSP, but PSP was not captured", uint32(er))
			return
		}
		addr = a.psp
	}
	a.stackAt, a.haveAt = addr, true
	if a.fault.StackingError {
		a.note("stacking failed (%s): the exception frame at 0x%08x (%s) is not valid; r0-r3, r12, lr, pc and xPSR of the interrupted code are lost; the registers below are the handler's at the stop", a.stackErrNames(), addr, stack)
		a.stop.Known &^= 1 << fault.RegPC
		a.ctx = a.stop
		return
	}
	ef, err := fault.ReadExceptionFrame(a.snap, addr, er)
	if err != nil {
		a.note("exception frame (%s) not readable: %v", er, err)
		return
	}
	if !a.plausible(ef) && a.fault.Lockup {
		// Locked up inside the handler: it had pushed more since entry,
		// so the frame is further up the stack.
		a.note("the core is locked up and the stack at 0x%08x holds no exception frame: looking for the original fault's frame above it", addr)
		if a.guessLockupFrameAt(addr, er) {
			return
		}
	}
	if !a.plausible(ef) {
		a.note("the exception frame at 0x%08x does not look valid (stacked xPSR 0x%08x): its registers may be garbage", addr, uint32(ef.XPSR))
	}
	a.useFrame(ef)
}

func (a *analysis) stackErrNames() string {
	var out []string
	for _, c := range a.fault.Causes {
		if c.Name == "MSTKERR" || c.Name == "STKERR" || (c.Name == "STKOF" && a.fault.StackingError) {
			out = append(out, c.Name)
		}
	}
	return fmt.Sprint(out)
}

// throughHandler handles a stop deep inside an exception handler (a
// breakpoint or bkpt in a function the fault handler called, a dump
// another tool took there): LR no longer holds EXC_RETURN, so the
// handler's own frames are unwound with their CFI until one returns
// through an EXC_RETURN; the frame the core stacked there is the faulting
// context. The handler's frames are not the crash and are not reported.
func (a *analysis) throughHandler() bool {
	if a.img == nil {
		return false
	}
	if _, ok := a.stop.Get(fault.RegPC); !ok {
		return false
	}
	// A handler found mid-way may be deep in its own work (Zephyr's
	// prints its core dump through the logging stack: 26 frames), and
	// its exception number lets the unwinder take the fault's own frame
	// with a clear T bit (a call through a null pointer).
	u := unwind.NewUnwinder(a.snap, a.img, unwind.UnwindStart{
		Regs: a.stop, MSP: a.msp, PSP: a.psp, HaveMSP: a.haveMSP, HavePSP: a.havePSP,
		RAM: a.ram, MaxDepth: 64, IPSR: a.ctxXPSR & 0x1FF,
	})
	var handler []string
	for u.Next() {
		f := u.Frame()
		if f.Exception == nil {
			if len(f.Funcs) > 0 {
				handler = append(handler, f.Funcs[len(f.Funcs)-1].Function)
			}
			continue
		}
		ef := *f.Exception
		a.stackAt, a.haveAt = ef.Addr, true
		a.onPSP = ef.Stack == "PSP"
		if !a.plausible(ef) {
			a.note("the exception frame at 0x%08x does not look valid (stacked xPSR 0x%08x): its registers may be garbage", ef.Addr, uint32(ef.XPSR))
		}
		a.useFrame(ef)
		a.ctx = f.Regs // r4-r11 as the handler's CFI restored them
		a.note("the core was stopped inside the exception handler (%s); its frames were unwound to the exception frame at 0x%08x", strings.Join(handler, " <- "), ef.Addr)
		return true
	}
	return false
}

// handlerCFA is the SP the core stacked to: the stop SP at the handler's
// first instruction, or, when the stop is further in (a breakpoint after
// the prologue), the handler's CFA from its CFI. In that case the
// callee-saved registers the prologue pushed are restored into a.stop, so
// the faulting context gets the interrupted code's r4-r11, not the
// handler's.
func (a *analysis) handlerCFA() uint32 {
	sp, _ := a.stop.Get(fault.RegSP)
	pc, ok := a.stop.Get(fault.RegPC)
	if !ok || a.img == nil || !a.img.IsCode(uint64(pc)) {
		return sp
	}
	fc, err := a.img.FrameContext(uint64(pc &^ 1))
	if err != nil || fc.CFA.Rule != frame.RuleCFA || fc.CFA.Reg > 15 {
		return sp
	}
	base, ok := a.stop.Get(int(fc.CFA.Reg))
	if !ok {
		return sp
	}
	cfa := uint32(int64(base) + fc.CFA.Offset)
	if cfa == sp {
		return sp
	}
	a.note("the stop is past the handler's first instruction: the exception frame is taken at its CFA 0x%08x, not at SP 0x%08x", cfa, sp)
	for reg, rule := range fc.Regs {
		if reg < 4 || reg > 11 || rule.Rule != frame.RuleOffset {
			continue
		}
		if v, err := fault.Read32(a.snap, uint64(int64(cfa)+rule.Offset)); err == nil {
			a.stop.Set(int(reg), v)
		}
	}
	return cfa
}

// useFrame makes the stacked registers the faulting context.
func (a *analysis) useFrame(ef fault.ExceptionFrame) {
	a.exc = &ef
	a.frameOK = a.plausible(ef)
	a.ctx = fault.RegsFromFrame(a.stop, ef)
	a.ctxXPSR, a.haveXPSR = uint32(ef.XPSR), true
	if ef.Stack == "PSP" {
		a.psp, a.havePSP = ef.SPBefore(), true
	} else {
		a.msp, a.haveMSP = ef.SPBefore(), true
	}
	what := "basic"
	if ef.FP {
		what = "extended (FP)"
	}
	realign := ""
	if ef.Realigned {
		realign = ", realigned (+4)"
	}
	a.note("r0-r3, r12, lr, pc, xpsr are from the %s exception frame at 0x%08x on %s%s; sp is the SP before the exception", what, ef.Addr, ef.Stack, realign)
}

// plausible is ExceptionFrame.Plausible, allowing a clear T bit when the
// fault was on the fetch itself.
func (a *analysis) plausible(ef fault.ExceptionFrame) bool {
	// Without CFSR no INVSTATE says a clear T bit was the fault itself;
	// nor with a CFSR the fault's handler already cleared (Zephyr's
	// z_arm_fault does, before printing its dump).
	return ef.Plausible() || (ef.PC&1 == 0 && (a.fault.FetchFault() || !a.core.HasCFSR() || (a.cfsrCleared() && !ef.XPSR.ReservedException())))
}

// cfsrCleared says a configurable fault's handler is active while CFSR
// holds no cause: the handler read and cleared it.
func (a *analysis) cfsrCleared() bool {
	if a.fault.Active < 3 || a.fault.Active > 6 {
		return false
	}
	for _, c := range a.fault.Causes {
		if c.Register == "CFSR" {
			return false
		}
	}
	return true
}

// guessLockupFrame looks for a plausible exception frame near SP when the
// core locked up with LR no longer holding EXC_RETURN.
func (a *analysis) guessLockupFrame() {
	if sp, ok := a.stop.Get(fault.RegSP); ok {
		a.guessLockupFrameAt(sp, fault.ExcReturn(0xFFFFFFF9))
	}
}

// guessLockupFrameAt looks for a plausible exception frame of the form er
// says in the 256 bytes from sp and makes it the faulting context (a guess).
func (a *analysis) guessLockupFrameAt(sp uint32, er fault.ExcReturn) bool {
	if a.img == nil {
		return false
	}
	for off := uint32(0); off < 64*4; off += 4 {
		ef, err := fault.ReadExceptionFrame(a.snap, sp+off, er)
		if err != nil {
			return false
		}
		if !ef.Plausible() || !a.img.IsCode(uint64(ef.PC)) {
			continue
		}
		if !(fault.IsExcReturn(ef.LR) || (ef.LR&1 == 1 && a.img.IsCode(uint64(ef.LR&^1)))) {
			continue
		}
		a.note("a plausible exception frame was found at 0x%08x (a guess)", ef.Addr)
		a.useFrame(ef)
		a.frameOK = false
		return true
	}
	return false
}

func (a *analysis) unwind() {
	start := unwind.UnwindStart{
		Regs: a.ctx, MSP: a.msp, PSP: a.psp, HaveMSP: a.haveMSP, HavePSP: a.havePSP,
		RAM: a.ram, How: unwind.HowFaultPC, Confidence: unwind.Certain, OnPSP: a.onPSP,
	}
	stacks := a.stacks()
	start.VectorTable, start.HaveVectorTable = stacks.VectorTable()
	if a.haveXPSR {
		start.IPSR = a.ctxXPSR & 0x1FF
	}
	mspNow := a.msp
	if !a.haveMSP {
		mspNow, _ = a.stop.Get(fault.RegSP)
	}
	start.StackTop = stacks.TopFor(mspNow, true)
	if a.havePSP {
		start.PSPTop = stacks.TopFor(a.psp, false)
	}
	if _, ok := a.ctx.Get(fault.RegPC); !ok {
		if !a.fault.StackingError || !a.haveAt {
			return
		}
		// Stacking failed, so the faulting code's registers are lost,
		// but the stack above the failed frame still holds its callers'
		// return addresses: scan for them rather than show nothing.
		start.ScanFirst = true
		start.Regs = fault.Regs{}
		start.Regs.Set(fault.RegSP, a.stackAt)
	}
	if a.exc != nil && !(a.fault.Precise && a.fault.Exception != "None") {
		start.How = unwind.HowExceptionFrame
	}
	if a.exc != nil && !a.frameOK {
		start.Confidence = unwind.Guess
	}
	var prog unwind.Program
	if a.img != nil {
		prog = a.img
	}
	start.MaxDepth = maxUnwindDepth
	u := unwind.NewUnwinder(a.snap, prog, start)
	for u.Next() {
		a.frames = append(a.frames, u.Frame())
	}
	a.unwErr = u.Err()
	a.foldRecursion()
	if start.ScanFirst && len(a.frames) > 0 {
		a.note("the call chain below is from a stack scan above 0x%08x, where stacking failed: guesses, and the faulting function itself is lost", a.stackAt)
	}
	if errors.Is(a.unwErr, unwind.ErrDepth) {
		a.note("unwinding stopped at the depth cap: the stack is probably cyclic or corrupt")
	}
}

// stacks finds the stack tops in the image and the capture.
func (a *analysis) stacks() unwind.Stacks {
	return unwind.Stacks{Mem: a.snap, Image: a.img, VTOR: a.fr.VTOR, HaveVTOR: a.fr.Has(fault.AddrVTOR), Tasks: a.sys}
}

func (a *analysis) reportFrames() {
	a.rep.Frames = append(a.rep.Frames, a.framesToReport(a.frames[:a.elidedAt])...)
	rest := a.framesToReport(a.frames[a.elidedAt:])
	if a.elided > 0 && len(rest) > 0 {
		rest[0].Elided = a.elided
	}
	a.rep.Frames = append(a.rep.Frames, rest...)
	for i, n := range fault.RegNames {
		if v, ok := a.ctx.Get(i); ok {
			a.rep.Registers[n] = report.Hex(v)
		}
	}
	if a.haveXPSR {
		a.rep.Registers["xpsr"] = report.Hex(a.ctxXPSR)
	}
	if a.haveMSP {
		a.rep.Registers["msp"] = report.Hex(a.msp)
	}
	if a.havePSP {
		a.rep.Registers["psp"] = report.Hex(a.psp)
	}
}

// framesToReport turns unwound frames into report frames: one per
// function, inlined ones first.
func (a *analysis) framesToReport(frames []unwind.Frame) []report.Frame {
	out := []report.Frame{}
	for _, f := range frames {
		errText := ""
		if f.Err != nil {
			errText = f.Err.Error()
		}
		if len(f.Funcs) == 0 {
			name := "??" // as addr2line prints a PC in no function
			if a.img != nil {
				if s, _, ok := a.img.SymbolAt(uint64(f.Lookup)); ok && s.Func {
					name = s.Name
				}
			}
			out = append(out, report.Frame{PC: report.Hex(f.PC), Function: name, How: f.How, Confidence: f.Confidence, Error: errText})
			continue
		}
		for j, fn := range f.Funcs {
			rf := report.Frame{PC: report.Hex(f.PC), Function: fn.Function, File: fn.File, Line: fn.Line, Inlined: fn.Inlined, How: f.How, Confidence: f.Confidence}
			if j == len(f.Funcs)-1 {
				rf.Error = errText
			}
			out = append(out, rf)
		}
	}
	return out
}
