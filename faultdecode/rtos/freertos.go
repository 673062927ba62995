package rtos

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
)

// State is a task's scheduling state, as FreeRTOS's eTaskGetState names it.
type State string

// Task states.
const (
	Running   State = "running"
	Ready     State = "ready"
	Blocked   State = "blocked"
	Suspended State = "suspended"
	Deleted   State = "deleted"
)

// StackFill is the byte FreeRTOS fills a new task's stack with
// (tskSTACK_FILL_BYTE); the bottom 16 bytes of it are the canary
// configCHECK_FOR_STACK_OVERFLOW 2 checks.
const StackFill = 0xa5

// canaryBytes is how much of the fill the kernel's check method 2 looks at.
const canaryBytes = 16

// A Task is one FreeRTOS task, read from its TCB.
type Task struct {
	Name     string
	TCB      uint32
	State    State
	Current  bool // pxCurrentTCB: the task that was running
	Priority uint32
	// BasePriority is uxBasePriority (configUSE_MUTEXES): the priority
	// before any inheritance; equal to Priority without mutexes.
	BasePriority uint32
	// StackBase is pxStack, the lowest address of the stack; StackTop is
	// one past its highest byte (0 when unknown: no pxEndOfStack and no
	// heap block or object holds the stack).
	StackBase, StackTop uint32
	// TopOfStack is pxTopOfStack: where the port saved the context of a
	// task that is not running (stale for the running task).
	TopOfStack uint32
	// SP is the task's stack pointer: after its saved context for a
	// switched-out task, the live SP (as given to Read) for the running
	// one; 0 when unknown.
	SP uint32
	// HighWater is how many bytes at the stack's base still hold the
	// fill: never used (uxTaskGetStackHighWaterMark, in bytes).
	// HighWaterKnown is false when the stack was not captured or the
	// firmware does not fill new stacks (no task's stack holds fill).
	HighWater      uint32
	HighWaterKnown bool
	// Overflow says why the stack is judged to have overflowed (the fill
	// is gone down to the base, the canary is clobbered, SP is outside
	// the stack); empty when it did not.
	Overflow []string
	// Context is the saved context of a task that is not running, nil
	// when running or unreadable (Problems says why).
	Context  *Context
	Problems []string
	// Corrupt says the TCB itself cannot be right (its name, priority or
	// stack pointer): its other fields mean nothing.
	Corrupt bool
}

// StackSize is the stack's size in bytes, 0 when the top is unknown.
func (t *Task) StackSize() uint32 {
	if t.StackTop > t.StackBase {
		return t.StackTop - t.StackBase
	}
	return 0
}

// Contains reports whether addr is inside the task's stack.
func (t *Task) Contains(addr uint32) bool {
	return t.StackTop != 0 && addr >= t.StackBase && addr < t.StackTop
}

// A System is the RTOS state of a crashed target.
type System struct {
	Kernel string // "FreeRTOS"
	Port   Port
	// Tasks: the running task first, then ready by priority (highest
	// first), blocked, suspended, deleted.
	Tasks []Task
	// SchedulerRunning is xSchedulerRunning: false before
	// vTaskStartScheduler got going (no task is running then).
	SchedulerRunning bool
	// Heap is the walked heap_4/heap_5, nil for other allocators.
	Heap     *Heap
	Problems []string
	// ListErrors are the kernel lists that could not be followed.
	ListErrors []ListError
	// Unread are TCBs the lists name that memory did not hold, and
	// tcbSize the size of one: a capture reads them (Spans).
	Unread  []uint32
	tcbSize uint32
}

// A ListError is a link in a kernel list that cannot be right.
type ListError struct {
	List string // "pxReadyTasksLists[2]"
	// From is the TCB whose list item holds the bad link, 0 when it is
	// the list's own end marker; Field names the link in it
	// ("xStateListItem.pxNext").
	From  uint32
	Field string
	Value uint32 // the bad link
}

// A Span is memory the task list needs: a TCB or a task's stack.
type Span struct {
	Addr, Size uint32
	What       string // "TCB", "stack of net"
}

// maxSpan bounds one span (a stack is read from its base, where the
// watermark is, up to this).
const maxSpan = 64 << 10

// contextReach is how far above a switched-out task's saved top of stack
// its frames are read when the stack's top is unknown.
const contextReach = 1 << 10

