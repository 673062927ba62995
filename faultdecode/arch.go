package faultdecode

import "strings"

// A Core holds what differs between Cortex-M architecture versions, as data
// (like delve's Arch): which fault registers exist, the lockup PC, and how
// status bits decode. Pick one with ForCore.
type Core interface {
	// Name is the architecture, e.g. "ARMv7-M".
	Name() string
	// HasCFSR reports whether the configurable fault registers (CFSR,
	// MMFAR, BFAR, SHCSR enables) exist; ARMv6-M has only HardFault.
	HasCFSR() bool
	// HasFP reports whether extended (FP) exception frames can occur.
	HasFP() bool
	// LockupPC is the architectural PC value while the core is locked up.
	LockupPC() uint32
	// Causes lists the set cause bits, HFSR first, then CFSR in bit order.
	Causes(f FaultRegs) []Cause
}

// ForCore chooses the core family from a core or architecture name
// ("cortex-m0+", "m3", "armv7e-m", "cortex-m33", "v8-m", ...). Unknown names
// get ARMv7-M, which every bundled board (netduino2, mps2-an385, Photon) is.
func ForCore(name string) Core {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "cortex-")
	n = strings.TrimPrefix(n, "arm")
	switch n {
	case "m0", "m0+", "m0plus", "m1", "v6-m", "v6m":
		return v6M{}
	case "m23", "m33", "m35p", "m55", "m85", "v8-m", "v8m", "v8-m.main", "v8-m.base", "v8.1-m", "v8.1-m.main":
		return v8M{baseline: n == "m23" || n == "v8-m.base"}
	}
	return v7M{}
}

// v7M is ARMv7-M (Cortex-M3, M4, M7).
type v7M struct{}

func (v7M) Name() string     { return "ARMv7-M" }
func (v7M) HasCFSR() bool    { return true }
func (v7M) HasFP() bool      { return true }
func (v7M) LockupPC() uint32 { return 0xFFFFFFFE }
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

// v6M is ARMv6-M (Cortex-M0, M0+, M1): no CFSR, no HFSR causes beyond what
// the debug registers show, so every fault is a bare HardFault.
type v6M struct{}

func (v6M) Name() string               { return "ARMv6-M" }
func (v6M) HasCFSR() bool              { return false }
func (v6M) HasFP() bool                { return false }
func (v6M) LockupPC() uint32           { return 0xFFFFFFFE }
func (v6M) Causes(f FaultRegs) []Cause { return nil }

// v8M is ARMv8-M. Mainline has CFSR (with STKOF); Baseline is like v6-M.
type v8M struct{ baseline bool }

func (c v8M) Name() string {
	if c.baseline {
		return "ARMv8-M Baseline"
	}
	return "ARMv8-M Mainline"
}
func (c v8M) HasCFSR() bool  { return !c.baseline }
func (c v8M) HasFP() bool    { return !c.baseline }
func (v8M) LockupPC() uint32 { return 0xEFFFFFFE }
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
	return out
}

// IsLockupPC reports whether pc is the lockup address of any Cortex-M
// (the Thumb bit ignored): a debugger may report either form.
func IsLockupPC(c Core, pc uint32) bool {
	return pc&^1 == c.LockupPC()&^1
}
