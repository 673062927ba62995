package symbolize

import (
	"fmt"
	"testing"
)

func TestHexAddrPrintsLikePrintf(t *testing.T) {
	for _, a := range []uint64{0, 1, 0x8000a12, 0x0800a12f, 0xffffffff, 0x123456789, 1<<64 - 1} {
		if got, want := hexAddr(a), fmt.Sprintf("0x%08x", a); got != want {
			t.Errorf("hexAddr(%#x) = %q, want %q", a, got, want)
		}
	}
}
