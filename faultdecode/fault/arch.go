package fault

import "strings"

// A Core holds what differs between Cortex-M architecture versions, as data
// (like delve's Arch): which fault registers exist, the lockup PC, and how
// status bits decode. Pick one with ForCore, or with IdentifyCore from the
// evidence a capture holds.
type Core interface {
	// Name is the architecture, e.g. "ARMv7-M".
	Name() string
	// HasCFSR reports whether the configurable fault registers (CFSR,
	// HFSR, MMFAR, BFAR, SHCSR enables) exist; ARMv6-M and ARMv8-M
	// Baseline have only HardFault and no status registers for it.
	HasCFSR() bool
	// HasFP reports whether extended (FP) exception frames can occur.
	HasFP() bool
	// HasStackLimit reports whether MSPLIM/PSPLIM exist and overflowing
	// them raises STKOF (ARMv8-M Mainline).
	HasStackLimit() bool
	// LockupPC is the architectural PC value while the core is locked up.
	LockupPC() uint32
	// Causes lists the set cause bits, HFSR first, then CFSR in bit order,
	// then SFSR.
	Causes(f FaultRegs) []Cause
}

// ForCore chooses the core family from a core or architecture name
// ("cortex-m0+", "m3", "armv7e-m", "cortex-m33", "v8-m.base", ...). Unknown
// names get ARMv7-M, which every bundled board (netduino2, mps2-an385,
// Photon) is.
func ForCore(name string) Core {
	c, _ := coreByName(name)
	return c
}

// coreByName is ForCore that also says whether the name was known.
func coreByName(name string) (Core, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "cortex-")
	n = strings.TrimPrefix(n, "arm")
	switch n {
	case "m0", "m0+", "m0plus", "m1", "v6-m", "v6m", "v6s-m":
		return v6M{}, true
	case "m3", "v7-m", "v7m":
		return v7M{}, true
	case "m4", "m7", "v7e-m", "v7em":
		return v7M{e: true}, true
	case "m23", "v8-m.base", "v8m.base", "v8-m baseline":
		return v8M{baseline: true}, true
	case "m33", "m35p", "v8-m", "v8m", "v8-m.main", "v8m.main", "v8-m mainline":
		return v8M{}, true
	case "m52", "m55", "m85", "v8.1-m", "v8.1-m.main", "v8.1m.main":
		return v8M{v81: true}, true
	}
	return v7M{}, false
}

// v7M is ARMv7-M (Cortex-M3) or ARMv7E-M (M4, M7: the DSP extension; the
// fault model is the same).
type v7M struct{ e bool }

func (c v7M) Name() string {
	if c.e {
		return "ARMv7E-M"
	}
	return "ARMv7-M"
}
func (v7M) HasCFSR() bool       { return true }
func (v7M) HasFP() bool         { return true }
func (v7M) HasStackLimit() bool { return false }
func (v7M) LockupPC() uint32    { return 0xFFFFFFFE }
func (v7M) Causes(f FaultRegs) []Cause {
	var out []Cause
	if f.Has(AddrHFSR) {
		out = append(out, DecodeHFSR(f.HFSR)...)
	}
	if f.Has(AddrCFSR) {
		for _, c := range DecodeCFSR(f.CFSR) {
			if c.Name == "STKOF" { // reserved before ARMv8-M
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// v6M is ARMv6-M (Cortex-M0, M0+, M1): no CFSR, no HFSR, so every fault is
// a bare HardFault whose cause is read from the faulting instruction.
type v6M struct{}

func (v6M) Name() string             { return "ARMv6-M" }
func (v6M) HasCFSR() bool            { return false }
func (v6M) HasFP() bool              { return false }
func (v6M) HasStackLimit() bool      { return false }
func (v6M) LockupPC() uint32         { return 0xFFFFFFFE }
func (v6M) Causes(FaultRegs) []Cause { return nil }

// v8M is ARMv8-M. Mainline (M33, M35P; v8.1-M: M55, M85) has CFSR with
// STKOF, the stack limit registers and, with the Security Extension,
// SFSR/SFAR; Baseline (M23) is like ARMv6-M for faults.
type v8M struct{ baseline, v81 bool }

func (c v8M) Name() string {
	switch {
	case c.baseline:
		return "ARMv8-M Baseline"
	case c.v81:
		return "ARMv8.1-M Mainline"
	}
	return "ARMv8-M Mainline"
}
func (c v8M) HasCFSR() bool       { return !c.baseline }
func (c v8M) HasFP() bool         { return !c.baseline }
func (c v8M) HasStackLimit() bool { return !c.baseline }
func (v8M) LockupPC() uint32      { return 0xEFFFFFFE }
func (c v8M) Causes(f FaultRegs) []Cause {
	if c.baseline {
		return nil
	}
	var out []Cause
	if f.Has(AddrHFSR) {
		out = append(out, DecodeHFSR(f.HFSR)...)
	}
	if f.Has(AddrCFSR) {
		out = append(out, DecodeCFSR(f.CFSR)...)
	}
	if f.Has(AddrSFSR) {
		out = append(out, DecodeSFSR(f.SFSR)...)
	}
	return out
}

// IsLockupPC reports whether pc is the lockup address of any Cortex-M
// (the Thumb bit ignored): a debugger may report either form.
func IsLockupPC(c Core, pc uint32) bool {
	return pc&^1 == c.LockupPC()&^1
}
