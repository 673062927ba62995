package faultdecode

import (
	"errors"
	"fmt"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// maxTaskDepth caps a switched-out task's call chain: tasks block a few
// calls deep, and a corrupt stack should not cost 64 frames per task.
const maxTaskDepth = 32

// readTasks reads the RTOS's tasks (FreeRTOS) from the image's symbols and
// types and the captured memory. It runs before unwinding: a task's stack
// bounds the stack scan of the code that ran on it.
func (a *analysis) readTasks() {
	if a.img == nil {
		return
	}
	img, ok := a.img.(rtos.Image)
	if !ok {
		return
	}
	sys, err := rtos.Read(img, a.snap, rtos.Options{CurrentSP: a.taskSP()})
	if err != nil {
		if !errors.Is(err, rtos.ErrNotFreeRTOS) {
			a.note("tasks not listed: %v", err)
		}
		return
	}
	a.sys = sys
	for _, p := range sys.Problems {
		a.note("%s: %s", sys.Kernel, p)
	}
}

// taskSP is the running task's SP: the faulting context's when it ran on
// the process stack, else PSP (an interrupt handler's frame sits on it).
func (a *analysis) taskSP() uint32 {
	if a.onPSP && a.frameOK {
		if sp, ok := a.ctx.Get(fault.RegSP); ok {
			return sp
		}
	}
	if a.havePSP {
		return a.psp
	}
	return 0
}

// taskReport fills the report's tasks: each one's stack and state, and its
// call chain (the crash's frames on its stack for the running task; an
// unwind from the context the port saved for the others).
func (a *analysis) taskReport() {
	if a.sys == nil {
		return
	}
	for i := range a.sys.Tasks {
		t := &a.sys.Tasks[i]
		rt := report.Task{
			Name: t.Name, State: string(t.State), Priority: t.Priority, Current: t.Current,
			TCB: report.Hex(t.TCB), Problems: t.Problems, Frames: []report.Frame{},
			Stack: report.Stack{Base: report.Hex(t.StackBase), Size: t.StackSize(), Overflowed: len(t.Overflow) > 0, Why: t.Overflow},
		}
		if t.HighWaterKnown {
			hw := t.HighWater
			rt.Stack.HighWater = &hw
		}
		switch {
		case t.Current:
			rt.Frames = a.framesToReport(a.framesOnStack(t))
		case t.Context != nil:
			rt.Frames = a.framesToReport(a.unwindTask(t))
		}
		a.rep.Tasks = append(a.rep.Tasks, rt)
	}
}

// framesOnStack are the crash's frames that ran on t's stack (an
// overflowed task's frames may lie up to 4 KiB below its base).
func (a *analysis) framesOnStack(t *rtos.Task) []unwind.Frame {
	var out []unwind.Frame
	for _, f := range a.frames {
		if f.SP < t.StackTop && uint64(f.SP)+4096 >= uint64(t.StackBase) {
			out = append(out, f)
		}
	}
	return out
}

// unwindTask unwinds a switched-out task from the context its port saved:
// the registers are exact, like a fault's exception frame.
func (a *analysis) unwindTask(t *rtos.Task) []unwind.Frame {
	var r fault.Regs
	for i, v := range t.Context.R {
		r.Set(i, v)
	}
	start := unwind.UnwindStart{
		Regs: r, How: unwind.HowExceptionFrame, Confidence: unwind.Certain,
		PSP: t.SP, HavePSP: true, OnPSP: true, PSPTop: t.StackTop,
		RAM: a.ram, MaxDepth: maxTaskDepth,
	}
	u := unwind.NewUnwinder(a.snap, a.img, start)
	var out []unwind.Frame
	for u.Next() {
		out = append(out, u.Frame())
	}
	return out
}

// taskPhrase places the fault for the headline: " in task 'net'", or " in
// TIMER0_IRQHandler, which interrupted task 'crunch'"; "" without tasks or
// before the scheduler ran one.
func (a *analysis) taskPhrase() string {
	cur := a.sys.Current()
	if cur == nil {
		return ""
	}
	if n := a.faultingException(); n == fault.ExcPendSV {
		// FreeRTOS switches tasks in PendSV: the task is being switched out.
		return fmt.Sprintf(" in the context switch (%s) from task '%s'", a.handlerName(n), cur.Name)
	} else if n >= 2 {
		return fmt.Sprintf(" in %s, which interrupted task '%s'", a.handlerName(n), cur.Name)
	}
	if a.onPSP {
		return fmt.Sprintf(" in task '%s'", cur.Name)
	}
	return ""
}

// faultingException is the exception the faulting code ran in (its
// stacked IPSR), 0 for thread mode or when unknown.
func (a *analysis) faultingException() uint32 {
	if !a.haveXPSR || !a.frameOK || a.exc == nil {
		return 0
	}
	return a.ctxXPSR & 0x1FF
}

// handlerName names exception n's handler from the vector table
// ("TIMER0_IRQHandler"), else architecturally ("IRQ 8").
func (a *analysis) handlerName(n uint32) string {
	if vt, ok := a.stacks().VectorTable(); ok {
		if e := unwind.HandlerEntry(a.img, vt, n); e != 0 {
			if s, _, ok := a.img.SymbolAt(uint64(e)); ok && s.Func {
				return s.Name
			}
		}
	}
	// ExceptionName names only the fault exceptions ("None" for the rest).
	return fault.ExceptionLabel(int(n))
}
