package fault

import (
	"encoding/binary"
	"errors"
	"testing"
)

// codeAt is code at base, from the halfwords objdump prints.
type codeAt struct {
	base uint32
	b    []byte
}

func newCode(base uint32, hws ...uint16) codeAt {
	b := make([]byte, 2*len(hws))
	for i, hw := range hws {
		binary.LittleEndian.PutUint16(b[2*i:], hw)
	}
	return codeAt{base, b}
}

func (c codeAt) ReadMemory(buf []byte, addr uint64) (int, error) {
	if addr < uint64(c.base) || addr >= uint64(c.base)+uint64(len(c.b)) {
		return 0, errors.New("not code")
	}
	return copy(buf, c.b[addr-uint64(c.base):]), nil
}

// The code below is from firmware/unwindlab built with -g0 (objdump -d),
// unless marked "as:" (arm-none-eabi-as output for forms the lab's
// compilers did not emit).
var (
	// isr_preempt gcc-O2g0 SysTick_Handler at 0x134: push {r3, lr}, an
	// early `pop {r3, pc}` in line, the call to filter_average at 0x172.
	gccSysTick = newCode(0x134,
		0xb508, 0x4b15, 0x681b, 0xb903, 0xbd08, 0x4b14, 0x4914, 0x681a, // 134 push; ...; cbnz; pop {r3, pc}
		0x3201, 0x601a, 0x681b, 0xf003, 0x0303, 0xf831, 0x3013, // 144 adds; str; ldr; and.w; ldrh.w
		0xf5b3, 0x5f80, 0xd214, 0x4a0f, 0x6851, 0xf001, 0x0007, 0x3002, // 152 cmp.w; bcs; ldr; ldr; and.w; adds
		0xf842, 0x3020, 0x6810, 0x3101, 0x4403, 0x480a, 0xe9c2, 0x3100, // 162 str.w; ...; strd
		0xf7ff, 0xffd9, 0x2201, 0x4908, 0x4b09, 0x6008, 0x601a, 0xbd08) // 172 bl; ...; pop {r3, pc} at 0x180
	// isr_preempt clang-O2g0 SysTick_Handler at 0x27a: push {r7, lr};
	// mov r7, sp; an IT-conditioned early `popeq {r7, pc}`.
	clangSysTick = newCode(0x27a,
		0xb580, 0x466f, 0xf240, 0x201c, 0xf2c2, 0x0000, 0x6800, 0x2800, // 27a
		0xbf08, 0xbd80, 0xf240, 0x2020, 0xf2c2, 0x0000, 0x6801) // 28a it eq; popeq {r7, pc}; movw; movt; ldr
	// eh_storage_m0 gcc-O2g0 (Cortex-M0) journal_append at 0x250: a
	// 516-byte frame by a literal, ldr r4, =-516; add sp, r4 (Thumb-1 has
	// no large sub sp); the literal pool moved up next to the code.
	gccM0BigFrame = newCode(0x250,
		0xb530, 0x4c02, 0x8903, 0x44a5, 0x466a, 0x8013, // push {r4, r5, lr}; ldr r4, [pc, #8]; ldrh; add sp, r4; mov r2, sp; strh
		0xfdfc, 0xffff) // 0x25c: .word -516
	// isr_preempt gcc-O2g0 filter_average at 0x128: a leaf.
	gccLeaf = newCode(0x128, 0xe9d0, 0x2000, 0xfbb2, 0xf0f0, 0x4770) // ldrd; udiv; bx lr
	// isr_preempt gcc-O2g0 worker_thread at 0xc4: the push comes after
	// two mov.w.
	gccWorker = newCode(0xc4, 0xf04f, 0x0801, 0xf04f, 0x0900, 0xb580, 0x4e0b, 0x4d0b, 0x4c0c)
	// tailcall gcc-O2g0 cli_feed at 0x17c: push, sub sp #16, then an
	// early `add sp, #16; pop {r4, pc}` before the body.
	gccCliFeed = newCode(0x17c,
		0xb510, 0x280a, 0xb084, 0xd009, 0x4a1a, 0x6813, 0x2b2e, 0xd803, // 17c
		0x4919, 0x1c5c, 0x6014, 0x54c8, 0xb004, 0xbd10, 0x2000, 0x4c15, // 18c add sp at 0x194
		0x4b15, 0x6822, 0x5498, 0x781a, 0xb1da, 0x46ec, 0x4601, 0x2a20) // 19c
	// tailcall clang-O2g0 cli_feed at 0x3d0: push, add r7, sub sp, a
	// conditional branch, then an unconditional one at 0x436.
	clangCliFeed = newCode(0x3d0,
		0xb5b0, 0xaf02, 0xb084, 0xf240, 0x2420, 0xf2c2, 0x0400, 0x6821, // 3d0
		0x280a, 0xd129, 0xf240, 0x2024, 0xf2c2, 0x0000, 0x2500, 0x5445, // 3e0 cmp; bne
		0x7803, 0x2b00, 0xf000, 0x8145, 0x1d02, 0x2000, 0x2101, 0x2b20, // 3f0 beq.w
		0xd117, 0xf812, 0x3c03, 0xf802, 0x5c04, 0x2b20, 0xd11f, 0xf812, // 400
		0x3c02, 0xf802, 0x5c03, 0x2b20, 0xd11c, 0xf812, 0x3c01, 0xf802, // 410
		0x5c02, 0x2b20, 0xd119, 0x7813, 0xf802, 0x5c01, 0x3204, 0x2b20, // 420
		0xd0e7, 0xb1a3, 0x1f10, 0xe017, 0x292e, 0xd806) // 430 b.n at 0x436
	// m33_stkof clang-O2 parse_request at 0x100001d8: push, add r7,
	// stmdb sp!, subw sp.
	clangStmdbSubw = newCode(0x100001d8, 0xb5f0, 0xaf03, 0xe92d, 0x0b00, 0xf6ad, 0x3db8, 0x7801, 0xf04f, 0x0c00)
	// fpu_isr clang-O2 level_update at 0x194: push, mov r7, vpush {d8}.
	clangVpush = newCode(0x194, 0xb580, 0x466f, 0xed2d, 0x8b02, 0xf240, 0x001c, 0xeeb0, 0x8a40, 0xf2c2, 0x0000, 0x6800)
	// as: str lr, [sp, #-4]!; sub.w sp, sp, #1024; vpush {s16-s18}; ldrd r2, r3, [sp, #8].
	asSingles = newCode(0x1000, 0xf84d, 0xed04, 0xf5ad, 0x6d80, 0xed2d, 0x8a03, 0xe9dd, 0x2302, 0xbf00)
	// nl_float gcc-O2 (Debian newlib, ARMv7E-M hard float) strlen at
	// 0x3780: pld; strd r4, r5, [sp, #-8]!; ... ldrd r2, r3, [r1] at
	// 0x37a4, the load that faults.
	newlibStrlen = newCode(0x3780,
		0xf890, 0xf000, 0xe96d, 0x4502, 0xf020, 0x0107, 0xf06f, 0x0c00, // 3780 pld; strd; bic.w; mvn
		0xf010, 0x0407, 0xf891, 0xf020, 0xf040, 0x8049, 0xf04f, 0x0400, // 3790 ands.w; pld; bne.w; mov.w
		0xf06f, 0x0007, 0xe9d1, 0x2300) // 37a0 mvn; ldrd r2, r3, [r1]
	// as: push {r7, lr}; mov sp, r7 (SP from a register: not followed).
	asMovSP = newCode(0x2000, 0xb580, 0x46bd, 0xbf00)
	// vla_fp gcc-O2g0 reassemble at 0x150 (-fno-omit-frame-pointer):
	// stmdb sp!, {r4-r8, lr}; add r7, sp, #0; a call; then the VLA,
	// sub.w sp, sp, r3 at 0x164, and the copy loop the fault is in.
	gccVLA = newCode(0x150,
		0xe92d, 0x41f0, 0xaf00, 0x4604, 0x460d, 0xf7ff, 0xffdb, 0x1dc3, // 150 stmdb; add r7; movs; bl
		0xf023, 0x0307, 0xebad, 0x0d03, 0x4606, 0x4668, 0xb19d, 0x2100, // 160 bic.w; sub.w sp, sp, r3; cbz
		0xeb04, 0x08c5, 0x88a5, 0x6823, 0xb155, 0x1e4a, 0x4402, 0xeb03, // 170
		0x0e05, 0xf813, 0xcb01) // 180 ldrb.w ip, [r3], #1 at 0x182
	// vla_fp clang-O2g0 reassemble at 0x364: push, add r7, sp, #12,
	// stmdb sp! {r8-r11}, sub sp; then the VLA: sub.w r0, sp, r0;
	// mov sp, r0 at 0x384.
	clangVLA = newCode(0x364,
		0xb5f0, 0xaf03, 0xe92d, 0x0f00, 0xb089, 0x460e, 0x4604, 0xf7ff, // 364
		0xffdd, 0xf847, 0x0c38, 0x3007, 0xf020, 0x0007, 0xebad, 0x0000, // 374 str.w r0, [r7, #-56]; ...; sub.w r0, sp, r0
		0x4685, 0x2e00, 0xf000, 0x8121, 0x2e01, 0xf006, 0x0101, 0xf847, // 384 mov sp, r0; cmp; beq.w
		0x0c28, 0xf847, 0x1c3c, 0xd11c, 0xf04f, 0x0e00, 0xf04f, 0x0900) // 394 bne.n; mov.w lr; mov.w r9 at 0x3a0
	// as: push {r7, lr}; mov r7, sp; sub.w sp, sp, r3; mov sp, r7; nop.
	asFPBack = newCode(0x4000, 0xb580, 0x466f, 0xebad, 0x0d03, 0x46bd, 0xbf00)
	// as: gcc's frame-pointer epilogue after a VLA: push {r4, r7, lr};
	// sub sp, #12; add r7, sp, #0; sub.w sp, sp, r3; adds r7, #12;
	// mov sp, r7; pop {r4, r7, pc}.
	asGccFPEpilogue = newCode(0x5000, 0xb590, 0xb083, 0xaf00, 0xebad, 0x0d03, 0x370c, 0x46bd, 0xbd90)
	// as: clang's: push {r4-r7, lr}; add r7, sp, #12; sub sp, #8;
	// mov sp, r0; sub.w r4, r7, #12; mov sp, r4; nop; pop {r4-r7, pc}.
	asClangFPEpilogue = newCode(0x6000, 0xb5f0, 0xaf03, 0xb082, 0x4685, 0xf1a7, 0x040c, 0x46a5, 0xbf00, 0xbdf0)
	// as: push {r7, lr}; mov r7, sp; ldr r7, [r0]; sub.w sp, sp, r3:
	// r7 is overwritten before SP is lost.
	asFPClobbered = newCode(0x7000, 0xb580, 0x466f, 0x6807, 0xebad, 0x0d03, 0xbf00)
	// as: pop.w {r4-r11, pc} and ldr pc, [sp], #4 as instructions at PC.
	asPopW = newCode(0x3000, 0xe8bd, 0x8ff0, 0xf85d, 0xfb04)
)

