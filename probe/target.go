package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/gdbremote"
)

// Addresses of the System Control Block words the target code needs. The
// decoding lives in faultdecode; probe only reads.
const (
	addrVTOR  = 0xE000ED08
	addrDHCSR = 0xE000EDF0

	dhcsrSLockup = 1 << 19

	// Architectural lockup PCs (FACTS.md section 1).
	lockupPCv7 = 0xFFFFFFFE
	lockupPCv8 = 0xEFFFFFFE
)

// systemRegions are read into every capture: the SCB fault registers, the
// MPU's visible registers and the debug registers.
var systemRegions = []MemRange{
	{Name: "scb", Addr: 0xE000ED00, Size: 0x40},
	{Name: "mpu", Addr: 0xE000ED90, Size: 0x14},
	{Name: "debug", Addr: 0xE000EDF0, Size: 0x10},
}

// faultVectors are the exception numbers whose handlers mean "crash".
var faultVectors = []struct {
	num  int
	name string
}{{2, "NMI"}, {3, "HardFault"}, {4, "MemManage"}, {5, "BusFault"}, {6, "UsageFault"}}

// TargetOptions configures a connection to a GDB remote server.
type TargetOptions struct {
	Addr     string        // host:port of OpenOCD, QEMU's gdbstub, ...
	Board    Board         // memory map used for captures
	Extra    []MemRange    // more ranges every capture reads (--mem)
	Image    *elfsym.Image // firmware ELF; nil when unknown
	Timeout  time.Duration // per exchange; default 5s
	Trace    io.Writer     // RSP wire trace, nil for none
	Timeline *Timeline     // where target events go; may be nil
	// OnConsole receives the server's console output (OpenOCD's log lines).
	OnConsole func(text string)
}

// A Target is a live connection to a Cortex-M core through a GDB server.
type Target struct {
	c    *gdbremote.Client
	opts TargetOptions

	lockupLine atomic.Bool // OpenOCD said "clearing lockup after double fault"

	mu        sync.Mutex
	handlers  map[uint64]string // fault handler address -> exception name
	bps       []uint64          // breakpoints we set
	catching  bool              // vector catch armed (OpenOCD's, or DEMCR's)
	demcrSet  uint32            // DEMCR bits we set ourselves, cleared on disarm
	bpArmed   bool              // catching by handler breakpoints
	vtor      uint32            // VTOR when the breakpoints were set
	vtorWatch bool              // a write watchpoint on VTOR is set
	deadEnds  []deadEndBP       // breakpoints on dead-end functions (deadend.go)
}

// ConnectTarget dials the GDB server and completes the RSP handshake.
func ConnectTarget(ctx context.Context, opts TargetOptions) (*Target, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	t := &Target{opts: opts}
	gopts := gdbremote.Options{
		Timeout:   opts.Timeout,
		Trace:     opts.Trace,
		OnConsole: t.console,
	}
	var c *gdbremote.Client
	var err error
	if path, ok := gdbremote.SerialPath(opts.Addr); ok {
		// A Black Magic Probe: its GDB server is a serial port.
		c, err = gdbremote.DialSerial(ctx, path, gopts)
		if err != nil {
			return nil, fmt.Errorf("%w (is a Black Magic Probe there, powered, with a target on its SWD lines?)", err)
		}
	} else if c, err = gdbremote.Dial(ctx, opts.Addr, gopts); err != nil {
		return nil, fmt.Errorf("%w (is OpenOCD, QEMU -gdb, J-Link, pyOCD or st-util running there?)", err)
	}
	t.c = c
	t.event(EventTargetState, fmt.Sprintf("connected to %s (%s)", opts.Addr, t.StubName()), nil)
	return t, nil
}

// Client exposes the RSP client for callers that need raw access.
func (t *Target) Client() *gdbremote.Client { return t.c }

// Close ends the connection.
func (t *Target) Close() error { return t.c.Close() }

