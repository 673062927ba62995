package probe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/firmware/freertos"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// TestCaptureReadsEveryTaskTheMapLeftOut crashes the FreeRTOS gateway with
// a memory map that stops short of the heap (where FreeRTOS keeps the TCBs
// and stacks): the capture must still read every task's TCB and stack,
// found from the task lists it did read.
func TestCaptureReadsEveryTaskTheMapLeftOut(t *testing.T) {
	probetest.NeedTools(t, "qemu-system-arm", "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// div0: crunch, created after net and logger, is running, so the PSP
	// window covers its stack and what lies above it, not theirs.
	elf, err := freertos.ELF(ctx, "div0-Os")
	if err != nil {
		t.Fatal(err)
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	heap, ok := img.LookupVariable("ucHeap")
	if !ok {
		t.Fatal("no ucHeap in the gateway")
	}
	board := probe.Board{Name: "mps2-an385", Core: "v7-M",
		RAM: []probe.MemRange{{Name: "ram", Addr: 0x20000000, Size: heap.Addr - 0x20000000}}}
	snap, err := probetest.CrashIn(ctx, freertos.Machine, board, elf, img)
	if err != nil {
		t.Fatal(err)
	}
	var taskRegions []string
	for _, r := range snap.Memory {
		if strings.HasPrefix(r.Name, "rtos ") {
			taskRegions = append(taskRegions, r.Name)
		}
	}
	if len(taskRegions) == 0 {
		t.Fatal("no rtos regions read: the map's gap was not filled")
	}
	t.Logf("task regions read: %v", taskRegions)
	sys, err := rtos.Read(img, snap, rtos.Options{CurrentSP: snap.Registers["psp"]})
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Problems) > 0 {
		t.Errorf("task list problems: %v", sys.Problems)
	}
	names := map[string]bool{}
	for _, task := range sys.Tasks {
		names[task.Name] = true
		if !task.HighWaterKnown || task.StackSize() == 0 {
			t.Errorf("%s: stack not captured (size %d, high water known %v)", task.Name, task.StackSize(), task.HighWaterKnown)
		}
		if !task.Current && task.State != rtos.Deleted && task.Context == nil {
			t.Errorf("%s: no saved context: %v", task.Name, task.Problems)
		}
	}
	for _, want := range []string{"net", "logger", "crunch", "IDLE", "Tmr Svc"} {
		if !names[want] {
			t.Errorf("task %s missing from %v", want, names)
		}
	}
}
