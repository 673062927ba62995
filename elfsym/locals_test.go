package elfsym

import (
	"strings"
	"testing"
)

type wordMem map[uint64]uint32

func (m wordMem) ReadMemory(buf []byte, addr uint64) (int, error) {
	for i := range buf {
		w, ok := m[(addr+uint64(i))&^3]
		if !ok {
			return i, nil
		}
		buf[i] = byte(w >> (8 * ((addr + uint64(i)) & 3)))
	}
	return len(buf), nil
}

// A location is evaluated in the caller's frame: registers the call keeps
// and the frame's memory give values; a register the call does not keep,
// an entry value or an unknown op give a reason instead.
func TestLocalValueFromItsLocation(t *testing.T) {
	fr := LocalFrame{
		Reg: func(n int) (uint32, bool) {
			if n >= 4 && n <= 11 || n == 13 {
				return 0x20001000 + uint32(n), true
			}
			return 0, false
		},
		CFA: func() (uint32, bool) { return 0x20001100, true },
		Mem: wordMem{0x200010f8: 42, 0x20001010: 0xdeadbeef},
	}
	cfa := []byte{0x9c}
	tests := []struct {
		name string
		loc  []byte
		size int64
		want uint64
		why  string // "" when the value is known
	}{
		{"in a kept register", []byte{0x54}, 4, 0x20001004, ""},
		{"in a register the call does not keep", []byte{0x50}, 4, 0, "r0, which is not kept"},
		{"in the frame (fbreg -8 from the CFA)", []byte{0x91, 0x78}, 4, 42, ""},
		{"register-relative (breg13 +3)", []byte{0x7d, 0x03}, 4, 0xdeadbeef, ""},
		{"a computed constant", []byte{0x35, 0x9f}, 4, 5, ""},
		{"a byte in a register", []byte{0x54}, 1, 0x04, ""},
		{"an entry value", []byte{0xa3, 0x01, 0x50, 0x9f}, 4, 0, "on entry"},
		{"optimised out", nil, 4, 0, "optimised out"},
		{"memory not captured", []byte{0x91, 0x00}, 4, 0, "not in the capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Local{Location: tt.loc, FrameBase: cfa, Size: tt.size}.ValueOf(fr)
			if tt.why != "" {
				if v.OK || !strings.Contains(v.Why, tt.why) {
					t.Fatalf("%+v, want not recoverable: %q", v, tt.why)
				}
				return
			}
			if !v.OK || v.Value != tt.want {
				t.Fatalf("%+v, want 0x%x", v, tt.want)
			}
		})
	}
}
