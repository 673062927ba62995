package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// A recorded crash: what QEMU's target held at the fault handler's entry,
// served later by the fake OpenOCD so its behaviour (vector catch, lockup,
// dropped connections) is tested on real firmware state.
type recorded struct {
	elf  string
	snap *capture.Snapshot
	rep  report.Report
}

var (
	recordOnce sync.Once
	recordErr  error
	record     recorded
)

// recordCrash captures divzero on mps2-an385 (code at 0, so the vector table
// is at VTOR 0 in the ELF) once per test binary.
func recordCrash(t *testing.T) recorded {
	t.Helper()
	recordOnce.Do(func() {
		ctx := context.Background()
		elf, err := crashlab.ELF(ctx, "mps2-an385", "divzero")
		if err != nil {
			recordErr = err
			return
		}
		q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: "mps2-an385", Kernel: elf, Halted: true, Serials: []string{"null"}})
		if err != nil {
			recordErr = err
			return
		}
		defer q.Stop()
		dir, err := os.MkdirTemp("", "faultline-record-")
		if err != nil {
			recordErr = err
			return
		}
		defer os.RemoveAll(dir)
		r := runFaultline(t, ctx, dir, "", "capture", "--gdb", q.GDBAddr, "--elf", elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "30s")
		if r.code != 0 {
			t.Fatalf("record crash: exit %d: %s", r.code, r.stderr)
		}
		snap, err := capture.Read(savedPath(t, dir, r.stderr))
		if err != nil {
			recordErr = err
			return
		}
		record = recorded{elf: elf, snap: snap}
		recordErr = json.Unmarshal([]byte(r.stdout), &record.rep)
	})
	if recordErr != nil {
		t.Fatalf("record a crash in QEMU: %v", recordErr)
	}
	return record
}

