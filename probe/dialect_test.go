package probe

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// faultingCortexM is runningCortexM whose next run ends in a precise
// BusFault (CFSR.PRECISERR|BFARVALID, escalated to HardFault) with an
// exception frame on the main stack.
func faultingCortexM(handler uint32) (rsptest.State, rsptest.Run) {
	st := runningCortexM(handler)
	frame := make([]byte, 32)
	for i, v := range []uint32{1, 2, 3, 4, 12, 0x08000123, 0x08000150, 0x01000000} {
		binary.LittleEndian.PutUint32(frame[4*i:], v)
	}
	fsr := make([]byte, 8)
	binary.LittleEndian.PutUint32(fsr, 0x8200)    // CFSR: BFARVALID, PRECISERR
	binary.LittleEndian.PutUint32(fsr[4:], 1<<30) // HFSR.FORCED
	crash := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T05",
		Regs:   map[string]uint64{"pc": uint64(handler), "xpsr": 0x01000003, "lr": 0xfffffff9, "sp": 0x20000ee0, "msp": 0x20000ee0},
		Memory: []rsptest.Region{{Addr: 0x20000ee0, Data: frame}, {Addr: 0xE000ED28, Data: fsr}}}
	return st, crash
}

// TestCatchOnEveryServer: each server's way of catching is used (OpenOCD's
// and pyOCD's vector-catch commands, DEMCR written for J-Link, ST-LINK and
// st-util, handler breakpoints for the Black Magic Probe, whose own catch
// would unwind the fault and clear CFSR), the fault is caught at its
// handler with its cause intact, and the capture names the server.
func TestCatchOnEveryServer(t *testing.T) {
	const handler = 0x08000200
	for _, d := range rsptest.ProbeDialects() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			st, crash := faultingCortexM(handler)
			fk, addr := d.Listen(t, rsptest.Config{State: st, Script: []rsptest.Run{crash}})
			sess, c := firstCrash(t, addr, TargetOptions{})
			snap := c.Snapshot
			if got := snap.Meta.Trigger; got.Kind != "fault-handler" || !strings.Contains(got.Detail, "HardFault") {
				t.Errorf("trigger %+v, want the HardFault handler entered", got)
			}
			if snap.Registers["pc"] != handler {
				t.Errorf("stopped at pc %#x, want the handler's %#x", snap.Registers["pc"], handler)
			}
			scb, ok := snap.Region("scb")
			if !ok || binary.LittleEndian.Uint32(scb.Data[0x28:]) != 0x8200 {
				t.Errorf("CFSR not captured as the fault left it (region found %v)", ok)
			}
			if !strings.HasPrefix(snap.Meta.Target, d.Name+" ") {
				t.Errorf("capture target %q does not name the server %s", snap.Meta.Target, d.Name)
			}
			if !strings.Contains(sess.Status().GDB, "("+d.Name+")") {
				t.Errorf("status %q does not name the server", sess.Status().GDB)
			}
			reqs := fk.Requests()
			bps := slices.ContainsFunc(reqs, func(q string) bool { return strings.HasPrefix(q, "Z0") || strings.HasPrefix(q, "Z1") })
			if wantBPs := d.Stub == gdbremote.StubBlackMagic; bps != wantBPs {
				t.Errorf("handler breakpoints set: %v, want %v: %q", bps, wantBPs, reqs)
			}
			monitor := map[gdbremote.Stub]string{
				gdbremote.StubOpenOCD:    "cortex_m vector_catch",
				gdbremote.StubPyOCD:      "set vector-catch hbmiscp",
				gdbremote.StubBlackMagic: "vector_catch disable hard",
			}[d.Stub]
			if monitor != "" && !slices.ContainsFunc(reqs, func(q string) bool {
				return strings.HasPrefix(q, "qRcmd,"+string(gdbremote.EncodeHex([]byte(monitor))))
			}) {
				t.Errorf("monitor %q not sent: %q", monitor, reqs)
			}
		})
	}
}

// TestLockupOnEveryServer: OpenOCD reports a lockup; behind the other
// servers the core goes quiet, and the session's periodic look finds it
// locked up.
func TestLockupOnEveryServer(t *testing.T) {
	for _, d := range rsptest.ProbeDialects() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			lock := d.LockupRun(50 * time.Millisecond)
			lock.Regs["xpsr"] = 0x01000003 // the fault in HardFault's handler
			fk, addr := d.Listen(t, rsptest.Config{State: runningCortexM(0x08000200), Script: []rsptest.Run{lock}})
			sess, c := firstCrash(t, addr, TargetOptions{})
			if got := c.Snapshot.Meta.Trigger; got.Kind != "lockup" {
				t.Errorf("trigger %+v, want a lockup", got)
			}
			if got := sess.Status().Target; got != StatusLockedUp {
				t.Errorf("status %s, want %s", got, StatusLockedUp)
			}
			// Only where the server keeps quiet does the session halt
			// the core to look.
			if looked := fk.Interrupts() > 0; looked == d.ReportsLockup {
				t.Errorf("halted to look for a lockup: %v, on a server that reports lockups: %v", looked, d.ReportsLockup)
			}
		})
	}
}