// Spans lists what a capture must read for the task list to be whole:
// every TCB the lists name that was not read, and every task's stack
// (base to top, or to a little above the saved context when the top is
// unknown), at most maxSpan each.
func (s *System) Spans() []Span {
	if s == nil {
		return nil
	}
	var out []Span
	for _, tcb := range s.Unread {
		out = append(out, Span{tcb, s.tcbSize, "TCB"})
	}
	for _, t := range s.Tasks {
		if t.Corrupt || t.StackBase == 0 {
			continue
		}
		end := t.StackTop
		if end == 0 && t.TopOfStack > t.StackBase {
			end = t.TopOfStack + contextReach
		}
		if end <= t.StackBase {
			continue
		}
		out = append(out, Span{t.StackBase, min(end-t.StackBase, maxSpan), "stack of " + t.Name})
	}
	return out
}

// Current returns the running task, nil when none is known.
func (s *System) Current() *Task {
	if s == nil {
		return nil
	}
	for i := range s.Tasks {
		if s.Tasks[i].Current {
			return &s.Tasks[i]
		}
	}
	return nil
}

// TaskAt returns the task whose stack holds addr.
func (s *System) TaskAt(addr uint32) *Task {
	if s == nil {
		return nil
	}
	for i := range s.Tasks {
		if s.Tasks[i].Contains(addr) {
			return &s.Tasks[i]
		}
	}
	return nil
}

// ErrNotFreeRTOS says the image has no FreeRTOS kernel (no pxCurrentTCB).
var ErrNotFreeRTOS = errors.New("not a FreeRTOS image (no pxCurrentTCB)")

// maxTasks bounds a list walk over corrupt memory that loops.
const maxTasks = 256

// Options are what the caller knows that memory does not say.
type Options struct {
	// CurrentSP is the running task's live SP (PSP when the fault came
	// from thread mode or an interrupt of it), 0 when unknown.
	CurrentSP uint32
	// Port forces the saved-context layout; "" detects it from the image.
	Port Port
}

// layout is the DWARF description of the kernel's structures.
type layout struct {
	tcb              *elfsym.Type
	topOfStack       uint32
	stateItem        uint32
	eventItem        uint32
	priority         uint32
	stack            uint32
	name             elfsym.Field
	endOfStack       uint32
	haveEnd          bool
	basePriority     uint32
	haveBase         bool
	itemNext         uint32 // ListItem_t
	itemOwner        uint32
	itemContainer    uint32
	listCount        uint32 // List_t
	listEnd          uint32
	listEndNext      uint32 // MiniListItem_t.pxNext, relative to xListEnd
	readyLists       elfsym.Variable
	priorities       int
	listSize         uint32
	currentTCBSymbol elfsym.Variable
}

