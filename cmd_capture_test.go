package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

// TestCaptureCrashLab boots every crash-lab program halted in QEMU on both
// boards, catches its crash with `capture --once --json`, checks the report
// against expected.json, and checks that `analyze` on the saved capture
// gives the same report.
func TestCaptureCrashLab(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	want, err := crashlab.Expected()
	if err != nil {
		t.Fatal(err)
	}
	for _, prog := range crashlab.Programs() {
		for _, board := range crashlab.Boards() {
			exp, ok := want[prog][board]
			if !ok {
				continue
			}
			t.Run(prog+"/"+board, func(t *testing.T) {
				t.Parallel()
				elf, q := bootLab(t, ctx, board, prog)
				dir := t.TempDir()
				if exp.Exception == "None" {
					// A program that does not fault on this board: capture
					// must wait, time out with exit 3 and write nothing.
					r := runFaultline(t, ctx, dir, "", "capture", "--gdb", q.GDBAddr, "--elf", elf,
						"--board", board, "--once", "--json", "--timeout", "3s")
					if r.code != exitTimeout {
						t.Fatalf("capture exit %d, want %d (no crash)\nstderr:\n%s", r.code, exitTimeout, r.stderr)
					}
					if ents, _ := os.ReadDir(filepath.Join(dir, "crashes")); len(ents) != 0 {
						t.Errorf("capture files written on timeout: %v", ents)
					}
					return
				}
				r := runFaultline(t, ctx, dir, "", "capture", "--gdb", q.GDBAddr, "--elf", elf,
					"--board", board, "--once", "--json", "--timeout", "30s")
				if r.code != 0 {
					t.Fatalf("capture exit %d\nstderr:\n%s", r.code, r.stderr)
				}
				var rep report.Report
				if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
					t.Fatalf("capture --json is not one report: %v\n%s", err, r.stdout)
				}
				checkReport(t, &rep, exp)

				m := regexp.MustCompile(`capture saved to (\S+)`).FindStringSubmatch(r.stderr)
				if m == nil {
					t.Fatalf("no capture path on stderr:\n%s", r.stderr)
				}
				path := m[1]
				if !filepath.IsAbs(path) {
					path = filepath.Join(dir, path)
				}
				if _, err := os.Stat(path); err != nil {
					t.Fatalf("capture file: %v", err)
				}
				a := runFaultline(t, ctx, dir, "", "analyze", path, "--elf", elf, "--json")
				if a.code != 0 {
					t.Fatalf("analyze exit %d: %s", a.code, a.stderr)
				}
				var rep2 report.Report
				if err := json.Unmarshal([]byte(a.stdout), &rep2); err != nil {
					t.Fatalf("analyze --json: %v", err)
				}
				if d := cmp.Diff(rep, rep2); d != "" {
					t.Errorf("analyze differs from the live report (-live +analyze):\n%s", d)
				}
			})
		}
	}
}

func checkReport(t *testing.T, rep *report.Report, exp crashlab.Expectation) {
	t.Helper()
	if rep.Schema != "faultline.report/v1" {
		t.Errorf("schema %q", rep.Schema)
	}
	if rep.Fault.Exception != exp.Exception {
		t.Errorf("exception %q, want %q (summary: %s)", rep.Fault.Exception, exp.Exception, rep.Fault.Summary)
	}
	if rep.Fault.Forced != exp.Forced {
		t.Errorf("forced %v, want %v", rep.Fault.Forced, exp.Forced)
	}
	for _, c := range exp.Causes {
		if !slices.Contains(rep.Fault.Causes, c) {
			t.Errorf("causes %v lack %s", rep.Fault.Causes, c)
		}
	}
	if exp.FaultAddress != nil {
		if !strings.EqualFold(rep.Fault.FaultAddress, *exp.FaultAddress) {
			t.Errorf("fault_address %q, want %q", rep.Fault.FaultAddress, *exp.FaultAddress)
		}
	} else if rep.Fault.FaultAddress != "" {
		t.Errorf("fault_address %q, want none", rep.Fault.FaultAddress)
	}
	var got []string
	for _, f := range rep.Frames {
		got = append(got, f.Function)
	}
	if len(got) < len(exp.Frames) || !slices.Equal(got[:len(exp.Frames)], exp.Frames) {
		t.Errorf("frames %q, want them to start with %q", got, exp.Frames)
	}
	if rep.Fault.Summary == "" {
		t.Error("empty summary")
	}
	for _, w := range exp.Findings {
		if !slices.ContainsFunc(rep.Findings, func(f report.Finding) bool {
			return f.Kind == w.Kind && (strings.Contains(f.Summary, w.Contains) || strings.Contains(f.Symbol, w.Contains))
		}) {
			t.Errorf("no %s finding containing %q in %+v", w.Kind, w.Contains, rep.Findings)
		}
	}
	if rep.ELF.MatchesTarget == nil || !*rep.ELF.MatchesTarget {
		t.Errorf("elf.matches_target = %v, want true", rep.ELF.MatchesTarget)
	}
}

// TestCaptureDeadServerSaysSo: nothing listening gives exit 1 and a clear
// sentence, quickly.
func TestCaptureDeadServerSaysSo(t *testing.T) {
	t.Parallel()
	r := runFaultline(t, context.Background(), t.TempDir(), "", "capture", "--gdb", "127.0.0.1:1", "--once")
	if r.code != exitError {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("error does not name the server: %s", r.stderr)
	}
}

// TestCaptureWrongELFSaysSoLoudly: explaining a crash against an ELF that
// is not what the target runs gives matches_target false and a warning.
func TestCaptureWrongELFSaysSoLoudly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	running, err := crashlab.ELF(ctx, "mps2-an385", "divzero")
	if err != nil {
		t.Fatal(err)
	}
	other, err := crashlab.ELF(ctx, "mps2-an385", "undef")
	if err != nil {
		t.Fatal(err)
	}
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: "mps2-an385", Kernel: running, Halted: true, Serials: []string{"null"}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop()
	r := runFaultline(t, ctx, t.TempDir(), "", "capture", "--gdb", q.GDBAddr, "--elf", other, "--board", "mps2-an385", "--once", "--json", "--timeout", "30s")
	if r.code != 0 {
		t.Fatalf("capture exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.ELF.MatchesTarget == nil || *rep.ELF.MatchesTarget {
		t.Errorf("matches_target = %v, want false", rep.ELF.MatchesTarget)
	}
	if !strings.Contains(r.stderr, "does not match") {
		t.Errorf("no warning on stderr:\n%s", r.stderr)
	}
}
