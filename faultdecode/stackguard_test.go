package faultdecode

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

func openELF(t *testing.T, path string, err error) *elfsym.Image {
	t.Helper()
	if err != nil {
		t.Fatalf("build: %v (run scripts/setup.sh if the toolchain is missing)", err)
	}
	img, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

func sym(t *testing.T, img *elfsym.Image, name string) uint32 {
	t.Helper()
	s, ok := img.LookupSymbol(name)
	if !ok {
		t.Fatalf("no symbol %s", name)
	}
	return uint32(s.Addr)
}

// TestProcessStackBelowItsArray: a task's PSP below the array that holds
// its stack, with no fault address to go by.
func TestProcessStackBelowItsArray(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := crashlab.ELF(ctx, "netduino2", "mpuguard")
	img := openELF(t, p, err)
	stack := sym(t, img, "thread_stack")
	psp := stack - 0x60 // the frame; SP before it is stack - 0x40
	ram := make([]byte, 128<<10)
	put := func(a, v uint32) { binary.LittleEndian.PutUint32(ram[a-0x20000000:], v) }
	put(psp+0x14, sym(t, img, "thread_main")+3) // lr
	put(psp+0x18, sym(t, img, "recurse")+4)     // pc
	put(psp+0x1c, 0x01000000)                   // xpsr
	snap := &capture.Snapshot{
		Registers: map[string]uint32{"sp": 0x2001ffe0, "msp": 0x2001ffe0, "psp": psp, "lr": 0xFFFFFFFD, "pc": sym(t, img, "MemManage_Handler"), "xpsr": 0x01000004},
		Memory:    []capture.Region{{Addr: 0x20000000, Data: ram, Name: "ram"}},
	}
	rep := analyzeForTest(snap, img)
	if !hasFinding(rep, report.FindStackOverflow, "64 bytes below thread_stack") {
		t.Errorf("no stack-overflow finding:\n%s", findingList(rep))
	}
	if !strings.Contains(rep.Fault.Summary, "thread_stack") {
		t.Errorf("summary %q does not lead with the overflow", rep.Fault.Summary)
	}
}
