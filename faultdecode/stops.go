package faultdecode

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// stopFuncs are the functions firmware calls to stop itself on purpose
// when a check fails, and what to call the check.
var stopFuncs = map[string]string{
	"vAssertCalled": "configASSERT", // FreeRTOS's demos' configASSERT handler
	"__assert_func": "assert()",     // newlib
	"__assert":      "assert()",
	"assert_failed": "assert_param()", // STM32 HAL/SPL
	"panic_":        "a Device OS panic (SPARK_ASSERT or PANIC)",
	"abort":         "abort()",
}

// deliberateStops names a crash that is the firmware stopping itself: a
// failed assertion's handler among the frames. The check that failed is
// in the handler's caller, whose file and line the finding names; the
// summary leads with it.
func (a *analysis) deliberateStops() {
	a.trapExplanation()
	fs := a.rep.Frames
	for i, f := range fs {
		what, ok := stopFuncs[bareFunc(f.Function)]
		if !ok {
			continue
		}
		handler := bareFunc(f.Function)
		j := i + 1
		for j < len(fs) && bareFunc(fs[j].Function) == handler {
			j++ // an inlined copy of the handler itself
		}
		where := "an unknown caller"
		finding := report.Finding{Kind: report.FindAssert}
		if j < len(fs) {
			where = fs[j].Where()
			finding.Address, finding.Symbol = fs[j].PC, bareFunc(fs[j].Function)
		}
		lead := fmt.Sprintf("Assertion failed: %s in %s", what, where)
		if what == "abort()" {
			lead = fmt.Sprintf("abort() was called from %s", where)
		}
		finding.Summary = fmt.Sprintf("%s; %s stopped the firmware there on purpose, so the fault below is the stop, not the bug", lead, handler)
		if cur := a.sys.Current(); cur != nil {
			finding.Summary += fmt.Sprintf(" (task '%s')", cur.Name)
		}
		a.rep.Findings = append([]report.Finding{finding}, a.rep.Findings...)
		a.rep.Fault.Summary = lead + ". " + a.rep.Fault.Summary
		return
	}
}

// trapExplanation says what an UNDEFINSTR at a udf is: a trap placed on
// purpose, not a jump into data or corrupted flash.
func (a *analysis) trapExplanation() {
	pc, ok := a.faultPC()
	if !ok {
		return
	}
	in, ok := a.insnAt(pc)
	if !ok || in.Kind != fault.InsnUDF {
		return
	}
	for i, c := range a.rep.Fault.Causes {
		if c == "UNDEFINSTR" && i < len(a.rep.Fault.Explanations) {
			a.rep.Fault.Explanations[i] = fmt.Sprintf("UNDEFINSTR: the faulting instruction is %s at 0x%08x, a permanently undefined instruction placed on purpose (__builtin_trap() in an assertion or hook, or the compiler's trap after code it proved unreachable), not a jump into data", in.Text, pc)
		}
	}
}

// bareFunc is a function name without a C++ parameter list.
func bareFunc(fn string) string {
	if i := strings.IndexByte(fn, '('); i > 0 {
		return fn[:i]
	}
	return fn
}
