package faultdecode

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

// gdbGcore runs elf in QEMU's machine, stops gdb-multiarch at the first
// fault handler and writes a core with gdb's own gcore: a core from
// another tool, without faultline's FAULTLINE note.
func gdbGcore(t *testing.T, machine, elf string) string {
	t.Helper()
	qemu := fdtest.NeedTool(t, "qemu-system-arm")
	gdb := fdtest.NeedTool(t, "gdb-multiarch")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := freePort(t)
	q := exec.CommandContext(ctx, qemu, "-M", machine, "-kernel", elf, "-S", "-gdb", fmt.Sprintf("tcp:127.0.0.1:%d", port),
		"-display", "none", "-serial", "null", "-monitor", "none")
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = q.Process.Kill(); _ = q.Wait() }()
	core := filepath.Join(t.TempDir(), "gdb.core")
	args := []string{"-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
		"-ex", fmt.Sprintf("target remote 127.0.0.1:%d", port)}
	for _, h := range []string{"HardFault_Handler", "MemManage_Handler", "BusFault_Handler", "UsageFault_Handler"} {
		args = append(args, "-ex", "break *"+h)
	}
	args = append(args, "-ex", "continue", "-ex", "gcore "+core, "-ex", "kill", elf)
	var out []byte
	var err error
	for i := 0; i < 50; i++ { // until QEMU's gdb port is up
		out, err = exec.CommandContext(ctx, gdb, args...).CombinedOutput()
		if err == nil && strings.Contains(string(out), "Saved corefile") {
			return core
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("gdb-multiarch gcore: %v\n%s", err, out)
	return ""
}

func TestPlainCoreFromGDBSaysWhatIsMissing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := crashlab.ELF(ctx, "mps2-an385", "divzero")
	if err != nil {
		t.Fatalf("build divzero: %v", err)
	}
	snap, err := capture.Read(gdbGcore(t, "mps2-an385", elf))
	if err != nil {
		t.Fatalf("read gdb's core: %v", err)
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	r := Analyze(snap, img)
	var text strings.Builder
	if err := r.WriteText(&text, report.Sources{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", text.String())
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Notes []string }
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(doc.Notes, "\n")
	for _, want := range []string{
		"no FAULTLINE note (a core written by another tool, such as gdb's gcore",
		"registers: only r0-r15 and xPSR (NT_PRSTATUS); the target also had msp, psp, primask, control, basepri, faultmask, whose values a core cannot carry",
		"the System Control Block (0xE000ED00-0xE000ED40: CPUID, CFSR, HFSR, MMFAR, BFAR) is not in the core",
		"fault registers not captured: [cfsr hfsr mmfar bfar dfsr shcsr icsr dhcsr]",
		"core: ARMv7-M (from the ELF's architecture v7-M)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("JSON notes lack %q", want)
		}
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if r.Fault.Exception != "UsageFault" || len(r.Fault.Causes) != 0 {
		t.Errorf("exception %s causes %v: want UsageFault from xPSR and no causes guessed", r.Fault.Exception, r.Fault.Causes)
	}
	if !strings.HasPrefix(r.Fault.Summary, "UsageFault: the cause is unknown: the fault status registers were not captured") {
		t.Errorf("summary %q", r.Fault.Summary)
	}
	var got []string
	for _, f := range r.Frames {
		got = append(got, f.Function)
	}
	if want := "crash_divide run_test main"; !strings.HasPrefix(strings.Join(got, " "), want) {
		t.Errorf("frames %v, want %s (as gdb's bt on the same stop)", got, want)
	}
}
