package forensics

import (
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// Image is what the forensics need from the firmware image: code, symbols,
// sections and the DWARF variables and types. *elfsym.Image implements it.
type Image interface {
	IsCode(addr uint64) bool
	Frames(addr uint64) []elfsym.Frame
	ReadMemory(buf []byte, addr uint64) (int, error)
	Sections() []elfsym.Section
	SymbolAt(addr uint64) (elfsym.Symbol, uint64, bool)
	LookupSymbol(name string) (elfsym.Symbol, bool)
	dataImage
}

// A Crash is what the analysis already knows when the forensics start:
// the capture, the image, the decoded fault, the registers and the
// unwound frames.
type Crash struct {
	Snap   *capture.Snapshot
	Image  Image
	Core   fault.Core
	Fault  fault.Fault
	Stop   fault.Regs     // the registers at the stop
	Ctx    fault.Regs     // the faulting context's registers
	Frames []unwind.Frame // innermost first
	RAM    []unwind.Range // captured RAM; empty means the SRAM region
	// OnPSP says the faulting context ran on the process stack; StackAt
	// is where its exception frame is or should have been (HaveStackAt).
	OnPSP       bool
	StackAt     uint32
	HaveStackAt bool
	// FaultSP is the faulting context's SP (where stacking was attempted
	// when it failed), when HaveFaultSP.
	FaultSP     uint32
	HaveFaultSP bool
	// BadPC says the faulting PC cannot be code; Returned, that a return
	// (POP into PC, BX LR from a smashed slot) went there, not a call
	// through a register: the value found elsewhere in memory (a RAM
	// object's address is stored in many places) did not make the call.
	BadPC, Returned bool
	// Tasks are the RTOS's tasks and heap (nil for bare metal).
	Tasks *rtos.System
}

func (c *Crash) inRAM(v uint32) bool { return unwind.InRAM(c.RAM, v) }

// faultPC is the PC of the faulting context and whether it is known.
func (c *Crash) faultPC() (uint32, bool) { return c.Ctx.Get(fault.RegPC) }

// rootCtx carries one root-cause pass: the walked heap, the object graph
// and the vtables, and names for addresses derived from them.
type rootCtx struct {
	*Crash
	rep  *report.Report
	di   dataImage
	heap *heapInfo
	vt   *vtables
	g    *objectGraph
	// leads are candidate one-sentence root causes for the summary; the
	// best scored one leads.
	leads []lead
	// first is the first fault's exception frame of a lockup, nil if
	// there was no lockup or it was not found.
	first *fault.ExceptionFrame
}

// lead is a candidate root cause. Objects a register of the crashing code
// held score highest: that is the one the code was using.
type lead struct {
	score   int
	text    string
	finding string // summary of the finding behind it
}

func (rc *rootCtx) note(format string, args ...any) {
	rc.rep.Notes = append(rc.rep.Notes, fmt.Sprintf(format, args...))
}

func (rc *rootCtx) add(kind, summary string, addr uint32, haveAddr bool, sym string) {
	f := report.Finding{Kind: kind, Summary: summary, Symbol: sym}
	if haveAddr {
		f.Address = report.Hex(addr)
	}
	rc.rep.Findings = append(rc.rep.Findings, f)
}

// addLead records a candidate root cause for the finding just added.
func (rc *rootCtx) addLead(score int, text string) {
	l := lead{score: score, text: text}
	if n := len(rc.rep.Findings); n > 0 {
		l.finding = rc.rep.Findings[n-1].Summary
	}
	rc.leads = append(rc.leads, l)
}

func (rc *rootCtx) bestLead() string {
	l, ok := rc.best()
	if !ok {
		return ""
	}
	// The finding behind the lead comes first: the reader sees the
	// evidence right under the summary.
	fs := rc.rep.Findings
	for i, f := range fs {
		if f.Summary == l.finding {
			copy(fs[1:i+1], fs[:i])
			fs[0] = f
			break
		}
	}
	return l.text
}

func (rc *rootCtx) best() (lead, bool) {
	// Without a fault there is no crash to explain, findings only;
	// unless the firmware stopped itself in a dead end (a hook that
	// spins, abort): that is the crash.
	if rc.Fault.Exception == "None" && !rc.Fault.Lockup && (rc.Snap == nil || rc.Snap.Meta.Trigger.Kind != "dead-end") {
		return lead{}, false
	}
	best := -1
	for i, l := range rc.leads {
		if l.score > 0 && (best < 0 || l.score > rc.leads[best].score) {
			best = i
		}
	}
	if best < 0 {
		return lead{}, false
	}
	return rc.leads[best], true
}

// Run runs the analyses that explain why the program went wrong rather
// than where: heap walking, dangling pointers from globals, vtable
// validation, pointer provenance, stack guards and a lockup's first fault.
// It adds findings and notes to rep and puts the best-supported cause in
// front of its summary. c.Image must not be nil.
func Run(c *Crash, rep *report.Report) {
	rc := &rootCtx{Crash: c, rep: rep, di: c.Image}
	lookup := func(name string) (uint32, bool) {
		if s, ok := c.Image.LookupSymbol(name); ok {
			return uint32(s.Addr), true
		}
		if v, ok := c.Image.(interface {
			LookupVariable(string) (elfsym.Variable, bool)
		}); ok {
			if vv, found := v.LookupVariable(name); found {
				return uint32(vv.Addr), true
			}
		}
		return 0, false
	}
	rc.heap = walkHeap(c.Snap, lookup)
	if rc.heap == nil && c.Tasks != nil {
		rc.heap = rtosHeap(c.Tasks.Heap)
	}
	rc.vt = newVtables(rc.di)
	free := func(v uint32) bool {
		b, ok := rc.heap.blockAt(v)
		return ok && b.Free
	}
	rc.g = walkObjects(c.Snap, rc.di.Variables(), c.inRAM, free, rc.vt)
	rc.lockupForensics()
	rc.heapFindings()
	rc.danglingFindings()
	rc.vtableFindings()
	rc.globalObjectVtables()
	rc.provenance()
	rc.stackGuard()
	rc.stackBounds()
	rc.taskFindings()
	rc.stackingScan()
	if l := rc.bestLead(); l != "" {
		rep.Fault.Summary = l + " " + rep.Fault.Summary
	}
}

// name renders addr the way a C programmer would: a path from a global
// through typed pointers, a global's member, a heap block or the stack.
func (rc *rootCtx) name(addr uint32) string {
	if p, ok := rc.typedName(addr); ok {
		return p
	}
	if s := rc.taskStackName(addr); s != "" {
		return s
	}
	if b, ok := rc.heap.blockAt(addr); ok {
		if addr == b.Mem {
			return b.describe()
		}
		return fmt.Sprintf("%s+%d", b.describe(), addr-b.Mem)
	}
	if f, ok := rc.stackFrameOf(addr); ok {
		return fmt.Sprintf("the stack at 0x%08x (frame of %s)", addr, f)
	}
	return ""
}

// typedName names addr through the program's types: a field of a global
// object from that global, as gdb does (_k_thread_obj_sensor_tid.base.
// timeout.fn), not by a path the walk took to it through another global's
// pointer; else by the walk's path (heap objects, and objects inside a
// global that only holds bytes: a pool, an arena); else the global.
func (rc *rootCtx) typedName(addr uint32) (string, bool) {
	gp, gv, gok := rc.di.DataAt(uint64(addr))
	gok = gok && !rc.heapArena(gv)
	if gok && strings.Contains(gp, ".") {
		return gp, true
	}
	if p, ok := rc.g.objectAt(addr); ok {
		return p, true
	}
	return gp, gok
}

// stackFrameOf names the unwound frame whose stack area holds addr.
func (rc *rootCtx) stackFrameOf(addr uint32) (string, bool) {
	fs := rc.Frames
	for i := range fs {
		lo := fs[i].SP
		hi := lo + 0x200
		if i+1 < len(fs) && fs[i+1].SP >= lo {
			hi = fs[i+1].SP
		}
		if addr >= lo && addr < hi {
			return rc.frameName(i), true
		}
	}
	return "", false
}

// frameName is "f() at file.c:42" for unwound frame i.
func (rc *rootCtx) frameName(i int) string {
	f := rc.Frames[i]
	if len(f.Funcs) > 0 {
		fn := f.Funcs[len(f.Funcs)-1]
		return report.Frame{Function: fn.Function, File: f.Funcs[0].File, Line: f.Funcs[0].Line, PC: report.Hex(f.PC)}.Where()
	}
	return rc.codeName(f.Lookup)
}

// codeName is "f() at file.c:42" for a code address, "" when unknown.
func (rc *rootCtx) codeName(pc uint32) string {
	if !rc.Image.IsCode(uint64(pc)) {
		return ""
	}
	fs := rc.Image.Frames(uint64(pc))
	if len(fs) == 0 {
		return ""
	}
	return report.Frame{Function: fs[len(fs)-1].Function, File: fs[0].File, Line: fs[0].Line, PC: report.Hex(pc)}.Where()
}

// culprit is the innermost frame that is real code: the code that made the
// bad access or the wild call. With a wild PC and no caller frame, the
// return address in LR names the caller.
func (rc *rootCtx) culprit() string {
	if ef := rc.first; ef != nil { // a lockup: the first fault's code
		if rc.Image.IsCode(uint64(ef.PC &^ 1)) {
			return rc.codeName(ef.PC &^ 1)
		}
		if !fault.IsExcReturn(ef.LR) {
			return rc.codeName((ef.LR &^ 1) - 2)
		}
	}
	for i, f := range rc.Frames {
		if !f.NotCode && (len(f.Funcs) > 0 || rc.Image.IsCode(uint64(f.Lookup))) {
			return rc.frameName(i)
		}
	}
	if lr, ok := rc.Ctx.Get(fault.RegLR); ok && !fault.IsExcReturn(lr) && lr&1 == 1 {
		return rc.codeName((lr &^ 1) - 2)
	}
	return ""
}

// holders says which registers of the faulting context and of the unwound
// frames hold a value inside [lo, hi).
func (rc *rootCtx) holders(lo, hi uint32) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] && len(out) < 4 {
			seen[s] = true
			out = append(out, s)
		}
	}
	check := func(r fault.Regs, who string, from int) {
		for i := from; i < 13; i++ {
			if v, ok := r.Get(i); ok && v >= lo && v < hi {
				add(fmt.Sprintf("%s in %s", fault.RegNames[i], who))
			}
		}
	}
	c := rc.culprit()
	if c == "" {
		c = "the faulting context"
	}
	check(rc.Ctx, c, 0)
	// Outer frames: only the callee-saved r4-r11 are what the frame had;
	// r0-r3 and r12 are copies of the inner frame's at best.
	for i, f := range rc.Frames {
		if i == 0 {
			continue
		}
		check(f.Regs, rc.frameName(i), 4)
	}
	return out
}

