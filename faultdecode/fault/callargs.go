package fault

import (
	"encoding/binary"
	"fmt"
)

// Reading a call's constant arguments back from the code that made it:
// by the time an assert handler traps, r0-r3 have been reused, but the
// caller loaded the file name, line and expression from constants
// (movs r1, #42; movw r1, #960; ldr r0, [pc, #16]; adr r3, str) just
// before its BL.

const allRegs = 0xFFFF

// dataFlow fills in's data-flow fields (Writes, Rd, Const, Value, Call,
// Branch, Target, Ends, IT) from its encoding.
func dataFlow(in *Insn, hw1, hw2 uint16) {
	in.Rd = -1
	if in.Size == 4 {
		dataFlow32(in, hw1, hw2)
		return
	}
	lo := func(r uint16) uint16 { return 1 << (r & 7) }
	switch {
	case hw1>>13 == 0: // shift by immediate, add/sub register or imm3
		in.Writes = lo(hw1)
	case hw1>>13 == 1: // MOVS/CMP/ADDS/SUBS Rd, #imm8
		rd := hw1 >> 8 & 7
		switch hw1 >> 11 & 3 {
		case 0:
			in.Writes, in.Rd, in.Const, in.Value = lo(rd), int(rd), true, uint32(hw1&0xFF)
			in.Text = fmt.Sprintf("movs %s, #%d", RegNames[rd], in.Value)
		case 1: // CMP
		default:
			in.Writes = lo(rd)
		}
	case hw1>>10 == 0x10: // data processing
		if op := hw1 >> 6 & 0xF; op != 8 && op != 10 && op != 11 { // not TST, CMP, CMN
			in.Writes = lo(hw1)
		}
	case hw1>>10 == 0x11: // special data processing, BX, BLX
		rd := hw1>>4&8 | hw1&7
		switch hw1 >> 8 & 3 {
		case 0, 2: // ADD, MOV (high registers)
			in.Writes = 1 << rd
			if rd == 15 {
				in.Ends = true
			}
		case 3:
			if hw1&0x80 != 0 {
				in.Call = true
			} else {
				in.Ends = true
			}
		}
	case hw1>>11 == 0x09: // LDR Rt, [PC, #imm8*4]
		in.Rd = int(hw1 >> 8 & 7)
		in.Writes = 1 << in.Rd
	case hw1>>12 == 0x5: // load/store register offset
		if hw1>>9&7 >= 3 {
			in.Writes = lo(hw1)
		}
	case hw1>>13 == 0x3, hw1>>12 == 0x8: // LDR/STR(B/H) immediate
		if hw1&0x0800 != 0 {
			in.Writes = lo(hw1)
		}
	case hw1>>12 == 0x9: // LDR/STR SP-relative
		if hw1&0x0800 != 0 {
			in.Writes = lo(hw1 >> 8)
		}
	case hw1>>11 == 0x14: // ADR Rd, label
		rd := hw1 >> 8 & 7
		in.Writes, in.Rd, in.Const = lo(rd), int(rd), true
		in.Value = (in.Addr+4)&^3 + uint32(hw1&0xFF)*4
		in.Text = fmt.Sprintf("adr %s, 0x%08x", RegNames[rd], in.Value)
	case hw1>>11 == 0x15: // ADD Rd, SP, #imm
		in.Writes = lo(hw1 >> 8)
	case hw1>>12 == 0xB: // miscellaneous
		switch {
		case hw1&0xFF00 == 0xB000: // ADD/SUB SP, #imm
			in.Writes = 1 << 13
		case hw1&0xF500 == 0xB100: // CBZ, CBNZ
			in.Branch = true
			in.Target = in.Addr + 4 + (uint32(hw1>>9&1)<<6 | uint32(hw1>>3&0x1F)<<1)
		case hw1&0xFF00 == 0xB200, hw1&0xFF00 == 0xBA00: // extend, reverse
			in.Writes = lo(hw1)
		case hw1&0xFE00 == 0xB400: // PUSH
			in.Writes = 1 << 13
		case hw1&0xFE00 == 0xBC00: // POP
			in.Writes = hw1&0xFF | 1<<13
			if hw1&0x100 != 0 {
				in.Ends = true
			}
		case hw1&0xFF00 == 0xBF00 && hw1&0xF != 0: // IT
			in.IT = 4
			for m := hw1 & 0xF; m&1 == 0; m >>= 1 {
				in.IT--
			}
		}
	case hw1>>12 == 0xC: // LDM/STM Rn!, {list}
		in.Writes = lo(hw1 >> 8)
		if hw1&0x0800 != 0 {
			in.Writes |= hw1 & 0xFF
		}
	case hw1>>12 == 0xD: // B<c>, UDF, SVC
		if cond := hw1 >> 8 & 0xF; cond < 0xE {
			in.Branch = true
			in.Target = in.Addr + 4 + uint32(int32(int8(hw1&0xFF))*2)
		}
	case hw1>>11 == 0x1C: // B
		in.Branch, in.Ends = true, true
		in.Target = in.Addr + 4 + uint32(int32(int16(hw1<<5))>>4)
	}
}

