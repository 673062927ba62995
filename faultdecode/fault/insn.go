package fault

import "fmt"

// An Insn is a Thumb instruction decoded far enough to explain a fault on a core
// without fault status registers (ARMv6-M, ARMv8-M Baseline): which memory
// it touched and how, or which trap it is. Hand-written for the reason
// given in thumb.go; only the 16-bit encodings (all of ARMv6-M's loads and
// stores) and the 32-bit UDF are decoded, anything else is InsnOther.
type Insn struct {
	Addr uint32
	Size uint32 // 2 or 4
	Raw  uint32 // hw1, or hw1<<16 | hw2 for 32-bit
	Kind InsnKind
	Text string // disassembly, e.g. "ldr r0, [r3, #4]"

	// Memory accesses: address = base + (Rm or Imm); Width bytes each,
	// Count transfers (LDM/STM/PUSH/POP).
	Rn, Rm   int // register numbers; Rm -1 for an immediate offset
	Imm      uint32
	Width    uint32
	Count    uint32
	Literal  bool   // PC-relative: the address is known from Addr alone
	WritesPC bool   // POP {..., pc}
	Imm8     uint32 // the immediate of UDF, BKPT and SVC

	// Data flow, for reading a call's constant arguments from the code
	// before it (CallArgs); decoded for the 16-bit encodings and the
	// 32-bit ones compilers put before calls.
	Writes uint16 // registers the instruction may write; 0xFFFF when not known
	Rd     int    // the register a constant move or a literal load sets, -1 for none
	Const  bool   // Rd gets Value, known from the instruction alone (MOV/MVN immediate, MOVW, ADR)
	Movt   bool   // MOVT: Value is the top half of Rd
	Value  uint32
	Call   bool // BL, BLX: r0-r3, r12 and lr do not survive it
	Branch bool // B, B<c>, CBZ, CBNZ with a known Target
	Target uint32
	Ends   bool // control does not fall through (B, BX, POP {pc}, TBB/TBH)
	IT     int  // IT: how many instructions the block conditions
}

// An InsnKind is what an instruction does, as far as faults go.
type InsnKind int

// Instruction kinds.

const (
	InsnOther InsnKind = iota
	InsnLoad
	InsnStore
	InsnUDF
	InsnBKPT
	InsnSVC
	InsnBX  // BX Rm or BLX Rm
	Insn32  // a 32-bit instruction this decoder does not take apart
	InsnNop // a 16-bit instruction that cannot fault on its own
)

func regList(list uint16, extra string) string {
	s := "{"
	for i := 0; i < 8; i++ {
		if list&(1<<i) != 0 {
			if len(s) > 1 {
				s += ", "
			}
			s += RegNames[i]
		}
	}
	if extra != "" {
		if len(s) > 1 {
			s += ", "
		}
		s += extra
	}
	return s + "}"
}

func popcount8(v uint16) uint32 {
	n := uint32(0)
	for i := 0; i < 8; i++ {
		n += uint32(v>>i) & 1
	}
	return n
}

// Is32 reports whether hw1 is the first halfword of a 32-bit Thumb-2
// instruction (top five bits 11101, 11110 or 11111).
func Is32(hw1 uint16) bool { return hw1>>11 >= 0x1D }

