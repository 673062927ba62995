package freertos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/firmware/internal/armbuild"
	"github.com/faultline-dev/faultline/firmware/internal/srcdir"
)

// Machine is the QEMU machine (and faultline board) the gateway runs on.
const Machine = "mps2-an385"

// An Expectation is what a correct analysis of one variant's crash must
// say (one entry of expected.json).
type Expectation struct {
	// Exception is the fault exception whose handler is entered.
	Exception string `json:"exception"`
	// Forced says a configurable fault escalated to HardFault (the -hf
	// builds, derived from the entry of the same build with handlers).
	Forced bool `json:"forced,omitempty"`
	// Causes are the CFSR cause bits set (ARM names), without the
	// MMARVALID/BFARVALID flags.
	Causes []string `json:"causes"`
	// FaultAddress is BFAR or MMFAR ("0x60000970") when valid, else nil.
	FaultAddress *string `json:"fault_address"`
	// Frames is the true call chain, innermost first, without the fault
	// handler: for a fault in an interrupt or in the context switch, the
	// handler-mode chain, then the interrupted task's chain. It ends at the
	// task's entry function; nothing may follow it.
	Frames []string `json:"frames"`
	// Task is the name of the task whose chain ends Frames.
	Task string `json:"task"`
	// Culprit is the function the report's summary must name: the
	// faulting function, or for a jump to a bad address the function that
	// made the call.
	Culprit string `json:"culprit"`
	// RootCause is a phrase the summary must contain when the root cause
	// is more than the culprit ("Stack overflow: task 'crunch'").
	RootCause string `json:"root_cause,omitempty"`
	// Findings are the kinds of finding the report must have, no more
	// and no fewer.
	Findings []string `json:"findings"`
	// Note says what is peculiar about this entry, for people.
	Note string `json:"note,omitempty"`
}

type expectedFile struct {
	Schema      string                 `json:"schema"`
	Conventions []string               `json:"conventions"`
	Variants    map[string]Expectation `json:"variants"`
}

const expectedSchema = "freertos.expected/v1"

// Bugs are the crash variants' bugs and Opts the optimisation levels, as
// the Makefile names them; a variant is "bug-opt", e.g. "switch-Os", or
// "bug-Os-hf" for the -Os build with the fault handlers left disabled in
// SHCSR (every fault escalates to HardFault).
var (
	Bugs = []string{"badptr", "div0", "uaf", "isr", "switch", "assert", "overflow", "nullfn", "smash"}
	Opts = []string{"O0", "Os", "O2"}
)

// HardFaultSuffix marks a variant built with FAULT_HANDLERS=0, and
// HardFaultOpt is the level those are built at.
const (
	HardFaultSuffix = "-hf"
	HardFaultOpt    = "Os"
)

// Variants lists every crash variant ("badptr-O0" ...), in Bugs then Opts
// order, then the HardFault-only builds ("badptr-Os-hf" ...), then the
// Cortex-M4F builds ("nullfn-Os-m4f" ...) and the heap_5 builds
// ("uaf-Os-h5" ...). The Makefile also builds "none-<opt>", which never
// crashes.
func Variants() []string {
	var v []string
	for _, b := range Bugs {
		for _, o := range Opts {
			v = append(v, b+"-"+o)
		}
	}
	for _, b := range Bugs {
		v = append(v, b+"-"+HardFaultOpt+HardFaultSuffix)
	}
	for _, b := range M4FBugs {
		v = append(v, b+"-Os"+M4FSuffix)
	}
	for _, b := range Heap5Bugs {
		v = append(v, b+"-Os"+Heap5Suffix)
	}
	return v
}

// sameAs is the variant whose expectation a derived build shares: an M4F
// or heap_5 build crashes where, and as, its Cortex-M3 -Os build does.
func sameAs(variant string) (string, bool) {
	for _, suf := range []string{M4FSuffix, Heap5Suffix} {
		if base, ok := strings.CutSuffix(variant, suf); ok {
			return base, true
		}
	}
	return "", false
}

// ManyTasks is a build of the div0 bug with 11 worker tasks ("w0".."w10")
// besides the gateway's five: 16 tasks, for benchmarks. It crashes as
// div0-Os does.
const ManyTasks = "div0-Os-w11"

// CM0 is a small application of its own (cm0/main.c: tasks sensor, net
// and crunch; crunch calls a stale handler, HardFault IACCVIOL) on the
// Cortex-M0 of CM0Machine with the GCC/ARM_CM0 port.
const (
	CM0        = "cm0-Os"
	CM0Machine = "microbit"
)

// Cortex-M4F builds: the same application on mps2-an386 with the
// GCC/ARM_CM4F port and hard float, where crunch keeps a floating-point
// level (its switched-out context then holds the FP registers). They are
// named "<bug>-Os-m4f" for the bugs in M4FBugs.
const (
	M4FSuffix  = "-m4f"
	M4FMachine = "mps2-an386"
)

// M4FBugs are the bugs built for the Cortex-M4F.
var M4FBugs = []string{"nullfn", "isr"}

// Heap5Suffix marks a build with heap_5 over two heap regions (HEAP5=1):
// "<bug>-Os-h5" for the bugs in Heap5Bugs, which crash as their -Os build.
const Heap5Suffix = "-h5"

// Heap5Bugs are the bugs built with heap_5.
var Heap5Bugs = []string{"uaf", "overflow"}

