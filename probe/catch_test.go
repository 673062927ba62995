package probe

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// vectorTable is a 16-entry table whose fault vectors all point at handler.
func vectorTable(sp, handler uint32) []byte {
	vt := make([]byte, 0x40)
	binary.LittleEndian.PutUint32(vt, sp)
	for i := 1; i < 16; i++ {
		binary.LittleEndian.PutUint32(vt[4*i:], handler|1)
	}
	return vt
}

func word(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// firstCrash starts a session on addr and returns its first crash.
func firstCrash(t *testing.T, addr string, opts TargetOptions) (*Session, SessionCrash) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts.Addr = addr
	if opts.Board.Name == "" {
		opts.Board = testBoard
	}
	sess, err := StartSession(ctx, SessionOptions{Target: &opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	select {
	case c := <-sess.Crashes():
		if c.Snapshot == nil {
			t.Fatalf("crash without snapshot: %v", c.Err)
		}
		return sess, c
	case <-ctx.Done():
		t.Fatalf("no crash delivered; target %s (%v)", sess.Status().Target, sess.Status().Err)
	}
	return nil, SessionCrash{}
}

// TestCatchFollowsAVectorTableMovedAtRunTime: on a server catching by
// breakpoints (QEMU), the firmware copies its table to RAM with another
// HardFault handler and points VTOR at it: the write watchpoint on VTOR
// stops it, the new handler gets a breakpoint, and the fault in it is
// caught.
func TestCatchFollowsAVectorTableMovedAtRunTime(t *testing.T) {
	const flashHandler, ramHandler = 0x08000200, 0x08000300
	st := runningCortexM(flashHandler)
	ramTable := vectorTable(0x20001000, ramHandler)
	move := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T05watch:e000ed08;",
		Memory: []rsptest.Region{{Addr: 0x20000400, Data: ramTable}, {Addr: addrVTOR, Data: word(0x20000400)}}}
	crash := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T05",
		Regs: map[string]uint64{"pc": ramHandler, "xpsr": 0x01000003, "lr": 0xfffffff9}}
	fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st, Script: []rsptest.Run{move, crash}})
	sess, c := firstCrash(t, addr, TargetOptions{})
	if got := c.Snapshot.Meta.Trigger; got.Kind != "fault-handler" || !strings.Contains(got.Detail, "HardFault") {
		t.Errorf("trigger %+v, want the HardFault handler entered", got)
	}
	reqs := fk.Requests()
	if !slices.Contains(reqs, "Z2,e000ed08,4") {
		t.Errorf("no write watchpoint on VTOR: %q", reqs)
	}
	bps := strings.Join(fk.Breakpoints(), " ")
	for _, a := range []string{"8000200", "8000300"} {
		if !strings.Contains(bps, a) {
			t.Errorf("no breakpoint on 0x%s (breakpoints %s)", a, bps)
		}
	}
	moved := false
	for _, e := range sess.Timeline().Events() {
		moved = moved || strings.Contains(e.Text, "VTOR moved to 0x20000400")
	}
	if !moved {
		t.Error("the table move is not on the timeline")
	}
}

// TestCatchWithoutAWatchpointNoticesTheMoveAtTheNextStop: a server with no
// watchpoints still re-arms when it next stops for another reason.
func TestCatchWithoutAWatchpointNoticesTheMoveAtTheNextStop(t *testing.T) {
	const flashHandler, ramHandler = 0x08000200, 0x08000300
	st := runningCortexM(flashHandler)
	// The move happens while running; a stray stop (a halt from
	// elsewhere) follows, then the fault in the new handler.
	stray := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T02",
		Memory: []rsptest.Region{{Addr: 0x20000400, Data: vectorTable(0x20001000, ramHandler)}, {Addr: addrVTOR, Data: word(0x20000400)}}}
	crash := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T05",
		Regs: map[string]uint64{"pc": ramHandler, "xpsr": 0x01000003}}
	fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st, Script: []rsptest.Run{stray, crash},
		NoWatchpoints: true})
	_ = fk
	_, c := firstCrash(t, addr, TargetOptions{})
	if got := c.Snapshot.Meta.Trigger; got.Kind != "fault-handler" || !strings.Contains(got.Detail, "0x08000300") {
		t.Errorf("trigger %+v, want the RAM table's handler", got)
	}
}

