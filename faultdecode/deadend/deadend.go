// Package deadend names the functions firmware stops itself in on purpose
// when a check fails: assert handlers, abort, the RTOS hooks, CubeMX's
// Error_Handler, the stack protector's and the C++ runtime's traps. Most
// of them never fault: they spin in a loop with interrupts masked, so the
// board just hangs. The live side (probe) sets a breakpoint on each one an
// ELF defines, and the analysis (faultdecode) explains a crash stopped in
// one: both read this one table. It also reads the code patterns of
// dead ends: a function that traps by itself (Traps, left to the fault
// catch), and a dead end compiled inline, a "b ." right after interrupts
// are masked (MaskedLoops, BranchToSelf).
//
// It does no I/O (it is handed the code's bytes) and imports nothing of
// the session.
package deadend

import (
	"encoding/binary"
	"slices"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// An Arg is what an argument register (r0-r3) of a dead-end function
// holds at its entry.
type Arg int

// The arguments dead-end functions take.
const (
	ArgNone      Arg = iota
	ArgFile          // const char *file (__FILE__)
	ArgLine          // int line (__LINE__)
	ArgFunc          // const char *func (__func__)
	ArgExpr          // const char *expr (#e)
	ArgPanicCode     // Device OS ePanicCode
	ArgPanicMsg      // Device OS PANIC's message, "AssertionFailure <expr>" from SPARK_ASSERT
	ArgTask          // FreeRTOS TaskHandle_t of the task that overflowed
	ArgTaskName      // char * of that task's name
)

// A Func is a function firmware calls to stop itself on purpose.
type Func struct {
	Name  string
	What  string // what to call the check in a report ("assert()")
	Args  [4]Arg // what r0-r3 hold at entry
	Macro string // the macro whose argument is the failed expression in the source
	Kind  string // the report finding's kind: report.FindAssert unless set
	Lead  string // the summary's lead, %s the caller's place; "" for an assertion's
	// Explained: another part of the analysis explains a stop here (the
	// stack-overflow hook names its task in the stack-overflow finding,
	// Zephyr's fatal handler its reason) or a function entered before it
	// does (_exit after abort): no stop finding of its own.
	Explained bool
	// NoCatch: capture sets no breakpoint on it. Device OS's panic_ has a
	// console line and the SOS on the LED of its own, and it is how the
	// firmware's fault handlers end: catching it would hide both.
	NoCatch bool
	// NotWith names functions that, when the ELF defines one, mean this
	// one leads there (Device OS's _exit panics with PANIC_EXIT; the
	// bundled firmware, modelled on it, names its panic "panic"): not
	// caught either.
	NotWith []string
}

// Display is the function's name as a call, for triggers and timelines.
func (f Func) Display() string { return f.Name + "()" }

// funcs is in the order capture arms them when a debug server has fewer
// breakpoints than functions: the one entered first on a path first
// (__assert_func before abort before _exit), so a stop there still has
// the arguments in r0-r3.
var funcs = []Func{
	{Name: "__assert_func", What: "assert()", Args: [4]Arg{ArgFile, ArgLine, ArgFunc, ArgExpr}, Macro: "assert"}, // newlib
	{Name: "__assert", What: "assert()", Args: [4]Arg{ArgFile, ArgLine, ArgExpr}, Macro: "assert"},
	{Name: "assert_failed", What: "assert_param()", Args: [4]Arg{ArgFile, ArgLine}, Macro: "assert_param"}, // STM32 HAL/SPL
	{Name: "vAssertCalled", What: "configASSERT", Args: [4]Arg{ArgFile, ArgLine}, Macro: "configASSERT"},   // FreeRTOS's demos' configASSERT handler
	// FreeRTOS's configCHECK_FOR_STACK_OVERFLOW hook: the stack-overflow
	// finding names the task (forensics).
	{Name: "vApplicationStackOverflowHook", What: "FreeRTOS's stack overflow hook", Args: [4]Arg{ArgTask, ArgTaskName}, Explained: true},
	{Name: "vApplicationMallocFailedHook", What: "FreeRTOS's malloc-failed hook",
		Lead: "Out of heap: pvPortMalloc found no block large enough and called vApplicationMallocFailedHook, from %s"},
	// STM32CubeMX's generated main.c: __disable_irq(); while (1) {} after
	// any HAL call that did not return HAL_OK.
	{Name: "Error_Handler", What: "Error_Handler()",
		Lead: "Error_Handler() was called from %s: a HAL call there did not return HAL_OK"},
	// -fstack-protector's check at a function's return: the caller's
	// canary was overwritten, so one of its own buffers was overrun.
	{Name: "__stack_chk_fail", What: "the stack protector", Kind: report.FindStackCorruption,
		Lead: "Stack smashing detected in %s: the stack protector (-fstack-protector) found the canary in its frame overwritten as it returned, so a buffer in that frame was overrun"},
	// The C++ runtime's entry in an abstract class's vtable: a call
	// through an object under construction or destruction, or one
	// already deleted (its vtable pointer left at the base class's).
	{Name: "__cxa_pure_virtual", What: "a pure virtual call",
		Lead: "A pure virtual function was called from %s: the object was being constructed or destroyed, or had already been deleted"},
	{Name: "rust_begin_unwind", What: "a Rust panic (the #[panic_handler])",
		Lead: "Rust panic in %s: the panic handler (panic-halt and the like) stopped the firmware"},
	// Zephyr's fatal path: zephyr.go explains the reason.
	{Name: "k_sys_fatal_error_handler", What: "Zephyr's fatal error handler", Explained: true},
	{Name: "panic_", What: "a Device OS panic (SPARK_ASSERT or PANIC)", Args: [4]Arg{ArgPanicCode, ArgPanicMsg}, Macro: "SPARK_ASSERT", NoCatch: true},
	{Name: "abort", What: "abort()", Lead: "abort() was called from %s", NotWith: deviceOSPanics},
	{Name: "arch_system_halt", What: "Zephyr's system halt", Explained: true},
	// newlib's syscall stubs (syscalls.c, libnosys) spin in _exit; abort
	// and exit end there.
	{Name: "_exit", What: "_exit()", Explained: true, NotWith: deviceOSPanics},
}

// deviceOSPanics are Device OS's panic function and the bundled
// firmware's.
var deviceOSPanics = []string{"panic_", "panic"}

// byName indexes funcs.
var byName = func() map[string]int {
	m := make(map[string]int, len(funcs))
	for i, f := range funcs {
		m[f.Name] = i
	}
	return m
}()

// All returns the dead-end functions in arming priority order.
func All() []Func { return append([]Func(nil), funcs...) }

// Lookup finds a dead-end function by its (C, unmangled) name.
func Lookup(name string) (Func, bool) {
	i, ok := byName[name]
	if !ok {
		return Func{}, false
	}
	return funcs[i], true
}

// Catchable lists, in priority order, the functions capture arms in an
// image: defined reports whether the image defines a function of that
// name.
func Catchable(defined func(name string) bool) []Func {
	var out []Func
	for _, f := range funcs {
		if f.NoCatch || !defined(f.Name) || slices.ContainsFunc(f.NotWith, defined) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Traps reports whether a function's code (its bytes, from addr) holds a
// permanently undefined instruction (udf: __builtin_trap()). Such a
// function faults by itself, so capture leaves it to the fault catch,
// which takes it with its fault registers as it always has. A literal
// pool after the code may read as one: the function is then left to the
// fault catch too, which is what happened before dead ends were caught.
func Traps(code []byte, addr uint32) bool {
	for i := 0; i+2 <= len(code); {
		hw1 := binary.LittleEndian.Uint16(code[i:])
		var hw2 uint16
		if i+4 <= len(code) {
			hw2 = binary.LittleEndian.Uint16(code[i+2:])
		}
		in := fault.DecodeThumb(addr+uint32(i), hw1, hw2)
		if in.Kind == fault.InsnUDF {
			return true
		}
		i += int(in.Size)
	}
	return false
}

// maskedLookback is how many instructions before a "b ." may mask
// interrupts for it to count as a dead loop: the mask, then isb/dsb
// (taskDISABLE_INTERRUPTS' msr basepri; isb; dsb).
const maskedLookback = 4

// MaskedLoops returns the addresses of the branches to themselves ("b .",
// "b.w .") in a function's code (its bytes, from addr) that follow an
// instruction masking interrupts (cpsid i/f; msr to PRIMASK, BASEPRI,
// BASEPRI_MAX or FAULTMASK) within a few instructions: a dead end compiled
// inline, where no function is left to break on (CubeMX's Error_Handler
// at -O2, FreeRTOS's configASSERT written as
// "taskDISABLE_INTERRUPTS(); for (;;);").
func MaskedLoops(code []byte, addr uint32) []uint32 {
	var out []uint32
	last := -1 << 20 // instruction count at the last masking instruction
	n := 0
	for i := 0; i+2 <= len(code); n++ {
		hw1 := binary.LittleEndian.Uint16(code[i:])
		var hw2 uint16
		size := 2
		if fault.Is32(hw1) {
			if i+4 > len(code) {
				break
			}
			hw2, size = binary.LittleEndian.Uint16(code[i+2:]), 4
		}
		switch {
		case masks(hw1, hw2, size):
			last = n
		case selfBranch(hw1, hw2, size) && n-last <= maskedLookback:
			out = append(out, addr+uint32(i))
		}
		i += size
	}
	return out
}

// masks reports an instruction that masks interrupts: cpsid with i or f,
// or msr to a masking register (SYSm 0x10-0x13).
func masks(hw1, hw2 uint16, size int) bool {
	if size == 2 {
		return hw1&0xFFF8 == 0xB670 && hw1&3 != 0 // cpsid: 0xb670, I bit 1, F bit 0 (cpsie is 0xb660)
	}
	sysm := hw2 & 0xFF
	return hw1&0xFFF0 == 0xF380 && hw2&0xFF00 == 0x8800 && sysm >= 0x10 && sysm <= 0x13
}

// BranchToSelf reports a Thumb branch to its own address at the start of
// b (code, little-endian): "b ." or "b.w .".
func BranchToSelf(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	hw1 := binary.LittleEndian.Uint16(b)
	if !fault.Is32(hw1) {
		return selfBranch(hw1, 0, 2)
	}
	return len(b) >= 4 && selfBranch(hw1, binary.LittleEndian.Uint16(b[2:]), 4)
}

// selfBranch reports "b ." (0xe7fe) or "b.w ." (0xf7ff 0xbffe).
func selfBranch(hw1, hw2 uint16, size int) bool {
	if size == 2 {
		return hw1 == 0xE7FE
	}
	return hw1 == 0xF7FF && hw2 == 0xBFFE
}
