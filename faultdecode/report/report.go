package report

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/srcpath"
)

// Schema is the report's schema name.
const Schema = "faultline.report/v1"

// Report mirrors DESIGN.md's JSON schema "faultline.report/v1".
type Report struct {
	Schema    string            `json:"schema"`
	ELF       ELF               `json:"elf"`
	Trigger   Trigger           `json:"trigger"`
	Fault     Fault             `json:"fault"`
	Registers map[string]string `json:"registers"`
	Frames    []Frame           `json:"frames"`
	Findings  []Finding         `json:"findings"`
	Notes     []string          `json:"notes,omitempty"`
	// Tasks lists the RTOS's tasks when the firmware runs one (FreeRTOS),
	// the running one first. An addition to DESIGN.md's first schema.
	Tasks []Task `json:"tasks,omitempty"`
	// Fingerprint groups repeats of one crash (exception, causes, top
	// frames; see Fingerprint). An addition to DESIGN.md's schema.
	Fingerprint string `json:"fingerprint"`
	// Target is what the capture was taken through, as the capture says:
	// the GDB server's kind and address ("jlink 127.0.0.1:2331",
	// "blackmagic /dev/ttyACM0", "openocd 127.0.0.1:3333") or
	// "serial-only". An addition to DESIGN.md's schema.
	Target string `json:"target,omitempty"`
}

// ELF identifies the firmware image the report was made against.
type ELF struct {
	Path          string `json:"path"`
	BuildID       string `json:"build_id"`
	MatchesTarget *bool  `json:"matches_target,omitempty"` // nil: no overlapping data to compare
}

// Trigger is what made the capture.
type Trigger struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Fault is the decoded fault.
type Fault struct {
	Exception    string            `json:"exception"` // HardFault|MemManage|BusFault|UsageFault|NMI|Lockup|None
	Forced       bool              `json:"forced"`
	Lockup       bool              `json:"lockup"`
	Causes       []string          `json:"causes"`                  // ARM bit names, HFSR first
	FaultAddress string            `json:"fault_address,omitempty"` // only when MMARVALID/BFARVALID
	Registers    map[string]string `json:"registers"`               // cfsr, hfsr, mmfar, bfar, ... as read
	Summary      string            `json:"summary"`
	// Explanations holds one sentence per cause, in Causes order.
	Explanations []string `json:"explanations,omitempty"`
}

// Frame is one frame, innermost first; inlined frames come before the
// physical frame they are inlined into.
type Frame struct {
	PC         string `json:"pc"`
	Function   string `json:"function"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Inlined    bool   `json:"inlined"`
	How        string `json:"how"`        // fault-pc|cfi|exception-frame|lr|stack-scan|tail-call|prologue|exidx
	Confidence string `json:"confidence"` // certain|likely|guess
	Error      string `json:"error,omitempty"`
	// Elided counts the calls left out just before this frame: the middle
	// of a recursion too deep to list (a note names its functions); this
	// frame is where the chain resumes, further out.
	Elided int `json:"elided,omitempty"`
}

// Task is one RTOS task at the time of the capture.
type Task struct {
	Name     string `json:"name"`
	State    string `json:"state"` // running|ready|blocked|suspended|deleted
	Priority uint32 `json:"priority"`
	Stack    Stack  `json:"stack"`
	// Current is the task that was running (the crashing task, or the one
	// an interrupt handler interrupted).
	Current bool `json:"current"`
	// Frames is the task's call chain, innermost first: from the saved
	// context for a task that was switched out, the task-stack part of
	// the crash's frames for the running one.
	Frames []Frame `json:"frames"`
	// TCB is the address of the task's control block.
	TCB string `json:"tcb,omitempty"`
	// Problems says what in the task's bookkeeping cannot be right (a
	// corrupt TCB, an unreadable saved context).
	Problems []string `json:"problems,omitempty"`
}

// Stack is a task's stack: where it starts (its lowest address), its size
// in bytes (0 when its top is unknown), how many bytes at its base were
// never used (the stack fill still intact; null when not captured), and
// whether it overflowed, with why.
type Stack struct {
	Base       string   `json:"base"`
	Size       uint32   `json:"size"`
	HighWater  *uint32  `json:"high_water"`
	Overflowed bool     `json:"overflowed"`
	Why        []string `json:"why,omitempty"`
}

// Finding kinds.
const (
	// FindAssert is a deliberate stop: a failed assertion (configASSERT,
	// assert(), a vendor panic) named with where it failed.
	FindAssert          = "assert"
	FindBadPC           = "bad-pc"
	FindPointerSource   = "pointer-source"
	FindCorruptVtable   = "corrupt-vtable"
	FindDanglingPointer = "dangling-pointer"
	FindHeapCorruption  = "heap-corruption"
	FindStackOverflow   = "stack-overflow"
	FindStackCorruption = "stack-corruption"
	FindThumbBit        = "thumb-bit"
	FindLockup          = "lockup"
	FindImprecise       = "imprecise"
)

// Finding is one thing the analysis noticed, with the address and the
// memory it concerns named the way a C programmer would.
type Finding struct {
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
	Address string `json:"address,omitempty"`
	Symbol  string `json:"symbol,omitempty"`
}

// Hex formats an address the way the report does.
func Hex(v uint32) string { return fmt.Sprintf("0x%08x", v) }

// BareFunction is a function name without its C++ parameter list
// ("net::Server::poll()" gives "net::Server::poll"), as symbol tables
// name C functions.
func BareFunction(fn string) string {
	if i := strings.IndexByte(fn, '('); i > 0 {
		return fn[:i]
	}
	return fn
}

// Where renders the frame's location as "f() at file.c:42": the function
// (its PC when unknown) and the base name of its file.
func (f Frame) Where() string {
	fn := f.Function
	if fn == "" || fn == "??" {
		fn = "0x" + strings.TrimPrefix(f.PC, "0x")
	} else if !strings.Contains(fn, "(") {
		fn += "()"
	}
	if f.File != "" && f.Line > 0 {
		return fmt.Sprintf("%s at %s:%d", fn, srcpath.Base(f.File), f.Line)
	}
	return fn
}
