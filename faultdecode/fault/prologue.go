package fault

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// FrameRule is where a function without CFI keeps its caller's state at
// one PC, found by prologue analysis: CFA (the SP at the function's entry)
// = SP + CFA, and each register in Saved at CFA + Slot[reg] (negative).
// A saved LR is the return address; without one it is still in LR.
type FrameRule struct {
	CFA   uint32
	Saved uint16 // register mask
	Slot  [16]int32
	// FP says r7 holds CFA - FPOffset (set from SP in the prologue, not
	// written since: a frame pointer), where SP's rule may be off: SP
	// was lost, or the walk stopped before pc (code not walked may have
	// moved SP, as a VLA or alloca does). gdb's Thumb prologue analyzer
	// takes the frame from r7 the same way.
	FP       bool
	FPOffset uint32
	// SPLost says SP moved by an amount known only at run time (SUB sp,
	// sp, Rm; MOV sp, Rm): CFA is not SP-relative, only FP holds.
	SPLost bool
	// Epilogue says the rule came from the return instruction at PC
	// (POP {..., pc}, LDR pc, [sp], #4 or BX lr), not from the prologue.
	Epilogue bool
	Insns    int // instructions simulated from the function's start
}

// SavedAt reports the offset from the CFA where reg was saved.
func (r FrameRule) SavedAt(reg int) (int32, bool) {
	if reg < 0 || reg > 15 || r.Saved&(1<<reg) == 0 {
		return 0, false
	}
	return r.Slot[reg], true
}

func (r *FrameRule) save(reg int, off int32) {
	if r.Saved&(1<<reg) == 0 { // the first save holds the caller's value
		r.Saved |= 1 << reg
		r.Slot[reg] = off
	}
}

// MaxPrologueInsns bounds the simulation: a PC further into the function
// than this is taken to be in its body, after the prologue.
const MaxPrologueInsns = 64

// ErrNoRule says prologue analysis has no answer: code it cannot read, or
// an instruction that changes SP in a way it does not follow.
var ErrNoRule = errors.New("no prologue rule")

