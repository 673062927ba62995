package faultdecode

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// expectedFindings are the "findings" of every program and board in
// firmware/crashlab/expected.json.
func expectedFindings(t *testing.T) map[string]map[string][]crashlab.ExpectedFinding {
	t.Helper()
	exp, err := crashlab.Expected()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]crashlab.ExpectedFinding{}
	for p, boards := range exp {
		for board, e := range boards {
			if len(e.Findings) == 0 {
				continue
			}
			if out[p] == nil {
				out[p] = map[string][]crashlab.ExpectedFinding{}
			}
			out[p][board] = e.Findings
		}
	}
	return out
}

// captureCrashlab boots a crashlab program in QEMU, waits for its fault
// and captures it the way `faultline capture` does.
func captureCrashlab(t *testing.T, board, program string) (*capture.Snapshot, *elfsym.Image) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := crashlab.ELF(ctx, board, program)
	if err != nil {
		t.Fatalf("build %s: %v (run scripts/setup.sh if the toolchain is missing)", program, err)
	}
	return captureELF(t, board, elf)
}

// captureELF boots elf on board in QEMU, waits for the fault handler and
// captures the target with probe, as `faultline capture` does.
func captureELF(t testing.TB, board, elf string) (*capture.Snapshot, *elfsym.Image) {
	t.Helper()
	b, err := probe.LookupBoard(board)
	if err != nil {
		t.Fatal(err)
	}
	return captureWith(t, board, b, elf)
}

// captureWith boots elf on QEMU's machine, lets probe arm fault catching,
// waits for the fault handler and captures the target as `faultline
// capture` does, with b's memory map.
func captureWith(t testing.TB, machine string, b probe.Board, elf string) (*capture.Snapshot, *elfsym.Image) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fdtest.NeedTool(t, "qemu-system-arm")
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	snap, err := probetest.CrashIn(ctx, machine, b, elf, img)
	if err != nil {
		t.Fatal(err)
	}
	return snap, img
}

func TestRootCauseFindingsOnCrashlab(t *testing.T) {
	want := expectedFindings(t)
	for _, program := range []string{"fntable", "uafvtable", "stacksmash", "mpuguard"} {
		for _, board := range []string{"netduino2", "mps2-an385"} {
			wf := want[program][board]
			if len(wf) == 0 {
				t.Fatalf("expected.json has no findings for %s on %s", program, board)
			}
			t.Run(program+"/"+board, func(t *testing.T) {
				t.Parallel()
				snap, img := captureCrashlab(t, board, program)
				rep := analyzeForTest(snap, img)
				t.Logf("findings:\n%s", findingList(rep))
				for _, w := range wf {
					if !hasFinding(rep, w.Kind, w.Contains) {
						t.Errorf("no %s finding containing %q; findings:\n%s", w.Kind, w.Contains, findingList(rep))
					}
				}
			})
		}
	}
}

func hasFinding(rep *report.Report, kind, contains string) bool {
	for _, f := range rep.Findings {
		if f.Kind == kind && (strings.Contains(f.Summary, contains) || strings.Contains(f.Symbol, contains)) {
			return true
		}
	}
	return false
}

func findingList(rep *report.Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString("  " + f.Kind + ": " + f.Summary + " [" + f.Symbol + "]\n")
	}
	b.WriteString("  summary: " + rep.Fault.Summary + "\n")
	return b.String()
}