// dataFlow32 is dataFlow for the 32-bit encodings.
func dataFlow32(in *Insn, hw1, hw2 uint16) {
	in.Writes = allRegs
	rd := hw2 >> 8 & 0xF
	imm12 := uint32(hw1>>10&1)<<11 | uint32(hw2>>12&7)<<8 | uint32(hw2&0xFF)
	setConst := func(v uint32, text string) {
		in.Writes, in.Rd, in.Const, in.Value, in.Text = 1<<rd, int(rd), true, v, text
	}
	switch {
	case isBL(hw1, hw2):
		in.Writes, in.Call = 0, true
		in.Text = fmt.Sprintf("bl 0x%08x", blTarget(in.Addr, hw1, hw2))
	case hw1&0xF800 == 0xF000 && hw2&0xD000 == 0x9000: // B.W (T4)
		in.Writes, in.Branch, in.Ends = 0, true, true
		in.Target = blTarget(in.Addr, hw1, hw2)
	case hw1&0xF800 == 0xF000 && hw2&0xD000 == 0x8000 && hw1>>7&7 != 7: // B<c>.W (T3)
		s := uint32(hw1>>10) & 1
		off := s<<20 | uint32(hw2>>11&1)<<19 | uint32(hw2>>13&1)<<18 | uint32(hw1&0x3F)<<12 | uint32(hw2&0x7FF)<<1
		if s == 1 {
			off |= 0xFFE00000
		}
		in.Writes, in.Branch, in.Target = 0, true, in.Addr+4+off
	case hw1&0xFFF0 == 0xE8D0 && hw2&0xFFE0 == 0xF000: // TBB, TBH: targets in a table
		in.Writes, in.Ends = 0, true
	case hw1&0xFBEF == 0xF04F && hw2&0x8000 == 0: // MOV(S).W Rd, #const
		v := thumbExpandImm(imm12)
		setConst(v, fmt.Sprintf("mov.w %s, #%d", RegNames[rd], v))
	case hw1&0xFBEF == 0xF06F && hw2&0x8000 == 0: // MVN(S) Rd, #const
		v := ^thumbExpandImm(imm12)
		setConst(v, fmt.Sprintf("mvn %s, #%d", RegNames[rd], ^v))
	case hw1&0xFBF0 == 0xF240 && hw2&0x8000 == 0: // MOVW Rd, #imm16
		v := uint32(hw1&0xF)<<12 | imm12
		setConst(v, fmt.Sprintf("movw %s, #%d", RegNames[rd], v))
	case hw1&0xFBF0 == 0xF2C0 && hw2&0x8000 == 0: // MOVT Rd, #imm16
		in.Writes, in.Rd, in.Movt, in.Value = 1<<rd, int(rd), true, uint32(hw1&0xF)<<12|imm12
		in.Text = fmt.Sprintf("movt %s, #%d", RegNames[rd], in.Value)
	case hw1&0xFBFF == 0xF20F && hw2&0x8000 == 0: // ADR.W Rd, label (add)
		v := (in.Addr+4)&^3 + imm12
		setConst(v, fmt.Sprintf("adr.w %s, 0x%08x", RegNames[rd], v))
	case hw1&0xFBFF == 0xF2AF && hw2&0x8000 == 0: // ADR.W Rd, label (sub)
		v := (in.Addr+4)&^3 - imm12
		setConst(v, fmt.Sprintf("adr.w %s, 0x%08x", RegNames[rd], v))
	case hw1&0xFF7F == 0xF85F: // LDR.W Rt, [PC, #+/-imm12]
		rt := hw2 >> 12
		in.Kind, in.Literal, in.Width, in.Count, in.Rn = InsnLoad, true, 4, 1, 15
		in.Imm = uint32(hw2 & 0xFFF)
		if hw1&0x80 == 0 {
			in.Imm = -in.Imm
		}
		in.Writes, in.Rd = 1<<rt, int(rt)
		in.Text = fmt.Sprintf("ldr.w %s, [pc, #%d]", RegNames[rt], int32(in.Imm))
	case hw1&0xFA00 == 0xF000 && hw2&0x8000 == 0, // data processing, modified immediate
		hw1&0xFA00 == 0xF200 && hw2&0x8000 == 0, // plain binary immediate
		hw1&0xFE00 == 0xEA00,                    // shifted register
		hw1&0xFF00 == 0xFA00,                    // register
		hw1&0xFF80 == 0xFB00:                    // multiply
		in.Writes = 1 << rd
		if rd == 15 {
			in.Writes = 0 // TST, TEQ, CMP, CMN
		}
	case hw1&0xFE00 == 0xF800: // single loads and stores
		rt, rn := hw2>>12, hw1&0xF
		in.Writes = 0
		if hw1&0x10 != 0 && rt != 15 { // a load (not PLD)
			in.Writes = 1 << rt
		}
		if hw1&0x80 == 0 && hw2&0x0900 == 0x0900 { // T4 with write-back
			in.Writes |= 1 << rn
		}
	}
}

