package probe

// Dead ends: functions firmware stops itself in without faulting (newlib's
// __assert_func -> abort -> _exit spinning in while (1), CubeMX's
// Error_Handler, FreeRTOS's hooks; faultdecode/deadend lists them). The
// board just hangs there, so capture breaks on their entry as it does on
// the fault handlers, and takes a target found halted in one as it is.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/deadend"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/gdbremote"
)

// A deadEndBP is a breakpoint set on a dead-end function's entry, and
// the kind the server granted.
type deadEndBP struct {
	addr uint64
	fn   deadend.Func // for a masked loop, Name is the function holding it
	loop bool         // a "b ." after interrupts were masked, not a function's entry
	kind gdbremote.BreakKind
}

// maxLoopSites bounds the masked loops armed: FreeRTOS's configASSERT
// written as a macro leaves one at every check in the kernel (a hundred
// and more), each a round trip to arm.
const maxLoopSites = 512

// deadEndFuncs are the dead-end functions the image defines that capture
// arms, in priority order, with their entry addresses; and those left to
// the fault catch because they trap (udf) by themselves, whose fault
// says more than their entry. None without an image.
func (t *Target) deadEndFuncs() (arm []deadEndBP, traps []string) {
	im := t.opts.Image
	if im == nil {
		return nil, nil
	}
	defined := func(name string) bool {
		s, ok := im.LookupSymbol(name)
		return ok && s.Func && s.Addr != 0
	}
	for _, f := range deadend.Catchable(defined) {
		s, _ := im.LookupSymbol(f.Name)
		if s.Size > 0 && s.Size <= 64<<10 {
			code := make([]byte, s.Size)
			if n, _ := im.ReadMemory(code, s.Addr&^1); n == len(code) && deadend.Traps(code, uint32(s.Addr&^1)) {
				traps = append(traps, f.Display())
				continue
			}
		}
		arm = append(arm, deadEndBP{addr: s.Addr &^ 1, fn: f})
	}
	return append(arm, t.maskedLoops()...), traps
}