// AnalyzePrologue finds the frame rule at pc (Thumb bit cleared, an
// instruction not yet executed) of the Thumb function starting at fn, the
// way gdb's thumb_analyze_prologue does for code without CFI: it simulates
// the straight-line code from fn towards pc, following SP through PUSH
// (T1/T2/T3: STR lr, [sp, #-4]!), STMDB sp!, STRD [sp, #-imm]!, SUB sp (T1, T2, T3), VPUSH,
// and noting which registers went where. Conditional branches and
// IT-conditioned returns are passed through (the fall-through path leads
// on to the body); an unconditional branch, a return or the first
// instruction that releases stack (the start of an epilogue) ends the
// prologue before pc, and the state there is taken for the body. An
// instruction that writes SP in any other way gives ErrNoRule, unless the
// function set r7 from SP first (ADD r7, sp, #imm; MOV r7, sp): r7 is then
// its frame pointer, which the rule gives as well (FP), and SP moved by a
// run-time amount (a VLA, alloca) only marks SP as lost. Registers set
// from SP or r7 plus a constant (MOV, ADD, SUB) are followed, so SP set
// back from one (MOV sp, r7; SUB r4, r7, #28; MOV sp, r4) is known again.
//
// Epilogues: when the instruction at pc is itself POP {..., pc},
// LDR pc, [sp], #4 or BX lr, the rule is read from it (the stack is then
// exactly as that return expects), whatever the prologue did. A pc between
// an epilogue's first stack release and its return (after ADD sp, before
// POP {pc}) is not followed: the prologue's rule is given, off by what the
// release freed. pcInFunc false says pc is a return address just past the
// function's end (a call to a function that does not return): the
// instruction there is another function's, and is not read.
func AnalyzePrologue(code Memory, fn, pc uint32, pcInFunc bool) (FrameRule, error) {
	var rule FrameRule
	if pc < fn || pc-fn > 1<<16 {
		return rule, fmt.Errorf("%w: PC 0x%08x is not inside the function at 0x%08x", ErrNoRule, pc, fn)
	}
	var at [4]byte
	if n, _ := code.ReadMemory(at[:], uint64(pc)); n >= 2 && pcInFunc {
		hw1 := binary.LittleEndian.Uint16(at[:])
		hw2 := binary.LittleEndian.Uint16(at[2:])
		if n < 4 {
			hw2 = 0
		}
		if r, ok := returnRule(hw1, hw2); ok {
			return r, nil
		}
	}
	end := min(pc, fn+4*MaxPrologueInsns)
	buf := make([]byte, end-fn+4)
	n, _ := code.ReadMemory(buf, uint64(fn))
	if uint32(n) < end-fn {
		return rule, fmt.Errorf("%w: code 0x%08x-0x%08x unreadable", ErrNoRule, fn, end)
	}
	buf = buf[:n]
	var off int32      // SP - CFA
	var val [16]cfaRel // other registers that hold CFA + a constant
	var num [16]known  // registers that hold a constant (for ADD sp, Rm)
	itLeft := 0
	reached := false
	for a := uint32(0); fn+a < end && rule.Insns < MaxPrologueInsns; {
		if int(a)+2 > len(buf) {
			return rule, fmt.Errorf("%w: code at 0x%08x unreadable", ErrNoRule, fn+a)
		}
		hw1 := binary.LittleEndian.Uint16(buf[a:])
		var hw2 uint16
		if Is32(hw1) {
			if int(a)+4 > len(buf) {
				return rule, fmt.Errorf("%w: code at 0x%08x unreadable", ErrNoRule, fn+a)
			}
			hw2 = binary.LittleEndian.Uint16(buf[a+2:])
		}
		in := DecodeThumb(fn+a, hw1, hw2)
		if fn+a+in.Size > pc {
			return rule, fmt.Errorf("%w: PC 0x%08x is inside the instruction at 0x%08x", ErrNoRule, pc, fn+a)
		}
		conditional := itLeft > 0
		if conditional {
			itLeft--
		}
		e := spEffectOf(in, hw1, hw2)
		if rm, ok := addSPReg(hw1, in.Size); ok && e.kind == spUnknown && num[rm].ok && !conditional {
			// ARMv6-M's large frames: LDR rN, =-size; ADD sp, rN (as
			// gdb's thumb_analyze_prologue follows literal constants).
			if d := int32(num[rm].v); d < 0 && d > -(1<<24) {
				e = spEffect{kind: spAlloc, bytes: -d}
			} else if d >= 0 {
				e = spEffect{kind: spRelease}
			}
		}
		rd, rn, add, derived := deriveReg(hw1, hw2)
		src := cfaRel{}
		switch {
		case !derived:
		case rn == RegSP:
			src = cfaRel{ok: !rule.SPLost, off: off + add}
		case rn < 16:
			src = cfaRel{ok: val[rn].ok, off: val[rn].off + add}
		}
		if e.kind == spUnknown && !conditional {
			switch {
			case derived && rd == RegSP && src.ok:
				off, rule.SPLost = src.off, false // e.g. MOV sp, r7
				e.kind = spNone
			case val[RegFP].ok:
				rule.SPLost = true // a VLA, alloca: r7 still holds
				e.kind = spNone
			}
		}
		if e.kind != spRelease && e.kind != spReturn {
			// (An epilogue's pop ends the walk, or is a return the
			// path to pc did not take.)
			for reg := 0; reg < 16; reg++ {
				if reg != RegSP && (in.Call && callClobbers&(1<<reg) != 0 || writesReg(in, hw1, hw2, reg)) {
					val[reg] = cfaRel{}
				}
			}
			if derived && rd != RegSP && !conditional {
				val[rd] = src
			}
			for reg := 0; reg < 16; reg++ {
				if in.Call && callClobbers&(1<<reg) != 0 || writesReg(in, hw1, hw2, reg) {
					num[reg] = known{}
				}
			}
			if !conditional && in.Rd >= 0 && in.Rd < RegSP {
				num[in.Rd] = constantSet(code, in, num[in.Rd])
			}
		}
		switch {
		case e.kind == spNone:
		case rule.SPLost && e.kind == spAlloc:
			// A push below a run-time-sized area: what it saves is
			// not at a known offset from the CFA.
			return rule, fmt.Errorf("%w: %s at 0x%08x after SP was lost", ErrNoRule, in.Text, in.Addr)
		case conditional && e.kind == spReturn:
			// A conditional early return: the path to pc did not take it.
		case conditional:
			return rule, fmt.Errorf("%w: conditional SP change at 0x%08x", ErrNoRule, in.Addr)
		case e.kind == spAlloc:
			off -= e.bytes
			for reg := 0; reg < 16; reg++ {
				if e.regs&(1<<reg) != 0 {
					rule.save(reg, off+4*int32(popcount16(e.regs&(1<<reg-1))))
				}
			}
		case e.kind == spRelease || e.kind == spReturn:
			// An epilogue before pc: the body after it runs with
			// the frame as it was (compilers lay out early returns
			// in line and branch around them).
			return finish(rule, off, val[RegFP], false), nil
		default:
			return rule, fmt.Errorf("%w: %s at 0x%08x changes SP", ErrNoRule, in.Text, in.Addr)
		}
		rule.Insns++
		a += in.Size
		if in.IT > 0 {
			itLeft = in.IT
		}
		if in.Ends && !conditional {
			break // an unconditional branch: pc is reached from elsewhere
		}
		reached = fn+a == pc
	}
	return finish(rule, off, val[RegFP], reached), nil
}