func (rc *rootCtx) heapFindings() {
	if rc.heap == nil {
		return
	}
	for i, p := range rc.heap.Problems {
		if i == 3 {
			rc.note("%d more heap problems not listed", len(rc.heap.Problems)-3)
			break
		}
		rc.add(report.FindHeapCorruption, fmt.Sprintf("%s heap: %s", rc.heap.Allocator, p.Text), p.Addr, true, rc.name(p.Addr))
	}
}

// danglingFindings reports typed pointers reachable from globals, and raw
// words of globals, that point into free heap blocks.
func (rc *rootCtx) danglingFindings() {
	if rc.heap == nil {
		return
	}
	type hit struct {
		path  string
		at    uint32
		value uint32
		block heapBlock
		elem  *elfsym.Type
		raw   bool // an untyped word (an integer handle, a pointer kept as an integer)
	}
	var hits []hit
	seenAt := map[uint32]bool{}
	holderOK := func(at uint32, path string) bool {
		if b, ok := rc.heap.blockAt(at); ok && b.Free {
			return false // free blocks hold stale data and the allocator's links
		}
		return !strings.HasPrefix(path, "__malloc") && !strings.HasPrefix(path, "_impure")
	}
	for _, s := range rc.g.Slots {
		b, ok := rc.heap.blockAt(s.Value)
		if !ok || !b.Free || seenAt[s.At] || !holderOK(s.At, s.Path) {
			continue
		}
		seenAt[s.At] = true
		hits = append(hits, hit{s.Path, s.At, s.Value, b, s.Elem, false})
	}
	// Words of globals that are not typed pointers (handles kept as
	// integers, untyped objects) pointing into free blocks.
	for _, v := range rc.di.Variables() {
		if !rc.inRAM(uint32(v.Addr)) || v.Size < 4 || v.Size > 1<<16 || strings.HasPrefix(v.Name, "__malloc") || rc.heapArena(v) {
			continue
		}
		for off := (4 - uint32(v.Addr)&3) & 3; off+4 <= uint32(v.Size); off += 4 {
			at := uint32(v.Addr) + off
			if seenAt[at] {
				continue
			}
			w, err := fault.Read32(rc.Snap, uint64(at))
			if err != nil {
				break
			}
			b, ok := rc.heap.blockAt(w)
			if !ok || !b.Free {
				continue
			}
			seenAt[at] = true
			path := v.Name + elfsym.SubPath(v.Type, uint64(off))
			hits = append(hits, hit{path, at, w, b, nil, true})
		}
	}
	// Words on the live stack that point at the start of a freed block:
	// locals or spills of a pointer to freed memory. Only exact block
	// starts, and only inside an unwound frame, to keep stale scratch out.
	stackHits := 0
	lo, hi := rc.liveStack()
	for at := lo &^ 3; at < hi && stackHits < 2; at += 4 {
		if seenAt[at] {
			continue
		}
		w, err := fault.Read32(rc.Snap, uint64(at))
		if err != nil {
			continue
		}
		b, ok := rc.heap.blockAt(w)
		if !ok || !b.Free || b.Top || w != b.Mem {
			continue
		}
		f, ok := rc.stackFrameOf(at)
		if !ok {
			continue
		}
		seenAt[at] = true
		stackHits++
		hits = append(hits, hit{fmt.Sprintf("a stack word of %s", f), at, w, b, nil, true})
	}
	sort.SliceStable(hits, func(i, j int) bool { return !hits[i].block.Top && hits[j].block.Top })
	culprit := rc.culprit()
	for i, h := range hits {
		if i == 8 {
			rc.note("%d more pointers into freed heap blocks not listed", len(hits)-8)
			break
		}
		holder := h.path
		if alt := rc.g.aliasPath(h.at, h.path); alt != "" {
			holder += " (also reached as " + alt + ")"
		}
		s := fmt.Sprintf("%s (at 0x%08x) still points to %s", holder, h.at, h.block.describe())
		if h.value != h.block.Mem {
			s = fmt.Sprintf("%s (at 0x%08x) still points into %s, at +%d", holder, h.at, h.block.describe(), h.value-h.block.Mem)
		}
		if strings.HasPrefix(h.path, "a stack word of ") {
			s += ": a local or spilled pointer to freed memory (it may be dead, or about to be used)"
		} else if h.raw {
			s += ": it is not a typed pointer (an integer handle, or a pointer stored as an integer); the block it names was freed, so using it is a use after free unless the program validates it first"
		} else {
			s += ": the block was freed but this pointer was not cleared (use after free)"
		}
		if h.elem != nil && h.elem.Polymorphic {
			if vptr, problem := rc.vt.vptrProblem(rc.Snap, h.value, h.elem); problem != "" {
				s += fmt.Sprintf("; read as a %s its vptr is 0x%08x, which %s", h.elem.Name, vptr, problem)
				if n := rc.name(vptr); n != "" {
					s += " (it is " + n + ")"
				}
			}
		}
		score := 1
		if h.raw {
			score = 0
		}
		if regs := rc.holders(h.value, h.value+1); len(regs) > 0 {
			s += "; at the crash " + strings.Join(regs, ", ") + " held it"
			score += 2
		}
		if culprit != "" {
			s += rc.crashIn(culprit)
		}
		rc.add(report.FindDanglingPointer, s, h.value, true, h.path)
		what := fmt.Sprintf("a freed %d-byte block", h.block.End-h.block.Mem)
		if h.block.Top {
			what = "freed memory (merged back into the heap's free top)"
		}
		name := h.path
		if alt := rc.g.aliasPath(h.at, h.path); alt != "" {
			name += " (= " + alt + ")"
		}
		rc.addLead(score, fmt.Sprintf("Use after free: %s points to %s%s.", name, what, rc.leadTail(culprit)))
	}
}