// StubName names the GDB server kind for reports.
func (t *Target) StubName() string {
	if t.c.Stub() == gdbremote.StubUnknown {
		return "gdb-server"
	}
	return t.c.Stub().String()
}

func (t *Target) console(text string) {
	if strings.Contains(text, "clearing lockup after double fault") {
		t.lockupLine.Store(true)
		t.event(EventLockup, strings.TrimSpace(text), nil)
	}
	if t.opts.OnConsole != nil {
		t.opts.OnConsole(text)
	}
}

func (t *Target) event(kind EventKind, text string, fields map[string]string) {
	if t.opts.Timeline == nil {
		return
	}
	t.opts.Timeline.Add(Event{Time: time.Now(), Kind: kind, Source: "gdb", Text: text, Fields: fields})
}

// TargetState is what Inspect saw on a halted target.
type TargetState struct {
	Stop      gdbremote.StopReply
	PC, XPSR  uint32
	Exception int    // active exception number (IPSR)
	InFault   bool   // halted with evidence of a crash: do not resume past it
	Lockup    bool   // the core locked up
	DeadEnd   bool   // stopped itself without a fault (deadend.go)
	Reason    string // why InFault, in words
}

// Inspect asks why the target is halted and whether it sits in a fault.
// Both OpenOCD and QEMU halt the core when a debugger attaches.
func (t *Target) Inspect(ctx context.Context) (TargetState, error) {
	var st TargetState
	stop, err := t.c.Halted(ctx)
	if err != nil {
		return st, fmt.Errorf("ask halt reason: %w", err)
	}
	st.Stop = stop
	if stop.Kind == 'W' || stop.Kind == 'X' {
		return st, fmt.Errorf("target has exited (%s)", stop.Raw)
	}
	pc, err := t.c.ReadRegister(ctx, "pc")
	if err != nil {
		return st, fmt.Errorf("read pc: %w", err)
	}
	xpsr, err := t.c.ReadRegister(ctx, "xpsr")
	if err != nil {
		return st, fmt.Errorf("read xpsr: %w", err)
	}
	st.PC, st.XPSR = uint32(pc), uint32(xpsr)
	st.Exception = int(st.XPSR & 0x1FF)
	if dh, err := t.readWord(ctx, addrDHCSR); err == nil && dh&dhcsrSLockup != 0 {
		st.Lockup, st.InFault, st.Reason = true, true, "DHCSR.S_LOCKUP is set: the core is locked up"
	}
	switch {
	case st.InFault:
	case t.lockupLine.Load():
		st.Lockup, st.InFault, st.Reason = true, true, "the GDB server reported a lockup"
	case st.PC&^1 == lockupPCv7&^1 || st.PC&^1 == lockupPCv8&^1:
		st.Lockup, st.InFault, st.Reason = true, true, fmt.Sprintf("PC is the lockup address 0x%08x", st.PC)
	case (st.Exception == 2 || st.Exception == 3) && neverExecutable(st.PC):
		// A fault inside NMI or HardFault cannot escalate: the core
		// locked up; the server halted it since (OpenOCD clears the
		// lockup that way before anyone attaches).
		st.Lockup, st.InFault, st.Reason = true, true, fmt.Sprintf("%s is active with PC 0x%08x, which cannot execute: the core locked up", exceptionName(st.Exception), st.PC)
	case st.Exception >= 2 && st.Exception <= 6:
		st.InFault, st.Reason = true, fmt.Sprintf("exception %d (%s) is active", st.Exception, exceptionName(st.Exception))
	case t.opts.Image != nil && !t.opts.Image.IsCode(uint64(st.PC&^1)):
		st.InFault, st.Reason = true, fmt.Sprintf("PC 0x%08x is not in the firmware's code", st.PC)
	default:
		if why := t.haltedDeadEnd(ctx, st.PC, st.Exception); why != "" {
			st.InFault, st.DeadEnd, st.Reason = true, true, why
		}
	}
	return st, nil
}