// Read finds the FreeRTOS kernel in img and reads its tasks (and heap)
// from mem, or Zephyr's threads (CONFIG_THREAD_MONITOR). It fails with
// ErrNotFreeRTOS for other firmware, and with a
// description when the kernel's types are not in DWARF; a corrupt list or
// TCB is a Problem, not an error.
func Read(img Image, mem Memory, opt Options) (*System, error) {
	l, err := findLayout(img)
	if errors.Is(err, ErrNotFreeRTOS) {
		// Zephyr's thread list (zephyr.go), else bare metal.
		if s, zerr := readZephyr(img, mem, opt); !errors.Is(zerr, errNotZephyr) {
			return s, zerr
		}
	}
	if err != nil {
		return nil, err
	}
	s := &System{Kernel: "FreeRTOS", Port: opt.Port, tcbSize: uint32(l.tcb.Size)}
	if s.Port == "" {
		s.Port = detectPort(img)
	}
	s.Heap = WalkHeap(img, mem)
	if v, ok := img.LookupVariable("xSchedulerRunning"); ok {
		if w, err := read32(mem, uint32(v.Addr)); err == nil {
			s.SchedulerRunning = w != 0
		}
	}
	cur, err := read32(mem, uint32(l.currentTCBSymbol.Addr))
	if err != nil {
		s.Problems = append(s.Problems, fmt.Sprintf("pxCurrentTCB not captured: %v", err))
	}
	r := &reader{l: l, mem: mem, sys: s, seen: map[uint32]int{}, lookup: img.LookupVariable}
	if d, ok := img.(interface {
		DataAt(uint64) (string, elfsym.Variable, bool)
	}); ok {
		r.dataAt = d.DataAt
	}
	// The order FreeRTOS itself would pick them: ready by priority, then
	// the others.
	for p := l.priorities - 1; p >= 0; p-- {
		r.list(uint32(l.readyLists.Addr)+uint32(p)*l.listSize, fmt.Sprintf("pxReadyTasksLists[%d]", p), Ready, l.stateItem)
	}
	r.named("xPendingReadyList", Ready, l.eventItem)
	r.named("xDelayedTaskList1", Blocked, l.stateItem)
	r.named("xDelayedTaskList2", Blocked, l.stateItem)
	r.named("xSuspendedTaskList", Suspended, l.stateItem)
	r.named("xTasksWaitingTermination", Deleted, l.stateItem)
	if cur != 0 && s.SchedulerRunning {
		i, ok := r.seen[cur]
		if !ok {
			i = r.add(cur, Running)
			if i >= 0 {
				s.Problems = append(s.Problems, fmt.Sprintf("the running task's TCB 0x%08x is on no task list", cur))
			}
		}
		if i >= 0 {
			t := &s.Tasks[i]
			t.Current, t.State, t.Context = true, Running, nil
			t.SP = opt.CurrentSP
			if i > 0 {
				run := s.Tasks[i]
				copy(s.Tasks[1:i+1], s.Tasks[:i])
				s.Tasks[0] = run
			}
		}
	}
	for i := range s.Tasks {
		r.finish(&s.Tasks[i])
	}
	r.measureStacks()
	return s, nil
}

func findLayout(img Image) (*layout, error) {
	cur, ok := img.LookupVariable("pxCurrentTCB")
	if !ok {
		return nil, ErrNotFreeRTOS
	}
	if cur.Type == nil || cur.Type.Kind != elfsym.KindPointer || cur.Type.Elem == nil || cur.Type.Elem.Kind != elfsym.KindStruct {
		return nil, errors.New("FreeRTOS: pxCurrentTCB has no DWARF type: build with -g to see tasks")
	}
	l := &layout{tcb: cur.Type.Elem, currentTCBSymbol: cur}
	var miss []string
	get := func(t *elfsym.Type, what, name string) uint32 {
		off, ok := fieldOffset(t, name)
		if !ok {
			miss = append(miss, what+"."+name)
		}
		return off
	}
	l.topOfStack = get(l.tcb, "TCB_t", "pxTopOfStack")
	l.stateItem = get(l.tcb, "TCB_t", "xStateListItem")
	l.eventItem = get(l.tcb, "TCB_t", "xEventListItem")
	l.priority = get(l.tcb, "TCB_t", "uxPriority")
	l.stack = get(l.tcb, "TCB_t", "pxStack")
	var okName bool
	if l.name, okName = field(l.tcb, "pcTaskName"); !okName {
		miss = append(miss, "TCB_t.pcTaskName")
	}
	l.endOfStack, l.haveEnd = fieldOffset(l.tcb, "pxEndOfStack")
	l.basePriority, l.haveBase = fieldOffset(l.tcb, "uxBasePriority")
	item, _ := field(l.tcb, "xStateListItem")
	l.itemNext = get(item.Type, "ListItem_t", "pxNext")
	l.itemOwner = get(item.Type, "ListItem_t", "pvOwner")
	// pxContainer was pvContainer before V10 (and still is to DWARF
	// when a port's headers map the old name).
	if off, ok := fieldOffset(item.Type, "pvContainer"); ok {
		l.itemContainer = off
	} else {
		l.itemContainer = get(item.Type, "ListItem_t", "pxContainer")
	}
	rl, ok := img.LookupVariable("pxReadyTasksLists")
	if !ok || rl.Type == nil || rl.Type.Kind != elfsym.KindArray || rl.Type.Elem == nil || rl.Type.Count <= 0 {
		miss = append(miss, "pxReadyTasksLists")
	} else {
		l.readyLists, l.priorities, l.listSize = rl, int(rl.Type.Count), uint32(rl.Type.Elem.Size)
		lt := rl.Type.Elem
		l.listCount = get(lt, "List_t", "uxNumberOfItems")
		l.listEnd = get(lt, "List_t", "xListEnd")
		end, _ := field(lt, "xListEnd")
		l.listEndNext = get(end.Type, "MiniListItem_t", "pxNext")
	}
	if len(miss) > 0 {
		return nil, fmt.Errorf("FreeRTOS: the kernel's types are not all in DWARF (no %s)", strings.Join(miss, ", "))
	}
	return l, nil
}

