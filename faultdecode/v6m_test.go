package faultdecode

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// v6mSnapshot is a Cortex-M0 stopped at HardFault's first instruction
// with the exception frame at 0x20001000 and the code around PC 0x100 in
// the capture (no ELF).
func v6mSnapshot(r3, pc, xpsr uint32, code map[uint32]uint16) *capture.Snapshot {
	s := fdtest.NewStack()
	s.Put(0x20001000, 0x11, 0x22, 0x33, r3, 12, 0x0000012b, pc, xpsr)
	flash := make([]byte, 0x100)
	for a, hw := range code {
		binary.LittleEndian.PutUint16(flash[a-0x100:], hw)
	}
	snap := s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil), fdtest.SCBRegion(map[uint64]uint32{fault.AddrCPUID: 0x410cc200}))
	snap.Memory = append([]capture.Region{{Addr: 0x100, Data: flash, Name: "flash-sample"}}, snap.Memory...) // sorted by address
	snap.Meta.Board = "microbit"
	return snap
}

func TestV6MHardFaultExplainedFromTheInstruction(t *testing.T) {
	tests := []struct {
		name    string
		snap    *capture.Snapshot
		summary string // the summary starts with it
		explain string // an explanation contains it
		finding string
	}{
		{"unaligned load", v6mSnapshot(0x20000002, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x6818}),
			"HardFault: unaligned load of 4 bytes from 0x20000002 (r3)",
			"the faulting instruction is ldr r0, [r3, #0] at 0x00000100: a load of 4 bytes from 0x20000002 (r3) faulted: the address is not 4-byte aligned, and ARMv6-M faults on every unaligned access", ""},
		{"store to nothing", v6mSnapshot(0x30000000, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x601a}),
			"HardFault: unmapped store of 4 bytes to 0x30000000 (r3)",
			"no memory is known at 0x30000000 (no ELF section, no captured RAM): it is probably unmapped, so the pointer (r3 = 0x30000000) is wild or stale", ""},
		{"NULL pointer", v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x6858}),
			"HardFault: NULL-pointer load of 4 bytes from 0x00000004 (r3+4)",
			"a NULL pointer (r3 = 0x00000000)", ""},
		{"peripheral", v6mSnapshot(0x40001000, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x6818}),
			"HardFault: load of 4 bytes from 0x40001000 (r3)",
			"0x40001000 is in the peripheral region: the peripheral is absent, not clocked or powered", ""},
		{"in RAM that exists", v6mSnapshot(0x20000800, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x6818}),
			"HardFault: load of 4 bytes from 0x20000800 (r3)",
			"0x20000800 is in captured RAM, which exists: the bus refused the access", ""},
		{"udf", v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: 0xde2a}),
			"HardFault: udf #42 (a deliberate trap)", "__builtin_trap()", ""},
		{"semihosting without a debugger", v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: 0xbeab}),
			"HardFault: semihosting call (bkpt 0xab) with no debugger attached", "build without semihosting", ""},
		{"a breakpoint", v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: 0xbe01}),
			"HardFault: bkpt 0x0001 with no debugger attached", "with no debugger attached (halting debug off) it escalates to HardFault", ""},
		{"svc that could not be taken", v6mSnapshot(0, 0x102, 0x01000000, map[uint32]uint16{0x100: 0xdf05, 0x102: 0x1c00}),
			"HardFault: svc #5 where SVCall could not be taken", "svc #5 at 0x00000100 ran where SVCall cannot be taken", ""},
		{"Thumb bit clear", v6mSnapshot(0, 0x100, 0x00000000, map[uint32]uint16{0x100: 0x6818}),
			"HardFault: branch to 0x00000100 with the Thumb bit clear",
			"the stacked xPSR has the Thumb bit clear (EPSR.T=0) at PC 0x00000100", report.FindThumbBit},
		{"PC not code", v6mSnapshot(0, 0xa0000000, 0x01000000, nil),
			"HardFault: instruction fetch from 0xa0000000, which is not code",
			"PC 0xa0000000 is not code (device region)", ""},
		{"an instruction that cannot fault", v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x1c00}),
			"HardFault: ARMv6-M records no cause", "cannot fault by itself", ""},
		{"code not captured", v6mSnapshot(0, 0x300, 0x01000000, nil),
			"HardFault: ARMv6-M records no cause", "is neither in the ELF nor in the capture", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyze(tt.snap, nil)
			if !strings.HasPrefix(r.Fault.Summary, tt.summary) {
				t.Errorf("summary %q\nwant it to start with %q", r.Fault.Summary, tt.summary)
			}
			if ex := strings.Join(r.Fault.Explanations, "\n"); !strings.Contains(ex, tt.explain) {
				t.Errorf("explanations %q\nwant %q", ex, tt.explain)
			}
			if tt.finding != "" {
				wantFindings(t, r, tt.finding)
			}
			var text strings.Builder
			if err := r.WriteText(&text, report.Sources{}); err != nil {
				t.Fatal(err)
			}
			for _, reg := range []string{"CFSR", "cfsr", "HFSR", "hfsr"} {
				if strings.Contains(text.String(), reg) {
					t.Errorf("an ARMv6-M report mentions %s:\n%s", reg, text.String())
				}
			}
			if !strings.Contains(text.String(), "core: Cortex-M0 (ARMv6-M, from CPUID 0x410cc200)") {
				t.Errorf("the report does not name the core:\n%s", text.String())
			}
		})
	}
}

func TestV6MWithoutAFrameSaysSo(t *testing.T) {
	snap := v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: 0x6818})
	snap.Registers["lr"] = 0x0000012b // not at the handler's entry: no EXC_RETURN
	r := analyze(snap, nil)
	if !strings.Contains(strings.Join(r.Fault.Explanations, "\n"), "without a valid exception frame the faulting instruction is not known") {
		t.Errorf("explanations %q", r.Fault.Explanations)
	}
}

// A Cortex-M3 whose HardFault has no cause bits set (CFSR clear, HFSR
// FORCED, as QEMU leaves a BKPT with no debugger) is explained by the
// instruction when it is a BKPT, and only then.
func TestV7MHardFaultWithNoCauseBitsNamesABreakpoint(t *testing.T) {
	tests := []struct {
		name    string
		insn    uint16
		summary string
	}{
		{"a breakpoint", 0xbe01, "HardFault: bkpt 0x0001 with no debugger attached"},
		{"semihosting", 0xbeab, "HardFault: semihosting call (bkpt 0xab) with no debugger attached"},
		{"an ordinary instruction", 0x1c00, "HardFault: no cause bits are set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := v6mSnapshot(0, 0x100, 0x01000000, map[uint32]uint16{0x100: tt.insn})
			for i, r := range snap.Memory {
				if r.Name == "scb" {
					snap.Memory[i] = fdtest.SCBRegion(map[uint64]uint32{fault.AddrCPUID: 0x412fc231, fault.AddrHFSR: 0x40000000})
				}
			}
			snap.Meta.Board = "mps2-an385"
			r := analyze(snap, nil)
			if !strings.Contains(r.Fault.Summary, tt.summary) {
				t.Errorf("summary %q\nwant it to contain %q", r.Fault.Summary, tt.summary)
			}
		})
	}
}
