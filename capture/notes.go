package capture

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Note names and types in a capture file's PT_NOTE segment.
const (
	noteNameCore      = "CORE"
	noteNameGDB       = "GDB"
	noteNameFaultline = "FAULTLINE"

	// NoteTypeFaultline is the type of the FAULTLINE note ("FL" then 1).
	NoteTypeFaultline = 0x464c0001
	// ntGDBTdesc is binutils' NT_GDB_TDESC (include/elf/common.h): a GDB
	// target description, NUL-terminated XML. debug/elf has no name for it.
	ntGDBTdesc = 0xff000000
)

// The NT_PRSTATUS descriptor in the layout of 32-bit ARM Linux's struct
// elf_prstatus, which is what BFD (elf32-arm.c, elf32_arm_nabi_grok_prstatus)
// and gdb recognise by its size, 148 bytes:
//
//	0   pr_info   {si_signo, si_code, si_errno int32}
//	12  pr_cursig int16, 2 bytes padding
//	16  pr_sigpend, pr_sighold uint32
//	24  pr_pid, pr_ppid, pr_pgrp, pr_sid int32
//	40  pr_utime, pr_stime, pr_cutime, pr_cstime {sec, usec int32}
//	72  pr_reg [18]uint32: r0..r12, sp, lr, pc, cpsr (xPSR here), orig_r0
//	144 pr_fpvalid int32
const (
	prstatusSize   = 148
	prstatusRegOff = 72
	prstatusSignal = 11 // SIGSEGV: gdb prints "Program terminated with signal SIGSEGV"
	prstatusPID    = 1  // what gdb's own gcore writes for a bare-metal target
)

// prstatusRegs are the pr_reg slots in order; "" is orig_r0, left 0.
var prstatusRegs = [18]string{
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
	"sp", "lr", "pc", "xpsr", "",
}

func prstatus(regs map[string]uint32) []byte {
	b := make([]byte, prstatusSize)
	binary.LittleEndian.PutUint32(b[0:], prstatusSignal)
	binary.LittleEndian.PutUint16(b[12:], prstatusSignal)
	binary.LittleEndian.PutUint32(b[24:], prstatusPID)
	s := Snapshot{Registers: regs}
	for i, name := range prstatusRegs {
		if name == "" {
			continue
		}
		v, _ := s.Register(name) // absent: 0
		binary.LittleEndian.PutUint32(b[prstatusRegOff+4*i:], v)
	}
	return b
}

// parsePrstatus reads the registers from an NT_PRSTATUS descriptor.
func parsePrstatus(desc []byte) (map[string]uint32, error) {
	if len(desc) != prstatusSize {
		return nil, fmt.Errorf("NT_PRSTATUS is %d bytes, want %d (32-bit ARM layout)", len(desc), prstatusSize)
	}
	regs := make(map[string]uint32, 17)
	for i, name := range prstatusRegs {
		if name != "" {
			regs[name] = binary.LittleEndian.Uint32(desc[prstatusRegOff+4*i:])
		}
	}
	return regs, nil
}

// tdescXML is the NT_GDB_TDESC target description: the M-profile core
// registers only, so gdb knows the core is M-profile (xpsr, not cpsr; it
// then unwinds exception frames by EXC_RETURN). It deliberately leaves out
// org.gnu.gdb.arm.m-system (msp, psp, ...): a core cannot give their values
// and gdb's bt then stops with "Register 91 is not available" (FACTS.md
// section 5). The regnum attributes follow gdb's own numbering (xpsr is
// ARM_PS_REGNUM, 25), as gdb's gcore writes them.
func tdescXML(map[string]uint32) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n")
	b.WriteString(`<!DOCTYPE target SYSTEM "gdb-target.dtd">` + "\n")
	b.WriteString("<target>\n  <architecture>arm</architecture>\n")
	b.WriteString(`  <feature name="org.gnu.gdb.arm.m-profile">` + "\n")
	for i := 0; i < 16; i++ {
		name, typ := fmt.Sprintf("r%d", i), "int"
		switch i {
		case 13:
			name, typ = "sp", "data_ptr"
		case 14:
			name = "lr"
		case 15:
			name, typ = "pc", "code_ptr"
		}
		fmt.Fprintf(&b, "    <reg name=%q bitsize=\"32\" type=%q regnum=\"%d\"/>\n", name, typ, i)
	}
	b.WriteString(`    <reg name="xpsr" bitsize="32" type="int" regnum="25"/>` + "\n")
	b.WriteString("  </feature>\n</target>\n")
	return b.String()
}

// A note is one parsed entry of a PT_NOTE segment.
type note struct {
	name string
	typ  uint32
	desc []byte
	off  int64 // file offset of the note header
}

// parseNotes splits a PT_NOTE segment's bytes into notes. It returns the
// notes that are complete and how many bytes of data they used: less than
// len(data) when the data ends inside a note (a truncated file, or sizes
// that make no sense).
func parseNotes(data []byte, fileOff int64) (notes []note, used int) {
	off := 0
	for off < len(data) {
		if len(data)-off < 12 {
			return notes, off
		}
		namesz := uint64(binary.LittleEndian.Uint32(data[off:]))
		descsz := uint64(binary.LittleEndian.Uint32(data[off+4:]))
		typ := binary.LittleEndian.Uint32(data[off+8:])
		nameEnd := uint64(off) + 12 + namesz
		descOff := align4(nameEnd)
		descEnd := descOff + descsz
		if descEnd > uint64(len(data)) {
			return notes, off
		}
		name := string(data[off+12 : nameEnd])
		name = strings.TrimRight(name, "\x00")
		notes = append(notes, note{name: name, typ: typ, desc: data[descOff:descEnd], off: fileOff + int64(off)})
		next := align4(descEnd)
		if next > uint64(len(data)) {
			next = uint64(len(data))
		}
		off = int(next)
	}
	return notes, off
}
