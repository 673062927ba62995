package faultdecode

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// A Zephyr core dump (capture/zephyrdump) holds the faulting context's
// registers and z_fatal_error's reason, but no exception number and no
// fault status registers: the reason stands in for them in the summary.

// zephyrArchBlock is the Cortex-M coredump code's static copy of the
// registers (arch/arm/core/cortex_m/coredump.c): it is in the dumped RAM,
// so it looks like an exception frame holding the dump's registers.
const zephyrArchBlock = "arch_blk"

// zephyrFrameCandidates is zephyrdump.FrameCandidates (faultdecode does
// not import the importers).
const zephyrFrameCandidates = "zephyr_frame_candidates"

// zephyrContext completes the faulting context of a Zephyr dump: Zephyr
// runs every thread on the process stack, so a fault in thread mode
// (stacked IPSR 0) ran on a thread's stack; and a dump that recorded no sp
// gets it from the exception frame in RAM (zephyrSP).
func (a *analysis) zephyrContext() {
	if a.snap.Meta.Extra["zephyr_reason_name"] == "" {
		return
	}
	if a.haveXPSR && a.ctxXPSR&0x1FF == 0 {
		a.onPSP = true
	}
	a.zephyrSP()
}

// zephyrSP finds the faulting code's SP for a Zephyr dump that recorded
// none: of the places in RAM holding its registers as an exception frame,
// the one that is not the coredump code's own copy.
func (a *analysis) zephyrSP() {
	list := a.snap.Meta.Extra[zephyrFrameCandidates]
	if list == "" || a.img == nil {
		return
	}
	if sp, ok := a.ctx.Get(fault.RegSP); ok && sp != 0 {
		return
	}
	var frames []uint32
	for _, c := range strings.Split(list, ",") {
		v, err := strconv.ParseUint(strings.TrimPrefix(c, "0x"), 16, 32)
		if err != nil {
			continue
		}
		if s, _, ok := a.img.SymbolAt(v); ok && s.Name == zephyrArchBlock {
			continue
		}
		frames = append(frames, uint32(v))
	}
	if len(frames) != 1 {
		return
	}
	sp := frames[0] + 0x20
	if a.ctxXPSR&(1<<9) != 0 {
		sp += 4
	}
	a.ctx.Set(fault.RegSP, sp)
	a.note("the Zephyr dump records no sp; the exception frame holding its registers is at 0x%08x (the other copy is the coredump code's %s), so the faulting code's sp is 0x%08x", frames[0], zephyrArchBlock, sp)
}

// zephyrSummary leads with the fatal error's reason when the dump says
// nothing of the exception.
func (a *analysis) zephyrSummary() {
	name := a.snap.Meta.Extra["zephyr_reason_name"]
	if name == "" || a.fault.Exception != "None" || a.fault.Lockup {
		return
	}
	var b strings.Builder
	b.WriteString("Zephyr fatal error " + name)
	if what := a.snap.Meta.Extra["zephyr_reason_text"]; what != "" {
		fmt.Fprintf(&b, " (%s)", what)
	}
	b.WriteString(a.taskPhrase())
	switch {
	case a.badPC() && len(a.rep.Findings) > 0:
		fmt.Fprintf(&b, ": %s", a.rep.Findings[0].Summary)
	case len(a.rep.Frames) > 0:
		fmt.Fprintf(&b, " in %s", a.rep.Frames[0].Where())
	}
	b.WriteString(". The core dump does not record the exception or the fault status registers.")
	a.rep.Fault.Summary = a.mismatchPrefix() + b.String()
}