// finish completes a rule from SP's offset and r7's at the end of the
// walk; reached says the walk ended at pc itself, where SP's rule is
// exact and r7's is not needed.
func finish(r FrameRule, off int32, fp cfaRel, reached bool) FrameRule {
	if !r.SPLost {
		r.CFA = uint32(-off)
	}
	if fp.ok && (r.SPLost || !reached) {
		r.FP, r.FPOffset = true, uint32(-fp.off)
	}
	return r
}

// known is a register's constant value, where ok.
type known struct {
	ok bool
	v  uint32
}

// constantSet is the constant in sets its destination to (MOV/MOVW
// immediate, MOVT over a known low half, a literal load), given the
// destination's value before.
func constantSet(code Memory, in Insn, prev known) known {
	switch {
	case in.Const:
		return known{true, in.Value}
	case in.Movt && prev.ok:
		return known{true, prev.v&0xFFFF | in.Value<<16}
	case in.Literal && in.Kind == InsnLoad && in.Width == 4:
		at, _, _ := in.MemAddress(Regs{})
		if v, err := Read32(code, uint64(at)); err == nil {
			return known{true, v}
		}
	}
	return known{}
}

// addSPReg recognises ADD sp, Rm (T2, 16-bit) and returns Rm.
func addSPReg(hw1 uint16, size uint32) (int, bool) {
	if size != 2 || hw1&0xFF87 != 0x4485 {
		return 0, false
	}
	return int(hw1 >> 3 & 0xF), true
}

// cfaRel is a register's value as CFA + off, where ok.
type cfaRel struct {
	ok  bool
	off int32
}

// callClobbers are the registers a call does not preserve (AAPCS).
const callClobbers = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<12 | 1<<RegLR

