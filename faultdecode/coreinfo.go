package faultdecode

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// elfArch is the ELF's architecture ("v6-M", "v8-M.main", ...) when the
// image can say (elfsym.Image's CPUArch), "" otherwise.
func (a *analysis) elfArch() string {
	if ca, ok := a.img.(interface{ CPUArch() string }); ok {
		return ca.CPUArch()
	}
	return ""
}

// identifyCore replaces the name-based guess with what the capture and the
// ELF say, and notes the core wherever it is not the ARMv7-M every bundled
// board is, or the evidence contradicts the capture's board.
func (a *analysis) identifyCore() {
	hint := coreName(a.snap)
	id := fault.IdentifyCore(a.snap, a.elfArch(), hint)
	a.core = id.Core
	hinted := fault.IdentifyCore(nil, "", hint)
	switch {
	case id.Source != fault.CoreFromCPUID && hint == "" && len(a.snap.Registers) > 0:
		a.note("core: %s", id) // no CPUID, no board: say what the decoding rests on
	case id.Source == fault.CoreFromCPUID || id.Source == fault.CoreFromELF:
		if hinted.Source == fault.CoreFromHint && family(hinted.Core) != family(id.Core) {
			a.note("core: %s, not the %s that %q has: decoded as %s", id, hinted.Core.Name(), hint, id.Core.Name())
		} else if !strings.HasPrefix(id.Core.Name(), "ARMv7") {
			a.note("core: %s", id)
		}
	case !strings.HasPrefix(id.Core.Name(), "ARMv7"):
		a.note("core: %s", id)
	}
}

// family is the fault model a core decodes with: ARMv7E-M's is ARMv7-M's.
func family(c fault.Core) string {
	return strings.Replace(c.Name(), "ARMv7E-M", "ARMv7-M", 1)
}

// stackLimits puts MSPLIM/PSPLIM in the report's registers and explains an
// STKOF with them.
func (a *analysis) stackLimits() {
	for _, n := range []string{"msplim", "psplim"} {
		if v, ok := a.snap.Registers[n]; ok {
			a.rep.Registers[n] = report.Hex(v)
		}
	}
	h := a.fault.StackLimit
	if h == nil {
		return
	}
	for i, c := range a.fault.Causes {
		if c.Name == "STKOF" && i < len(a.rep.Fault.Explanations) {
			a.rep.Fault.Explanations[i] = "STKOF: " + h.Sentence()
		}
	}
	sym := ""
	if h.HaveLimit && a.img != nil {
		if s, off, ok := a.img.SymbolAt(uint64(h.Limit)); ok && !s.Func {
			sym = s.Name
			if off != 0 {
				sym = fmt.Sprintf("%s+%d", s.Name, off)
			}
		}
	}
	a.add(report.FindStackOverflow, h.Sentence(), h.SP, h.HaveSP, sym)
}

// captureGaps says what the capture lacks that the analysis would use:
// what the capture itself recorded as missing (a core from another tool
// has no FAULTLINE note), and msp/psp when no register set had them.
func (a *analysis) captureGaps() {
	said := false // the capture named lost registers itself
	for _, m := range a.snap.Meta.Missing {
		a.note("not in the capture: %s", m)
		said = said || strings.HasPrefix(m, "registers:")
	}
	regs := a.snap.Registers
	if len(regs) == 0 || said {
		return
	}
	var lost []string
	for _, n := range []string{"msp", "psp"} {
		if _, ok := regs[n]; !ok {
			lost = append(lost, n)
		}
	}
	if a.core.HasStackLimit() && a.fault.StackLimit != nil {
		for _, n := range []string{"msplim", "psplim"} {
			if _, ok := regs[n]; !ok {
				lost = append(lost, n)
			}
		}
	}
	if len(lost) > 0 {
		a.note("%s not captured: a frame on the other stack than the one SP shows cannot be found", strings.Join(lost, " and "))
	}
}