// detectPort picks the context layout from the image: the ARM_CM4F/CM7
// ports (the ones that save EXC_RETURN and an FP context) have
// vPortEnableVFP; ARMv6-M images use ARM_CM0; everything else ARM_CM3's.
func detectPort(img Image) Port {
	if _, ok := img.LookupSymbol("vPortEnableVFP"); ok {
		return PortCM4F
	}
	if a, ok := img.(interface{ CPUArch() string }); ok && strings.Contains(a.CPUArch(), "v6") {
		return PortCM0
	}
	return PortCM3
}

type reader struct {
	l      *layout
	mem    Memory
	sys    *System
	seen   map[uint32]int // TCB -> index in sys.Tasks
	lookup func(string) (elfsym.Variable, bool)
	dataAt func(uint64) (string, elfsym.Variable, bool) // nil when the image cannot name objects
}

func (r *reader) problem(format string, args ...any) {
	r.sys.Problems = append(r.sys.Problems, fmt.Sprintf(format, args...))
}

func (r *reader) named(name string, st State, itemOff uint32) {
	v, ok := r.sysImage(name)
	if !ok {
		return // not configured in (INCLUDE_vTaskSuspend, INCLUDE_vTaskDelete)
	}
	r.list(uint32(v.Addr), name, st, itemOff)
}

func (r *reader) sysImage(name string) (elfsym.Variable, bool) {
	if r.lookup == nil {
		return elfsym.Variable{}, false
	}
	return r.lookup(name)
}

// list walks one kernel List_t: from xListEnd.pxNext around to xListEnd,
// each item's pvOwner a TCB (itemOff says which of the TCB's list items
// the list links: the state item, or the event item for the pending-ready
// list).
func (r *reader) list(addr uint32, name string, st State, itemOff uint32) {
	l := r.l
	end := addr + l.listEnd
	count, err := read32(r.mem, addr+l.listCount)
	if err != nil {
		r.problem("%s not captured", name)
		return
	}
	p, err := read32(r.mem, end+l.listEndNext)
	from := uint32(0) // the TCB whose item holds p
	item := "xStateListItem"
	if itemOff == l.eventItem {
		item = "xEventListItem"
	}
	for n := 0; err == nil && p != end; n++ {
		if n >= maxTasks || n > int(count) {
			r.problem("%s holds more items than its count %d: the list loops or is corrupt", name, count)
			return
		}
		if !pointerLike(p) {
			r.problem("%s is corrupt: an item links to 0x%08x", name, p)
			r.sys.ListErrors = append(r.sys.ListErrors, ListError{List: name, From: from, Field: item + ".pxNext", Value: p})
			return
		}
		owner, oerr := read32(r.mem, p+l.itemOwner)
		if oerr != nil {
			// The item is the TCB's list item: the TCB, not captured,
			// holds the rest of the list.
			r.problem("%s: item 0x%08x (in TCB 0x%08x) is not captured", name, p, p-itemOff)
			r.sys.Unread = append(r.sys.Unread, p-itemOff)
			return
		}
		if owner+itemOff != p {
			r.problem("%s is corrupt: item 0x%08x is not in the TCB it names (pvOwner 0x%08x)", name, p, owner)
			return
		}
		if _, dup := r.seen[owner]; !dup {
			r.add(owner, st)
		}
		from = owner
		p, err = read32(r.mem, p+l.itemNext)
	}
	if err != nil {
		r.problem("%s is corrupt: %v", name, err)
	}
}