func (rc *rootCtx) leadTail(culprit string) string {
	if culprit == "" {
		return ""
	}
	if ef := rc.first; ef != nil && !rc.Image.IsCode(uint64(ef.PC&^1)) {
		return fmt.Sprintf("; the wild jump to 0x%08x came from %s", ef.PC, culprit)
	}
	if pc, ok := rc.faultPC(); ok && rc.BadPC && !fault.IsLockupPC(rc.Core, pc) {
		return fmt.Sprintf("; the wild jump to 0x%08x came from %s", pc, culprit)
	}
	return rc.crashIn(culprit)
}

// crashIn says where the crash (or, without a fault, the stop) is.
func (rc *rootCtx) crashIn(culprit string) string {
	if rc.Fault.Exception == "None" && !rc.Fault.Lockup {
		return "; the core was stopped in " + culprit
	}
	return "; the crash is in " + culprit
}

// globalObjectVtables checks the vptr of polymorphic objects that are
// globals themselves (or elements of global arrays): an overrun from the
// variable before them shows up there. A zero vptr is left alone: the
// constructor may not have run yet.
func (rc *rootCtx) globalObjectVtables() {
	n := 0
	for _, v := range rc.di.Variables() {
		t := v.Type
		count := int64(1)
		if t != nil && t.Kind == elfsym.KindArray && t.Elem != nil && t.Count > 0 {
			t, count = t.Elem, min(t.Count, 64)
		}
		if t == nil || t.Kind != elfsym.KindStruct || !t.Polymorphic || t.Size == 0 || !rc.inRAM(uint32(v.Addr)) {
			continue
		}
		for i := int64(0); i < count && n < 4; i++ {
			addr := uint32(v.Addr) + uint32(i)*uint32(t.Size)
			vptr, problem := rc.vt.vptrProblem(rc.Snap, addr, t)
			if problem == "" || vptr == 0 {
				continue
			}
			n++
			name := v.Name
			if count > 1 || v.Type.Kind == elfsym.KindArray {
				name = fmt.Sprintf("%s[%d]", v.Name, i)
			}
			s := fmt.Sprintf("the global %s object %s at 0x%08x has vptr 0x%08x, which %s: something overwrote it", t.Name, name, addr, vptr, problem)
			if prev, _, ok := rc.di.DataAt(uint64(addr) - 1); ok {
				s += " (the memory just before it is " + prev + ": an overrun from there?)"
			}
			rc.add(report.FindCorruptVtable, s, addr, true, name)
			rc.addLead(1, fmt.Sprintf("Corrupt object: the global %s's vptr 0x%08x %s.", name, vptr, problem))
		}
	}
}

