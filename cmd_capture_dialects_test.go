package main

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestCaptureOnEveryServer runs the OpenOCD capture tests (vector catch,
// lockup) against the fake of every other server in front of a real core,
// serving the crash QEMU recorded: the report is QEMU's, and a lockup is
// found although only OpenOCD reports one.
func TestCaptureOnEveryServer(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	for _, d := range rsptest.ProbeDialects()[1:] { // OpenOCD: cmd_capture_openocd_test.go
		t.Run(d.Name+"/crash", func(t *testing.T) {
			t.Parallel()
			before, run := fakeStates(t, rec)
			_, addr := d.Listen(t, rsptest.Config{State: before, Script: []rsptest.Run{run}})
			rep, stderr := captureReport(t, d.Name, addr, rec.elf)
			if !strings.Contains(stderr, "("+d.Name+")") {
				t.Errorf("stderr does not name the server %s: %s", d.Name, stderr)
			}
			if rep.Fault.Exception != rec.rep.Fault.Exception || !slices.Equal(rep.Fault.Causes, rec.rep.Fault.Causes) {
				t.Errorf("fault %s %v, QEMU said %s %v", rep.Fault.Exception, rep.Fault.Causes, rec.rep.Fault.Exception, rec.rep.Fault.Causes)
			}
			if !slices.Equal(frameNames(rep), frameNames(&rec.rep)) {
				t.Errorf("frames %q, QEMU gave %q", frameNames(rep), frameNames(&rec.rep))
			}
		})
		t.Run(d.Name+"/lockup", func(t *testing.T) {
			t.Parallel()
			before, run := fakeStates(t, rec)
			// The handler faulted again: the core sits locked up with the
			// first fault in CFSR and the stacked frame.
			lock := d.LockupRun(50 * time.Millisecond)
			lock.Memory = append(slices.Clone(run.Memory), lock.Memory...)
			regs := maps.Clone(run.Regs)
			maps.Copy(regs, lock.Regs)
			lock.Regs = regs
			_, addr := d.Listen(t, rsptest.Config{State: before, Script: []rsptest.Run{lock}})
			rep, _ := captureReport(t, d.Name, addr, rec.elf)
			if rep.Trigger.Kind != "lockup" || !rep.Fault.Lockup {
				t.Errorf("trigger %q lockup %v, want a lockup", rep.Trigger.Kind, rep.Fault.Lockup)
			}
			if !slices.Contains(rep.Fault.Causes, "DIVBYZERO") {
				t.Errorf("causes %v: the first fault's cause is lost", rep.Fault.Causes)
			}
			if !slices.Contains(frameNames(rep), "crash_divide") {
				t.Errorf("frames %q do not recover the stacked frame", frameNames(rep))
			}
		})
	}
}

// TestCaptureAlreadyHaltedInFaultOnEveryServer: a target found halted in
// its fault handler is captured as it is, never resumed, behind every
// server (OpenOCD: TestCaptureAlreadyHaltedInFault).
func TestCaptureAlreadyHaltedInFaultOnEveryServer(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	for _, d := range rsptest.ProbeDialects()[1:] {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			before, run := fakeStates(t, rec)
			st := rsptest.State{Regs: run.Regs, Memory: append(run.Memory, before.Memory[len(before.Memory)-1])}
			fk, addr := d.Listen(t, rsptest.Config{State: st})
			rep, _ := captureReport(t, d.Name, addr, rec.elf)
			for _, q := range fk.Requests() {
				if q == "c" || strings.HasPrefix(q, "vCont;c") || strings.HasPrefix(q, "s") {
					t.Fatalf("target resumed (%q) although it was halted in a fault", q)
				}
			}
			if rep.Fault.Exception != rec.rep.Fault.Exception || !slices.Equal(frameNames(rep), frameNames(&rec.rep)) {
				t.Errorf("exception %q frames %q, want %q %q", rep.Fault.Exception, frameNames(rep), rec.rep.Fault.Exception, frameNames(&rec.rep))
			}
		})
	}
}

// captureReport runs "faultline capture --once --json" on addr, which
// must be told to be server.
func captureReport(t *testing.T, server, addr, elf string) (*report.Report, string) {
	t.Helper()
	r := runFaultline(t, context.Background(), t.TempDir(), "", "capture", "--gdb", addr, "--elf", elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "20s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Target, server+" ") {
		t.Errorf("report target %q does not name the server %s", rep.Target, server)
	}
	return &rep, r.stderr
}
