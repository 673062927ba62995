package faultdecode

import "fmt"

// lockupScan is how far above SP the first fault's exception frame is
// looked for: the handler's own pushes and locals sit between.
const lockupScan = 512

// firstFaultFrame finds, for a locked-up core, the exception frame the
// first fault stacked: the core locks up instead of stacking the fault
// inside the handler, so the frame nearest above SP whose xPSR, LR and PC
// fit is the first fault's. Unlike the frame guess used for unwinding, a
// PC that is not code is accepted when the first fault was a fetch fault:
// that wild PC is usually the very thing to explain.
func (rc *rootCtx) firstFaultFrame() (ExceptionFrame, bool) {
	a := rc.a
	sp, ok := a.stop.Get(RegSP)
	if !ok {
		return ExceptionFrame{}, false
	}
	for off := uint32(0); off < lockupScan; off += 4 {
		ef, err := ReadExceptionFrame(a.snap, sp+off, ExcReturn(0xFFFFFFF9))
		if err != nil {
			return ExceptionFrame{}, false
		}
		if !rc.firstFaultPlausible(ef) {
			continue
		}
		return ef, true
	}
	return ExceptionFrame{}, false
}

func (rc *rootCtx) firstFaultPlausible(ef ExceptionFrame) bool {
	img := rc.a.img
	ipsr := uint32(ef.XPSR) & 0x1ff
	if ipsr != 0 && ipsr < 2 { // thread mode or a real exception number
		return false
	}
	if uint32(ef.XPSR)&0x0600fc00 != 0 && !ef.XPSR.Thumb() {
		return false
	}
	lrOK := IsExcReturn(ef.LR) || (ef.LR&1 == 1 && img.IsCode(uint64(ef.LR&^1)))
	if !lrOK {
		return false
	}
	if img.IsCode(uint64(ef.PC &^ 1)) {
		return ef.XPSR.Thumb() && ef.PC&1 == 0
	}
	// A wild PC: only for a fault on the fetch, and then LR must be a
	// return address right after a call (the call that went wild).
	return rc.a.fetchFault() && ef.LR&1 == 1 && callKind(img, ef.LR&^1) != callNone
}

// lockupForensics reports the first fault of a lockup and where it came
// from; the root-cause leads then name that code rather than the handler.
func (rc *rootCtx) lockupForensics() {
	a := rc.a
	if !a.fault.Lockup || a.img == nil {
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
	if c := rc.codeName((ef.LR &^ 1) - 2); c != "" && !IsExcReturn(ef.LR) {
		s += ", LR into " + c
	}
	s += "; the fault inside the handler that locked the core up came after it: explain the first fault"
	a.add(FindLockup, s, ef.Addr, true, "")
}