// maskedLoops finds the dead ends compiled inline: a "b ." right after
// interrupts were masked, in any function but the dead-end functions
// (their entry is armed, or they are Device OS's panic, whose loop is its
// reset) and the fault handlers (caught on entry).
func (t *Target) maskedLoops() []deadEndBP {
	im := t.opts.Image
	skip := map[string]bool{}
	for _, f := range deadend.All() {
		skip[f.Name] = true
		for _, n := range f.NotWith {
			skip[n] = true
		}
	}
	t.mu.Lock()
	handlers := map[uint64]bool{}
	for a := range t.handlers {
		handlers[a] = true
	}
	t.mu.Unlock()
	var out []deadEndBP
	for _, s := range im.Symbols() {
		if !s.Func || s.Size < 4 || s.Size > 64<<10 || skip[s.Name] || handlers[s.Addr&^1] || !im.IsCode(s.Addr&^1) {
			continue
		}
		code := make([]byte, s.Size)
		if n, _ := im.ReadMemory(code, s.Addr&^1); n != len(code) {
			continue
		}
		for _, a := range deadend.MaskedLoops(code, uint32(s.Addr&^1)) {
			out = append(out, deadEndBP{addr: uint64(a), fn: deadend.Func{Name: s.Name}, loop: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	out = slices.CompactFunc(out, func(a, b deadEndBP) bool { return a.addr == b.addr })
	if len(out) > maxLoopSites {
		t.event(EventTargetState, fmt.Sprintf("%s found; the first %d by address are armed", loopsText(len(out)), maxLoopSites), nil)
		out = out[:maxLoopSites]
	}
	return out
}

// loopName names a masked loop's place for a trigger: the function and,
// when the loop is an inlined function's (Error_Handler at -O2), that one.
func (t *Target) loopName(d deadEndBP) string {
	name := d.fn.Name + "()"
	if im := t.opts.Image; im != nil {
		if fs := im.Frames(d.addr); len(fs) > 1 && fs[0].Inlined {
			name = fmt.Sprintf("%s (%s inlined)", bareName(fs[len(fs)-1].Function), bareName(fs[0].Function))
		}
	}
	return name
}

// bareName is a function name without a C++ parameter list, with "()".
func bareName(fn string) string { return report.BareFunction(fn) + "()" }

// armDeadEnds sets a breakpoint on the entry of each dead-end function the
// image defines, in priority order, then on each masked loop, taking what
// the server grants: a hardware breakpoint, else a software one; one
// refused is said on the timeline and never fails the arming (fault
// catching is armed first and stays). Breakpoints set before are cleared first: a second insert of the
// same breakpoint would outlive one removal on QEMU.
func (t *Target) armDeadEnds(ctx context.Context) {
	_ = t.dropDeadEnds(ctx)
	fs, traps := t.deadEndFuncs()
	if len(traps) > 0 {
		t.event(EventTargetState, fmt.Sprintf("dead ends that trap by themselves, left to the fault catch: %s", strings.Join(traps, ", ")), nil)
	}
	if len(fs) == 0 {
		return
	}
	t.mu.Lock()
	taken := map[uint64]bool{}
	for _, a := range t.bps {
		taken[a] = true // a fault handler's breakpoint already stops there
	}
	t.mu.Unlock()
	var armed, refused []string
	var set []deadEndBP
	loops, loopsRefused := 0, 0
	for i, d := range fs {
		if taken[d.addr] {
			continue
		}
		if d.loop && loopsRefused > 0 {
			// A server that refused one loop's breakpoint refuses the
			// rest: asking each would cost two round trips apiece.
			loopsRefused += len(fs) - i
			break
		}
		name := fmt.Sprintf("%s at 0x%08x", d.fn.Display(), d.addr)
		d.kind = gdbremote.BreakHardware
		err := t.c.SetBreakpoint(ctx, gdbremote.BreakHardware, d.addr, 2)
		// A loop gets a software breakpoint only from QEMU, where they
		// cost nothing: elsewhere in flash one is refused, or costs a
		// flash rewrite (J-Link's flash breakpoints).
		if err != nil && (!d.loop || t.c.Stub() == gdbremote.StubQEMU) {
			d.kind = gdbremote.BreakSoftware
			err = t.c.SetBreakpoint(ctx, gdbremote.BreakSoftware, d.addr, 2)
		}
		if err != nil {
			if errors.Is(err, gdbremote.ErrClosed) || ctx.Err() != nil {
				refused = append(refused, name+" (connection ended)")
				break
			}
			if d.loop {
				loopsRefused++
				continue
			}
			refused = append(refused, fmt.Sprintf("%s (%v)", name, err))
			continue
		}
		taken[d.addr] = true
		set = append(set, d)
		if d.loop {
			loops++
			continue
		}
		armed = append(armed, name)
	}
	if loops > 0 {
		armed = append(armed, loopsText(loops))
	}
	if loopsRefused > 0 {
		refused = append(refused, loopsText(loopsRefused))
	}
	t.mu.Lock()
	t.deadEnds = set
	t.mu.Unlock()
	if len(armed) > 0 {
		t.event(EventTargetState, "armed dead-end breakpoints on "+strings.Join(armed, ", "), nil)
	}
	if len(refused) > 0 {
		t.event(EventTargetState, "the GDB server refused dead-end breakpoints, not caught there: "+strings.Join(refused, ", "), nil)
	}
}

// liftLoopAt clears the breakpoint on the masked loop at pc, if one is
// armed there: a resume from it would stop on it again at once, for ever
// (a step does not leave a "b ."). The loop cannot be left but by a
// reset, after which arming (Reset, a new capture) sets it again.
func (t *Target) liftLoopAt(ctx context.Context, pc uint64) {
	t.mu.Lock()
	i := slices.IndexFunc(t.deadEnds, func(d deadEndBP) bool { return d.loop && d.addr == pc&^1 })
	var d deadEndBP
	if i >= 0 {
		d = t.deadEnds[i]
		t.deadEnds = slices.Delete(t.deadEnds, i, i+1)
	}
	t.mu.Unlock()
	if i < 0 {
		return
	}
	if err := t.c.ClearBreakpoint(ctx, d.kind, d.addr, 2); err != nil {
		t.event(EventTargetState, fmt.Sprintf("clear the breakpoint on the loop at 0x%08x: %v", d.addr, err), nil)
		return
	}
	t.event(EventTargetState, fmt.Sprintf("the loop at 0x%08x in %s is never left: its breakpoint is lifted to resume", d.addr, t.loopName(d)), nil)
}

// loopsText is "1 loop with interrupts masked", "2 loops ...".
func loopsText(n int) string {
	if n == 1 {
		return "1 loop with interrupts masked"
	}
	return fmt.Sprintf("%d loops with interrupts masked", n)
}

// dropDeadEnds clears the dead-end breakpoints.
func (t *Target) dropDeadEnds(ctx context.Context) error {
	t.mu.Lock()
	set := t.deadEnds
	t.deadEnds = nil
	t.mu.Unlock()
	var errs []error
	for _, d := range set {
		if err := t.c.ClearBreakpoint(ctx, d.kind, d.addr, 2); err != nil {
			errs = append(errs, fmt.Errorf("clear the breakpoint on %s: %w", d.fn.Display(), err))
		}
	}
	return errors.Join(errs...)
}

// deadEndStop tells whether a stop at pc is at an armed dead-end
// function's entry or masked loop. Entered from another armed one (abort
// from __assert_func, _exit from abort), or inside a fault handler (the
// fault was caught at the handler's entry, and the session resumed it),
// it is the same death, already caught: then again is true and the
// caller resumes.
func (t *Target) deadEndStop(ctx context.Context, stop gdbremote.StopReply, pc uint64) (c Crash, hit, again bool) {
	t.mu.Lock()
	var at deadEndBP
	armed := map[string]bool{}
	for _, d := range t.deadEnds {
		if !d.loop {
			armed[d.fn.Name] = true
		}
		if d.addr == pc&^1 {
			at, hit = d, true
		}
	}
	t.mu.Unlock()
	if !hit {
		return Crash{}, false, false
	}
	fn := at.fn
	name := fn.Display()
	if at.loop {
		name = "the loop with interrupts masked in " + t.loopName(at)
	}
	// The same death, already caught: step off the breakpoint (or the
	// resume stops on it again) and go on.
	already := func(why string) (Crash, bool, bool) {
		t.event(EventTargetState, fmt.Sprintf("%s entered %s, already caught there; resuming", name, why), nil)
		if err := t.StepOver(ctx); err != nil {
			t.event(EventTargetState, err.Error(), nil)
		}
		return Crash{}, true, true
	}
	if xpsr, err := t.c.ReadRegister(ctx, "xpsr"); err == nil {
		// A fault handler ending in one (Zephyr's fatal path, a handler
		// that calls abort): its fault was caught on entry.
		if ipsr := int(xpsr & 0x1FF); ipsr >= 2 && ipsr <= 6 {
			return already(fmt.Sprintf("inside the %s handler", exceptionName(ipsr)))
		}
	}
	if at.loop {
		detail := fmt.Sprintf("a loop with interrupts masked reached at 0x%08x in %s", pc&^1, t.loopName(at))
		t.event(EventTargetState, detail, map[string]string{"stop": stop.Raw})
		return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "dead-end", Detail: detail}}, true, false
	}
	if lr, err := t.c.ReadRegister(ctx, "lr"); err == nil && lr >= 2 && lr < 0xFFFFFFE0 && t.opts.Image != nil {
		if s, _, ok := t.opts.Image.SymbolAt((lr &^ 1) - 2); ok && armed[s.Name] && s.Name != fn.Name {
			return already(fmt.Sprintf("from %s()", s.Name))
		}
	}
	detail := fmt.Sprintf("%s entered at 0x%08x", fn.Display(), pc&^1)
	t.event(EventTargetState, detail, map[string]string{"stop": stop.Raw})
	return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "dead-end", Detail: detail}}, true, false
}

