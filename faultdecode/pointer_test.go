package faultdecode

import (
	"testing"

	"github.com/faultline-dev/faultline/capture"
)

func TestNullPointerHasNoPointerSources(t *testing.T) {
	snap := &capture.Snapshot{Memory: []capture.Region{{Addr: 0x20000000, Data: make([]byte, 64), Name: "ram"}}}
	a := &analysis{snap: snap, ram: ramRanges(snap, nil)}
	if got := a.pointerSources(0x20000000 + 0x400); len(got) != 0 {
		t.Fatalf("a value stored nowhere has %d sources", len(got))
	}
	if got := a.pointerSources(0); len(got) != 0 {
		t.Errorf("null pointer: %d pointer-source findings from zero words", len(got))
	}
}
