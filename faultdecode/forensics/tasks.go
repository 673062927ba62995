package forensics

import (
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
)

// overflowHook is the function FreeRTOS calls when its stack check
// (configCHECK_FOR_STACK_OVERFLOW) finds the task being switched out
// overflowed; it gets that task's handle and name.
const overflowHook = "vApplicationStackOverflowHook"

// rtosHeap is FreeRTOS's heap_4/heap_5 as the heap forensics see a heap.
// A span whose headers were overwritten is neither free nor in use.
func rtosHeap(h *rtos.Heap) *heapInfo {
	if h == nil {
		return nil
	}
	out := &heapInfo{Allocator: h.Allocator}
	for _, b := range h.Blocks {
		out.Blocks = append(out.Blocks, heapBlock{Chunk: b.Header, Mem: b.Mem, End: b.End, Free: b.Free && !b.Corrupt})
	}
	for _, p := range h.Problems {
		out.problem(heapProblem{p.Addr, p.Text})
	}
	return out
}

// hookStopped says whether the crash is FreeRTOS's stack-overflow hook
// stopping on purpose: the hook is one of the frames.
func (rc *rootCtx) hookStopped() bool {
	for _, f := range rc.Frames {
		for _, fn := range f.Funcs {
			if fn.Function == overflowHook {
				return true
			}
		}
	}
	return false
}

// taskFindings reports every task whose stack overflowed: the one
// FreeRTOS's hook caught (it stops in the hook, with that task still
// current), and the silent ones its check never saw (it runs only when a
// task is switched out), named with what lies below the stack.
func (rc *rootCtx) taskFindings() {
	if rc.Tasks == nil {
		return
	}
	rc.listFindings()
	caughtBy := rc.hookStopped()
	_, hookBuilt := rc.Image.LookupSymbol(overflowHook)
	for i := range rc.Tasks.Tasks {
		t := &rc.Tasks.Tasks[i]
		caught := caughtBy && t.Current
		if len(t.Overflow) == 0 && !caught {
			continue
		}
		stack := fmt.Sprintf("its stack at 0x%08x", t.StackBase)
		if n := t.StackSize(); n > 0 {
			stack = fmt.Sprintf("its %d-byte stack (0x%08x..0x%08x)", n, t.StackBase, t.StackTop)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "task '%s' overflowed %s", t.Name, stack)
		if len(t.Overflow) > 0 {
			b.WriteString(": " + strings.Join(t.Overflow, "; "))
		}
		below, hit := rc.belowStack(t)
		switch {
		case below != "" && hit:
			fmt.Fprintf(&b, "; below the stack lies %s, whose heap header it overwrote", below)
		case below != "":
			fmt.Fprintf(&b, "; below the stack lies %s", below)
		}
		lead := fmt.Sprintf("Stack overflow: task '%s' overflowed %s", t.Name, stack)
		switch {
		case caught:
			fmt.Fprintf(&b, "; FreeRTOS's stack check (configCHECK_FOR_STACK_OVERFLOW) caught it when the task was switched out and called %s, which stopped on purpose", overflowHook)
			lead += fmt.Sprintf(", caught by FreeRTOS's stack check (%s stopped on purpose)", overflowHook)
		case hookBuilt && !t.Current:
			b.WriteString("; FreeRTOS's stack check has not run since (it checks a task as it is switched out)")
		case hookBuilt:
			b.WriteString("; FreeRTOS's stack check never saw it: it checks a task only as it is switched out, and this one was still running")
			lead += ", unseen by FreeRTOS's stack check (the task was still running)"
		}
		if below != "" && hit {
			lead += ", over " + below + " below it"
		}
		rc.add(report.FindStackOverflow, b.String(), t.StackBase, true, fmt.Sprintf("task '%s' stack", t.Name))
		score := 1
		if t.Current || caught {
			score = 3 // the running task's overflow is what the crash stands on
		}
		rc.addLead(score, lead+".")
	}
}

