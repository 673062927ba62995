package rtos

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// wordMem is memory made of consecutive words from base.
type wordMem struct {
	base  uint32
	words []uint32
}

func (m wordMem) ReadMemory(buf []byte, addr uint64) (int, error) {
	n := 0
	for n < len(buf) {
		a := uint32(addr) + uint32(n)
		if a < m.base || a >= m.base+4*uint32(len(m.words)) {
			return n, errors.New("unmapped")
		}
		var w [4]byte
		binary.LittleEndian.PutUint32(w[:], m.words[(a-m.base)/4])
		buf[n] = w[(a-m.base)%4]
		n++
	}
	return n, nil
}

// stackWords lays out what a port's PendSV leaves, lowest address first:
// the software-saved part, then the hardware frame (r0-r3, r12, lr, pc,
// xPSR), then extra words (FP state, alignment padding) and a guard.
func stackWords(soft []uint32, xpsr uint32, extra int) []uint32 {
	w := append([]uint32(nil), soft...)
	w = append(w, 0x10, 0x11, 0x12, 0x13, 0x1c, 0x00000401, 0x00000600|1, xpsr)
	for i := 0; i < extra; i++ {
		w = append(w, 0xeeeeeeee)
	}
	return append(w, 0x99999999)
}

func regs4to11() []uint32 {
	return []uint32{0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xb}
}

func TestSavedContextFollowsEachPortsPendSVLayout(t *testing.T) {
	const top = 0x20001000
	s16to31 := make([]uint32, 16)
	tests := []struct {
		name      string
		port      Port
		words     []uint32
		wantSP    uint32
		wantFPU   bool
		wantER    uint32
		wantError string
	}{
		{"CM3: r4-r11 then the frame", PortCM3, stackWords(regs4to11(), 0x01000000, 0), top + 64, false, 0xFFFFFFFD, ""},
		{"CM3: a padded frame (xPSR bit 9) ends a word higher", PortCM3, stackWords(regs4to11(), 0x01000200, 1), top + 68, false, 0xFFFFFFFD, ""},
		{"CM4F without FP context: r4-r11, EXC_RETURN, frame", PortCM4F, stackWords(append(regs4to11(), 0xFFFFFFFD), 0x01000000, 0), top + 36 + 32, false, 0xFFFFFFFD, ""},
		{"CM4F with FP context: s16-s31 saved, extended frame", PortCM4F,
			stackWords(append(append(regs4to11(), 0xFFFFFFED), s16to31...), 0x01000000, 18), top + 36 + 64 + 32 + 72, true, 0xFFFFFFED, ""},
		{"CM4F: a saved LR that is no EXC_RETURN is not a context", PortCM4F, stackWords(append(regs4to11(), 0x00001235), 0x01000000, 0), 0, false, 0, "EXC_RETURN"},
		{"CM0 V11.1+: EXC_RETURN first, then r4-r7, r8-r11", PortCM0, stackWords(append([]uint32{0xFFFFFFFD}, regs4to11()...), 0x01000000, 0), top + 36 + 32, false, 0xFFFFFFFD, ""},
		{"CM0 before V11.1: r4-r11 as CM3", PortCM0, stackWords(regs4to11(), 0x01000000, 0), top + 64, false, 0xFFFFFFFD, ""},
		{"a context past the captured memory", PortCM3, regs4to11()[:5], 0, false, 0, "saved r4-r11"},
		{"a frame past the captured memory", PortCM3, append(regs4to11(), 1, 2), 0, false, 0, "hardware frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := SavedContext(wordMem{top, tt.words}, tt.port, top)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := 4; i <= 11; i++ {
				if c.R[i] != uint32(i) {
					t.Errorf("r%d = %#x, want %#x", i, c.R[i], i)
				}
			}
			if c.R[0] != 0x10 || c.R[3] != 0x13 || c.R[12] != 0x1c || c.R[14] != 0x401 || c.R[15] != 0x600 {
				t.Errorf("frame registers r0 %#x r3 %#x r12 %#x lr %#x pc %#x", c.R[0], c.R[3], c.R[12], c.R[14], c.R[15])
			}
			if c.R[13] != tt.wantSP || c.FPU != tt.wantFPU || c.ExcReturn != tt.wantER {
				t.Errorf("sp %#x fpu %v exc_return %#x, want %#x %v %#x", c.R[13], c.FPU, c.ExcReturn, tt.wantSP, tt.wantFPU, tt.wantER)
			}
		})
	}
}