// neverExecutable reports a PC in an execute-never part of the memory map
// (peripherals, devices, the system space). Code outside the ELF is not
// enough: a bootloader or system part may hold the handler.
func neverExecutable(pc uint32) bool {
	return pc >= 0xA0000000 || (pc >= 0x40000000 && pc < 0x60000000)
}

func exceptionName(n int) string {
	for _, v := range faultVectors {
		if v.num == n {
			return v.name
		}
	}
	return fmt.Sprintf("exception %d", n)
}

func (t *Target) readWord(ctx context.Context, addr uint64) (uint32, error) {
	b, err := t.c.ReadMemory(ctx, addr, 4)
	if err != nil {
		return 0, err
	}
	if len(b) < 4 {
		return 0, fmt.Errorf("read 0x%08x: short reply", addr)
	}
	return binary.LittleEndian.Uint32(b), nil
}

// ArmFaultCatch makes the target stop at the first instruction of any fault
// handler and of any dead-end function the image defines (deadend.go;
// those the server refuses are said on the timeline, never an error). See
// armFaults for the fault handlers.
func (t *Target) ArmFaultCatch(ctx context.Context) error {
	if err := t.armFaults(ctx); err != nil {
		return err
	}
	t.armDeadEnds(ctx)
	return nil
}

// armFaults makes the target stop at the first instruction of any fault
// handler, with the exception frame stacked and before the firmware's
// handler runs. On OpenOCD it uses vector catch (no breakpoint slots, works
// from flash, independent of where the vector table is), and never needs
// to read the table to arm it; on other servers that write DEMCR, the same
// through DEMCR; elsewhere (QEMU) a breakpoint on each handler of both the
// ELF's vector table and the live one, and a write watchpoint on VTOR so a
// table moved at run time is followed.
func (t *Target) armFaults(ctx context.Context) error {
	hs, vtor, vtorOK, herr := t.faultHandlers(ctx)
	t.mu.Lock()
	t.handlers = map[uint64]string{}
	for a, n := range hs {
		t.handlers[a] = n
	}
	t.mu.Unlock()
	if t.c.Stub() == gdbremote.StubOpenOCD {
		if _, err := t.c.Monitor(ctx, "cortex_m vector_catch hard_err bus_err mm_err state_err chk_err nocp_err int_err"); err == nil {
			t.mu.Lock()
			t.catching = true
			t.mu.Unlock()
			t.event(EventTargetState, "armed OpenOCD vector catch", nil)
			return nil
		}
		// Fall through: an old OpenOCD or another server.
	}
	if t.armServerCatch(ctx) {
		t.mu.Lock()
		t.catching = true
		t.mu.Unlock()
		t.event(EventTargetState, fmt.Sprintf("armed %s vector catch", t.StubName()), nil)
		return nil
	}
	if t.armDEMCR(ctx) {
		t.mu.Lock()
		t.catching = true
		t.mu.Unlock()
		t.event(EventTargetState, "armed vector catch (DEMCR)", nil)
		return nil
	}
	if herr != nil {
		return fmt.Errorf("arm fault catching: %w", herr)
	}
	// Set everything afresh: a reset or a new connection may have dropped
	// what was set before (OpenOCD drops all on connect), and a second
	// insert of the same breakpoint would outlive one removal on QEMU.
	_ = t.dropBreakpoints(ctx)
	if err := t.setHandlerBreakpoints(ctx, hs); err != nil {
		return fmt.Errorf("arm fault catching: %w", err)
	}
	t.mu.Lock()
	t.bpArmed, t.vtor = true, vtor
	watching := t.vtorWatch
	t.mu.Unlock()
	if vtorOK && !watching {
		// Where the server has no write watchpoint on VTOR, a move is
		// still noticed at the next stop (rearmIfMoved).
		if err := t.c.SetBreakpoint(ctx, gdbremote.WatchWrite, addrVTOR, 4); err == nil {
			t.mu.Lock()
			t.vtorWatch = true
			t.mu.Unlock()
		}
	}
	t.event(EventTargetState, fmt.Sprintf("armed %d fault-handler breakpoints", len(hs)), nil)
	return nil
}