// belowStack names what lies below t's stack as far as the overflow
// reached (SP below the base, or the lowest heap header found overwritten
// within 4 KiB under it): the objects globals point to there, else the
// heap block right below. hit says a heap header there was overwritten.
func (rc *rootCtx) belowStack(t *rtos.Task) (string, bool) {
	h := rc.Tasks.Heap
	if h == nil {
		return "", false
	}
	base, lo, hit := t.StackBase, t.StackBase, false
	if t.SP != 0 && t.SP < base && base-t.SP <= 4096 {
		lo = t.SP
	}
	for _, p := range h.Problems {
		if p.Addr < base && uint64(p.Addr)+4096 >= uint64(base) {
			hit = true
			lo = min(lo, p.Addr)
		}
	}
	// The stack's own heap header sits right under it.
	if ps := rc.pointersInto(lo, base-8); len(ps) > 0 {
		var names []string
		for _, p := range ps {
			names = append(names, fmt.Sprintf("%s (0x%08x)", p.name, p.at))
		}
		return strings.Join(names, ", "), hit
	}
	prev, ok := h.BlockAt(base - 9)
	if !ok || prev.Corrupt {
		return "", hit
	}
	name := fmt.Sprintf("heap block 0x%08x (%d bytes)", prev.Mem, prev.End-prev.Mem)
	if holders := rc.pointersInto(prev.Mem, prev.Mem+1); len(holders) > 0 {
		name = holders[0].name + "'s " + name
	}
	return name, hit
}

// maxNamed bounds the objects a finding lists.
const maxNamed = 3

// pointersInto names the global pointer variables (else the pointers the
// object walk found) whose value lies in [lo, hi), nearest to hi first:
// sample_queue at 0x200013d0.
func (rc *rootCtx) pointersInto(lo, hi uint32) []pointerTo {
	var hits []pointerTo
	seen := map[string]bool{}
	add := func(name string, v uint32) {
		if v >= lo && v < hi && !seen[name] {
			seen[name] = true
			hits = append(hits, pointerTo{name, v})
		}
	}
	for _, v := range rc.di.Variables() {
		if v.Type == nil || v.Type.Kind != elfsym.KindPointer || v.Size != 4 || rc.heapArena(v) {
			continue
		}
		if w, err := fault.Read32(rc.Snap, v.Addr); err == nil {
			add(v.Name, w)
		}
	}
	if len(hits) == 0 && rc.g != nil {
		for _, s := range rc.g.Slots {
			add(s.Path, s.Value)
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].at > hits[j].at })
	return hits[:min(len(hits), maxNamed)]
}

// pointerTo is a named pointer and where it points.
type pointerTo struct {
	name string
	at   uint32
}

// heapArena says whether v is the array an allocator carves its heap from
// (FreeRTOS's ucHeap): inside it, a heap block or a task's stack names an
// address better than an index into the array.
func (rc *rootCtx) heapArena(v elfsym.Variable) bool {
	h := rc.heap
	if h == nil || len(h.Blocks) == 0 {
		return false
	}
	return v.Addr <= uint64(h.Blocks[0].Chunk) && uint64(h.Blocks[len(h.Blocks)-1].End) <= v.Addr+v.Size
}

// taskStackName names addr in an RTOS task's stack: "task 'net”s stack
// at 0x200009a0 (frame of f() at x.c:1)" when an unwound frame of the
// crash covers it.
func (rc *rootCtx) taskStackName(addr uint32) string {
	if rc.Tasks == nil {
		return ""
	}
	t := rc.Tasks.TaskAt(addr)
	if t == nil {
		return ""
	}
	if f, ok := rc.stackFrameOf(addr); ok {
		return fmt.Sprintf("task '%s''s stack at 0x%08x (frame of %s)", t.Name, addr, f)
	}
	return fmt.Sprintf("task '%s''s stack at 0x%08x", t.Name, addr)
}

