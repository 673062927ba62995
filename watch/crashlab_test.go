package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// TestCrashLab boots every crash-lab program halted in QEMU on both boards,
// catches its crash as `capture --once --json` does, checks the report
// against expected.json, and checks that the saved capture explains to the
// same report (what `analyze` prints).
func TestCrashLab(t *testing.T) {
	t.Parallel()
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
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				elf, err := crashlab.ELF(ctx, board, prog)
				if err != nil {
					t.Fatal(err)
				}
				dev := probetest.QEMU(t, ctx, board, elf)
				img, err := indexcache.Open(elf, true)
				if err != nil {
					t.Fatal(err)
				}
				defer img.Close()
				sess := probetest.StartSession(t, ctx, dev, img)
				defer sess.Close()
				dir := t.TempDir()
				var out, log bytes.Buffer
				o := Options{Dir: dir, Image: img, JSON: true, Once: true, Timeout: 30 * time.Second, Out: &out, Log: &log}
				if exp.Exception == "None" {
					// A program that does not fault on this board: the watch
					// times out and writes nothing.
					o.Timeout = 3 * time.Second
					if err := Run(ctx, sess, o); !errors.Is(err, ErrNoCrash) {
						t.Fatalf("Run: %v, want ErrNoCrash\n%s", err, log.String())
					}
					if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
						t.Errorf("capture files written on timeout: %q", files)
					}
					return
				}
				if err := Run(ctx, sess, o); err != nil {
					t.Fatalf("Run: %v\n%s", err, log.String())
				}
				var rep report.Report
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatalf("the JSON output is not one report: %v\n%s", err, out.String())
				}
				checkReport(t, &rep, exp)
				snap, err := capture.Read(savedPath(t, log.String()))
				if err != nil {
					t.Fatal(err)
				}
				var again bytes.Buffer
				if err := PrintReport(&again, faultdecode.Analyze(snap, img), img, true); err != nil {
					t.Fatal(err)
				}
				var rep2 report.Report
				if err := json.Unmarshal(again.Bytes(), &rep2); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(rep, rep2); d != "" {
					t.Errorf("the saved capture explains differently (-live +saved):\n%s", d)
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