// haltedDeadEnd says why a halted target that is in no fault is in a dead
// end: its PC inside a dead-end function, or on a branch to itself with
// interrupts masked (nothing can get it out: CubeMX's
// __disable_irq(); while (1) {}, FreeRTOS's taskDISABLE_INTERRUPTS();
// for (;;);) or inside an exception handler (ipsr, not 0: an unhandled
// interrupt's Default_Handler; nothing below its priority runs again).
// "" when it is not, or that cannot be told.
func (t *Target) haltedDeadEnd(ctx context.Context, pc uint32, ipsr int) string {
	pc &^= 1
	if im := t.opts.Image; im != nil {
		if s, _, ok := im.SymbolAt(uint64(pc)); ok && s.Func {
			defined := func(name string) bool { _, ok := im.LookupSymbol(name); return ok }
			for _, f := range deadend.Catchable(defined) {
				if f.Name == s.Name {
					return fmt.Sprintf("PC 0x%08x is in %s, where the firmware stops itself", pc, f.Display())
				}
			}
		}
	}
	b, err := t.c.ReadMemory(ctx, uint64(pc), 4)
	if err != nil || len(b) < 2 || !deadend.BranchToSelf(b) {
		return ""
	}
	if ipsr != 0 {
		what := exceptionName(ipsr)
		if ipsr >= 16 {
			what = fmt.Sprintf("IRQ %d", ipsr-16)
		}
		return fmt.Sprintf("PC 0x%08x is a branch to itself in the handler of %s: it never returns, and nothing below its priority runs again", pc, what)
	}
	masked := maskedBy(func(name string) (uint64, bool) {
		if !t.c.HasRegister(name) {
			return 0, false
		}
		v, err := t.c.ReadRegister(ctx, name)
		return v, err == nil
	})
	if masked == "" {
		return ""
	}
	return fmt.Sprintf("PC 0x%08x is a branch to itself with interrupts masked (%s): nothing can leave that loop", pc, masked)
}

// maskedBy names the masking registers that keep interrupts out (PRIMASK
// or FAULTMASK set; BASEPRI nonzero, FreeRTOS's taskDISABLE_INTERRUPTS,
// masks all but the few above it, which kernel code may not use), "" when
// none does or none can be read. An idle "while (1);" with interrupts on
// may be how firmware that works in its interrupts waits.
func maskedBy(read func(name string) (uint64, bool)) string {
	var set []string
	for _, name := range []string{"primask", "faultmask", "basepri"} {
		if v, ok := read(name); ok && v != 0 {
			set = append(set, fmt.Sprintf("%s=%d", strings.ToUpper(name), v))
		}
	}
	sort.Strings(set)
	return strings.Join(set, ", ")
}