// TestCatchOnOpenOCDNeverNeedsTheVectorTable: vector catch is armed even
// when the table cannot be read (VTOR reads 0, nothing mapped at 0), and
// the crash is named from IPSR.
func TestCatchOnOpenOCDNeverNeedsTheVectorTable(t *testing.T) {
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x08000100, "sp": 0x20000f00, "msp": 0x20000f00, "xpsr": 0x01000000},
		Memory: []rsptest.Region{
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
		},
	}
	crash := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T05",
		Regs: map[string]uint64{"pc": 0x08000400, "xpsr": 0x01000005}}
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st, Script: []rsptest.Run{crash}})
	_, c := firstCrash(t, addr, TargetOptions{})
	if got := c.Snapshot.Meta.Trigger; got.Kind != "fault-handler" || !strings.Contains(got.Detail, "BusFault") {
		t.Errorf("trigger %+v, want BusFault named from IPSR", got)
	}
	if slices.ContainsFunc(fk.Requests(), func(q string) bool { return strings.HasPrefix(q, "Z") }) {
		t.Errorf("breakpoints set although vector catch works: %q", fk.Requests())
	}
}

// TestCatchIgnoresAVectorCatchStopOutsideAFault: with vector catch armed,
// a SIGTRAP in thread mode (a bkpt, someone's breakpoint) is not a crash.
func TestCatchIgnoresAVectorCatchStopOutsideAFault(t *testing.T) {
	st := runningCortexM(0x08000200)
	stray := rsptest.Run{Delay: 30 * time.Millisecond, Stop: "T05", Regs: map[string]uint64{"pc": 0x08000150, "xpsr": 0x01000000}}
	crash := rsptest.Run{Delay: 30 * time.Millisecond, Stop: "T05", Regs: map[string]uint64{"pc": 0x08000200, "xpsr": 0x01000003}}
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st, Script: []rsptest.Run{stray, crash}})
	_, c := firstCrash(t, addr, TargetOptions{})
	if c.Snapshot.Registers["pc"] != 0x08000200 {
		t.Errorf("crash at pc 0x%08x, want the fault handler's 0x08000200", c.Snapshot.Registers["pc"])
	}
}

// TestAlreadyLockedUpIsCapturedAsLockup: a core found halted after a
// lockup is captured with a lockup trigger and never resumed.
func TestAlreadyLockedUpIsCapturedAsLockup(t *testing.T) {
	tests := []lockedUpCase{
		{"HardFault active at the lockup PC", map[string]uint64{"pc": 0xfffffffe, "xpsr": 0x01000003}, 0, "lockup", "lockup address"},
		{"ARMv8-M lockup PC", map[string]uint64{"pc": 0xeffffffe, "xpsr": 0x01000003}, 0, "lockup", "lockup address"},
		{"DHCSR.S_LOCKUP", map[string]uint64{"pc": 0x08000100, "xpsr": 0x01000000}, 1<<19 | 1<<17 | 1, "lockup", "S_LOCKUP"},
		{"NMI active with a PC in device space", map[string]uint64{"pc": 0xae094710, "xpsr": 0x01000002}, 0, "lockup", "cannot execute"},
		{"HardFault active in its handler is a fault, not a lockup", map[string]uint64{"pc": 0x08000200, "xpsr": 0x01000003}, 0, "fault-handler", "HardFault"},
	}
	// Every server in front of a real core: OpenOCD and the dialects of
	// gdbremote/rsptest/dialects.go.
	for _, d := range rsptest.ProbeDialects() {
		for _, tc := range tests {
			t.Run(d.Name+"/"+tc.name, func(t *testing.T) { tc.run(t, d) })
		}
	}
}

type lockedUpCase struct {
	name   string
	regs   map[string]uint64
	dhcsr  uint32
	kind   string
	reason string
}

func (tc lockedUpCase) run(t *testing.T, d rsptest.Dialect) {
	st := runningCortexM(0x08000200)
	for k, v := range tc.regs {
		st.Regs[k] = v
	}
	debug := make([]byte, 16)
	binary.LittleEndian.PutUint32(debug, tc.dhcsr)
	st.Memory = append(st.Memory, rsptest.Region{Addr: 0xE000EDF0, Data: debug})
	fk, addr := d.Listen(t, rsptest.Config{State: st, AttachStop: "S05"})
	sess, c := firstCrash(t, addr, TargetOptions{})
	trig := c.Snapshot.Meta.Trigger
	if trig.Kind != tc.kind || !strings.Contains(trig.Detail, tc.reason) {
		t.Errorf("trigger %+v, want %s (%s)", trig, tc.kind, tc.reason)
	}
	wantStatus := StatusCrashed
	if tc.kind == "lockup" {
		wantStatus = StatusLockedUp
	}
	if got := sess.Status().Target; got != wantStatus {
		t.Errorf("status %s, want %s", got, wantStatus)
	}
	for _, q := range fk.Requests() {
		if q == "c" || q == "s" || strings.HasPrefix(q, "vCont;") || strings.HasPrefix(q, "Z") {
			t.Fatalf("target resumed or armed (%q) although it was found in a fault", q)
		}
	}
}

