package probe

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/firmware/freertos"
)

// TestCaptureReadsEveryTaskTheMapLeftOut crashes the FreeRTOS gateway with
// a memory map that stops short of the heap (where FreeRTOS keeps the TCBs
// and stacks): the capture must still read every task's TCB and stack,
// found from the task lists it did read.
func TestCaptureReadsEveryTaskTheMapLeftOut(t *testing.T) {
	for _, tool := range []string{"qemu-system-arm", "make", "arm-none-eabi-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found on PATH: run scripts/setup.sh", tool)
		}
	}
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
	board := Board{Name: "mps2-an385", Core: "v7-M",
		RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: heap.Addr - 0x20000000}}}
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: freertos.Machine, Kernel: elf, Halted: true, Serials: []string{"null"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = q.Stop() }()
	tgt, err := ConnectTarget(ctx, TargetOptions{Addr: q.GDBAddr, Board: board, Image: img})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if err := tgt.ArmAndResume(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if _, err := tgt.WaitCrash(wctx); err != nil {
		t.Fatalf("wait for the crash: %v", err)
	}
	snap, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "fault-handler"}, "T05")
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
