package capture

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// A core without the FAULTLINE note (gdb's gcore, another tool's dump)
// holds at most r0-r15 and xPSR (NT_PRSTATUS) and the memory its writer
// chose. What it lacks is said in Meta.Missing, by name, so a report never
// guesses silently.

// systemRegisters are the M-profile registers outside NT_PRSTATUS that an
// analysis uses, as gdb's target descriptions name them.
var systemRegisters = []string{"msp", "psp", "primask", "basepri", "faultmask", "control", "msplim", "psplim"}

// isPrstatusName reports the registers NT_PRSTATUS carries, with the names
// gdb stubs use for them (a switch: a map literal is built by package
// init, in every command's start).
func isPrstatusName(n string) bool {
	switch n {
	case "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
		"sp", "lr", "pc", "xpsr", "cpsr":
		return true
	}
	return false
}

// plainRegistersMissing names the registers a core from another tool does
// not carry: those its target description declares beyond NT_PRSTATUS
// (the target had them, the core format cannot hold their values), or,
// without a description, the usual M-profile system registers.
func plainRegistersMissing(tdesc []string) string {
	var lost []string
	if len(tdesc) > 0 {
		for _, n := range tdesc {
			if !isPrstatusName(n) && isSystemRegister(n) {
				lost = append(lost, n)
			}
		}
		if len(lost) == 0 {
			return "registers: only r0-r15 and xPSR (NT_PRSTATUS); the target description names no system registers"
		}
		return fmt.Sprintf("registers: only r0-r15 and xPSR (NT_PRSTATUS); the target also had %s, whose values a core cannot carry", strings.Join(lost, ", "))
	}
	return fmt.Sprintf("registers: only r0-r15 and xPSR (NT_PRSTATUS); %s were not captured", strings.Join(systemRegisters[:6], ", "))
}

// isSystemRegister reports the registers worth naming as lost: the stack
// pointers, limits and masks, not FP or banked copies.
func isSystemRegister(n string) bool {
	for _, s := range systemRegisters {
		if n == s {
			return true
		}
	}
	return false
}

// tdescRegisters lists the register names of a GDB target description
// (NT_GDB_TDESC), in order; nil when it is not XML.
func tdescRegisters(desc []byte) []string {
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimRight(desc, "\x00")))
	dec.Strict = false
	var names []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return names
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "reg" {
			for _, a := range se.Attr {
				if a.Name.Local == "name" {
					names = append(names, strings.ToLower(a.Value))
				}
			}
		}
	}
}

// The System Control Block's range and the CFSR in it.
const (
	scbStart = 0xE000ED00
	scbEnd   = 0xE000ED40
	cfsrAddr = 0xE000ED28
)

// plainMemoryMissing says, for a core from another tool, that the fault
// registers are not in it (gdb's gcore saves the ELF's sections and the
// stack, never the System Control Block).
func (d *decoder) plainMemoryMissing() {
	if !d.plain {
		return
	}
	if m := MissingFaultRegisters(d.snap); m != "" {
		d.snap.Meta.Missing = append(d.snap.Meta.Missing, m)
	}
}

// MissingFaultRegisters returns the Meta.Missing words for a snapshot
// whose memory lacks the fault status registers (CFSR), or "" when they
// are there. Importers of other tools' dumps use it so every format says
// it the same way.
func MissingFaultRegisters(s *Snapshot) string {
	var b [4]byte
	if n, _ := s.ReadMemory(b[:], cfsrAddr); n == len(b) {
		return ""
	}
	return fmt.Sprintf("fault registers: the System Control Block (0x%08X-0x%08X: CPUID, CFSR, HFSR, MMFAR, BFAR) is not in the core, so the fault's cause cannot be decoded", uint32(scbStart), uint32(scbEnd))
}