func savedPath(t testing.TB, dir, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`capture saved to (\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no capture path on stderr:\n%s", stderr)
	}
	if filepath.IsAbs(m[1]) {
		return m[1]
	}
	return filepath.Join(dir, m[1])
}

// fakeStates turns a recorded crash into the fake target's state before the
// crash (running in thread mode, fault registers clear) and the run that
// ends in the crash.
func fakeStates(t *testing.T, rec recorded) (before rsptest.State, crash rsptest.Run) {
	t.Helper()
	img, err := elfsym.Open(rec.elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	main, ok := img.LookupSymbol("main")
	if !ok {
		t.Fatal("no main in the crash-lab ELF")
	}
	rp, err := rsptest.ReplayCrash(rec.snap, img, main.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return rp.Before, rp.Crash
}

func frameNames(rep *report.Report) []string {
	var out []string
	for _, f := range rep.Frames {
		out = append(out, f.Function)
	}
	return out
}

func TestCaptureOpenOCDVectorCatch(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	before, run := fakeStates(t, rec)
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: before, Script: []rsptest.Run{run}})
	dir := t.TempDir()
	r := runFaultline(t, context.Background(), dir, "", "capture", "--gdb", addr, "--elf", rec.elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "20s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Fault.Exception != rec.rep.Fault.Exception || !slices.Equal(rep.Fault.Causes, rec.rep.Fault.Causes) {
		t.Errorf("fault %s %v, QEMU said %s %v", rep.Fault.Exception, rep.Fault.Causes, rec.rep.Fault.Exception, rec.rep.Fault.Causes)
	}
	if !slices.Equal(frameNames(&rep), frameNames(&rec.rep)) {
		t.Errorf("frames %q, QEMU gave %q", frameNames(&rep), frameNames(&rec.rep))
	}
	reqs := strings.Join(fk.Requests(), "\n")
	if !strings.Contains(reqs, "qRcmd,") {
		t.Errorf("no monitor command sent: vector catch not used")
	}
	if strings.Contains(reqs, "\nZ") {
		t.Errorf("breakpoints set on OpenOCD although vector catch worked")
	}
}

func TestCaptureOpenOCDLockup(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	before, run := fakeStates(t, rec)
	// The handler faulted again: OpenOCD saw S_LOCKUP, logged it, halted
	// the core; the first fault survives in CFSR and the stacked frame.
	lock := rsptest.LockupRun(rsptest.OpenOCDTarget, 50*time.Millisecond)
	lock.Memory = run.Memory
	lock.Regs = run.Regs
	lock.Regs["pc"] = 0xfffffffe
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: before, Script: []rsptest.Run{lock}})
	_ = fk
	dir := t.TempDir()
	r := runFaultline(t, context.Background(), dir, "", "capture", "--gdb", addr, "--elf", rec.elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "20s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Trigger.Kind != "lockup" || !rep.Fault.Lockup {
		t.Errorf("trigger %q lockup %v, want a lockup", rep.Trigger.Kind, rep.Fault.Lockup)
	}
	if !strings.Contains(rep.Fault.Summary, "divide by zero") || !strings.Contains(rep.Fault.Summary, "crash_divide") {
		t.Errorf("summary does not lead with the first fault: %s", rep.Fault.Summary)
	}
	if !slices.ContainsFunc(rep.Findings, func(f report.Finding) bool { return f.Kind == "lockup" }) {
		t.Errorf("no lockup finding: %+v", rep.Findings)
	}
	if !slices.Contains(rep.Fault.Causes, "DIVBYZERO") {
		t.Errorf("causes %v: the first fault's cause is lost", rep.Fault.Causes)
	}
	if !slices.Contains(frameNames(&rep), "crash_divide") {
		t.Errorf("frames %q do not recover the stacked frame", frameNames(&rep))
	}
}

func TestCaptureOpenOCDConnectionDropsMidRead(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	before, run := fakeStates(t, rec)
	// The RAM read (m20000000,...) is cut after 100 bytes of its reply.
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{
		State: before, Script: []rsptest.Run{run},
		Faults: []rsptest.Fault{{Match: "m2000", Kind: rsptest.FaultClose, N: 100}},
	})
	_ = fk
	dir := t.TempDir()
	r := runFaultline(t, context.Background(), dir, "", "capture", "--gdb", addr, "--elf", rec.elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "20s")
	if r.code != exitError {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "closed") {
		t.Errorf("error does not say the connection closed: %s", r.stderr)
	}
	snap, err := capture.Read(savedPath(t, dir, r.stderr))
	if err != nil {
		t.Fatalf("partial capture unreadable: %v", err)
	}
	if len(snap.Meta.Missing) == 0 {
		t.Error("partial capture does not say what is missing")
	}
	if snap.Registers["pc"] == 0 {
		t.Error("registers read before the drop were lost")
	}
}

func TestCaptureOpenOCDRetriesGarbageAndBadChecksums(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	tests := []struct {
		name   string
		faults []rsptest.Fault
		code   int
	}{
		{"damaged replies asked again", []rsptest.Fault{{Match: "m", Kind: rsptest.FaultBadChecksum, N: 1}, {Match: "m", Kind: rsptest.FaultBadChecksum, N: 1}, {Match: "g", Kind: rsptest.FaultBadChecksum, N: 1}}, 0},
		{"garbage before a reply", []rsptest.Fault{{Match: "m", Kind: rsptest.FaultGarbage, N: 7}}, 0},
		{"checksums never right", slices.Repeat([]rsptest.Fault{{Match: "?", Kind: rsptest.FaultBadChecksum, N: 1}}, 10), exitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, run := fakeStates(t, rec)
			_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: before, Script: []rsptest.Run{run}, Faults: tc.faults})
			dir := t.TempDir()
			r := runFaultline(t, context.Background(), dir, "", "capture", "--gdb", addr, "--elf", rec.elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "20s", "--rsp-timeout", "2s")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			if tc.code == 0 {
				var rep report.Report
				if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(frameNames(&rep), frameNames(&rec.rep)) {
					t.Errorf("frames %q, want %q", frameNames(&rep), frameNames(&rec.rep))
				}
			} else if !strings.Contains(strings.ToLower(r.stderr), "checksum") {
				t.Errorf("error does not mention checksums: %s", r.stderr)
			}
		})
	}
}

// TestCaptureAlreadyHaltedInFault: a target found halted in a fault is
// captured as is and never resumed.
func TestCaptureAlreadyHaltedInFault(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	_, run := fakeStates(t, rec)
	before, _ := fakeStates(t, rec)
	st := rsptest.State{Regs: run.Regs, Memory: append(run.Memory, before.Memory[len(before.Memory)-1])}
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st})
	dir := t.TempDir()
	r := runFaultline(t, context.Background(), dir, "", "capture", "--gdb", addr, "--elf", rec.elf, "--board", "mps2-an385", "--once", "--json", "--timeout", "10s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, q := range fk.Requests() {
		if q == "c" || strings.HasPrefix(q, "vCont;c") || strings.HasPrefix(q, "s") {
			t.Fatalf("target resumed (%q) although it was halted in a fault", q)
		}
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Fault.Exception != rec.rep.Fault.Exception {
		t.Errorf("exception %q, want %q", rep.Fault.Exception, rec.rep.Fault.Exception)
	}
}

// TestCaptureServerVanishingIsALockup: QEMU does not model lockup, it
// aborts, so its gdbstub closes while the target runs. capture reports that
// as a lockup trigger and saves what it has, rather than a bare error.
func TestCaptureServerVanishingIsALockup(t *testing.T) {
	t.Parallel()
	vectors := make([]byte, 0x40)
	for i := 1; i < 16; i++ {
		binary.LittleEndian.PutUint32(vectors[4*i:], 0x101)
	}
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x100, "xpsr": 0x01000000, "sp": 0x20001000, "msp": 0x20001000},
		Memory: []rsptest.Region{
			{Addr: 0, Data: vectors},
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
			{Addr: 0xE000EDF0, Data: make([]byte, 0x10)},
		},
	}
	fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st, Script: []rsptest.Run{{}}})
	go func() {
		time.Sleep(time.Second)
		fk.Close()
	}()
	dir := t.TempDir()
	r := runFaultline(t, context.Background(), dir, "", "capture", "--gdb", addr, "--once", "--json", "--timeout", "20s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Trigger.Kind != "lockup" {
		t.Errorf("trigger %q, want lockup", rep.Trigger.Kind)
	}
	if _, err := capture.Read(savedPath(t, dir, r.stderr)); err != nil {
		t.Errorf("capture file: %v", err)
	}
}

// TestAnalyzePrintsVariables: analyze --print evaluates a global from the
// captured RAM with its DWARF type; an unknown name is a usage error.
func TestAnalyzePrintsVariables(t *testing.T) {
	t.Parallel()
	rec := recordCrash(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "c.core")
	if err := capture.Write(path, rec.snap); err != nil {
		t.Fatal(err)
	}
	r := runFaultline(t, context.Background(), dir, "", "analyze", path, "--elf", rec.elf, "--print", "divisor")
	if r.code != 0 || !regexp.MustCompile(`divisor = \(.*int.*\) 0\b`).MatchString(r.stdout) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want divisor = (int) 0", r.code, r.stdout, r.stderr)
	}
	r = runFaultline(t, context.Background(), dir, "", "analyze", path, "--elf", rec.elf, "--print", "no_such_global")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no_such_global") {
		t.Fatalf("unknown variable: exit %d, stderr %q", r.code, r.stderr)
	}
}