// DecodeThumb decodes the instruction at addr from its first two
// halfwords (hw2 is ignored for 16-bit instructions).
func DecodeThumb(addr uint32, hw1, hw2 uint16) (in Insn) {
	in = Insn{Addr: addr, Size: 2, Raw: uint32(hw1), Rm: -1}
	defer dataFlow(&in, hw1, hw2) // on the result, whichever return made it
	if Is32(hw1) {
		in.Size, in.Raw, in.Kind = 4, uint32(hw1)<<16|uint32(hw2), Insn32
		in.Text = fmt.Sprintf(".inst.w 0x%04x%04x", hw1, hw2)
		// UDF.W #imm16 (T2): 1111 0111 1111 imm4, 1010 imm12.
		if hw1&0xFFF0 == 0xF7F0 && hw2&0xF000 == 0xA000 {
			in.Kind, in.Imm8 = InsnUDF, uint32(hw1&0xF)<<12|uint32(hw2&0xFFF)
			in.Text = fmt.Sprintf("udf.w #%d", in.Imm8)
		}
		return in
	}
	rt, rn := int(hw1&7), int(hw1>>3&7)
	imm5 := uint32(hw1 >> 6 & 0x1F)
	ldst := func(load bool, width uint32, mnem string) {
		in.Kind = InsnStore
		if load {
			in.Kind = InsnLoad
		}
		in.Rn, in.Width, in.Count = rn, width, 1
		in.Text = fmt.Sprintf("%s %s, [%s, #%d]", mnem, RegNames[rt], RegNames[rn], in.Imm)
	}
	switch {
	case hw1>>11 == 0x09: // LDR Rt, [PC, #imm8*4]
		in.Kind, in.Literal, in.Width, in.Count, in.Rn = InsnLoad, true, 4, 1, 15
		in.Imm = uint32(hw1&0xFF) * 4
		in.Text = fmt.Sprintf("ldr %s, [pc, #%d]", RegNames[hw1>>8&7], in.Imm)
	case hw1>>12 == 0x5: // load/store register offset
		op := hw1 >> 9 & 7
		mn := [8]string{"str", "strh", "strb", "ldrsb", "ldr", "ldrh", "ldrb", "ldrsh"}[op]
		w := [8]uint32{4, 2, 1, 1, 4, 2, 1, 2}[op]
		in.Kind = InsnStore
		if op >= 3 {
			in.Kind = InsnLoad
		}
		in.Rn, in.Rm, in.Width, in.Count = rn, int(hw1>>6&7), w, 1
		in.Text = fmt.Sprintf("%s %s, [%s, %s]", mn, RegNames[rt], RegNames[rn], RegNames[in.Rm])
	case hw1>>13 == 0x3: // LDR/STR(B) immediate: 011 B L imm5 Rn Rt
		byteOp, load := hw1&0x1000 != 0, hw1&0x0800 != 0
		if byteOp {
			in.Imm = imm5
			ldst(load, 1, map[bool]string{true: "ldrb", false: "strb"}[load])
		} else {
			in.Imm = imm5 * 4
			ldst(load, 4, map[bool]string{true: "ldr", false: "str"}[load])
		}
	case hw1>>12 == 0x8: // LDRH/STRH immediate
		load := hw1&0x0800 != 0
		in.Imm = imm5 * 2
		ldst(load, 2, map[bool]string{true: "ldrh", false: "strh"}[load])
	case hw1>>12 == 0x9: // LDR/STR Rt, [SP, #imm8*4]
		load := hw1&0x0800 != 0
		in.Kind = InsnStore
		mn := "str"
		if load {
			in.Kind, mn = InsnLoad, "ldr"
		}
		in.Rn, in.Imm, in.Width, in.Count = 13, uint32(hw1&0xFF)*4, 4, 1
		in.Text = fmt.Sprintf("%s %s, [sp, #%d]", mn, RegNames[hw1>>8&7], in.Imm)
	case hw1>>12 == 0xC: // STM/LDM Rn!, {list}
		load := hw1&0x0800 != 0
		list := hw1 & 0xFF
		mn := "stmia"
		in.Kind = InsnStore
		if load {
			in.Kind, mn = InsnLoad, "ldmia"
		}
		in.Rn, in.Width, in.Count = int(hw1>>8&7), 4, popcount8(list)
		in.Text = fmt.Sprintf("%s %s!, %s", mn, RegNames[in.Rn], regList(list, ""))
	case hw1&0xFE00 == 0xB400: // PUSH {list, lr}
		extra := ""
		in.Count = popcount8(hw1 & 0xFF)
		if hw1&0x100 != 0 {
			extra, in.Count = "lr", in.Count+1
		}
		in.Kind, in.Rn, in.Width = InsnStore, 13, 4
		in.Imm = 0 - 4*in.Count // the lowest address written is SP - 4*count
		in.Text = "push " + regList(hw1&0xFF, extra)
	case hw1&0xFE00 == 0xBC00: // POP {list, pc}
		extra := ""
		in.Count = popcount8(hw1 & 0xFF)
		if hw1&0x100 != 0 {
			extra, in.Count, in.WritesPC = "pc", in.Count+1, true
		}
		in.Kind, in.Rn, in.Width = InsnLoad, 13, 4
		in.Text = "pop " + regList(hw1&0xFF, extra)
	case hw1&0xFF00 == 0xDE00:
		in.Kind, in.Imm8 = InsnUDF, uint32(hw1&0xFF)
		in.Text = fmt.Sprintf("udf #%d", in.Imm8)
	case hw1&0xFF00 == 0xDF00:
		in.Kind, in.Imm8 = InsnSVC, uint32(hw1&0xFF)
		in.Text = fmt.Sprintf("svc #%d", in.Imm8)
	case hw1&0xFF00 == 0xBE00:
		in.Kind, in.Imm8 = InsnBKPT, uint32(hw1&0xFF)
		in.Text = fmt.Sprintf("bkpt 0x%04x", in.Imm8)
	case hw1&0xFF07 == 0x4700: // BX Rm / BLX Rm
		in.Kind, in.Rm = InsnBX, int(hw1>>3&0xF)
		mn := "bx"
		if hw1&0x80 != 0 {
			mn = "blx"
		}
		in.Text = fmt.Sprintf("%s %s", mn, RegNames[in.Rm])
	default:
		in.Kind = InsnNop
		in.Text = fmt.Sprintf(".inst.n 0x%04x", hw1)
	}
	return in
}

// MemAddress is the first address the access touches, from the registers
// of the faulting context; expr shows how ("r3+4"). ok is false when a
// register it needs is not known.
func (in Insn) MemAddress(r Regs) (addr uint32, expr string, ok bool) {
	if in.Literal {
		return (in.Addr+4)&^3 + in.Imm, fmt.Sprintf("pc-relative literal at 0x%08x", (in.Addr+4)&^3+in.Imm), true
	}
	base, ok := r.Get(in.Rn)
	if !ok {
		return 0, "", false
	}
	if in.Rm >= 0 {
		off, ok := r.Get(in.Rm)
		if !ok {
			return 0, "", false
		}
		return base + off, fmt.Sprintf("%s+%s = 0x%08x+0x%08x", RegNames[in.Rn], RegNames[in.Rm], base, off), true
	}
	off := int32(in.Imm)
	switch {
	case off < 0:
		return base + in.Imm, fmt.Sprintf("%s-%d", RegNames[in.Rn], -off), true
	case off > 0:
		return base + in.Imm, fmt.Sprintf("%s+%d", RegNames[in.Rn], off), true
	}
	return base, RegNames[in.Rn], true
}
