package rtos

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
)

// Zephyr keeps every thread on a list when built with CONFIG_THREAD_MONITOR:
// _kernel.threads, linked through k_thread.next_thread. Each k_thread holds
// its name (CONFIG_THREAD_NAME), its scheduling state and priority
// (k_thread.base), its stack (k_thread.stack_info, CONFIG_THREAD_STACK_INFO)
// and, for a thread that is switched out, the registers the Cortex-M
// PendSV handler saved (arch/arm/core/aarch32/swap_helper.S: r4-r11 and
// PSP into k_thread.callee_saved; r0-r3, r12, lr, pc, xPSR in the
// exception frame at PSP). _kernel.cpus[0].current is the running thread.

// errNotZephyr says the image has no Zephyr thread list.
var errNotZephyr = errors.New("not a Zephyr image with CONFIG_THREAD_MONITOR (no _kernel.threads)")

// Zephyr's thread_state bits (kernel_structs.h).
const (
	zThreadPending   = 1 << 1
	zThreadPrestart  = 1 << 2
	zThreadDead      = 1 << 3
	zThreadSuspended = 1 << 4
	zThreadAborting  = 1 << 5
	zThreadQueued    = 1 << 7
)

// ZephyrStackFill is the byte CONFIG_INIT_STACKS fills thread stacks with.
const ZephyrStackFill = 0xaa

type zephyrLayout struct {
	kernel     elfsym.Variable
	threads    uint32 // _kernel.threads
	current    uint32 // _kernel.cpus[0].current
	idle       uint32 // _kernel.cpus[0].idle_thread
	haveIdle   bool
	timeout    uint32 // k_thread.base.timeout.node (its first word, next, is 0 when inactive)
	haveTmo    bool
	state      uint32 // k_thread.base.thread_state
	prio       uint32 // k_thread.base.prio
	callee     uint32 // k_thread.callee_saved
	psp        uint32 // k_thread.callee_saved.psp
	next       uint32 // k_thread.next_thread
	name       elfsym.Field
	haveName   bool
	stackStart uint32 // k_thread.stack_info.start, .size
	stackSize  uint32
	haveStack  bool
	size       uint32 // sizeof(struct k_thread)
}

// path follows dotted member names from t: "base.thread_state".
func path(t *elfsym.Type, p string) (elfsym.Field, bool) {
	var at elfsym.Field
	cur := t
	for _, n := range strings.Split(p, ".") {
		f, ok := field(cur, n)
		if !ok {
			return elfsym.Field{}, false
		}
		at.Offset += f.Offset
		at.Name, at.Type = f.Name, f.Type
		cur = f.Type
	}
	return at, true
}

func findZephyrLayout(img Image) (*zephyrLayout, error) {
	k, ok := img.LookupVariable("_kernel")
	if !ok || k.Type == nil || k.Type.Kind != elfsym.KindStruct {
		return nil, errNotZephyr
	}
	th, ok := field(k.Type, "threads")
	if !ok || th.Type == nil || th.Type.Kind != elfsym.KindPointer || th.Type.Elem == nil {
		return nil, errNotZephyr
	}
	kt := th.Type.Elem
	l := &zephyrLayout{kernel: k, threads: uint32(th.Offset), size: uint32(kt.Size)}
	var miss []string
	off := func(t *elfsym.Type, p string) uint32 {
		f, ok := path(t, p)
		if !ok {
			miss = append(miss, p)
		}
		return uint32(f.Offset)
	}
	cpus, ok := field(k.Type, "cpus")
	if !ok || cpus.Type == nil || cpus.Type.Elem == nil {
		miss = append(miss, "_kernel.cpus")
	} else {
		l.current = uint32(cpus.Offset) + off(cpus.Type.Elem, "current")
		if f, ok := field(cpus.Type.Elem, "idle_thread"); ok {
			l.idle, l.haveIdle = uint32(cpus.Offset+f.Offset), true
		}
	}
	if f, ok := path(kt, "base.timeout.node"); ok {
		l.timeout, l.haveTmo = uint32(f.Offset), true
	}
	l.state = off(kt, "base.thread_state")
	l.prio = off(kt, "base.prio")
	l.callee = off(kt, "callee_saved")
	l.psp = off(kt, "callee_saved.psp")
	l.next = off(kt, "next_thread")
	l.name, l.haveName = path(kt, "name")
	if s, ok := path(kt, "stack_info.start"); ok {
		z, ok2 := path(kt, "stack_info.size")
		l.stackStart, l.stackSize, l.haveStack = uint32(s.Offset), uint32(z.Offset), ok2
	}
	if len(miss) > 0 {
		return nil, fmt.Errorf("Zephyr: the kernel's types are not all in DWARF (no %s)", strings.Join(miss, ", "))
	}
	return l, nil
}