func TestAnalyzePrologueFindsTheFrameRule(t *testing.T) {
	type slots map[int]int32
	tests := []struct {
		name     string
		code     codeAt
		pc       uint32
		cfa      uint32
		saved    slots
		epilogue bool
		fp       uint32 // CFA = r7 + fp; 0: no frame pointer
		spLost   bool
	}{
		{"gcc: after the call, an early pop in line before it", gccSysTick, 0x176, 8, slots{3: -8, RegLR: -4}, false, 0, false},
		{"gcc: at the function's first instruction", gccSysTick, 0x134, 0, slots{}, false, 0, false},
		{"gcc: right after the push", gccSysTick, 0x136, 8, slots{3: -8, RegLR: -4}, false, 0, false},
		{"gcc: at the final pop {r3, pc}", gccSysTick, 0x180, 8, slots{3: -8, RegLR: -4}, true, 0, false},
		{"clang: an IT-conditioned early return is passed", clangSysTick, 0x296, 8, slots{7: -8, RegLR: -4}, false, 0, false},
		{"clang: at the conditional pop itself", clangSysTick, 0x28c, 8, slots{7: -8, RegLR: -4}, true, 0, false},
		{"a leaf: nothing saved, LR holds the return", gccLeaf, 0x12c, 0, slots{}, false, 0, false},
		{"a leaf at bx lr", gccLeaf, 0x130, 0, slots{}, true, 0, false},
		{"the push after other instructions", gccWorker, 0xd2, 8, slots{7: -8, RegLR: -4}, false, 0, false},
		{"before that push", gccWorker, 0xcc, 0, slots{}, false, 0, false},
		{"ARMv6-M: ldr r4, =-516; add sp, r4", gccM0BigFrame, 0x25a, 12 + 516, slots{4: -12, 5: -8, RegLR: -4}, false, 0, false},
		{"ARMv6-M: before add sp, r4", gccM0BigFrame, 0x256, 12, slots{4: -12, 5: -8, RegLR: -4}, false, 0, false},
		{"gcc: add sp before an early pop ends the prologue", gccCliFeed, 0x1a4, 24, slots{4: -8, RegLR: -4}, false, 0, false},
		{"gcc: inside the early epilogue, at its pop", gccCliFeed, 0x196, 8, slots{4: -8, RegLR: -4}, true, 0, false},
		{"clang: push, add r7, sub sp; a branch ends the prologue", clangCliFeed, 0x43c, 32, slots{4: -16, 5: -12, 7: -8, RegLR: -4}, false, 8, false},
		{"stmdb sp! and subw sp", clangStmdbSubw, 0x100001e6, 20 + 12 + 3000, slots{4: -20, 5: -16, 6: -12, 7: -8, RegLR: -4, 8: -32, 9: -28, 11: -24}, false, 0, false},
		{"vpush of d registers", clangVpush, 0x1a8, 16, slots{7: -8, RegLR: -4}, false, 0, false},
		{"str lr, [sp, #-4]!, sub.w sp, vpush of s registers", asSingles, 0x1010, 4 + 1024 + 12, slots{RegLR: -4}, false, 0, false},
		{"pop.w {r4-r11, pc} at PC", asPopW, 0x3000, 36, slots{4: -36, 5: -32, 6: -28, 7: -24, 8: -20, 9: -16, 10: -12, 11: -8, RegLR: -4}, true, 0, false},
		{"ldr pc, [sp], #4 at PC", asPopW, 0x3004, 4, slots{RegLR: -4}, true, 0, false},
		{"gcc -fno-omit-frame-pointer: a VLA's sub sp, sp, r3 leaves only r7", gccVLA, 0x182, 0, slots{4: -24, 5: -20, 6: -16, 7: -12, 8: -8, RegLR: -4}, false, 24, true},
		{"gcc: before the VLA, SP still counts", gccVLA, 0x164, 24, slots{4: -24, 5: -20, 6: -16, 7: -12, 8: -8, RegLR: -4}, false, 0, false},
		{"clang: a VLA's mov sp, r0 after stmdb and sub sp", clangVLA, 0x3a0, 0, slots{4: -20, 5: -16, 6: -12, 7: -8, RegLR: -4, 8: -36, 9: -32, 10: -28, 11: -24}, false, 8, true},
		{"mov sp, r7 puts SP back at the frame pointer", asFPBack, 0x400a, 8, slots{7: -8, RegLR: -4}, false, 0, false},
		{"newlib's strlen: strd r4, r5, [sp, #-8]! pushes two", newlibStrlen, 0x37a4, 8, slots{4: -8, 5: -4}, false, 0, false},
		{"gcc epilogue: adds r7 then mov sp, r7", asGccFPEpilogue, 0x500c, 0, slots{4: -12, 7: -8, RegLR: -4}, false, 12, true},
		{"clang epilogue: sub.w r4, r7 then mov sp, r4", asClangFPEpilogue, 0x600c, 0, slots{4: -20, 5: -16, 6: -12, 7: -8, RegLR: -4}, false, 8, true},
		{"clang epilogue: after mov sp, r4 SP is known again", asClangFPEpilogue, 0x600e, 20, slots{4: -20, 5: -16, 6: -12, 7: -8, RegLR: -4}, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := tt.code.base
			if tt.code.base == 0x3000 {
				fn = tt.pc // the pop is the function's code at PC
			}
			r, err := AnalyzePrologue(tt.code, fn, tt.pc, true)
			if err != nil {
				t.Fatalf("AnalyzePrologue: %v", err)
			}
			if r.CFA != tt.cfa || r.Epilogue != tt.epilogue || r.SPLost != tt.spLost {
				t.Errorf("CFA = SP+%d, epilogue %v, SP lost %v; want SP+%d, %v, %v", r.CFA, r.Epilogue, r.SPLost, tt.cfa, tt.epilogue, tt.spLost)
			}
			if fp := map[bool]uint32{true: r.FPOffset}[r.FP]; fp != tt.fp {
				t.Errorf("frame pointer rule CFA = r7+%d (%v), want r7+%d", r.FPOffset, r.FP, tt.fp)
			}
			for reg := 0; reg < 16; reg++ {
				off, ok := r.SavedAt(reg)
				want, wok := tt.saved[reg]
				if ok != wok || off != want {
					t.Errorf("r%d saved %v at CFA%+d; want %v at CFA%+d", reg, ok, off, wok, want)
				}
			}
		})
	}
}

