package faultdecode

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/firmware/freertos"
	"github.com/faultline-dev/faultline/probe"
)

// FreeRTOS's GCC/ARM_CM0 port on a real Cortex-M0 (firmware/freertos/cm0,
// QEMU microbit): every task's saved context is read the way the port's
// PendSV handler wrote it (EXC_RETURN and r4-r7 below r8-r11), and each
// switched-out task unwinds from it to its entry function through where
// its code left it; the crashing task is named and its frames end at its
// entry too.
func TestCM0TasksAndTheirFrames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := freertos.ELF(ctx, freertos.CM0)
	if err != nil {
		t.Fatal(err)
	}
	board, err := probe.LookupBoard("generic")
	if err != nil {
		t.Fatal(err)
	}
	snap, img := captureWith(t, freertos.CM0Machine, board, elf)
	rep := Analyze(snap, img)
	// Innermost frames that must appear, in order, ending at the entry.
	// A blocked task usually left through vPortYield, but the tick's
	// PendSV can also switch it out inside the blocking call itself (a
	// CI run under load caught net in ulTaskGenericNotifyTake with no
	// vPortYield frame, which is what its stack held), so vPortYield is
	// checked for order when it is there, not required.
	want := map[string][]string{
		"crunch": {"crunch_dispatch", "crunch_task"},
		"sensor": {"vTaskDelay", "sensor_task"},
		"net":    {"ulTaskGenericNotifyTake", "net_wait", "net_task"},
		"IDLE":   {"prvIdleTask"},
	}
	yields := map[string]string{"sensor": "vTaskDelay", "net": "ulTaskGenericNotifyTake"}
	t.Logf("summary: %s", rep.Fault.Summary)
	if !strings.Contains(rep.Fault.Summary, "in task 'crunch'") {
		t.Errorf("summary %q does not name task 'crunch'", rep.Fault.Summary)
	}
	seen := map[string]bool{}
	for _, task := range rep.Tasks {
		var names []string
		for _, f := range task.Frames {
			names = append(names, f.Function)
		}
		t.Logf("task %-7s %-8s prio %d current %v: %s", task.Name, task.State, task.Priority, task.Current, strings.Join(names, " <- "))
		w, ok := want[task.Name]
		if !ok {
			t.Errorf("unknown task %q", task.Name)
			continue
		}
		seen[task.Name] = true
		if task.Current != (task.Name == "crunch") {
			t.Errorf("task %s current = %v", task.Name, task.Current)
		}
		if len(names) == 0 || names[len(names)-1] != w[len(w)-1] {
			t.Errorf("task %s: frames %v do not end at its entry %s", task.Name, names, w[len(w)-1])
		}
		if blocking, ok := yields[task.Name]; ok {
			if y := slices.Index(names, "vPortYield"); y >= 0 && y > slices.Index(names, blocking) {
				t.Errorf("task %s: vPortYield is not inside %s: %v", task.Name, blocking, names)
			}
		}
		at := 0
		for _, fn := range w {
			i := slices.Index(names[at:], fn)
			if i < 0 {
				t.Errorf("task %s: frames %v lack %s (in order: %v)", task.Name, names, fn, w)
				break
			}
			at += i + 1
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("task %s not in the report", name)
		}
	}
	// The port the reader chose and the context layout it read.
	sys, err := rtos.Read(img, snap, rtos.Options{CurrentSP: snap.Registers["psp"]})
	if err != nil {
		t.Fatal(err)
	}
	if sys.Port != rtos.PortCM0 {
		t.Errorf("port %s, want %s", sys.Port, rtos.PortCM0)
	}
}