// readZephyr reads Zephyr's threads: the running one first, then the
// others in _kernel.threads order (newest first, as Zephyr links them).
func readZephyr(img Image, mem Memory, opt Options) (*System, error) {
	l, err := findZephyrLayout(img)
	if err != nil {
		return nil, err
	}
	s := &System{Kernel: "Zephyr", Port: PortCM3, SchedulerRunning: true, tcbSize: l.size}
	kernel := uint32(l.kernel.Addr)
	cur, err := read32(mem, kernel+l.current)
	if err != nil {
		s.Problems = append(s.Problems, fmt.Sprintf("_kernel.cpus[0].current not captured: %v", err))
	}
	var idle uint32
	if l.haveIdle {
		idle, _ = read32(mem, kernel+l.idle)
	}
	p, err := read32(mem, kernel+l.threads)
	if err != nil {
		return nil, fmt.Errorf("Zephyr: _kernel.threads not captured: %w", err)
	}
	seen := map[uint32]bool{}
	for n := 0; p != 0; n++ {
		if n >= maxTasks || seen[p] {
			s.Problems = append(s.Problems, "_kernel.threads loops: the list is corrupt")
			break
		}
		if !pointerLike(p) {
			s.Problems = append(s.Problems, fmt.Sprintf("_kernel.threads is corrupt: a thread links to 0x%08x", p))
			s.ListErrors = append(s.ListErrors, ListError{List: "_kernel.threads", Field: "next_thread", Value: p})
			break
		}
		seen[p] = true
		t, next, err := readZephyrThread(mem, l, p)
		if err != nil {
			s.Problems = append(s.Problems, err.Error())
			s.Unread = append(s.Unread, p)
			break
		}
		if p == idle && t.State == Blocked {
			t.State = Ready // the idle thread is never queued: it runs when nothing else is ready
		}
		if p == cur {
			t.Current, t.State, t.Context, t.SP = true, Running, nil, opt.CurrentSP
		}
		if t.Current {
			s.Tasks = append([]Task{t}, s.Tasks...)
		} else {
			s.Tasks = append(s.Tasks, t)
		}
		p = next
	}
	if cur != 0 && !seen[cur] {
		s.Problems = append(s.Problems, fmt.Sprintf("the running thread 0x%08x is not on _kernel.threads", cur))
	}
	for i := range s.Tasks {
		zephyrHighWater(mem, &s.Tasks[i])
		judgeStack(&s.Tasks[i], false)
	}
	return s, nil
}

// readZephyrThread reads one k_thread and the next one's address.
func readZephyrThread(mem Memory, l *zephyrLayout, at uint32) (Task, uint32, error) {
	b := make([]byte, l.size)
	if n, err := mem.ReadMemory(b, uint64(at)); n < len(b) {
		return Task{}, 0, fmt.Errorf("thread 0x%08x not captured: %v", at, err)
	}
	w := func(off uint32) uint32 {
		if int(off)+4 > len(b) {
			return 0
		}
		return uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24
	}
	t := Task{TCB: at, Name: fmt.Sprintf("0x%08x", at)}
	if l.haveName && l.name.Type != nil && int(l.name.Offset+l.name.Type.Size) <= len(b) {
		raw := b[l.name.Offset : l.name.Offset+l.name.Type.Size]
		if i := bytes.IndexByte(raw, 0); i >= 0 {
			raw = raw[:i]
		}
		if len(raw) > 0 {
			t.Name = string(raw)
		}
	}
	st := b[l.state]
	t.Priority = uint32(int32(int8(b[l.prio])))
	t.BasePriority = t.Priority
	switch {
	case st&(zThreadDead|zThreadAborting) != 0:
		t.State = Deleted
	case st&zThreadSuspended != 0 && l.haveTmo && w(l.timeout) != 0:
		t.State = Blocked // k_sleep(): suspended with its timeout running
	case st&zThreadSuspended != 0, st&zThreadPrestart != 0:
		t.State = Suspended // not started yet counts as held back
	case st&zThreadPending != 0:
		t.State = Blocked
	case st&zThreadQueued != 0:
		t.State = Ready
	default:
		t.State = Blocked // sleeping: on no queue, waiting for a timeout
	}
	if l.haveStack {
		t.StackBase = w(l.stackStart)
		if size := w(l.stackSize); size > 0 && size <= 1<<20 {
			t.StackTop = t.StackBase + size
		}
	}
	if t.State != Deleted {
		psp := w(l.psp)
		t.TopOfStack = psp
		c, err := zephyrContext(mem, b[l.callee:], psp)
		if err != nil {
			t.Problems = append(t.Problems, fmt.Sprintf("saved context at PSP 0x%08x: %v", psp, err))
		} else {
			t.Context, t.SP = c, c.R[13]
		}
	}
	return t, w(l.next), nil
}

// zephyrContext is a switched-out thread's registers: r4-r11 from
// callee_saved, the exception frame PendSV stacked at PSP.
func zephyrContext(mem Memory, callee []byte, psp uint32) (*Context, error) {
	if len(callee) < 8*4 {
		return nil, errors.New("callee_saved too short")
	}
	c := &Context{Port: PortCM3, ExcReturn: 0xFFFFFFFD}
	for i := 0; i < 8; i++ {
		o := 4 * i
		c.R[4+i] = uint32(callee[o]) | uint32(callee[o+1])<<8 | uint32(callee[o+2])<<16 | uint32(callee[o+3])<<24
	}
	hw, err := readWords(mem, psp, 8)
	if err != nil {
		return nil, fmt.Errorf("exception frame: %w", err)
	}
	copy(c.R[0:4], hw[0:4])
	c.R[12], c.R[14], c.R[15], c.XPSR = hw[4], hw[5], hw[6]&^1, hw[7]
	c.R[13] = psp + 32
	if c.XPSR&(1<<9) != 0 {
		c.R[13] += 4
	}
	return c, nil
}

// zephyrHighWater counts the CONFIG_INIT_STACKS fill at the stack's base;
// unknown when the stack's lowest word is not fill (no fill configured).
func zephyrHighWater(mem Memory, t *Task) {
	if t.StackBase == 0 || t.StackSize() == 0 {
		return
	}
	b := make([]byte, t.StackSize())
	n, _ := mem.ReadMemory(b, uint64(t.StackBase))
	if n < 4 || !bytes.Equal(b[:4], []byte{ZephyrStackFill, ZephyrStackFill, ZephyrStackFill, ZephyrStackFill}) {
		return
	}
	i := 0
	for i < n && b[i] == ZephyrStackFill {
		i++
	}
	t.HighWater, t.HighWaterKnown = uint32(i), i < n || n == len(b)
}
