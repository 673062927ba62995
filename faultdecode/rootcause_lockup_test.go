package faultdecode

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe"
)

// TestLockupKeepsTheFirstFaultsRootCause replays a lockup through a fake
// OpenOCD (QEMU aborts on lockup instead of modelling it): a crashlab
// crash is recorded in QEMU, then its HardFault handler is made to fault
// again. At the lockup the core holds the handler's registers (PC
// 0xFFFFFFFE, LR no longer an EXC_RETURN, SP below the first fault's
// exception frame); the analysis must find that frame and keep the first
// fault's root cause in the lead.
func TestLockupKeepsTheFirstFaultsRootCause(t *testing.T) {
	snap, img := captureCrashlab(t, "mps2-an385", "uafvtable")
	first := analyzeForTest(snap, img)
	if !strings.HasPrefix(first.Fault.Summary, "Stale object: registry.sessions[1]") {
		t.Fatalf("the recorded crash does not lead with the root cause: %q", first.Fault.Summary)
	}
	// The handler pushed two words and called a helper that faulted: SP
	// 8 below the exception frame, LR a return address into the handler,
	// the PC the architectural lockup address.
	hf, ok := img.LookupSymbol("HardFault_Handler")
	if !ok {
		t.Fatal("no HardFault_Handler")
	}
	rp, err := rsptest.ReplayCrash(snap, img, hf.Addr)
	if err != nil {
		t.Fatal(err)
	}
	regs, mem := rp.Crash.Regs, rp.Crash.Memory
	regs["sp"] = regs["msp"] - 8
	regs["msp"] = regs["sp"]
	regs["lr"] = hf.Addr + 5
	regs["pc"] = 0xfffffffe
	for i := range mem {
		if mem[i].Addr == 0xE000ED00 {
			h := binary.LittleEndian.Uint32(mem[i].Data[0x2C:])
			binary.LittleEndian.PutUint32(mem[i].Data[0x2C:], h|1<<30) // HFSR.FORCED stays
		}
	}
	before := rp.Before
	lock := rsptest.LockupRun(rsptest.OpenOCDTarget, 50*time.Millisecond)
	lock.Regs, lock.Memory = regs, mem
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: before, Script: []rsptest.Run{lock}})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	board, err := probe.LookupBoard("mps2-an385")
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := probe.ConnectTarget(ctx, probe.TargetOptions{Addr: addr, Board: board, Image: img})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if err := tgt.ArmAndResume(ctx); err != nil {
		t.Fatal(err)
	}
	crash, err := tgt.WaitCrash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locked, err := tgt.Snapshot(ctx, crash.Trigger, crash.Stop.Raw)
	if err != nil {
		t.Fatal(err)
	}
	rep := analyzeForTest(locked, img)
	t.Logf("findings:\n%s", findingList(rep))
	if !rep.Fault.Lockup {
		t.Fatalf("not analysed as a lockup (trigger %q)", locked.Meta.Trigger.Kind)
	}
	if !hasFinding(rep, report.FindLockup, "") {
		t.Errorf("no lockup finding")
	}
	if !hasFinding(rep, report.FindCorruptVtable, "registry.sessions[1]") {
		t.Errorf("the first fault's corrupt-vtable finding is lost")
	}
	if !strings.HasPrefix(rep.Fault.Summary, "Stale object: registry.sessions[1]") {
		t.Errorf("summary does not lead with the first fault's root cause: %q", rep.Fault.Summary)
	}
	if !strings.Contains(rep.Fault.Summary, "close_all()") {
		t.Errorf("summary does not name the first fault's code: %q", rep.Fault.Summary)
	}
	_ = capture.Trigger{}
}
