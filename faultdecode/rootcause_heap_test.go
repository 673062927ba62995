package faultdecode

import (
	"bytes"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// heapVariants are the newlib allocators testdata/heap is built with.
var heapVariants = map[string][]string{
	"newlib":      {"-specs=nosys.specs"},
	"newlib-nano": {"-specs=nano.specs", "-specs=nosys.specs"},
}

// heapELF builds testdata/heap for a malloc variant (cached).
func heapELF(t testing.TB, variant string) string {
	t.Helper()
	return fdtest.Program{
		Name:  "heap-" + variant,
		Units: map[string][]string{"startup.c": nil, "heap/heap.c": nil},
		LD:    "heap/link.ld",
		Flags: append([]string{"-mcpu=cortex-m3", "-mthumb", "-O1", "-g", "-nostartfiles", "-DCOPY_DATA"}, heapVariants[variant]...),
	}.Build(t)
}

func TestDanglingPointerIntoNewlibHeap(t *testing.T) {
	for variant := range heapVariants {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			snap, img := captureELF(t, "netduino2", heapELF(t, variant))
			rep := analyzeForTest(snap, img)
			t.Logf("findings:\n%s", findingList(rep))
			var found bool
			for _, f := range rep.Findings {
				if f.Kind == report.FindDanglingPointer && f.Symbol == "g_server.clients[1]" &&
					strings.Contains(f.Summary, "free)") && strings.Contains(f.Summary, "close_all()") {
					found = true
				}
				if f.Kind == report.FindDanglingPointer && f.Symbol != "g_server.clients[1]" {
					t.Errorf("unexpected dangling pointer: %s", f.Summary)
				}
				if f.Kind == report.FindHeapCorruption {
					t.Errorf("a sound heap reported corrupt: %s", f.Summary)
				}
			}
			if !found {
				t.Errorf("no dangling-pointer finding for g_server.clients[1] naming a free block and close_all()")
			}
			if !strings.HasPrefix(rep.Fault.Summary, "Use after free: g_server.clients[1] points to a freed") {
				t.Errorf("summary does not lead with the root cause: %q", rep.Fault.Summary)
			}
		})
	}
}

// FuzzRootCause runs the root-cause pass of a real newlib image over
// arbitrary RAM and registers: it must not panic and must end.
// Inputs are kilobytes of RAM: run it with -fuzzminimizetime 0x, or the
// engine spends its time minimizing each new input (thousands of execs/s
// without, none for tens of seconds with).
func FuzzRootCause(f *testing.F) {
	img, err := elfsym.Open(heapELF(f, "newlib"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { img.Close() })
	seed := make([]byte, 0x1000)
	f.Add(seed, uint32(0x20000100), uint32(0xFFFFFFF9), uint32(0x82))
	f.Add(bytes.Repeat([]byte{0x08, 0x00, 0x00, 0x20}, 0x400), uint32(0x20000ff0), uint32(0x20000011), uint32(0x10001))
	f.Fuzz(func(t *testing.T, ram []byte, sp, lr, cfsr uint32) {
		snap := &capture.Snapshot{
			Registers: map[string]uint32{"sp": sp, "msp": sp, "lr": lr, "pc": 0x08000100, "xpsr": 0x01000003},
			Memory: []capture.Region{
				{Addr: 0x20000000, Data: ram, Name: "ram"},
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: cfsr, fault.AddrMMFAR: sp + 8}),
			},
		}
		rep := analyzeForTest(snap, img)
		var b bytes.Buffer
		if err := rep.WriteText(&b, report.Sources{}); err != nil {
			t.Fatal(err)
		}
	})
}
