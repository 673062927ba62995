package rtos_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/firmware/freertos"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// The gateway's tasks as firmware/freertos creates them (main.c, dhcp.c,
// FreeRTOSConfig.h): priority and stack size in bytes (words * 4).
var gatewayTasks = map[string]struct{ prio, stack uint32 }{
	"net":     {4, 256 * 4},
	"logger":  {3, 256 * 4},
	"crunch":  {1, 256 * 4},
	"dhcp":    {2, 256 * 4},
	"IDLE":    {0, 128 * 4},
	"Tmr Svc": {5, 256 * 4},
}

// crashed boots variant in QEMU until it faults and captures it the way
// `faultline capture` does (probe's snapshot, with its memory regions).
func crashed(ctx context.Context, t *testing.T, variant string) (*capture.Snapshot, *elfsym.Image) {
	t.Helper()
	elf, err := freertos.ELF(ctx, variant)
	if err != nil {
		t.Fatal(err)
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = img.Close() })
	board, err := probe.LookupBoard(freertos.Machine)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := probetest.CrashIn(ctx, freertos.MachineFor(variant), board, elf, img)
	if err != nil {
		t.Fatal(err)
	}
	return snap, img
}

// TestTasksOfEveryCrashMatchTheFirmware reads the task list out of a real
// crash of each bug and holds it to what the firmware's source says: the
// tasks, their priorities and stack sizes, one running task (the one the
// crash happened in), a saved context inside its own stack and pointing at
// code for every other task, and a stack overflow exactly where the bug
// makes one.
func TestTasksOfEveryCrashMatchTheFirmware(t *testing.T) {
	probetest.NeedTools(t, "qemu-system-arm", "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	exp, err := freertos.Expected()
	if err != nil {
		t.Fatal(err)
	}
	// overflowed: the task whose stack the bug overruns ("" for none);
	// heapBroken: the bug writes over heap block headers.
	tests := []struct {
		variant    string
		overflowed string
		heapBroken bool
	}{
		{"nullfn-Os", "", false},
		{"uaf-O2", "", false},
		{"div0-O0", "", false},
		{"isr-Os", "", false},
		{"assert-O2", "", false},
		{"switch-O0", "", false},
		{"overflow-Os", "net", true},
		{"smash-O0", "crunch", true},
		{"smash-Os-hf", "crunch", true},
		{"nullfn-Os-m4f", "", false},
		{"isr-Os-m4f", "", false},
		{"uaf-Os-h5", "", false},
		{"overflow-Os-h5", "net", true},
	}
	slots := make(chan struct{}, runtime.NumCPU())
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			snap, img := crashed(ctx, t, tt.variant)
			<-slots
			sys, err := rtos.Read(img, snap, rtos.Options{CurrentSP: snap.Registers["psp"]})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range sys.Problems {
				t.Logf("problem: %s", p)
			}
			m4f := strings.HasSuffix(tt.variant, freertos.M4FSuffix)
			wantPort := rtos.PortCM3
			if m4f {
				wantPort = rtos.PortCM4F
			}
			if sys.Port != wantPort || !sys.SchedulerRunning {
				t.Errorf("port %s, scheduler running %v; want %s, running", sys.Port, sys.SchedulerRunning, wantPort)
			}
			// An M4F build crashes where its Cortex-M3 build does.
			want := exp[tt.variant].Task
			cur := sys.Current()
			if cur == nil || cur.Name != want {
				t.Fatalf("running task %+v, want %q", cur, want)
			}
			seen := map[string]bool{}
			for _, task := range sys.Tasks {
				t.Logf("%-8s %-9s prio %d stack 0x%08x-0x%08x high water %d overflow %v problems %v",
					task.Name, task.State, task.Priority, task.StackBase, task.StackTop, task.HighWater, task.Overflow, task.Problems)
				g, ok := gatewayTasks[task.Name]
				if !ok {
					if tt.heapBroken && len(task.Problems) > 0 {
						continue // a TCB the overflow wrote over, said so
					}
					t.Errorf("unknown task %q (TCB 0x%08x)", task.Name, task.TCB)
					continue
				}
				if seen[task.Name] {
					t.Errorf("task %q listed twice", task.Name)
				}
				seen[task.Name] = true
				if task.Priority != g.prio || task.StackSize() != g.stack {
					t.Errorf("%s: priority %d, stack %d bytes; want %d, %d", task.Name, task.Priority, task.StackSize(), g.prio, g.stack)
				}
				if task.Current != (task.Name == want) || (task.State == rtos.Running) != task.Current {
					t.Errorf("%s: current %v, state %s", task.Name, task.Current, task.State)
				}
				if over := len(task.Overflow) > 0; over != (task.Name == tt.overflowed) {
					t.Errorf("%s: overflow %v, want overflowed=%v", task.Name, task.Overflow, task.Name == tt.overflowed)
				}
				if !task.HighWaterKnown {
					t.Errorf("%s: no high-water mark", task.Name)
				}
				if task.Current || task.State == rtos.Deleted {
					continue
				}
				c := task.Context
				if c == nil {
					t.Errorf("%s: no saved context: %v", task.Name, task.Problems)
					continue
				}
				if !task.Contains(c.R[13]-1) || !img.IsCode(uint64(c.R[15])) {
					t.Errorf("%s: saved context sp 0x%08x pc 0x%08x: not in its stack / not code", task.Name, c.R[13], c.R[15])
				}
				// On the M4F only crunch computes in floating point: only
				// its context holds the FP registers.
				if wantFPU := m4f && task.Name == "crunch"; c.FPU != wantFPU {
					t.Errorf("%s: FP context saved %v, want %v (EXC_RETURN 0x%08x)", task.Name, c.FPU, wantFPU, c.ExcReturn)
				}
			}
			for _, name := range []string{"net", "crunch", "IDLE", "Tmr Svc"} {
				if !seen[name] {
					t.Errorf("task %q missing", name)
				}
			}
			wantHeap := "FreeRTOS heap_4"
			if strings.HasSuffix(tt.variant, freertos.Heap5Suffix) {
				wantHeap = "FreeRTOS heap_5" // its regions from main.c's HeapRegion_t table
			}
			if sys.Heap == nil || len(sys.Heap.Blocks) == 0 || sys.Heap.Allocator != wantHeap || sys.Heap.Partial {
				t.Fatalf("heap not walked whole as %s: %+v", wantHeap, sys.Heap)
			}
			if broken := len(sys.Heap.Problems) > 0; broken != tt.heapBroken {
				t.Errorf("heap problems %v, want broken=%v", sys.Heap.Problems, tt.heapBroken)
			}
			// Every task's stack and TCB is a heap_4 block in use.
			for _, task := range sys.Tasks {
				if len(task.Problems) > 0 {
					continue
				}
				for what, a := range map[string]uint32{"stack": task.StackBase, "TCB": task.TCB} {
					if b, ok := sys.Heap.BlockAt(a); !ok || b.Free || (b.Mem != a && !b.Corrupt) {
						t.Errorf("%s: %s 0x%08x is not an allocated heap block (%+v, %v)", task.Name, what, a, b, ok)
					}
				}
			}
		})
	}
}

