package faultdecode

import "fmt"

// A Thumb instruction decoded far enough to explain a fault on a core
// without fault status registers (ARMv6-M, ARMv8-M Baseline): which memory
// it touched and how, or which trap it is. Hand-written for the reason
// given in thumb.go; only the 16-bit encodings (all of ARMv6-M's loads and
// stores) and the 32-bit UDF are decoded, anything else is insnOther.
type insn struct {
	addr uint32
	size uint32 // 2 or 4
	raw  uint32 // hw1, or hw1<<16 | hw2 for 32-bit
	kind insnKind
	text string // disassembly, e.g. "ldr r0, [r3, #4]"

	// Memory accesses: address = base + (Rm or imm); width bytes each,
	// count transfers (LDM/STM/PUSH/POP).
	rn, rm   int // register numbers; rm -1 for an immediate offset
	imm      uint32
	width    uint32
	count    uint32
	literal  bool // PC-relative: the address is known from addr alone
	writesPC bool // POP {..., pc}
	imm8     uint32
}

type insnKind int

const (
	insnOther insnKind = iota
	insnLoad
	insnStore
	insnUDF
	insnBKPT
	insnSVC
	insnBX  // BX Rm or BLX Rm
	insn32  // a 32-bit instruction this decoder does not take apart
	insnNop // a 16-bit instruction that cannot fault on its own
)

var regName = [16]string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc"}