// deriveReg recognises rd = rn + add for the register moves and
// immediate additions compilers set frame pointers and restore SP with:
// MOV(S) rd, rm; ADD rd, sp, #imm; ADDS/SUBS rd, rn, #imm3;
// ADDS/SUBS rdn, #imm8; ADD(S).W/SUB(S).W rd, rn, #const; ADDW/SUBW;
// MOV.W rd, rm.
func deriveReg(hw1, hw2 uint16) (rd, rn int, add int32, ok bool) {
	imm12 := uint32(hw1>>10&1)<<11 | uint32(hw2>>12&7)<<8 | uint32(hw2&0xFF)
	switch {
	case hw1&0xFF00 == 0x4600: // MOV rd, rm (T1)
		rd, rn = int(hw1>>7&1)<<3|int(hw1&7), int(hw1>>3&0xF)
	case hw1&0xFFC0 == 0x0000: // MOVS rd, rm (T2, LSLS #0)
		rd, rn = int(hw1&7), int(hw1>>3&7)
	case hw1&0xF800 == 0xA800: // ADD rd, sp, #imm8*4
		rd, rn, add = int(hw1>>8&7), RegSP, int32(hw1&0xFF)*4
	case hw1&0xFE00 == 0x1C00: // ADDS rd, rn, #imm3
		rd, rn, add = int(hw1&7), int(hw1>>3&7), int32(hw1>>6&7)
	case hw1&0xFE00 == 0x1E00: // SUBS rd, rn, #imm3
		rd, rn, add = int(hw1&7), int(hw1>>3&7), -int32(hw1>>6&7)
	case hw1&0xF800 == 0x3000: // ADDS rdn, #imm8
		rd, rn, add = int(hw1>>8&7), int(hw1>>8&7), int32(hw1&0xFF)
	case hw1&0xF800 == 0x3800: // SUBS rdn, #imm8
		rd, rn, add = int(hw1>>8&7), int(hw1>>8&7), -int32(hw1&0xFF)
	case hw1&0xFBE0 == 0xF100 && hw2&0x8000 == 0: // ADD(S).W rd, rn, #const
		rd, rn, add = int(hw2>>8&0xF), int(hw1&0xF), int32(thumbExpandImm(imm12))
	case hw1&0xFBE0 == 0xF1A0 && hw2&0x8000 == 0: // SUB(S).W rd, rn, #const
		rd, rn, add = int(hw2>>8&0xF), int(hw1&0xF), -int32(thumbExpandImm(imm12))
	case hw1&0xFBF0 == 0xF200 && hw2&0x8000 == 0: // ADDW rd, rn, #imm12
		rd, rn, add = int(hw2>>8&0xF), int(hw1&0xF), int32(imm12)
	case hw1&0xFBF0 == 0xF2A0 && hw2&0x8000 == 0: // SUBW rd, rn, #imm12
		rd, rn, add = int(hw2>>8&0xF), int(hw1&0xF), -int32(imm12)
	case hw1&0xFFEF == 0xEA4F && hw2&0x70F0 == 0: // MOV(S).W rd, rm
		rd, rn = int(hw2>>8&0xF), int(hw2&0xF)
	default:
		return 0, 0, 0, false
	}
	if rd == RegPC || rn == RegPC {
		return 0, 0, 0, false // a branch, ADR, or CMN/CMP: nothing to follow
	}
	return rd, rn, add, true
}

// writesReg says whether in may write reg, looking closer at the 32-bit
// instructions the data-flow decoder does not take apart.
func writesReg(in Insn, hw1, hw2 uint16, reg int) bool {
	if in.Writes&(1<<reg) == 0 {
		return false
	}
	return in.Writes != allRegs || writesReg32(hw1, hw2, uint16(reg))
}

func popcount16(v uint16) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

type spKind int

const (
	spNone    spKind = iota
	spAlloc          // SP decreases by bytes, storing regs at the bottom, ascending
	spRelease        // SP increases (ADD sp, POP without pc, VPOP): an epilogue
	spReturn         // a return: POP {..., pc}, LDR pc, [sp], #4, BX lr
	spUnknown        // SP changes in a way not followed
)

type spEffect struct {
	kind  spKind
	bytes int32
	regs  uint16
}