// A return address past the function's end (a call that does not return)
// is followed by another function's code: a return there says nothing.
func TestAnalyzePrologueReadsNoReturnPastTheFunction(t *testing.T) {
	// gcc's SysTick_Handler with its final pop taken for the next
	// function's first instruction.
	r, err := AnalyzePrologue(gccSysTick, 0x134, 0x180, false)
	if err != nil || r.Epilogue || r.CFA != 8 {
		t.Errorf("got %+v, %v; want the prologue's rule (SP+8), not the pop's", r, err)
	}
	r, err = AnalyzePrologue(gccLeaf, 0x128, 0x130, false)
	if err != nil || r.Epilogue {
		t.Errorf("got %+v, %v; want the prologue's rule, not bx lr's", r, err)
	}
}

func TestAnalyzePrologueHasNoAnswer(t *testing.T) {
	tests := []struct {
		name string
		code codeAt
		fn   uint32
		pc   uint32
	}{
		{"SP set from a register", asMovSP, 0x2000, 0x2004},
		{"SP from a register after r7 stopped being the frame pointer", asFPClobbered, 0x7000, 0x700a},
		{"PC before the function", gccSysTick, 0x136, 0x134},
		{"PC inside a 32-bit instruction", gccWorker, 0xc4, 0xc6},
		{"code not readable", gccWorker, 0xc4, 0x100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := AnalyzePrologue(tt.code, tt.fn, tt.pc, true); !errors.Is(err, ErrNoRule) {
				t.Errorf("got %+v, %v; want ErrNoRule", r, err)
			}
		})
	}
}
