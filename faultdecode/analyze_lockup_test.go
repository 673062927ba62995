package faultdecode

import (
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

func TestLockupInsideHandlerFindsTheOriginalFrame(t *testing.T) {
	// Found already locked up: PC is the lockup address, LR still holds
	// the handler's EXC_RETURN, but the handler had pushed 8 bytes before
	// it faulted again, so the first fault's frame is above SP.
	s := fdtest.NewStack()
	s.Put(0x20001008, 1, 2, 3, 4, 12, fdtest.A+0x21, fdtest.B+0x10, 0x01000000) // the first fault's frame, in b
	s.Put(0x2000102c, fdtest.Main+0x21)                                         // b's saved LR above the frame (b's CFA 0x20001030)
	s.Put(0x20001034, 0xFFFFFFFF)
	regs := map[string]uint32{"pc": 0xFFFFFFFE, "lr": 0xFFFFFFF9, "sp": 0x20001000, "xpsr": 0x01000003, "msp": 0x20001000}
	for i := range 13 {
		regs[fault.RegNames[i]] = uint32(i)
	}
	snap := s.Snapshot(regs, fdtest.SCBRegion(map[uint64]uint32{fault.AddrHFSR: 1 << 30, fault.AddrCFSR: 1 << 25}), fdtest.DHCSRRegion(1<<19|1<<17))
	snap.Meta.Trigger.Kind = "lockup"
	rep := analyze(snap, fdtest.NewProg())
	if !rep.Fault.Lockup {
		t.Fatalf("not a lockup: %+v", rep.Fault)
	}
	if len(rep.Frames) == 0 || rep.Frames[0].Function != "b" {
		t.Fatalf("frames %v: want the first fault's frame in b first\nnotes %v", rep.Frames, rep.Notes)
	}
}