// spEffectOf says what in does to SP, from the decoder's register writes
// and the stack encodings of the prologues and epilogues compilers emit.
func spEffectOf(in Insn, hw1, hw2 uint16) spEffect {
	if in.Size == 2 {
		switch {
		case hw1&0xFE00 == 0xB400: // PUSH {list, lr} (T1)
			regs := hw1&0xFF | (hw1>>8&1)<<RegLR
			return spEffect{kind: spAlloc, bytes: 4 * int32(popcount16(regs)), regs: regs}
		case hw1&0xFF80 == 0xB080: // SUB sp, sp, #imm7*4
			return spEffect{kind: spAlloc, bytes: int32(hw1&0x7F) * 4}
		case hw1&0xFF80 == 0xB000: // ADD sp, sp, #imm7*4
			return spEffect{kind: spRelease}
		case hw1&0xFE00 == 0xBC00: // POP
			if hw1&0x100 != 0 {
				return spEffect{kind: spReturn}
			}
			return spEffect{kind: spRelease}
		case hw1 == 0x4770: // BX lr
			return spEffect{kind: spReturn}
		}
		if in.Writes&(1<<RegSP) != 0 {
			return spEffect{kind: spUnknown}
		}
		return spEffect{}
	}
	rd := hw2 >> 8 & 0xF
	switch {
	case hw1 == 0xE92D && hw2&0xA000 == 0: // PUSH.W / STMDB sp!, {list} (T2)
		return spEffect{kind: spAlloc, bytes: 4 * int32(popcount16(hw2)), regs: hw2}
	case hw1 == 0xF84D && hw2&0x0FFF == 0x0D04: // STR Rt, [sp, #-4]! (PUSH T3)
		return spEffect{kind: spAlloc, bytes: 4, regs: 1 << (hw2 >> 12)}
	case hw1 == 0xE96D && hw2>>12 < hw2>>8&0xF && hw2>>8&0xF < RegSP: // STRD Rt, Rt2, [sp, #-imm]! (newlib's strlen)
		return spEffect{kind: spAlloc, bytes: int32(hw2&0xFF) * 4, regs: 1<<(hw2>>12) | 1<<(hw2>>8&0xF)}
	case hw1 == 0xE8FD: // LDRD Rt, Rt2, [sp], #imm: its epilogue
		return spEffect{kind: spRelease}
	case hw1&0xFFBF == 0xED2D && hw2&0x0E00 == 0x0A00: // VPUSH {d or s regs}: imm8 words
		return spEffect{kind: spAlloc, bytes: int32(hw2&0xFF) * 4}
	case hw1&0xFBEF == 0xF1AD && hw2&0x8000 == 0 && rd == RegSP: // SUB(S).W sp, sp, #const (T2)
		return spEffect{kind: spAlloc, bytes: int32(thumbExpandImm(uint32(hw1>>10&1)<<11 | uint32(hw2>>12&7)<<8 | uint32(hw2&0xFF)))}
	case hw1&0xFBFF == 0xF2AD && hw2&0x8000 == 0 && rd == RegSP: // SUBW sp, sp, #imm12 (T3)
		return spEffect{kind: spAlloc, bytes: int32(uint32(hw1>>10&1)<<11 | uint32(hw2>>12&7)<<8 | uint32(hw2&0xFF))}
	case (hw1&0xFBEF == 0xF10D || hw1&0xFBFF == 0xF20D) && hw2&0x8000 == 0 && rd == RegSP: // ADD.W / ADDW sp, sp, #imm
		return spEffect{kind: spRelease}
	case hw1 == 0xE8BD: // POP.W / LDMIA sp!, {list}
		if hw2&0x8000 != 0 {
			return spEffect{kind: spReturn}
		}
		return spEffect{kind: spRelease}
	case hw1 == 0xF85D && hw2&0x0FFF == 0x0B04: // LDR Rt, [sp], #4 (POP T3)
		if hw2>>12 == RegPC {
			return spEffect{kind: spReturn}
		}
		return spEffect{kind: spRelease}
	case hw1&0xFFBF == 0xECBD && hw2&0x0E00 == 0x0A00: // VPOP
		return spEffect{kind: spRelease}
	}
	// allRegs is the decoder's "not taken apart": look closer.
	if !writesReg(in, hw1, hw2, RegSP) {
		return spEffect{}
	}
	return spEffect{kind: spUnknown}
}

