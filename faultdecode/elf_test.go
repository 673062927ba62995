package faultdecode

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

func openUnwindELF(t testing.TB) *elfsym.Image {
	t.Helper()
	img, err := elfsym.Open(unwindELF(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

// frameList renders frames as "function/how" for comparison.
func frameList(r *report.Report) []string {
	out := make([]string, 0, len(r.Frames))
	for _, f := range r.Frames {
		s := f.Function + "/" + f.How
		if f.Inlined {
			s += "/inlined"
		}
		out = append(out, s)
	}
	return out
}

func findingKinds(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Kind)
	}
	return out
}

// gdbFunctions is gdb's bt without the handler and the exception markers.
func gdbFunctions(bt []string) []string {
	var out []string
	for i, f := range bt {
		if i == 0 || f == "<signal handler called>" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// TestUnwindQEMUCrashes stops real crashes of testdata/unwind in QEMU at the
// fault handler and checks the report against what the program does and
// against gdb's own backtrace.
func TestUnwindQEMUCrashes(t *testing.T) {
	img := openUnwindELF(t)
	tests := []struct {
		name      string
		scenario  int
		late      bool // stop after the handler's prologue
		exception string
		causes    []string
		frames    []string
		findings  []string
		summary   string // substring
		matchGDB  bool
	}{
		{
			name: "precise fault in c", scenario: 1, exception: "HardFault", causes: []string{"FORCED", "DIVBYZERO"},
			frames:   []string{"divide/fault-pc/inlined", "c/fault-pc", "b/cfi", "a/cfi", "main/cfi", "Reset_Handler/cfi"},
			summary:  "HardFault (escalated from UsageFault): integer divide by zero in divide() at chain.c:18, inlined into c() at chain.c:23.",
			matchGDB: true,
		},
		{
			name: "stop after the handler's prologue", scenario: 1, late: true, exception: "HardFault", causes: []string{"FORCED", "DIVBYZERO"},
			frames:   []string{"divide/fault-pc/inlined", "c/fault-pc", "b/cfi", "a/cfi", "main/cfi", "Reset_Handler/cfi"},
			matchGDB: true,
		},
		{
			name: "bad function pointer", scenario: 2, exception: "HardFault", causes: []string{"FORCED", "IACCVIOL"},
			frames:   []string{"??/fault-pc", "call_through/lr", "main/cfi", "Reset_Handler/cfi"},
			findings: []string{"bad-pc"},
			summary:  "HardFault (escalated from MemManage): instruction fetch from 0xae094710, which is not code; called from call_through() at chain.c:46 through a bad function pointer.",
			matchGDB: true,
		},
		{
			name: "fault in ISR over thread on PSP", scenario: 3, exception: "HardFault", causes: []string{"FORCED", "DIVBYZERO"},
			frames:   []string{"isr_work/fault-pc", "PendSV_Handler/cfi", "thread_work/exception-frame", "main/cfi", "Reset_Handler/cfi"},
			summary:  "integer divide by zero in isr_work() at chain.c:52.",
			matchGDB: true,
		},
		{
			// nocfi_mid has no CFI: its prologue says where a's return
			// address is, and a's CFI does the rest.
			name: "no CFI: prologue analysis", scenario: 4, exception: "HardFault", causes: []string{"FORCED", "DIVBYZERO"},
			frames:   []string{"divide/fault-pc/inlined", "c/fault-pc", "nocfi_mid/cfi", "a/prologue", "main/cfi", "Reset_Handler/cfi"},
			matchGDB: true,
		},
		{
			name: "smashed return address", scenario: 5, exception: "HardFault", causes: []string{"FORCED", "IACCVIOL"},
			frames:   []string{"??/fault-pc", "smash/lr"},
			findings: []string{"bad-pc", "stack-corruption"},
			summary:  "instruction fetch from 0xdeadbeee, which is not code; reached from smash() at chain.c:75, probably through a corrupt return address.",
		},
		{
			name: "UsageFault with its handler enabled", scenario: 6, exception: "UsageFault", causes: []string{"DIVBYZERO"},
			frames:   []string{"divide/fault-pc/inlined", "c/fault-pc", "b/cfi", "a/cfi", "main/cfi", "Reset_Handler/cfi"},
			summary:  "UsageFault: integer divide by zero in divide()",
			matchGDB: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := runScenario(t, img.Path(), tt.scenario, tt.late)
			r := Analyze(c.Snap, img)
			if r.Fault.Exception != tt.exception || !slices.Equal(r.Fault.Causes, tt.causes) {
				t.Errorf("exception %s causes %v, want %s %v", r.Fault.Exception, r.Fault.Causes, tt.exception, tt.causes)
			}
			if got := frameList(r); !slices.Equal(got, tt.frames) {
				t.Errorf("frames\n got %v\nwant %v", got, tt.frames)
			}
			if got := findingKinds(r); !slices.Equal(got, tt.findings) {
				t.Errorf("findings %v, want %v", got, tt.findings)
			}
			if !strings.Contains(r.Fault.Summary, tt.summary) {
				t.Errorf("summary %q\nwant it to contain %q", r.Fault.Summary, tt.summary)
			}
			if tt.matchGDB {
				var ours []string
				for _, f := range r.Frames {
					ours = append(ours, f.Function)
				}
				want := gdbFunctions(c.BT)
				if len(ours) < len(want) || !slices.Equal(ours[:len(want)], want) {
					t.Errorf("gdb's bt %v is not a prefix of ours %v", want, ours)
				}
			}
			for _, f := range r.Frames {
				if f.Function == "HardFault_Handler" || f.Function == "UsageFault_Handler" {
					t.Errorf("the fault handler must never be a frame: %v", frameList(r))
				}
			}
		})
	}
}

func TestELFMatchesTarget(t *testing.T) {
	img := openUnwindELF(t)
	vt := make([]byte, 0x40)
	if n, err := img.ReadMemory(vt, 0x08000000); n != len(vt) {
		t.Fatalf("read vector table from ELF: %v", err)
	}
	bad := slices.Clone(vt)
	bad[5] ^= 0xff
	tests := []struct {
		name   string
		region []capture.Region
		want   *bool
		note   bool
	}{
		{"matching vector table", []capture.Region{{Addr: 0x08000000, Data: vt, Name: "flash-sample"}}, ptr(true), false},
		{"different flash", []capture.Region{{Addr: 0x08000000, Data: bad, Name: "flash-sample"}}, ptr(false), true},
		{"nothing to compare", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := &capture.Snapshot{Registers: map[string]uint32{"pc": 0x080000a6, "sp": 0x20001000, "lr": 0x080000db}, Memory: tt.region}
			r := Analyze(snap, img)
			if (r.ELF.MatchesTarget == nil) != (tt.want == nil) || (tt.want != nil && *r.ELF.MatchesTarget != *tt.want) {
				t.Fatalf("matches_target = %v, want %v", show(r.ELF.MatchesTarget), show(tt.want))
			}
			hasNote := strings.Contains(strings.Join(r.Notes, "\n"), "does not match the target: every symbol below may lie")
			if hasNote != tt.note {
				t.Errorf("mismatch note %v, want %v: %v", hasNote, tt.note, r.Notes)
			}
		})
	}
}

func ptr(b bool) *bool { return &b }

func show(b *bool) string {
	if b == nil {
		return "unknown"
	}
	if *b {
		return "true"
	}
	return "false"
}

// TestSourceInText checks the culprit line is shown from the real source.
func TestSourceInText(t *testing.T) {
	img := openUnwindELF(t)
	snap := &capture.Snapshot{Registers: map[string]uint32{"pc": 0x08000000, "sp": 0x20001000}}
	pc := uint32(0)
	for _, s := range img.Symbols() {
		if s.Name == "isr_work" {
			pc = uint32(s.Addr) + 4
		}
	}
	if pc == 0 {
		t.Fatal("isr_work not in the ELF")
	}
	snap.Registers["pc"] = pc
	r := Analyze(snap, img)
	var b strings.Builder
	if err := r.WriteText(&b, report.Sources{Read: os.ReadFile}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "sink = 100 / zero;") {
		t.Errorf("source line missing:\n%s", b.String())
	}
}