// TestSnapshotRegistersOfTheCurrentSecurityBank: a server that names only
// the banked stack pointers (msp_s, msp_ns...) still gives msp/psp and the
// stack limits, from the bank SP is in; FP d registers do not end up
// truncated among the 32-bit ones.
func TestSnapshotRegistersOfTheCurrentSecurityBank(t *testing.T) {
	desc := &gdbremote.TargetDesc{Registers: []gdbremote.Register{{Name: "sp", Bitsize: 32}, {Name: "d0", Bitsize: 64}}}
	tests := []struct {
		name string
		in   map[string]uint64
		want map[string]uint32
	}{
		{"m-system names win", map[string]uint64{"sp": 0x100, "msp": 0x100, "msp_s": 0x200, "msplim": 0x10},
			map[string]uint32{"msp": 0x100, "msplim": 0x10}},
		{"non-secure bank holds SP", map[string]uint64{"sp": 0x300, "msp_s": 0x200, "msp_ns": 0x300, "psp_ns": 0x380, "msplim_ns": 0x30, "psplim_ns": 0x38, "psplim_s": 0x28},
			map[string]uint32{"msp": 0x300, "psp": 0x380, "msplim": 0x30, "psplim": 0x38}},
		{"secure by default", map[string]uint64{"sp": 0x999, "msp_s": 0x200, "msp_ns": 0x300, "msplim_s": 0x20},
			map[string]uint32{"msp": 0x200, "msplim": 0x20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]uint64{"d0": 5}
			for k, v := range tc.in {
				in[k] = v
			}
			got := map[string]uint32{}
			keepRegisters(got, in, desc)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %#x, want %#x (all %v)", k, got[k], v, got)
				}
			}
			if _, ok := got["d0"]; ok {
				t.Error("a 64-bit FP register was kept as a 32-bit one")
			}
		})
	}
}

// TestSnapshotNamesUnreadStacksInMissing: a stack window the server
// refuses in part is named in Missing, and what could be read is kept.
func TestSnapshotNamesUnreadStacksInMissing(t *testing.T) {
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x100, "sp": 0x10000f00, "msp": 0x10000f00, "xpsr": 0x01000003},
		Memory: []rsptest.Region{
			{Addr: 0x10000000, Data: make([]byte, 0x1000)}, // CCM, 4 KiB: the window's top is past it
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
		},
	}
	_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tgt, err := ConnectTarget(ctx, TargetOptions{Addr: addr, Board: Board{Name: "generic"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	snap, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "manual"}, "")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := snap.Region("stack-msp")
	if !ok || r.Addr != 0x10000e00 || r.End() != 0x10001000 {
		t.Errorf("stack-msp region %#x..%#x (found %v), want 0x10000e00..0x10001000", r.Addr, r.End(), ok)
	}
	if !strings.Contains(strings.Join(snap.Meta.Missing, "\n"), "stack-msp 0x10001000..0x10005000") {
		t.Errorf("Missing does not name the unread part of the stack window: %q", snap.Meta.Missing)
	}
}

// TestSnapshotLiftsQEMUsMPUForItsReads: QEMU hides a whole 1 KiB page
// behind a 256-byte MPU guard from its gdbstub, so the capture turns the
// MPU off for its memory reads, after reading the MPU registers as the
// firmware left them, and turns it back on.
func TestSnapshotLiftsQEMUsMPUForItsReads(t *testing.T) {
	mpu := make([]byte, 0x14)
	binary.LittleEndian.PutUint32(mpu[4:], 5) // MPU_CTRL: ENABLE, PRIVDEFENA
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x100, "sp": 0x20000f00, "msp": 0x20000f00, "xpsr": 0x01000003},
		Memory: []rsptest.Region{
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
			{Addr: 0xE000ED90, Data: mpu},
		},
	}
	fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tgt, err := ConnectTarget(ctx, TargetOptions{Addr: addr, Board: testBoard})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	snap, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "manual"}, "")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := snap.Region("mpu")
	if !ok || binary.LittleEndian.Uint32(r.Data[4:]) != 5 {
		t.Errorf("captured MPU_CTRL is not the firmware's 5: %x", r.Data)
	}
	reqs := strings.Join(fk.Requests(), "\n")
	off, on := strings.Index(reqs, "Me000ed94,4:04000000"), strings.Index(reqs, "Me000ed94,4:05000000")
	ram := strings.Index(reqs, "m20000000,")
	if off < 0 || on < off || ram < off || ram > on {
		t.Errorf("MPU not off around the RAM read (off at %d, RAM read at %d, on at %d):\n%s", off, ram, on, reqs)
	}
	if got, _ := fk.ReadMem(0xE000ED94, 4); binary.LittleEndian.Uint32(got) != 5 {
		t.Errorf("MPU_CTRL left at %x, want 5", got)
	}
}