func regList(list uint16, extra string) string {
	s := "{"
	for i := 0; i < 8; i++ {
		if list&(1<<i) != 0 {
			if len(s) > 1 {
				s += ", "
			}
			s += regName[i]
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

// is32 reports whether hw1 is the first halfword of a 32-bit Thumb-2
// instruction (top five bits 11101, 11110 or 11111).
func is32(hw1 uint16) bool { return hw1>>11 >= 0x1D }

// decodeThumb decodes the instruction at addr from its first two
// halfwords (hw2 is ignored for 16-bit instructions).
func decodeThumb(addr uint32, hw1, hw2 uint16) insn {
	in := insn{addr: addr, size: 2, raw: uint32(hw1), rm: -1}
	if is32(hw1) {
		in.size, in.raw, in.kind = 4, uint32(hw1)<<16|uint32(hw2), insn32
		in.text = fmt.Sprintf(".inst.w 0x%04x%04x", hw1, hw2)
		// UDF.W #imm16 (T2): 1111 0111 1111 imm4, 1010 imm12.
		if hw1&0xFFF0 == 0xF7F0 && hw2&0xF000 == 0xA000 {
			in.kind, in.imm8 = insnUDF, uint32(hw1&0xF)<<12|uint32(hw2&0xFFF)
			in.text = fmt.Sprintf("udf.w #%d", in.imm8)
		}
		return in
	}
	rt, rn := int(hw1&7), int(hw1>>3&7)
	imm5 := uint32(hw1 >> 6 & 0x1F)
	ldst := func(load bool, width uint32, mnem string) {
		in.kind = insnStore
		if load {
			in.kind = insnLoad
		}
		in.rn, in.width, in.count = rn, width, 1
		in.text = fmt.Sprintf("%s %s, [%s, #%d]", mnem, regName[rt], regName[rn], in.imm)
	}
	switch {
	case hw1>>11 == 0x09: // LDR Rt, [PC, #imm8*4]
		in.kind, in.literal, in.width, in.count, in.rn = insnLoad, true, 4, 1, 15
		in.imm = uint32(hw1&0xFF) * 4
		in.text = fmt.Sprintf("ldr %s, [pc, #%d]", regName[hw1>>8&7], in.imm)
	case hw1>>12 == 0x5: // load/store register offset
		op := hw1 >> 9 & 7
		mn := [8]string{"str", "strh", "strb", "ldrsb", "ldr", "ldrh", "ldrb", "ldrsh"}[op]
		w := [8]uint32{4, 2, 1, 1, 4, 2, 1, 2}[op]
		in.kind = insnStore
		if op >= 3 {
			in.kind = insnLoad
		}
		in.rn, in.rm, in.width, in.count = rn, int(hw1>>6&7), w, 1
		in.text = fmt.Sprintf("%s %s, [%s, %s]", mn, regName[rt], regName[rn], regName[in.rm])
	case hw1>>13 == 0x3: // LDR/STR(B) immediate: 011 B L imm5 Rn Rt
		byteOp, load := hw1&0x1000 != 0, hw1&0x0800 != 0
		if byteOp {
			in.imm = imm5
			ldst(load, 1, map[bool]string{true: "ldrb", false: "strb"}[load])
		} else {
			in.imm = imm5 * 4
			ldst(load, 4, map[bool]string{true: "ldr", false: "str"}[load])
		}
	case hw1>>12 == 0x8: // LDRH/STRH immediate
		load := hw1&0x0800 != 0
		in.imm = imm5 * 2
		ldst(load, 2, map[bool]string{true: "ldrh", false: "strh"}[load])
	case hw1>>12 == 0x9: // LDR/STR Rt, [SP, #imm8*4]
		load := hw1&0x0800 != 0
		in.kind = insnStore
		mn := "str"
		if load {
			in.kind, mn = insnLoad, "ldr"
		}
		in.rn, in.imm, in.width, in.count = 13, uint32(hw1&0xFF)*4, 4, 1
		in.text = fmt.Sprintf("%s %s, [sp, #%d]", mn, regName[hw1>>8&7], in.imm)
	case hw1>>12 == 0xC: // STM/LDM Rn!, {list}
		load := hw1&0x0800 != 0
		list := hw1 & 0xFF
		mn := "stmia"
		in.kind = insnStore
		if load {
			in.kind, mn = insnLoad, "ldmia"
		}
		in.rn, in.width, in.count = int(hw1>>8&7), 4, popcount8(list)
		in.text = fmt.Sprintf("%s %s!, %s", mn, regName[in.rn], regList(list, ""))
	case hw1&0xFE00 == 0xB400: // PUSH {list, lr}
		extra := ""
		in.count = popcount8(hw1 & 0xFF)
		if hw1&0x100 != 0 {
			extra, in.count = "lr", in.count+1
		}
		in.kind, in.rn, in.width = insnStore, 13, 4
		in.imm = 0 - 4*in.count // the lowest address written is SP - 4*count
		in.text = "push " + regList(hw1&0xFF, extra)
	case hw1&0xFE00 == 0xBC00: // POP {list, pc}
		extra := ""
		in.count = popcount8(hw1 & 0xFF)
		if hw1&0x100 != 0 {
			extra, in.count, in.writesPC = "pc", in.count+1, true
		}
		in.kind, in.rn, in.width = insnLoad, 13, 4
		in.text = "pop " + regList(hw1&0xFF, extra)
	case hw1&0xFF00 == 0xDE00:
		in.kind, in.imm8 = insnUDF, uint32(hw1&0xFF)
		in.text = fmt.Sprintf("udf #%d", in.imm8)
	case hw1&0xFF00 == 0xDF00:
		in.kind, in.imm8 = insnSVC, uint32(hw1&0xFF)
		in.text = fmt.Sprintf("svc #%d", in.imm8)
	case hw1&0xFF00 == 0xBE00:
		in.kind, in.imm8 = insnBKPT, uint32(hw1&0xFF)
		in.text = fmt.Sprintf("bkpt 0x%04x", in.imm8)
	case hw1&0xFF07 == 0x4700: // BX Rm / BLX Rm
		in.kind, in.rm = insnBX, int(hw1>>3&0xF)
		mn := "bx"
		if hw1&0x80 != 0 {
			mn = "blx"
		}
		in.text = fmt.Sprintf("%s %s", mn, regName[in.rm])
	default:
		in.kind = insnNop
		in.text = fmt.Sprintf(".inst.n 0x%04x", hw1)
	}
	return in
}

// memAddress is the first address the access touches, from the registers
// of the faulting context; expr shows how ("r3+4"). ok is false when a
// register it needs is not known.
func (in insn) memAddress(r Regs) (addr uint32, expr string, ok bool) {
	if in.literal {
		return (in.addr+4)&^3 + in.imm, fmt.Sprintf("pc-relative literal at 0x%08x", (in.addr+4)&^3+in.imm), true
	}
	base, ok := r.Get(in.rn)
	if !ok {
		return 0, "", false
	}
	if in.rm >= 0 {
		off, ok := r.Get(in.rm)
		if !ok {
			return 0, "", false
		}
		return base + off, fmt.Sprintf("%s+%s = 0x%08x+0x%08x", regName[in.rn], regName[in.rm], base, off), true
	}
	off := int32(in.imm)
	switch {
	case off < 0:
		return base + in.imm, fmt.Sprintf("%s-%d", regName[in.rn], -off), true
	case off > 0:
		return base + in.imm, fmt.Sprintf("%s+%d", regName[in.rn], off), true
	}
	return base, regName[in.rn], true
}
