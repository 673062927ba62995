package probe

// What each GDB server needs to catch faults and reset, beyond OpenOCD's
// and QEMU's (target.go). Where each behaviour comes from is in
// gdbremote/rsptest/dialects.go and the gdbremote doc.

import (
	"context"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote"
)

// armServerCatch arms the server's own vector catch where it has one that
// leaves the fault as the core took it, and reports whether it is armed:
//
//   - pyOCD: "set vector-catch hbmiscp" (every fault, not reset). It
//     answers errors as text, never an error code, so the bits are checked
//     in DEMCR after; they are then cleared by DisarmFaultCatch like ours.
//   - Black Magic Probe: its catch (on by default for HardFault) unwinds
//     the exception and clears CFSR and HFSR before it reports SIGSEGV
//     (cortexm.c cortexm_fault_unwind), which would lose the fault's cause.
//     It is turned off, and faults are caught by handler breakpoints.
//
// J-Link GDB Server, st-util and the ST-LINK gdbserver have no vector
// catch command: armDEMCR sets the bits through a memory write.
func (t *Target) armServerCatch(ctx context.Context) bool {
	switch t.c.Stub() {
	case gdbremote.StubPyOCD:
		before, err := t.readWord(ctx, addrDEMCR)
		if err != nil {
			return false
		}
		out, err := t.c.Monitor(ctx, "set vector-catch hbmiscp")
		after, rerr := t.readWord(ctx, addrDEMCR)
		if err != nil || rerr != nil || after&demcrVCBits != demcrVCBits {
			t.event(EventTargetState, fmt.Sprintf("pyOCD vector catch not armed: %s", strings.TrimSpace(out)), nil)
			return false
		}
		t.mu.Lock()
		t.demcrSet = demcrVCBits &^ before
		t.mu.Unlock()
		return true
	case gdbremote.StubBlackMagic:
		if _, err := t.c.Monitor(ctx, "vector_catch disable hard int bus stat chk nocp mm"); err != nil {
			t.event(EventTargetState, "could not turn off the Black Magic Probe's vector catch: "+err.Error(), nil)
		}
	}
	return false
}

// serverCaughtFault recognises a fault the server caught and reported its
// own way although faultline did not arm it: a Black Magic Probe whose
// vector catch could not be turned off stops with SIGSEGV at the faulting
// instruction, the exception already unwound and CFSR/HFSR cleared
// (cortexm.c cortexm_fault_unwind). Resuming would only fault again.
func (t *Target) serverCaughtFault(stop gdbremote.StopReply, pc uint64) (Crash, bool) {
	if t.c.Stub() != gdbremote.StubBlackMagic || stop.Signal != 11 {
		return Crash{}, false
	}
	detail := fmt.Sprintf("the Black Magic Probe caught a fault at 0x%08x and unwound it (its fault status registers were cleared)", pc)
	t.event(EventTargetState, detail, map[string]string{"stop": stop.Raw})
	return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "fault-handler", Detail: detail}}, true
}

// usesDEMCR: servers in front of a real core whose DEMCR a memory write
// arms. Not QEMU (DEMCR reads 0) and not the Black Magic Probe (it
// unwinds every caught fault, however the catch was armed).
func usesDEMCR(s gdbremote.Stub) bool {
	return s != gdbremote.StubQEMU && s != gdbremote.StubBlackMagic
}

// resetHaltCommand is the monitor command that resets the core and leaves
// it halted, "" where there is none to trust (then AIRCR.SYSRESETREQ): the
// Black Magic Probe's "reset" pulses nRST and detaches (command.c), and
// st-util's "reset" (gdb-server.c) does not say it halts.
func resetHaltCommand(s gdbremote.Stub) string {
	switch s {
	case gdbremote.StubOpenOCD:
		return "reset halt"
	case gdbremote.StubPyOCD:
		return "reset halt" // pyocd/commands/commands.py ResetCommand
	case gdbremote.StubJLink:
		return "reset" // UM08001: resets and halts the target
	}
	return ""
}

// ReportsLockup reports whether the server says so when the core locks
// up: OpenOCD logs it and halts, QEMU exits. A locked-up core behind the
// others just stops making progress, so the session halts it now and then
// to look (Session.pollLockup).
func (t *Target) ReportsLockup() bool {
	s := t.c.Stub()
	return s == gdbremote.StubOpenOCD || s == gdbremote.StubQEMU
}