// listFindings explains a kernel task list that cannot be followed: the
// TCB whose list item holds the bad link was overwritten. When the fault
// address lies just past that link, the kernel followed it (the crash);
// and a pointer to that TCB kept outside the kernel (a timer's ID, a
// stale global) is how it was overwritten: memory freed and handed out
// again as the TCB while something still wrote through the old pointer.
func (rc *rootCtx) listFindings() {
	for _, le := range rc.Tasks.ListErrors {
		t := rc.taskByTCB(le.From)
		if t == nil {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "task '%s''s TCB 0x%08x is corrupt: its %s holds 0x%08x, not a list item, so the kernel's %s cannot be followed", t.Name, t.TCB, le.Field, le.Value, le.List)
		followed := rc.Fault.HasAddress && rc.Fault.FaultAddress >= le.Value && rc.Fault.FaultAddress-le.Value < 32
		if followed {
			fmt.Fprintf(&b, "; the fault address 0x%08x is that link + %d: the kernel followed it", rc.Fault.FaultAddress, rc.Fault.FaultAddress-le.Value)
		}
		holders := rc.outsideHolders(t)
		if len(holders) > 0 {
			fmt.Fprintf(&b, "; %s points to the TCB from outside the kernel: it was written through that pointer after the memory became the TCB", strings.Join(holders, ", "))
		}
		rc.add(report.FindHeapCorruption, b.String(), t.TCB, true, fmt.Sprintf("task '%s' TCB", t.Name))
		lead := fmt.Sprintf("Corrupt task: task '%s''s TCB was overwritten (%s = 0x%08x)", t.Name, le.Field, le.Value)
		if len(holders) > 0 {
			lead += fmt.Sprintf(" through %s, which still points to that memory", holders[0])
		}
		if followed {
			lead += "; the context switch followed the bad link"
		}
		score := 2
		if followed {
			score = 3
		}
		rc.addLead(score, lead+".")
	}
}

func (rc *rootCtx) taskByTCB(tcb uint32) *rtos.Task {
	for i := range rc.Tasks.Tasks {
		if t := &rc.Tasks.Tasks[i]; tcb != 0 && t.TCB == tcb {
			return t
		}
	}
	return nil
}

// outsideHolders names the places outside the kernel's own bookkeeping
// that hold the address of t's TCB: not in a TCB (list items' owners),
// not in a task's stack (stale locals), not in the scheduler's variables
// (tasks.c's statics, timers.c's task handle).
func (rc *rootCtx) outsideHolders(t *rtos.Task) []string {
	var out []string
	for _, at := range rc.findWords([]uint32{t.TCB}, 16) {
		if rc.Tasks.TaskAt(at) != nil || rc.inTCB(at) {
			continue
		}
		if _, v, ok := rc.di.DataAt(uint64(at)); ok && !rc.heapArena(v) && kernelFile(v.File) {
			continue
		}
		if n := rc.name(at); n != "" && len(out) < maxNamed {
			out = append(out, n)
		}
	}
	return out
}

func (rc *rootCtx) inTCB(at uint32) bool {
	for _, t := range rc.Tasks.Tasks {
		if at >= t.TCB && at < t.TCB+rc.tcbSize() {
			return true
		}
	}
	return false
}

// tcbSize is the TCB's size from the kernel's DWARF, 0 when unknown.
func (rc *rootCtx) tcbSize() uint32 {
	if ty, ok := rc.di.LookupType("tskTaskControlBlock"); ok {
		return uint32(ty.Size)
	}
	return 0
}

// kernelFile says whether a compilation unit is the FreeRTOS kernel's
// scheduler (whose variables legitimately hold TCB addresses).
func kernelFile(f string) bool {
	base := f[strings.LastIndexByte(f, '/')+1:]
	return base == "tasks.c" || base == "timers.c"
}
