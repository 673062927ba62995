package fault

import (
	"strings"
	"testing"
)

// byteMem is code at address 0.
type byteMem []byte

func (m byteMem) ReadMemory(buf []byte, addr uint64) (int, error) {
	if addr >= uint64(len(m)) {
		return 0, nil
	}
	return copy(buf, m[addr:]), nil
}

// CallArgs reads what the assembler made of each sequence before the call
// "bl f" (the line marked CALL): a register is known only when the
// straight-line code last set it from a constant.
func TestCallArgsReadConstantsBeforeTheCall(t *testing.T) {
	const tail = "f: bx lr\n.align 2\nlit: .word 0xcafef00d\ns: .asciz \"x > 0\"\n.align 2\nfar: .word 0x08001234"
	unknown := ^uint32(0) // placeholder: the register must not be known
	tests := []struct {
		name string
		asm  string
		want [4]uint32
	}{
		{"literal, movw, adr, mvn", "push {r4, lr}\nldr r0, lit\nmovw r1, #960\nadr r2, s\nmvn r3, #1\nCALL", [4]uint32{0xcafef00d, 960, 0, 0xfffffffe}},
		{"movs and mov.w modified immediate", "movs r0, #10\nmov.w r1, #0x10000\nmov.w r2, #0xab00ab00\nldr.w r3, far\nCALL", [4]uint32{10, 0x10000, 0xab00ab00, 0x08001234}},
		{"movw and movt make one address", "movw r0, #0x1234\nmovt r0, #0x0800\nmovs r1, #1\nadds r1, r1, r2\nCALL", [4]uint32{0x08001234, unknown, unknown, unknown}},
		{"a call in between clobbers r0-r3", "movs r0, #5\nmovs r3, #3\nbl f\nmovs r1, #6\nCALL", [4]uint32{unknown, 6, unknown, unknown}},
		{"a branch target in between", "movs r0, #5\ncbz r2, 1f\nmovs r1, #2\n1: movs r2, #4\nCALL", [4]uint32{unknown, unknown, 4, unknown}},
		{"a conditional move in an IT block", "movs r0, #1\ncmp r2, #0\nit eq\nmoveq r0, #2\nCALL", [4]uint32{unknown, unknown, unknown, unknown}},
		{"loads and ALU writes", "movs r0, #1\nmovs r1, #2\nmovs r2, #3\nldr r0, [r4, #4]\nlsls r1, r1, #2\nadd.w r2, r2, #1\nCALL", [4]uint32{unknown, unknown, unknown, unknown}},
		{"stores leave registers", "movs r0, #1\nmovs r1, #2\nstr r1, [sp, #4]\nstr.w r0, [r4, #8]\nCALL", [4]uint32{1, 2, unknown, unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := strings.Split(strings.Replace(tt.asm, "CALL", "bl f\nudf #254", 1)+"\n"+tail, "\n")
			code := assemble(t, lines)
			ret := findRet(t, code)
			args, ok := CallArgs(byteMem(code), 0, ret)
			if !ok {
				t.Fatalf("CallArgs did not reach the call at 0x%x", ret-4)
			}
			for r, w := range tt.want {
				if w == unknown {
					if args[r].Known {
						t.Errorf("r%d known as 0x%x (from %s), want unknown", r, args[r].Value, args[r].From)
					}
					continue
				}
				if w == 0 && r == 2 && strings.Contains(tt.asm, "adr r2, s") {
					// adr's value is an address: check it points at the string.
					if !args[r].Known || !strings.HasPrefix(string(code[args[r].Value:]), "x > 0") {
						t.Errorf("r2 = %+v, want the address of \"x > 0\"", args[r])
					}
					continue
				}
				if !args[r].Known || args[r].Value != w {
					t.Errorf("r%d = %+v, want 0x%x", r, args[r], w)
				}
			}
		})
	}
}

// findRet is the address after the call: where the "udf #254" placed
// right after it is.
func findRet(t *testing.T, code []byte) uint32 {
	t.Helper()
	for i := 0; i+1 < len(code); i += 2 {
		if code[i] == 0xfe && code[i+1] == 0xde {
			return uint32(i)
		}
	}
	t.Fatal("no udf #254 after the call")
	return 0
}

// RegTarget names the function a BLX Rm or BX Rm went to when the code
// before it loaded Rm with the function's address (-mlong-calls calls and
// tail calls), and nothing when Rm's value is not known from the code.
func TestRegTargetReadsTheAddressLoadedForBLXAndBX(t *testing.T) {
	const tail = "f: bx lr\n.align 2\nlit: .word 0x00000a41\neven: .word 0x00000a40"
	tests := []struct {
		name string
		asm  string // ends in the call, followed by udf #254
		want uint32
	}{
		{"literal pool word (gcc and clang -mlong-calls)", "push {r4, lr}\nldr r2, lit\nmov r0, r4\nblx r2", 0xa40},
		{"literal load with a move to another register in between", "ldr r3, lit\nmovs r0, #1\nmov r1, r4\nblx r3", 0xa40},
		{"movw and movt into a high register", "movw r12, #0x1235\nmovt r12, #0x0800\nblx r12", 0x08001234},
		{"register loaded from memory", "ldr r3, [r4, #8]\nblx r3", 0},
		{"register overwritten after the literal load", "ldr r3, lit\nadds r3, r3, #4\nblx r3", 0},
		{"address without the Thumb bit", "ldr r3, even\nblx r3", 0},
		{"literal load before a branch target", "ldr r3, lit\ncbz r0, 1f\nmovs r1, #2\n1: blx r3", 0},
		{"a direct BL is not a register call", "ldr r3, lit\nbl f", 0},
		{"tail call through a register after a conditional return (clang -mlong-calls)", "lsls r1, r0, #30\nitt ne\nmovne.w r0, #-1\nbxne lr\nldr r1, lit\nbx r1", 0xa40},
		{"return through lr", "ldr r3, lit\nbx lr", 0},
		{"tail call after the epilogue's ldmia.w (clang -mlong-calls)", "push {r4, r6, r7, lr}\nldr r2, lit\nmovt r0, #0\nmov r1, r4\nldmia.w sp!, {r4, r6, r7, lr}\nbx r2", 0xa40},
		{"an ldmia.w that reloads the register", "ldr r2, lit\nldmia.w sp!, {r2, r4, r7, lr}\nbx r2", 0},
		{"an ldmia.w whose base is the register", "ldr r2, lit\nldmia.w r2!, {r4, r5}\nbx r2", 0},
		{"a stmdb.w leaves the register", "ldr r2, lit\nstmdb.w sp!, {r2, r4, r7, lr}\nbx r2", 0xa40},
		{"barriers and MSR between (clang -mlong-calls after __ISB)", "ldr r1, lit\nisb sy\ndsb sy\nmsr basepri, r0\nnop.w\nmovt r0, #4096\nbx r1", 0xa40},
		{"an MRS into the register", "ldr r1, lit\nmrs r1, primask\nbx r1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := assemble(t, strings.Split(tt.asm+"\nudf #254\n"+tail, "\n"))
			ret := findRet(t, code)
			if got := RegTarget(byteMem(code), 0, ret); got != tt.want {
				t.Errorf("RegTarget = %#x, want %#x", got, tt.want)
			}
		})
	}
}