// add reads the TCB at tcb into a new task; -1 when it cannot be read.
func (r *reader) add(tcb uint32, st State) int {
	l := r.l
	buf := make([]byte, l.tcb.Size)
	if n, _ := r.mem.ReadMemory(buf, uint64(tcb)); n < len(buf) {
		r.problem("TCB 0x%08x is not captured", tcb)
		r.sys.Unread = append(r.sys.Unread, tcb)
		return -1
	}
	w := func(off uint32) uint32 {
		return uint32(buf[off]) | uint32(buf[off+1])<<8 | uint32(buf[off+2])<<16 | uint32(buf[off+3])<<24
	}
	t := Task{TCB: tcb, State: st}
	t.TopOfStack = w(l.topOfStack)
	t.Priority = w(l.priority)
	t.BasePriority = t.Priority
	if l.haveBase {
		t.BasePriority = w(l.basePriority)
	}
	t.StackBase = w(l.stack)
	if l.haveEnd {
		if e := w(l.endOfStack); e > t.StackBase {
			t.StackTop = e + 4 // pxEndOfStack is the highest usable word
		}
	}
	name := buf[l.name.Offset : l.name.Offset+l.name.Type.Size]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	t.Name = string(name)
	switch {
	case t.Name == "" || !printable(t.Name):
		t.corrupt(fmt.Sprintf("TCB 0x%08x is corrupt: its name %q is not text", tcb, t.Name))
	case t.Priority >= uint32(l.priorities):
		t.corrupt(fmt.Sprintf("TCB 0x%08x is corrupt: priority %d, but there are only %d", tcb, t.Priority, l.priorities))
	}
	if st == Suspended {
		// eTaskGetState: a task waiting forever on an event sits on the
		// suspended list but is blocked.
		if c, err := read32(r.mem, tcb+l.eventItem+l.itemContainer); err == nil && c != 0 {
			t.State = Blocked
		}
	}
	r.sys.Tasks = append(r.sys.Tasks, t)
	r.seen[tcb] = len(r.sys.Tasks) - 1
	return len(r.sys.Tasks) - 1
}

// corrupt records why the TCB cannot be right.
func (t *Task) corrupt(why string) {
	t.Corrupt = true
	t.Problems = append(t.Problems, why)
}

func printable(s string) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// finish bounds the stack, measures its use, decodes the saved context
// and judges overflow.
func (r *reader) finish(t *Task) {
	if t.StackTop == 0 {
		t.StackTop = r.stackTop(t.StackBase)
	}
	// A TCB the heap handed out has its stack from the heap too
	// (xTaskCreate allocates both): a stack pointer elsewhere is a TCB
	// written over.
	if h := r.sys.Heap; h != nil && !t.Corrupt {
		if b, ok := h.BlockAt(t.TCB); ok && b.Mem == t.TCB && !b.Corrupt {
			if sb, ok := h.BlockAt(t.StackBase); !ok || sb.Free || (sb.Mem != t.StackBase && !sb.Corrupt) {
				t.corrupt(fmt.Sprintf("TCB 0x%08x is corrupt: its stack 0x%08x (pxStack) is not a heap block, though the TCB is one", t.TCB, t.StackBase))
			}
		}
	}
	if !t.Current && t.State != Deleted {
		c, err := SavedContext(r.mem, r.sys.Port, t.TopOfStack)
		if err != nil {
			t.Problems = append(t.Problems, fmt.Sprintf("saved context at 0x%08x: %v", t.TopOfStack, err))
		} else {
			t.Context = c
			t.SP = c.R[13]
		}
	}
}

// measureStacks finds each task's high-water mark and judges overflow.
// FreeRTOS fills new stacks with StackFill only when a config option needs
// it (tskSET_NEW_STACKS_TO_KNOWN_VALUE: stack-overflow checking, the trace
// facility or uxTaskGetStackHighWaterMark); without it a stack's base holds
// whatever the heap held (zeros), which reads as "fill gone down to the
// base" in every task. So the marks count only when some task's stack
// still holds a fill word: an image whose stacks hold none was built
// without the fill, and only SP against the bounds can judge overflow.
func (r *reader) measureStacks() {
	filled := false
	for i := range r.sys.Tasks {
		t := &r.sys.Tasks[i]
		if !t.Corrupt && r.highWater(t) {
			filled = true
		}
	}
	for i := range r.sys.Tasks {
		t := &r.sys.Tasks[i]
		if t.Corrupt {
			continue // a corrupt TCB's stack bounds mean nothing
		}
		if !filled {
			t.HighWater, t.HighWaterKnown = 0, false
		}
		r.judge(t)
	}
}