// TestCatchIgnoresAStopOutsideAFaultOnEveryServer: a stop in thread mode
// (a bkpt, someone's breakpoint) is no crash, whatever the server calls
// it; the fault after it is.
func TestCatchIgnoresAStopOutsideAFaultOnEveryServer(t *testing.T) {
	for _, d := range rsptest.ProbeDialects() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			st, crash := faultingCortexM(0x08000200)
			stray := rsptest.Run{Delay: 30 * time.Millisecond, Stop: "T05", Regs: map[string]uint64{"pc": 0x08000150, "xpsr": 0x01000000}}
			_, addr := d.Listen(t, rsptest.Config{State: st, Script: []rsptest.Run{stray, crash}})
			_, c := firstCrash(t, addr, TargetOptions{})
			if c.Snapshot.Registers["pc"] != 0x08000200 {
				t.Errorf("crash at pc 0x%08x, want the fault handler's 0x08000200", c.Snapshot.Registers["pc"])
			}
		})
	}
}

// fileConn serves a fake over a pty's master side.
type fileConn struct{ *os.File }

func (fileConn) LocalAddr() net.Addr  { return &net.UnixAddr{Name: "pty", Net: "unix"} }
func (fileConn) RemoteAddr() net.Addr { return &net.UnixAddr{Name: "pty", Net: "unix"} }

// TestBlackMagicOverASerialPort: --gdb serial:/dev/... (and a bare /dev
// path) speaks RSP over the port, scans and attaches the probe's target
// for the user, and catches the fault.
func TestBlackMagicOverASerialPort(t *testing.T) {
	for _, prefix := range []string{"serial:", ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			st, crash := faultingCortexM(0x08000200)
			fk, err := rsptest.NewBlackMagic(rsptest.Config{State: st, Script: []rsptest.Run{crash}})
			if err != nil {
				t.Fatal(err)
			}
			// The slave stays open here too: with no slave open the
			// master reads EIO, and the fake would hang up.
			m, sl, err := pty.Open()
			if err != nil {
				t.Fatalf("open pty: %v", err)
			}
			path := sl.Name()
			t.Cleanup(func() { sl.Close() })
			done := make(chan struct{})
			go func() { defer close(done); fk.Serve(fileConn{m}) }()
			t.Cleanup(func() { fk.Close(); m.Close(); <-done })
			sess, c := firstCrash(t, prefix+path, TargetOptions{})
			if got := c.Snapshot.Meta.Trigger; got.Kind != "fault-handler" || !strings.Contains(got.Detail, "HardFault") {
				t.Errorf("trigger %+v, want the HardFault handler entered", got)
			}
			if got := sess.Status().GDB; !strings.Contains(got, path) || !strings.Contains(got, "(blackmagic)") {
				t.Errorf("status %q does not name the port and the probe", got)
			}
			reqs := strings.Join(fk.Requests(), "\n")
			if !strings.Contains(reqs, "vAttach;1") {
				t.Errorf("not attached for the user:\n%s", reqs)
			}
		})
	}
}

// TestResetOnEveryServer: a reset uses the server's "reset and halt"
// command where it has one to trust, else AIRCR.SYSRESETREQ, and the
// target runs again with fault catching armed.
func TestResetOnEveryServer(t *testing.T) {
	aircr := "Me000ed0c,4:0400fa05"
	want := map[gdbremote.Stub]string{
		gdbremote.StubOpenOCD: "qRcmd," + string(gdbremote.EncodeHex([]byte("reset halt"))),
		gdbremote.StubPyOCD:   "qRcmd," + string(gdbremote.EncodeHex([]byte("reset halt"))),
		gdbremote.StubJLink:   "qRcmd," + string(gdbremote.EncodeHex([]byte("reset"))),
	}
	for _, d := range rsptest.ProbeDialects() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			fk, addr := d.Listen(t, rsptest.Config{State: runningCortexM(0x08000200)})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := StartSession(ctx, SessionOptions{Target: &TargetOptions{Addr: addr, Board: testBoard}})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			if err := sess.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			w, ok := want[d.Stub]
			if !ok {
				w = aircr
			}
			if reqs := fk.Requests(); !slices.Contains(reqs, w) {
				t.Errorf("no %q among %q", w, reqs)
			}
			if got := sess.Status().Target; got != StatusRunning {
				t.Errorf("status %s after reset, want running", got)
			}
		})
	}
}

// TestSIGSEGVFromABlackMagicProbeIsACrash: if the probe's own vector catch
// fired anyway (it could not be turned off), its SIGSEGV stop at the
// unwound faulting instruction is a crash, not a stop to resume past (the
// fault would only repeat); on another server SIGSEGV alone is not.
func TestSIGSEGVFromABlackMagicProbeIsACrash(t *testing.T) {
	for _, d := range rsptest.ProbeDialects() {
		if d.Stub != gdbremote.StubBlackMagic && d.Stub != gdbremote.StubJLink {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			_, addr := d.Listen(t, rsptest.Config{State: runningCortexM(0x08000200)})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tgt, err := ConnectTarget(ctx, TargetOptions{Addr: addr, Board: testBoard})
			if err != nil {
				t.Fatal(err)
			}
			defer tgt.Close()
			stop, _ := gdbremote.ParseStopReply("T0bthread:1;")
			c, ok, pc, err := tgt.CrashFromStop(ctx, stop)
			if err != nil {
				t.Fatal(err)
			}
			want := d.Stub == gdbremote.StubBlackMagic
			if ok != want {
				t.Fatalf("crash %v (%+v), want %v", ok, c.Trigger, want)
			}
			if want && (!strings.Contains(c.Trigger.Detail, "unwound") || pc != 0x08000100) {
				t.Errorf("trigger %+v at pc %#x, want the unwound fault at 0x08000100", c.Trigger, pc)
			}
		})
	}
}