// vtableFindings checks the vptr of every object a typed pointer with a
// polymorphic pointee reaches.
func (rc *rootCtx) vtableFindings() {
	if len(rc.vt.list) == 0 {
		return
	}
	culprit := rc.culprit()
	n := 0
	seen := map[uint32]bool{}
	for _, s := range rc.g.Slots {
		if s.Elem == nil || !s.Elem.Polymorphic || s.Value == 0 || !rc.inRAM(s.Value) || seen[s.Value] {
			continue
		}
		vptr, problem := rc.vt.vptrProblem(rc.Snap, s.Value, s.Elem)
		if problem == "" || s.Union { // a union member's type is only one reading
			continue
		}
		if b, ok := rc.heap.blockAt(s.Value); ok && b.Free {
			continue // a dangling-pointer finding says it, with the vptr
		}
		seen[s.Value] = true
		n++
		if n > 6 {
			rc.note("more objects with a bad vptr not listed")
			break
		}
		what := fmt.Sprintf("the %s object at 0x%08x", s.Elem.Name, s.Value)
		why := "the object was freed or overwritten"
		if b, ok := rc.heap.blockAt(s.Value); ok {
			what += " (" + b.describe() + ")"
			switch {
			case b.Free:
				why = "the object was freed: malloc's free-list links overwrite its first words"
			case s.Value != b.Mem:
				why = fmt.Sprintf("the pointer is %d bytes into a live block, not at its start: the object was freed and its memory reused", s.Value-b.Mem)
			case uint64(b.End-b.Mem) < s.Elem.Size:
				why = fmt.Sprintf("the block is smaller than a %s (%d bytes): the object was freed and its memory reused", s.Elem.Name, s.Elem.Size)
			default:
				why = "the object was freed and its memory reused, or overwritten"
			}
		}
		ref := s.Path
		if alt := rc.g.aliasPath(s.At, s.Path); alt != "" {
			ref += " (also reached as " + alt + ")"
		}
		summary := fmt.Sprintf("%s, referenced by %s, has vptr 0x%08x, which %s: %s", what, ref, vptr, problem, why)
		if wh := rc.name(vptr); wh != "" && !strings.HasPrefix(problem, "is the vtable") {
			summary += fmt.Sprintf(" (0x%08x is %s)", vptr, wh)
		}
		score := 0
		if regs := rc.holders(s.Value, s.Value+1); len(regs) > 0 {
			summary += "; at the crash " + strings.Join(regs, ", ") + " held the object's address"
			score += 2
		}
		if culprit != "" {
			summary += rc.crashIn(culprit)
		}
		rc.add(report.FindCorruptVtable, summary, s.Value, true, s.Path)
		name := s.Path
		if alt := rc.g.aliasPath(s.At, s.Path); alt != "" {
			name += " (= " + alt + ")"
		}
		rc.addLead(score, fmt.Sprintf("Stale object: %s points to a %s whose vptr 0x%08x %s (%s)%s.", name, s.Elem.Name, vptr, problem, why, rc.leadTail(culprit)))
	}
}