// LoopSuffix marks a build whose assert and stack-overflow hooks disable
// interrupts and spin, as most products' do, instead of trapping
// (LOOP_HOOKS=1): "<bug>-Os-loop" for the bugs in LoopBugs. Nothing
// faults; only a breakpoint on the hook (capture's dead-end catch) stops
// there. Not among Variants: expected.json describes the trapping builds.
const LoopSuffix = "-loop"

// LoopBugs are the bugs built with looping hooks.
var LoopBugs = []string{"assert", "overflow"}

// MacroAssert is the assert bug built with configASSERT as the FreeRTOS
// demos write it, "taskDISABLE_INTERRUPTS(); for (;;);" inline at every
// check, kernel included (MACRO_ASSERT=1): no function to break on, and
// no fault. Not among Variants.
const MacroAssert = "assert-Os-macro"

// MachineFor is the QEMU machine a variant runs on.
func MachineFor(variant string) string {
	if strings.HasSuffix(variant, M4FSuffix) {
		return M4FMachine
	}
	if variant == CM0 {
		return CM0Machine
	}
	return Machine
}

// HardFaultOnly reports whether variant is built with the fault handlers
// disabled, and the variant with them enabled it otherwise equals.
func HardFaultOnly(variant string) (base string, ok bool) {
	return strings.CutSuffix(variant, HardFaultSuffix)
}

// Dir returns the absolute path of firmware/freertos.
func Dir() (string, error) {
	return srcdir.Find("firmware/freertos", "Makefile", "expected.json", "src")
}

// builder makes the tree once per process: "once per process" is ELF's
// contract, and a test binary calls ELF from many tests.
var builder = &armbuild.Builder{}

// ELF builds the gateway if needed and returns the absolute path of
// variant's ELF, e.g. ELF(ctx, "isr-O2"); "none-O2" is the working build.
func ELF(ctx context.Context, variant string) (string, error) {
	if !known(variant) {
		return "", fmt.Errorf("freertos: unknown variant %q (have none-<opt>, %s and %s)", variant, strings.Join(Variants(), ", "), ManyTasks)
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return builder.Output(ctx, dir, "freertos", variant+".elf")
}

// known reports whether the Makefile builds variant.
func known(variant string) bool {
	if variant == ManyTasks || variant == CM0 || variant == MacroAssert {
		return true
	}
	if base, ok := strings.CutSuffix(variant, M4FSuffix); ok {
		bug, opt, _ := strings.Cut(base, "-")
		return contains(M4FBugs, bug) && opt == "Os"
	}
	if base, ok := strings.CutSuffix(variant, Heap5Suffix); ok {
		bug, opt, _ := strings.Cut(base, "-")
		return contains(Heap5Bugs, bug) && opt == "Os"
	}
	if base, ok := strings.CutSuffix(variant, LoopSuffix); ok {
		bug, opt, _ := strings.Cut(base, "-")
		return contains(LoopBugs, bug) && opt == "Os"
	}
	base, hf := HardFaultOnly(variant)
	bug, opt, ok := strings.Cut(base, "-")
	return ok && (bug == "none" || contains(Bugs, bug)) && contains(Opts, opt) && (!hf || opt == HardFaultOpt)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Expected reads expected.json: what each variant's crash must produce.
func Expected() (map[string]Expectation, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return srcdir.ReadExpected(dir, parseExpected)
}

func parseExpected(data []byte) (map[string]Expectation, error) {
	var f expectedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Schema != expectedSchema {
		return nil, fmt.Errorf("schema %q, want %q", f.Schema, expectedSchema)
	}
	var missing []string
	for _, v := range Variants() {
		if base, hf := HardFaultOnly(v); hf {
			if e, ok := f.Variants[base]; ok {
				f.Variants[v] = e.escalated()
			}
			continue
		}
		if base, derived := sameAs(v); derived {
			if e, ok := f.Variants[base]; ok {
				f.Variants[v] = e
			}
			continue
		}
		if _, ok := f.Variants[v]; !ok {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no entry for %s", strings.Join(missing, ", "))
	}
	names := make([]string, 0, len(f.Variants))
	for name := range f.Variants {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := f.Variants[name].check(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return f.Variants, nil
}

var exceptions = map[string]bool{"HardFault": true, "MemManage": true, "BusFault": true, "UsageFault": true}

func (e Expectation) check() error {
	if !exceptions[e.Exception] {
		return fmt.Errorf("unknown exception %q", e.Exception)
	}
	if len(e.Causes) == 0 {
		return errors.New("no causes")
	}
	if e.FaultAddress != nil {
		var v uint32
		if _, err := fmt.Sscanf(*e.FaultAddress, "0x%08x", &v); err != nil || fmt.Sprintf("0x%08x", v) != *e.FaultAddress {
			return fmt.Errorf("fault_address %q is not 0x%%08x", *e.FaultAddress)
		}
	}
	if len(e.Frames) == 0 {
		return errors.New("no frames")
	}
	if e.Task == "" || e.Culprit == "" {
		return errors.New("no task or culprit")
	}
	if !contains(e.Frames, e.Culprit) {
		return fmt.Errorf("culprit %s is not in the frames", e.Culprit)
	}
	return nil
}

// escalated is what the same crash says with the fault handlers disabled:
// a HardFault forced from the configurable fault, with the same cause
// bits, address, frames and culprit.
func (e Expectation) escalated() Expectation {
	e.Exception = "HardFault"
	e.Forced = true
	e.Causes = append([]string{"FORCED"}, e.Causes...)
	return e
}

// TaskEntry is the function a variant's chain ends at: the entry function
// of the task it ran in.
func (e Expectation) TaskEntry() string { return e.Frames[len(e.Frames)-1] }