// TestStacksWithoutFillAreNotOverflowed reads a real crash twice: as
// captured, and with every task stack's fill turned to the zeros a build
// without tskSET_NEW_STACKS_TO_KNOWN_VALUE (no stack-overflow check, no
// trace facility, no uxTaskGetStackHighWaterMark: FreeRTOS's LM3S811 demo)
// leaves there. Without fill no high-water mark can be known, and no task
// may be judged overflowed for it; a real overflow is still found by its
// stack pointer.
func TestStacksWithoutFillAreNotOverflowed(t *testing.T) {
	probetest.NeedTools(t, "qemu-system-arm", "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	snap, img := crashed(ctx, t, "nullfn-Os")
	read := func() *rtos.System {
		t.Helper()
		sys, err := rtos.Read(img, snap, rtos.Options{CurrentSP: snap.Registers["psp"]})
		if err != nil {
			t.Fatal(err)
		}
		return sys
	}
	captured := read().Tasks
	for _, task := range captured {
		if !task.HighWaterKnown || len(task.Overflow) > 0 {
			t.Fatalf("as captured, %s: high water known %v, overflow %v", task.Name, task.HighWaterKnown, task.Overflow)
		}
		// Unfilled: wherever the fill survived (below the deepest use,
		// and in holes a frame never wrote) the heap's zeros are.
		for i := range snap.Memory {
			r := &snap.Memory[i]
			for a := uint64(task.StackBase) &^ 3; a+4 <= uint64(task.StackTop); a += 4 {
				if a >= uint64(r.Addr) && a+4 <= r.End() {
					w := r.Data[a-uint64(r.Addr) : a-uint64(r.Addr)+4]
					if w[0] == rtos.StackFill && w[1] == rtos.StackFill && w[2] == rtos.StackFill && w[3] == rtos.StackFill {
						copy(w, []byte{0, 0, 0, 0})
					}
				}
			}
		}
	}
	sys := read()
	if len(sys.Tasks) != len(captured) {
		t.Fatalf("%d tasks without fill, %d with", len(sys.Tasks), len(captured))
	}
	for _, task := range sys.Tasks {
		if task.HighWaterKnown || len(task.Overflow) > 0 {
			t.Errorf("without fill, %s: high water %d known %v, overflow %v", task.Name, task.HighWater, task.HighWaterKnown, task.Overflow)
		}
	}
}
