package forensics

import "testing"

func TestSuspiciousValues(t *testing.T) {
	for _, tt := range []struct {
		v    uint32
		want bool
	}{{0x41414141, true}, {0xdeadbeef, true}, {0x6c6c6548, true}, {0x08000123, false}, {0x20001000, false}, {0, false}, {0xffffffff, false}} {
		if got := Suspicious(tt.v) != ""; got != tt.want {
			t.Errorf("Suspicious(0x%08x) = %v", tt.v, got)
		}
	}
}
