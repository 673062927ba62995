package faultdecode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
	"github.com/faultline-dev/faultline/probe"
)

// Real captures from the other core families QEMU models: an ARMv6-M
// Cortex-M0 (microbit) and an ARMv8-M Cortex-M33 (mps2-an505), running
// testdata/cores built with arm-none-eabi-gcc, caught at the fault
// handler and captured through probe as `faultline capture` does.

// coreBoards are QEMU machines outside probe's built-in boards, with the
// RAM a capture reads and the CPU to build for.
var coreBoards = map[string]struct {
	board probe.Board
	cpu   string
	src   string
}{
	"microbit":   {probe.Board{Name: "microbit", Core: "v6-M", RAM: []probe.MemRange{{Name: "ram", Addr: 0x20000000, Size: 16 << 10}}}, "cortex-m0", "m0"},
	"mps2-an505": {probe.Board{Name: "mps2-an505", Core: "v8-M.main", RAM: []probe.MemRange{{Name: "ram", Addr: 0x38000000, Size: 64 << 10}}}, "cortex-m33", "m33"},
}

// coreELF builds testdata/cores/<src>.c for one scenario.
func coreELF(t *testing.T, machine string, scenario int) string {
	t.Helper()
	b := coreBoards[machine]
	return fdtest.Program{
		Name:  fmt.Sprintf("cores-%s-%d", b.src, scenario),
		Units: map[string][]string{"startup.c": {"-g"}, "cores/" + b.src + ".c": {"-g"}},
		LD:    "cores/" + b.src + ".ld",
		Flags: []string{"-mcpu=" + b.cpu, "-mthumb", "-O0", "-ffreestanding", "-nostdlib", "-fno-common", fmt.Sprintf("-DSCENARIO=%d", scenario)},
		Libs:  []string{"-lgcc"},
	}.Build(t)
}

// captureOn boots elf on a QEMU machine of coreBoards and captures its
// crash.
func captureOn(t *testing.T, machine, elf string) (*capture.Snapshot, *elfsym.Image) {
	t.Helper()
	return captureWith(t, machine, coreBoards[machine].board, elf)
}

func reportText(t *testing.T, r *report.Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteText(&b, report.Sources{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCortexM0OnMicrobitExplainsHardFaultsFromTheInstruction(t *testing.T) {
	tests := []struct {
		scenario int
		summary  string // the summary starts with it
		explain  string
		frames   []string // innermost first, as in testdata/cores/m0.c
		finding  string
	}{
		{1, "HardFault: unaligned load of 4 bytes from 0x20000002 (r3)", "not 4-byte aligned, and ARMv6-M faults on every unaligned access", []string{"read_word", "main"}, ""},
		{2, "HardFault: udf #42 (a deliberate trap)", "the faulting instruction is udf #42", []string{"trap", "main"}, ""},
		{3, "HardFault: branch to 0x", "the stacked xPSR has the Thumb bit clear (EPSR.T=0)", []string{"target"}, report.FindThumbBit},
		{4, "HardFault: unmapped store of 4 bytes to 0x30000000 (r3)", "no memory is known at 0x30000000", []string{"store_word", "main"}, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scenario), func(t *testing.T) {
			t.Parallel()
			snap, img := captureOn(t, "microbit", coreELF(t, "microbit", tt.scenario))
			r := Analyze(snap, img)
			text := reportText(t, r)
			t.Logf("report:\n%s", text)
			if !strings.HasPrefix(r.Fault.Summary, tt.summary) {
				t.Errorf("summary %q\nwant it to start with %q", r.Fault.Summary, tt.summary)
			}
			if !strings.Contains(strings.Join(r.Fault.Explanations, "\n"), tt.explain) {
				t.Errorf("explanations %q lack %q", r.Fault.Explanations, tt.explain)
			}
			if !strings.Contains(text, "core: Cortex-M0 (ARMv6-M, from CPUID 0x410cc200)") {
				t.Error("the report does not name the core from CPUID")
			}
			for _, reg := range []string{"CFSR", "cfsr", "HFSR", "hfsr"} {
				if strings.Contains(text, reg) {
					t.Errorf("an ARMv6-M report mentions %s", reg)
				}
			}
			var got []string
			for _, f := range r.Frames {
				got = append(got, f.Function)
			}
			if len(got) < len(tt.frames) || strings.Join(got[:len(tt.frames)], " ") != strings.Join(tt.frames, " ") {
				t.Errorf("frames %v, want them to start %v", got, tt.frames)
			}
			if tt.finding != "" {
				wantFindings(t, r, tt.finding)
			}
		})
	}
}

func TestCortexM33OnAN505ExplainsStackLimitOverflows(t *testing.T) {
	tests := []struct {
		scenario int
		explain  string
		limit    string // the limit register in the report
	}{
		{1, "STKOF: PSP 0x38000000 reached PSPLIM 0x38000000: the stack of the thread (PSP) overflowed", "psplim"},
		{2, "STKOF: MSP 0x3800f800 reached MSPLIM 0x3800f800: the main stack (MSP", "msplim"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scenario), func(t *testing.T) {
			t.Parallel()
			snap, img := captureOn(t, "mps2-an505", coreELF(t, "mps2-an505", tt.scenario))
			r := Analyze(snap, img)
			text := reportText(t, r)
			t.Logf("report:\n%s", text)
			if !strings.Contains(strings.Join(r.Fault.Causes, " "), "STKOF") {
				t.Errorf("causes %v lack STKOF", r.Fault.Causes)
			}
			if !strings.Contains(strings.Join(r.Fault.Explanations, "\n"), tt.explain) {
				t.Errorf("explanations %q lack %q", r.Fault.Explanations, tt.explain)
			}
			if r.Registers[tt.limit] == "" {
				t.Errorf("%s not in the report's registers: %v", tt.limit, r.Registers)
			}
			if !strings.Contains(text, "core: Cortex-M33 (ARMv8-M Mainline, from CPUID 0x410fd213)") {
				t.Error("the report does not name the core from CPUID")
			}
			wantFindings(t, r, report.FindStackOverflow)
			for _, f := range r.Frames {
				if f.How == unwind.HowExceptionFrame || f.How == unwind.HowFaultPC {
					t.Errorf("a frame from an exception frame the core never stacked: %+v", f)
				}
			}
		})
	}
}