// writesReg32 is, for a 32-bit instruction the data-flow decoder does not
// take apart, whether it may write reg: false only for the groups whose
// destinations are read here (loads and stores multiple, dual and
// exclusive, long multiply and divide, coprocessor and FP instructions,
// MRS/MSR, hints and barriers).
func writesReg32(hw1, hw2, reg uint16) bool {
	rn := hw1 & 0xF
	wback := hw1&0x20 != 0
	switch {
	case hw1&0xFE40 == 0xE800: // LDM/STM
		load := hw1&0x10 != 0
		return (wback && rn == reg) || (load && hw2&(1<<reg) != 0)
	case hw1&0xFE40 == 0xE840: // LDRD/STRD, LDREX/STREX, TBB/TBH
		return (wback && rn == reg) || hw2>>12 == reg || hw2>>8&0xF == reg
	case hw1&0xFF80 == 0xFB80: // long multiply, divide
		return hw2>>12 == reg || hw2>>8&0xF == reg
	case hw1&0xEFE0 == 0xEC40: // 64-bit transfers to core registers (VMOV, MRRC)
		return hw2>>12 == reg || rn == reg
	case hw1&0xEE00 == 0xEC00: // coprocessor/FP loads and stores
		return wback && rn == reg
	case hw1&0xEF00 == 0xEE00: // coprocessor/FP data processing and register transfers
		return hw2&0x10 != 0 && hw1&0x10 != 0 && hw2>>12 == reg
	case hw1&0xFFE0 == 0xF3E0 && hw2&0xC000 == 0x8000: // MRS Rd, spec_reg
		return hw2>>8&0xF == reg
	case hw1&0xFFE0 == 0xF380 && hw2&0xC000 == 0x8000: // MSR spec_reg, Rn
		sysm := hw2 & 0xFF
		return reg == RegSP && (sysm == 8 || sysm == 9) // MSP, PSP
	case hw1&0xFFF0 == 0xF3A0 && hw2&0xD000 == 0x8000, // hints (NOP.W, WFI, ...)
		hw1&0xFFF0 == 0xF3B0 && hw2&0xD000 == 0x8000: // barriers (DSB, DMB, ISB)
		return false
	}
	return true
}

// returnRule reads the frame rule off a return instruction: the stack
// then holds exactly what the return pops.
func returnRule(hw1, hw2 uint16) (FrameRule, bool) {
	var r FrameRule
	r.Epilogue = true
	var regs uint16
	switch {
	case hw1&0xFF00 == 0xBD00: // POP {list, pc} (T1)
		regs = hw1&0xFF | 1<<RegPC
	case hw1 == 0xE8BD && hw2&0x8000 != 0 && hw2&(1<<RegSP) == 0: // POP.W {list, pc}
		regs = hw2
	case hw1 == 0xF85D && hw2 == 0xFB04: // LDR pc, [sp], #4
		regs = 1 << RegPC
	case hw1 == 0x4770: // BX lr: everything is restored
		return r, true
	default:
		return r, false
	}
	n := int32(popcount16(regs))
	r.CFA = uint32(4 * n)
	for reg, i := 0, int32(0); reg < 16; reg++ {
		if regs&(1<<reg) == 0 {
			continue
		}
		// The slot PC is popped from holds the return address, which a
		// CFI row would call LR's.
		dst := reg
		if reg == RegPC {
			dst = RegLR
		}
		r.save(dst, -4*n+4*i)
		i++
	}
	return r, true
}