// stackTop is the end of the allocation that holds the stack's base: the
// heap block (heap_4/heap_5, pvPortMallocStack) from the walk, or from the
// header right below the stack when the walk stopped short of it (a
// corrupt block further down), else a static object (xTaskCreateStatic's
// buffer). 0 when none is known.
func (r *reader) stackTop(base uint32) uint32 {
	h := r.sys.Heap
	if b, ok := h.BlockAt(base); ok && b.Mem <= base {
		return b.End
	}
	if h != nil {
		if w, err := readWords(r.mem, base-8, 2); err == nil {
			size := w[1] &^ (1 << 31)
			if w[1]&(1<<31) != 0 && w[0] == 0 && size > 8 && size&7 == 0 && size <= 1<<20 {
				return base - 8 + size
			}
		}
	}
	if top := r.stackTopBelowTCB(base); top != 0 {
		return top
	}
	if r.dataAt != nil {
		if _, v, ok := r.dataAt(uint64(base)); ok && v.Name != "ucHeap" && v.Size >= 64 && v.Size <= 1<<20 {
			return uint32(v.Addr + v.Size)
		}
	}
	return 0
}

// stackTopBelowTCB is the top of a heap-allocated stack whose own header
// is gone (an overflow wrote over it): FreeRTOS allocates a task's TCB
// right after its stack on ports whose stacks grow down, so the TCB's
// intact block header, found through the task whose stack this is, ends
// the stack. 0 when that does not hold.
func (r *reader) stackTopBelowTCB(base uint32) uint32 {
	h := r.sys.Heap
	if h == nil {
		return 0
	}
	for i := range r.sys.Tasks {
		t := &r.sys.Tasks[i]
		if t.StackBase != base || t.TCB <= base+8 || t.TCB-base > 1<<20 {
			continue
		}
		w, err := readWords(r.mem, t.TCB-8, 2)
		if err != nil || w[0] != 0 || w[1]&(1<<31) == 0 {
			return 0
		}
		if size := uint64(w[1] &^ (1 << 31)); size >= r.l.tcb.Size+8 && size <= r.l.tcb.Size+16 {
			return t.TCB - 8
		}
	}
	return 0
}

// highWater measures t's high-water mark and says whether its captured
// stack holds an aligned word of fill anywhere.
func (r *reader) highWater(t *Task) (fill bool) {
	end := t.StackTop
	if end == 0 {
		end = t.SP
	}
	if end <= t.StackBase || end-t.StackBase > 1<<20 {
		return false
	}
	buf := make([]byte, end-t.StackBase)
	n, _ := r.mem.ReadMemory(buf, uint64(t.StackBase))
	if n < canaryBytes {
		return false
	}
	for j := 0; j+4 <= n; j += 4 {
		if buf[j] == StackFill && buf[j+1] == StackFill && buf[j+2] == StackFill && buf[j+3] == StackFill {
			fill = true
			break
		}
	}
	i := 0
	for i < n && buf[i] == StackFill {
		i++
	}
	if i == n && n < len(buf) {
		return fill // the capture ends inside the fill: the mark is unknown
	}
	t.HighWater, t.HighWaterKnown = uint32(i), true
	return fill
}

func (r *reader) judge(t *Task) { judgeStack(t, true) }

// judgeStack is judge for any kernel; canary says the kernel checks the
// bottom canaryBytes of fill (FreeRTOS's method 2).
func judgeStack(t *Task, canary bool) {
	if t.HighWaterKnown {
		switch {
		case t.HighWater == 0:
			t.Overflow = append(t.Overflow, "the fill pattern is gone down to the stack's base (high-water mark 0)")
		case canary && t.HighWater < canaryBytes:
			t.Overflow = append(t.Overflow, fmt.Sprintf("the canary (the bottom %d bytes of fill) is clobbered: only %d bytes left", canaryBytes, t.HighWater))
		}
	}
	sp := t.SP
	what := "SP"
	if !t.Current && t.TopOfStack != 0 {
		sp, what = t.TopOfStack, "the saved top of stack"
	}
	if sp != 0 && t.StackBase != 0 {
		switch {
		case sp < t.StackBase:
			t.Overflow = append(t.Overflow, fmt.Sprintf("%s 0x%08x is %d bytes below the stack's base 0x%08x", what, sp, t.StackBase-sp, t.StackBase))
		case t.StackTop != 0 && sp > t.StackTop:
			t.Overflow = append(t.Overflow, fmt.Sprintf("%s 0x%08x is above the stack's top 0x%08x", what, sp, t.StackTop))
		}
	}
}