// ArmAndResume arms fault catching and lets the target run: how every wait
// for the next crash starts.
func (t *Target) ArmAndResume(ctx context.Context) error {
	if err := t.ArmFaultCatch(ctx); err != nil {
		return err
	}
	return t.Resume(ctx)
}

// DisarmFaultCatch removes what ArmFaultCatch set, so the firmware's own
// handler can run (SOS, reset).
func (t *Target) DisarmFaultCatch(ctx context.Context) error {
	errs := []error{t.dropBreakpoints(ctx), t.dropDeadEnds(ctx)}
	t.mu.Lock()
	catching, demcr := t.catching, t.demcrSet
	t.catching, t.demcrSet = false, 0
	t.mu.Unlock()
	switch {
	case demcr != 0:
		d, err := t.readWord(ctx, addrDEMCR)
		if err == nil {
			err = t.writeWord(ctx, addrDEMCR, d&^demcr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("clear vector catch (DEMCR): %w", err))
		}
	case catching && t.c.Stub() == gdbremote.StubOpenOCD:
		if _, err := t.c.Monitor(ctx, "cortex_m vector_catch none"); err != nil {
			errs = append(errs, fmt.Errorf("clear vector catch: %w", err))
		}
	}
	return errors.Join(errs...)
}

// dropBreakpoints clears the handler breakpoints and the VTOR watchpoint.
func (t *Target) dropBreakpoints(ctx context.Context) error {
	t.mu.Lock()
	bps, watch := t.bps, t.vtorWatch
	t.bps, t.vtorWatch, t.bpArmed = nil, false, false
	t.mu.Unlock()
	var errs []error
	for _, a := range bps {
		if err := t.c.ClearBreakpoint(ctx, gdbremote.BreakHardware, a, 2); err != nil {
			if err2 := t.c.ClearBreakpoint(ctx, gdbremote.BreakSoftware, a, 2); err2 != nil {
				errs = append(errs, fmt.Errorf("clear breakpoint 0x%08x: %w", a, err))
			}
		}
	}
	if watch {
		if err := t.c.ClearBreakpoint(ctx, gdbremote.WatchWrite, addrVTOR, 4); err != nil {
			errs = append(errs, fmt.Errorf("clear the VTOR watchpoint: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Resume lets the target run.
func (t *Target) Resume(ctx context.Context) error {
	if err := t.c.Continue(ctx); err != nil {
		return fmt.Errorf("resume target: %w", err)
	}
	t.event(EventTargetState, "running", nil)
	return nil
}

// Halt stops a running target.
func (t *Target) Halt(ctx context.Context) (gdbremote.StopReply, error) {
	st, err := t.c.Interrupt(ctx)
	if err != nil {
		return st, fmt.Errorf("halt target: %w", err)
	}
	t.event(EventTargetState, "halted", nil)
	return st, nil
}

// Crash describes the stop that ended WaitCrash.
type Crash struct {
	Trigger capture.Trigger
	Stop    gdbremote.StopReply
}

// ErrTargetGone means the GDB connection ended while waiting; with QEMU this
// is how a lockup looks (QEMU aborts instead of modelling it).
var ErrTargetGone = errors.New("GDB server closed the connection")

// WaitCrash waits, while the target runs, for a stop that means a crash: a
// fault handler reached, a vector catch, or a lockup. Other stops (a stray
// breakpoint, a halt by someone else) are reported and resumed.
func (t *Target) WaitCrash(ctx context.Context) (Crash, error) { return t.WaitCrashWithin(ctx, 0) }

// ErrStillRunning ends a WaitCrashWithin whose window passed without a stop.
var ErrStillRunning = errors.New("target still running")

// WaitCrashWithin is WaitCrash that waits for a stop at most window (0: no
// limit), then returns ErrStillRunning. Only the wait is windowed: once a
// stop arrives, reading why and resuming run under ctx, because an
// exchange cut short by a window would leave its answer in flight, to be
// read as the answer to the next request.
func (t *Target) WaitCrashWithin(ctx context.Context, window time.Duration) (Crash, error) {
	for {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if window > 0 {
			wctx, cancel = context.WithTimeout(ctx, window)
		}
		stop, err := t.c.WaitStop(wctx)
		// The read deadline is the window's, and may fire a moment before
		// wctx says it is done: WaitStop has no other timeout.
		expired := window > 0 && ctx.Err() == nil && (wctx.Err() != nil || errors.Is(err, gdbremote.ErrTimeout))
		cancel()
		if err != nil {
			if errors.Is(err, gdbremote.ErrClosed) {
				t.event(EventTargetState, "disconnected", nil)
				return Crash{}, fmt.Errorf("%w while the target ran (QEMU exits this way on a lockup): %v", ErrTargetGone, err)
			}
			if expired {
				return Crash{}, ErrStillRunning
			}
			return Crash{}, err
		}
		if stop.Kind == 'W' || stop.Kind == 'X' {
			return Crash{Stop: stop}, fmt.Errorf("target exited (%s)", stop.Raw)
		}
		crash, isCrash, pc, err := t.CrashFromStop(ctx, stop)
		if err != nil {
			return Crash{Stop: stop}, err
		}
		if isCrash {
			return crash, nil
		}
		if !isVTORWatch(stop) {
			t.event(EventTargetState, fmt.Sprintf("unexpected stop %s at 0x%08x; resuming", stop.Raw, pc), nil)
		}
		if err := t.Resume(ctx); err != nil {
			return Crash{}, err
		}
	}
}

// CrashFromStop tells whether a stop means a crash: a fault handler's
// first instruction (breakpoint or vector catch), the lockup PC, or the
// server's lockup report. It also returns the PC it read. A stop at the
// watchpoint on VTOR is not a crash: the firmware moved its vector table,
// and the handlers of the new one are armed before the caller resumes.
func (t *Target) CrashFromStop(ctx context.Context, stop gdbremote.StopReply) (Crash, bool, uint64, error) {
	if t.lockupLine.Load() {
		t.event(EventLockup, "core locked up (double fault)", nil)
		return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "lockup", Detail: "GDB server reported: clearing lockup after double fault"}}, true, 0, nil
	}
	if isVTORWatch(stop) {
		if err := t.onVTORWrite(ctx); err != nil {
			return Crash{Stop: stop}, false, 0, err
		}
		pc, _ := t.c.ReadRegister(ctx, "pc")
		return Crash{Stop: stop}, false, pc, nil
	}
	pc, err := t.c.ReadRegister(ctx, "pc")
	if err != nil {
		return Crash{Stop: stop}, false, 0, fmt.Errorf("read pc after stop %s: %w", stop.Raw, err)
	}
	if c, ok := t.serverCaughtFault(stop, pc); ok {
		return c, true, pc, nil
	}
	if c, hit, again := t.deadEndStop(ctx, stop, pc); hit {
		return c, !again, pc, nil
	}
	t.mu.Lock()
	name, atHandler := t.handlers[pc&^1]
	catching := t.catching
	t.mu.Unlock()
	// A vector catch stops with SIGTRAP on OpenOCD, J-Link and st-util,
	// with the fault's own signal on pyOCD (SIGSEGV, SIGBUS, SIGILL):
	// anything but an interrupt, named below from IPSR.
	if atHandler || (catching && stop.Signal != 2) {
		// A vector catch halts with IPSR already the exception's number,
		// which names it whatever table the handler came from.
		if xpsr, err := t.c.ReadRegister(ctx, "xpsr"); err == nil {
			ipsr := int(xpsr & 0x1FF)
			switch {
			case ipsr >= 2 && ipsr <= 6:
				name = exceptionName(ipsr)
			case !atHandler:
				// Not in a fault handler: a stop of another kind.
				return Crash{Stop: stop}, false, pc, nil
			}
		}
		if name == "" {
			name = "fault"
		}
		detail := fmt.Sprintf("%s handler entered at 0x%08x", name, pc)
		t.event(EventTargetState, detail, map[string]string{"stop": stop.Raw})
		return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "fault-handler", Detail: detail}}, true, pc, nil
	}
	if pc&^1 == lockupPCv7&^1 || pc&^1 == lockupPCv8&^1 {
		return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "lockup", Detail: fmt.Sprintf("PC at the lockup address 0x%08x", pc)}}, true, pc, nil
	}
	if t.opts.Image != nil && !t.opts.Image.IsCode(pc&^1) {
		// The test Inspect makes of a target found halted, made of every
		// other stop too (an LED sample's halt on QEMU, someone's Ctrl-C):
		// a wild jump need not fault. QEMU runs unmapped memory as zeros
		// (movs r0, r0) and RAM as whatever it holds, so the bundled
		// firmware's freed-client call can run on, faultless, forever.
		detail := fmt.Sprintf("PC 0x%08x is not in the firmware's code: a wild jump that has not faulted", pc)
		t.event(EventTargetState, detail, map[string]string{"stop": stop.Raw})
		return Crash{Stop: stop, Trigger: capture.Trigger{Kind: "dead-end", Detail: detail}}, true, pc, nil
	}
	t.mu.Lock()
	watching := t.vtorWatch
	t.mu.Unlock()
	if !watching {
		// No watchpoint to say so: look at every other stop whether the
		// vector table moved.
		if err := t.rearmIfMoved(ctx); err != nil {
			return Crash{Stop: stop}, false, pc, err
		}
	}
	return Crash{Stop: stop}, false, pc, nil
}