// thumbExpandImm is ThumbExpandImm of the ARM ARM (A5.3.2): a 12-bit
// modified immediate to its 32-bit value.
func thumbExpandImm(imm12 uint32) uint32 {
	b := imm12 & 0xFF
	if imm12>>10 == 0 {
		switch imm12 >> 8 & 3 {
		case 0:
			return b
		case 1:
			return b<<16 | b
		case 2:
			return b<<24 | b<<8
		}
		return b<<24 | b<<16 | b<<8 | b
	}
	v, rot := 0x80|imm12&0x7F, imm12>>7
	return v>>rot | v<<(32-rot)
}

// An Arg is an argument register's value at a call as read from the code
// before it.
type Arg struct {
	Known bool
	Value uint32
	From  string // the instruction that set it, e.g. "movw r1, #960"
}

// CallArgs reads the constants r0-r3 held at the call just before return
// address ret (Thumb bit cleared) in the function starting at fn: decoding
// from fn to the call, a register is known when the straight-line code
// before the call last set it from a constant or a literal pool word, with
// no branch target, call or other write in between. ok is false when the
// code is not readable or decoding from fn does not reach the call (data
// inside the function).
func CallArgs(code Memory, fn, ret uint32) (args [4]Arg, ok bool) {
	regs, call, ok := regsAtCall(code, fn, ret)
	if !call.Call {
		return args, false
	}
	copy(args[:], regs[:4])
	return args, ok
}

