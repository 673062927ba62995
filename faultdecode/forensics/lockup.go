package forensics

import (
	"fmt"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// lockupScan is how far above SP the first fault's exception frame is
// looked for: the handler's own pushes and locals sit between.
const lockupScan = 512

// firstFaultFrame finds, for a locked-up core, the exception frame the
// first fault stacked: the core locks up instead of stacking the fault
// inside the handler, so the frame nearest above SP whose xPSR, LR and PC
// fit is the first fault's. Unlike the frame guess used for unwinding, a
// PC that is not code is accepted when the first fault was a fetch fault:
// that wild PC is usually the very thing to explain.
func (rc *rootCtx) firstFaultFrame() (fault.ExceptionFrame, bool) {
	sp, ok := rc.Stop.Get(fault.RegSP)
	if !ok {
		return fault.ExceptionFrame{}, false
	}
	for off := uint32(0); off < lockupScan; off += 4 {
		ef, err := fault.ReadExceptionFrame(rc.Snap, sp+off, fault.ExcReturn(0xFFFFFFF9))
		if err != nil {
			return fault.ExceptionFrame{}, false
		}
		if !rc.firstFaultPlausible(ef) {
			continue
		}
		return ef, true
	}
	return fault.ExceptionFrame{}, false
}

func (rc *rootCtx) firstFaultPlausible(ef fault.ExceptionFrame) bool {
	img := rc.Image
	ipsr := uint32(ef.XPSR) & 0x1ff
	if ipsr != 0 && ipsr < 2 { // thread mode or a real exception number
		return false
	}
	if uint32(ef.XPSR)&0x0600fc00 != 0 && !ef.XPSR.Thumb() {
		return false
	}
	lrOK := fault.IsExcReturn(ef.LR) || (ef.LR&1 == 1 && img.IsCode(uint64(ef.LR&^1)))
	if !lrOK {
		return false
	}
	if img.IsCode(uint64(ef.PC &^ 1)) {
		return ef.XPSR.Thumb() && ef.PC&1 == 0
	}
	// A wild PC: only for a fault on the fetch, and then LR must be a
	// return address right after a call (the call that went wild).
	return rc.Fault.FetchFault() && ef.LR&1 == 1 && fault.CallKind(img, ef.LR&^1) != fault.CallNone
}

// lockupForensics reports the first fault of a lockup and where it came
// from; the root-cause leads then name that code rather than the handler.
func (rc *rootCtx) lockupForensics() {
	if !rc.Fault.Lockup || rc.Image == nil {
		return
	}
	ef, ok := rc.firstFaultFrame()
	if !ok {
		return
	}
	rc.first = &ef
	where := rc.codeName(ef.PC &^ 1)
	s := fmt.Sprintf("the first fault's exception frame is at 0x%08x: PC 0x%08x", ef.Addr, ef.PC)
	if where != "" {
		s += " in " + where
	} else {
		s += " (not code)"
	}
	if c := rc.codeName((ef.LR &^ 1) - 2); c != "" && !fault.IsExcReturn(ef.LR) {
		s += ", LR into " + c
	}
	s += "; the fault inside the handler that locked the core up came after it: explain the first fault"
	rc.add(report.FindLockup, s, ef.Addr, true, "")
}