// StepOver single-steps the core, so a resume from a breakpoint address does
// not stop at the same breakpoint again. A masked loop's "b ." steps to
// itself: its breakpoint is lifted instead (liftLoopAt).
func (t *Target) StepOver(ctx context.Context) error {
	if pc, err := t.c.ReadRegister(ctx, "pc"); err == nil {
		t.liftLoopAt(ctx, pc)
	}
	if _, err := t.c.Step(ctx); err != nil {
		return fmt.Errorf("step off the fault handler: %w", err)
	}
	return nil
}

// ResetCore resets the halted core and leaves it halted at the reset
// vector when the server allows (OpenOCD: "monitor reset halt"); elsewhere
// it requests a system reset through AIRCR and halts again.
func (t *Target) ResetCore(ctx context.Context) error {
	if cmd := resetHaltCommand(t.c.Stub()); cmd != "" {
		if _, err := t.c.Monitor(ctx, cmd); err != nil {
			return fmt.Errorf("monitor %s: %w", cmd, err)
		}
		t.event(EventTargetState, "reset", nil)
		return nil
	}
	// AIRCR: VECTKEY 0x05FA, SYSRESETREQ bit 2. The reset happens when the
	// core runs again: step once so the next stop is after it.
	if err := t.c.WriteMemory(ctx, 0xE000ED0C, []byte{0x04, 0x00, 0xFA, 0x05}); err != nil {
		return fmt.Errorf("request reset (AIRCR): %w", err)
	}
	if _, err := t.c.Step(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	t.event(EventTargetState, "reset", nil)
	return nil
}

// Image is the firmware ELF the target is explained against, nil if none.
func (t *Target) Image() *elfsym.Image { return t.opts.Image }