// RegTarget is the function a BLX Rm or BX Rm ending just before after
// (Thumb bit cleared) in the function starting at fn branches to, when the
// code before it set Rm from a constant: -mlong-calls calls (`ldr r3,
// [pc, #n]; blx r3`, or movw/movt) and tail calls (`ldr r1, [pc]; bx r1`,
// which clang describes only as DW_AT_call_target DW_OP_reg1). 0 for any
// other instruction or an Rm not known that way.
func RegTarget(code Memory, fn, after uint32) uint32 {
	regs, br, ok := regsAtCall(code, fn, after)
	if !ok || br.Kind != InsnBX || br.Size != 2 || br.Rm < 0 || br.Rm > 12 {
		return 0
	}
	r := regs[br.Rm]
	if !r.Known || r.Value&1 == 0 { // an even address would leave Thumb state: not code here
		return 0
	}
	return r.Value &^ 1
}

// regsAtCall decodes from fn to the call (or BX Rm) just before ret and
// returns the registers known there (see CallArgs) and that instruction.
func regsAtCall(code Memory, fn, ret uint32) (regs [16]Arg, callInsn Insn, ok bool) {
	call := ret - 4
	if ret < 4 || fn > call || call-fn > 1<<16 {
		return regs, callInsn, false
	}
	buf := make([]byte, call-fn+4)
	if n, _ := code.ReadMemory(buf, uint64(fn)); n != len(buf) {
		return regs, callInsn, false
	}
	var insns []Insn
	targets := map[uint32]bool{}
	for at := uint32(0); at < uint32(len(buf)); {
		hw1 := binary.LittleEndian.Uint16(buf[at:])
		var hw2 uint16
		if Is32(hw1) {
			if at+4 > uint32(len(buf)) {
				return regs, callInsn, false
			}
			hw2 = binary.LittleEndian.Uint16(buf[at+2:])
		}
		in := DecodeThumb(fn+at, hw1, hw2)
		insns = append(insns, in)
		if in.Branch {
			targets[in.Target] = true
		}
		at += in.Size
	}
	// The sweep must end on the call: a BL at ret-4 or a BLX Rm at ret-2.
	callInsn = insns[len(insns)-1]
	if !callInsn.Call && callInsn.Kind != InsnBX || callInsn.Addr+callInsn.Size != ret {
		return regs, callInsn, false
	}
	conditional := 0
	for _, in := range insns[:len(insns)-1] {
		if targets[in.Addr] {
			regs = [16]Arg{}
		}
		cond := conditional > 0
		if cond {
			conditional--
		}
		var prev Arg
		if in.Rd >= 0 {
			prev = regs[in.Rd]
		}
		hw1, hw2 := uint16(in.Raw), uint16(0)
		if in.Size == 4 {
			hw1, hw2 = uint16(in.Raw>>16), uint16(in.Raw)
		}
		for r := 0; r < 16; r++ {
			// writesReg looks into the 32-bit groups dataFlow leaves
			// whole (an epilogue's ldmia.w, ISB, MSR) before a tail call
			// through a register.
			if writesReg(in, hw1, hw2, r) {
				regs[r] = Arg{}
			}
		}
		switch {
		case cond || in.Rd < 0:
		case in.Const:
			regs[in.Rd] = Arg{Known: true, Value: in.Value, From: in.Text}
		case in.Movt:
			if prev.Known {
				v := prev.Value&0xFFFF | in.Value<<16
				regs[in.Rd] = Arg{Known: true, Value: v, From: prev.From + "; " + in.Text}
			}
		case in.Literal:
			at, _, _ := in.MemAddress(Regs{})
			if v, err := Read32(code, uint64(at)); err == nil {
				regs[in.Rd] = Arg{Known: true, Value: v, From: fmt.Sprintf("%s (literal 0x%08x at 0x%08x)", in.Text, v, at)}
			}
		}
		if in.Call {
			for _, r := range []int{0, 1, 2, 3, 12, 14} {
				regs[r] = Arg{}
			}
		}
		if in.Ends {
			regs = [16]Arg{}
		}
		if in.IT > 0 {
			conditional = in.IT
		}
	}
	if targets[callInsn.Addr] {
		return [16]Arg{}, callInsn, true // the call is a branch target itself: paths merge there
	}
	return regs, callInsn, true
}
