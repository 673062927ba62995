package fault

import "encoding/binary"

// Thumb decoding for the stack scan and the callers' call kinds. Hand-written because no library decodes
// Thumb-2 (golang.org/x/arch/arm is A32 only), and only two forms matter
// here: the instructions that leave a return address in LR.

// isBL reports whether hw1, hw2 form a Thumb-2 BL (T1): 11110 S imm10,
// then 11 J1 1 J2 imm11.
func isBL(hw1, hw2 uint16) bool {
	return hw1&0xF800 == 0xF000 && hw2&0xD000 == 0xD000
}

// isBLXReg reports whether hw is BLX Rm (T1): 0100 0111 1 Rm 000.
func isBLXReg(hw uint16) bool {
	return hw&0xFF87 == 0x4780
}

// CallBefore reports whether the instruction just before the return address
// ret (Thumb bit already cleared) is a BL or BLX, read from code.
func CallBefore(code Memory, ret uint32) bool {
	if ret < 4 {
		return false
	}
	var b [4]byte
	if n, _ := code.ReadMemory(b[:], uint64(ret-4)); n == 4 {
		hw1 := binary.LittleEndian.Uint16(b[0:])
		hw2 := binary.LittleEndian.Uint16(b[2:])
		if isBL(hw1, hw2) || isBLXReg(hw2) {
			return true
		}
	} else if n, _ := code.ReadMemory(b[:2], uint64(ret-2)); n == 2 {
		return isBLXReg(binary.LittleEndian.Uint16(b[:2]))
	}
	return false
}

// Call kinds found before a return address.
const (
	CallNone   = ""
	CallDirect = "bl"
	CallViaReg = "blx"
)

// CallKind says how the code before return address ret made its call: a BL
// (direct: the callee is fixed) or a BLX through a register (a function
// pointer or virtual call).
func CallKind(code Memory, ret uint32) string {
	if ret < 4 {
		return CallNone
	}
	var b [4]byte
	if n, _ := code.ReadMemory(b[:], uint64(ret-4)); n != 4 {
		return CallNone
	}
	hw1 := binary.LittleEndian.Uint16(b[0:])
	hw2 := binary.LittleEndian.Uint16(b[2:])
	switch {
	case isBLXReg(hw2):
		return CallViaReg
	case isBL(hw1, hw2):
		return CallDirect
	}
	return CallNone
}

// blTarget decodes the destination of a BL at addr (for tests and for
// naming the callee of a return address).
func blTarget(addr uint32, hw1, hw2 uint16) uint32 {
	s := uint32(hw1>>10) & 1
	imm10 := uint32(hw1) & 0x3FF
	j1 := uint32(hw2>>13) & 1
	j2 := uint32(hw2>>11) & 1
	imm11 := uint32(hw2) & 0x7FF
	i1 := ^(j1 ^ s) & 1
	i2 := ^(j2 ^ s) & 1
	off := s<<24 | i1<<23 | i2<<22 | imm10<<12 | imm11<<1
	if s == 1 {
		off |= 0xFE000000
	}
	return addr + 4 + off
}

// BLCallee is the destination of the BL just before return address ret,
// 0 when the call there is not a direct BL.
func BLCallee(code Memory, ret uint32) uint32 {
	if ret < 4 {
		return 0
	}
	var b [4]byte
	if n, _ := code.ReadMemory(b[:], uint64(ret-4)); n != 4 {
		return 0
	}
	hw1, hw2 := binary.LittleEndian.Uint16(b[0:]), binary.LittleEndian.Uint16(b[2:])
	if !isBL(hw1, hw2) {
		return 0
	}
	return blTarget(ret-4, hw1, hw2)
}
