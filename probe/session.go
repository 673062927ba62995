package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote"
)

// SessionOptions configures a live session: a GDB target, a serial console,
// or both.
type SessionOptions struct {
	Target    *TargetOptions // nil: serial-only
	Serial    *SerialSpec    // nil: no console
	Console   ConsoleOptions // Timeline and Detectors are filled in by the session
	Detectors *DetectorSet   // console detectors; nil: the built-in ones
	// LED, when set with a GDB target, is sampled every LEDInterval.
	// OpenOCD reads it while the core runs; on QEMU a read halts the
	// guest, so each sample is a short halt/read/resume: it perturbs
	// timing, and the decoder times samples on the target's run clock.
	LED         *LEDProfile
	LEDInterval time.Duration // default 50ms, or 20ms where reads do not halt (OpenOCD: fast enough for the 100ms blink)
	Timeline    *Timeline     // default: a new one of 100000 events
	// Resume lets the firmware's own fault handler run after a crash has
	// been captured (SOS, reset) and keeps catching.
	Resume bool
	// HaltNow captures the target at once, as it is, trigger "manual"
	// (capture --halt: a board that hangs without faulting), instead of
	// arming fault catching and resuming it. A target found in a fault or
	// a dead end keeps that trigger.
	HaltNow bool
	// SerialCrashes makes a crash marker on the console a crash even when a
	// GDB target is attached (it is always one in serial-only mode).
	SerialCrashes bool
	// FirstAfter: a crash whose memory is expected to take longer than
	// this to read (a slow debug link) is first delivered on FirstLooks,
	// made from the registers, fault registers and stacks, and then whole
	// on Crashes. 0 means DefaultFirstAfter; negative means always.
	FirstAfter time.Duration
}

// SessionCrash is one crash the session caught, already snapshotted.
type SessionCrash struct {
	Snapshot *capture.Snapshot
	// Err says what the snapshot lacks (the connection died mid-read, ...);
	// Snapshot is still worth saving.
	Err error
}

// TargetStatus is the target's state in words, for status bars.
type TargetStatus string

// Target states.
const (
	StatusRunning      TargetStatus = "running"
	StatusHalted       TargetStatus = "halted"
	StatusCrashed      TargetStatus = "crashed"
	StatusLockedUp     TargetStatus = "locked up"
	StatusDisconnected TargetStatus = "disconnected"
	StatusSerialOnly   TargetStatus = "serial-only"
)

// SessionStatus is a copy of what the session knows now.
type SessionStatus struct {
	Target TargetStatus
	GDB    string // "127.0.0.1:3333 (openocd)", "" when serial-only
	Serial string // spec, "" when none
	LED    LEDState
	LEDRGB [3]float64
	Err    error // why the target connection ended, if it did
	// Capture is how far the capture of a crash has read memory.
	Capture CaptureProgress
}

// A Session watches a device: it owns the GDB target (one goroutine talks to
// it), the console and the LED sampler, and puts everything on one timeline.
type Session struct {
	opts SessionOptions
	tgt  *Target
	con  *Console
	tl   *Timeline

	crashes    chan SessionCrash
	firstLooks chan SessionCrash
	cmds       chan sessionCmd
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error

	mu     sync.Mutex
	status SessionStatus
	ledDec *LEDDecoder
	clock  runClock // the target's run time: LED samples are timed on it
}

type sessionCmd struct {
	op    string // "halt", "continue", "reset", "snapshot"
	reply chan sessionReply
}

type sessionReply struct {
	snap *capture.Snapshot
	err  error
}

// StartSession connects what opts names and starts watching. The first
// look at the target follows capture's contract: a target already halted in
// a fault is captured as is; otherwise fault catching is armed and the
// target resumed.
func StartSession(ctx context.Context, opts SessionOptions) (*Session, error) {
	if opts.Target == nil && opts.Serial == nil {
		return nil, errors.New("start session: need a GDB server (--gdb) or a serial console (--serial)")
	}
	if opts.Timeline == nil {
		opts.Timeline = NewTimeline(100000)
	}
	if opts.Detectors == nil {
		opts.Detectors = NewDetectorSet(nil)
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &Session{
		opts: opts, tl: opts.Timeline, cancel: cancel,
		crashes: make(chan SessionCrash, 16), firstLooks: make(chan SessionCrash, 16),
		cmds:   make(chan sessionCmd),
		ledDec: NewLEDDecoder(LEDDecoderOptions{}),
	}
	s.status.Target = StatusSerialOnly
	if opts.Serial != nil {
		copts := opts.Console
		copts.Timeline = s.tl
		copts.Detectors = opts.Detectors
		// The console lives as long as the session, not as long as the
		// caller's connect deadline.
		con, err := OpenConsole(sctx, *opts.Serial, copts)
		if err != nil {
			cancel()
			return nil, err // already names the console
		}
		s.con = con
		s.status.Serial = opts.Serial.String()
		if opts.Target == nil || opts.SerialCrashes {
			s.wg.Add(1)
			go s.watchSerial(sctx)
		}
	}
	if opts.Target != nil {
		topts := *opts.Target
		topts.Timeline = s.tl
		tgt, err := ConnectTarget(ctx, topts)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.tgt = tgt
		if s.opts.LEDInterval <= 0 {
			// A sample that does not halt the core costs the firmware
			// nothing, so sample fast enough to tell a 100ms blink.
			s.opts.LEDInterval = 50 * time.Millisecond
			if tgt.Client().CanReadRunning() {
				s.opts.LEDInterval = 20 * time.Millisecond
			}
		}
		s.status.GDB = fmt.Sprintf("%s (%s)", topts.Addr, tgt.StubName())
		s.status.Target = StatusHalted
		if err := s.begin(ctx); err != nil {
			s.Close()
			return nil, err
		}
		s.wg.Add(1)
		go s.ownTarget(sctx)
	}
	return s, nil
}

// Timeline is the session's event timeline.
func (s *Session) Timeline() *Timeline { return s.tl }

// Console is the serial console, nil when there is none.
func (s *Session) Console() *Console { return s.con }

// Target is the GDB target, nil in serial-only mode.
func (s *Session) Target() *Target { return s.tgt }

// Crashes delivers each crash caught, snapshotted.
func (s *Session) Crashes() <-chan SessionCrash { return s.crashes }

// FirstLooks delivers, before Crashes does, a crash whose capture is slow
// to read (see SessionOptions.FirstAfter): its snapshot has the registers,
// the fault registers and the stacks, and Meta.Missing names the memory
// still being read. The whole crash follows on Crashes; if the session is
// closed meanwhile, what was read follows there, saying what is missing.
// Nobody listening costs nothing: a full buffer drops the first look.
func (s *Session) FirstLooks() <-chan SessionCrash { return s.firstLooks }

// Status is a copy of the session's state now.
func (s *Session) Status() SessionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Session) setTarget(st TargetStatus, err error) {
	if st == StatusRunning {
		s.clock.resume(time.Now())
	} else {
		s.clock.halt(time.Now())
	}
	s.mu.Lock()
	s.status.Target = st
	if err != nil {
		s.status.Err = err
	}
	s.mu.Unlock()
}

// Close stops watching and disconnects; the target is left as it is. A
// capture in progress stops and its crash, with what was read, is on
// Crashes when Close returns. Closing again does nothing.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		var errs []error
		if s.tgt != nil {
			errs = append(errs, s.tgt.Close())
		}
		if s.con != nil {
			errs = append(errs, s.con.Close())
		}
		s.wg.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// begin looks at the halted target: in a fault or a dead end, capture it
// as is; asked to halt (HaltNow), capture it as is too; otherwise arm
// fault catching and resume.
func (s *Session) begin(ctx context.Context) error {
	st, err := s.tgt.Inspect(ctx)
	if err != nil {
		return err
	}
	if st.InFault {
		kind := "fault-handler"
		status := StatusCrashed
		switch {
		case st.Lockup:
			kind, status = "lockup", StatusLockedUp
		case st.DeadEnd:
			kind = "dead-end"
		}
		s.deliver(ctx, capture.Trigger{Kind: kind, Detail: "found halted: " + st.Reason}, st.Stop.Raw)
		s.setTarget(status, nil)
		return nil
	}
	if s.opts.HaltNow {
		detail := fmt.Sprintf("halted on request at PC 0x%08x", st.PC)
		s.tl.Add(Event{Time: time.Now(), Kind: EventTargetState, Source: "faultline", Text: detail})
		s.deliver(ctx, capture.Trigger{Kind: "manual", Detail: detail}, st.Stop.Raw)
		s.setTarget(StatusHalted, nil)
		return nil
	}
	if err := s.tgt.ArmAndResume(ctx); err != nil {
		return err
	}
	s.setTarget(StatusRunning, nil)
	return nil
}

// deliver snapshots the halted target and hands the crash out: first a
// look from the registers and stacks when the rest of memory is slow to
// read, then the whole capture.
func (s *Session) deliver(ctx context.Context, trig capture.Trigger, stop string) {
	snap, err := s.tgt.SnapshotStaged(ctx, trig, stop, Staging{
		FirstAfter: s.opts.FirstAfter,
		First: func(first *capture.Snapshot) {
			s.fillEvidence(first)
			select {
			case s.firstLooks <- SessionCrash{Snapshot: first}:
			default:
			}
		},
		Progress: func(p CaptureProgress) {
			s.mu.Lock()
			s.status.Capture = p
			s.mu.Unlock()
		},
	})
	s.fillEvidence(snap)
	s.tl.Add(Event{Time: time.Now(), Kind: EventCapture, Source: "faultline", Text: fmt.Sprintf("crash caught: %s: %s", trig.Kind, trig.Detail)})
	s.crashes <- SessionCrash{Snapshot: snap, Err: err}
}

// fillEvidence adds the console tail, LED history and timeline to a snapshot.
func (s *Session) fillEvidence(snap *capture.Snapshot) {
	if snap == nil {
		return
	}
	if s.con != nil {
		for _, l := range s.con.Tail(200) {
			snap.Meta.Serial = append(snap.Meta.Serial, capture.SerialLine{Time: l.Time, Text: l.Text})
		}
	}
	for _, e := range s.tl.Events() {
		if e.Kind == EventConsoleLine {
			continue // already in Serial
		}
		snap.Meta.Timeline = append(snap.Meta.Timeline, capture.Event{Time: e.Time, Kind: string(e.Kind), Detail: e.Text})
		if e.Kind == EventLEDChange {
			snap.Meta.LED = append(snap.Meta.LED, capture.LEDSample{Time: e.Time, Pattern: e.Text})
		}
	}
}

// maxSlowAnswers is how many timed-out exchanges in a row the session
// rides out before it calls the target lost.
const maxSlowAnswers = 5

// ownTarget is the one goroutine that talks to the GDB target while the
// session runs: it waits for crashes in short windows so it can sample the
// LED and serve commands between them.
func (s *Session) ownTarget(ctx context.Context) {
	defer s.wg.Done()
	window := s.opts.LEDInterval
	if s.opts.LED == nil {
		window = 100 * time.Millisecond
	}
	slow := 0 // server answers in a row that came too late
	lastLook := time.Now()
	for {
		if ctx.Err() != nil {
			return
		}
		if s.Status().Target != StatusRunning {
			select {
			case <-ctx.Done():
				return
			case c := <-s.cmds:
				s.command(ctx, c)
			}
			continue
		}
		select {
		case c := <-s.cmds:
			s.command(ctx, c)
			continue
		default:
		}
		crash, err := s.tgt.WaitCrashWithin(ctx, window)
		expired := errors.Is(err, ErrStillRunning)
		if !errors.Is(err, gdbremote.ErrTimeout) {
			slow = 0
		}
		switch {
		case err == nil:
			s.crashed(ctx, crash)
		case ctx.Err() != nil:
			return
		case expired:
			if s.opts.LED != nil {
				s.sampleLED(ctx)
			} else if !s.tgt.ReportsLockup() && time.Since(lastLook) >= lockupLookEvery {
				lastLook = time.Now()
				s.lookForLockup(ctx)
			}
		case errors.Is(err, gdbremote.ErrTimeout) && slow < maxSlowAnswers:
			// A server slow to answer (a loaded host) is not a lost one:
			// the client skips the late answer when it comes, and the
			// next round asks again.
			slow++
			s.tl.Add(Event{Time: time.Now(), Kind: EventTargetState, Source: "gdb", Text: "GDB server slow to answer, asking again: " + err.Error()})
		default:
			s.setTarget(StatusDisconnected, err)
			s.tl.Add(Event{Time: time.Now(), Kind: EventTargetState, Source: "gdb", Text: "target lost: " + err.Error()})
			if errors.Is(err, ErrTargetGone) {
				// The crash is the evidence: a server that dies with its
				// target (QEMU on a lockup). What could not be read is said
				// in the capture, not treated as a failed capture.
				snap := s.serialSnapshot(capture.Trigger{Kind: "lockup",
					Detail: "the GDB server vanished while the target ran (QEMU aborts on a lockup)"})
				snap.Meta.Missing = append(snap.Meta.Missing, err.Error())
				s.crashes <- SessionCrash{Snapshot: snap}
			}
			return
		}
	}
}

// lockupLookEvery is how often a running target behind a server that does
// not report lockups is halted to see whether it locked up. An LED sample
// on such a server halts it anyway, and looks the same way.
const lockupLookEvery = 500 * time.Millisecond

// lookForLockup halts the target briefly: a locked-up core shows
// DHCSR.S_LOCKUP or the lockup PC (CrashFromStop), and is a crash;
// otherwise it runs on, with the halt kept off the run clock.
func (s *Session) lookForLockup(ctx context.Context) {
	cl := s.tgt.Client()
	asked := time.Now()
	stop, err := cl.Interrupt(ctx)
	if err != nil {
		return
	}
	s.clock.halt(asked.Add(time.Since(asked) / 2))
	if dh, err := s.tgt.readWord(ctx, addrDHCSR); err == nil && dh&dhcsrSLockup != 0 {
		pc, _ := cl.ReadRegister(ctx, "pc")
		s.tgt.event(EventLockup, "core locked up (DHCSR.S_LOCKUP)", nil)
		s.crashed(ctx, Crash{Stop: stop, Trigger: capture.Trigger{Kind: "lockup",
			Detail: fmt.Sprintf("DHCSR.S_LOCKUP is set: the core locked up (PC 0x%08x)", pc)}})
		return
	}
	if crash, ok, _, err := s.tgt.CrashFromStop(ctx, stop); err == nil && ok {
		s.crashed(ctx, crash)
		return
	}
	sent := time.Now()
	if err := cl.Continue(ctx); err != nil {
		s.setTarget(StatusDisconnected, err)
		return
	}
	s.clock.resume(sent.Add(time.Since(sent) / 2))
}

// crashed records a crash the target stopped in and hands it out.
func (s *Session) crashed(ctx context.Context, crash Crash) {
	st := StatusCrashed
	if crash.Trigger.Kind == "lockup" {
		st = StatusLockedUp
	}
	s.setTarget(st, nil)
	s.deliver(ctx, crash.Trigger, crash.Stop.Raw)
	if s.opts.Resume {
		s.resumeAfterCrash(ctx)
	}
}

// resumeAfterCrash steps off the handler's breakpoint and lets the firmware
// handle its fault, catching stays armed.
func (s *Session) resumeAfterCrash(ctx context.Context) {
	if err := s.tgt.StepOver(ctx); err != nil {
		s.setTarget(StatusDisconnected, err)
		return
	}
	if err := s.tgt.Resume(ctx); err != nil {
		s.setTarget(StatusDisconnected, err)
		return
	}
	s.setTarget(StatusRunning, nil)
}

// sampleLED takes one LED sample and feeds the decoder.
func (s *Session) sampleLED(ctx context.Context) {
	p := *s.opts.LED
	now, b, ok := s.readLED(ctx, p)
	if !ok {
		return
	}
	// The decoder sees run time: the pattern as the firmware times it.
	smp, err := p.Decode(s.clock.at(now), b)
	if err != nil {
		return
	}
	st, changed := s.ledDec.Add(smp)
	st.Since = now // a wall-clock instant for readers, like every event's
	s.mu.Lock()
	s.status.LED = st
	s.status.LEDRGB = [3]float64{smp.R, smp.G, smp.B}
	s.mu.Unlock()
	if changed {
		s.tl.Add(Event{Time: now, Kind: EventLEDChange, Source: "led", Text: st.String()})
	}
}

// readLED reads the LED's registers. A server that reads while the core
// runs (OpenOCD) is read without disturbing it; otherwise (QEMU) it is a
// short halt, read, resume, with the halt kept off the run clock. The
// halt may race with a crash (the stop reply is then the fault handler's
// breakpoint): that stop is a crash, not a sample.
func (s *Session) readLED(ctx context.Context, p LEDProfile) (time.Time, []byte, bool) {
	addr, n := p.span()
	cl := s.tgt.Client()
	if cl.CanReadRunning() {
		now := time.Now()
		b, err := cl.ReadMemoryRunning(ctx, addr, n)
		// A stop that arrived meanwhile waits for the next WaitCrash.
		return now, b, err == nil
	}
	asked := time.Now()
	stop, err := cl.Interrupt(ctx)
	if err != nil {
		return time.Time{}, nil, false
	}
	// The core stopped about halfway between the request and the answer.
	s.clock.halt(asked.Add(time.Since(asked) / 2))
	if crash, ok, _, err := s.tgt.CrashFromStop(ctx, stop); err == nil && ok {
		s.crashed(ctx, crash)
		return time.Time{}, nil, false
	}
	now := time.Now()
	b, err := cl.ReadMemory(ctx, addr, n)
	rtt := time.Since(now)
	sent := time.Now()
	if rerr := cl.Continue(ctx); rerr != nil {
		s.setTarget(StatusDisconnected, rerr)
		return time.Time{}, nil, false
	}
	// The server acts on continue half a round trip after it was sent: the
	// round trip of its ack, or without acks (no-ack mode) the read's.
	s.clock.resume(sent.Add(max(time.Since(sent), rtt) / 2))
	return now, b, err == nil
}

// watchSerial turns crash markers on the console into crashes.
func (s *Session) watchSerial(ctx context.Context) {
	defer s.wg.Done()
	var after uint64 // markers seen while connecting count
	for {
		d, err := WaitCrashAfter(ctx, s.con, nil, after)
		if err != nil {
			return
		}
		after = d.Line.Seq
		trig := capture.Trigger{Kind: "serial-panic", Detail: d.Detection.Text}
		s.tl.Add(Event{Time: time.Now(), Kind: EventCapture, Source: "faultline", Text: "crash on the console: " + d.Detection.Text})
		var (
			dump   *capture.Snapshot
			source string
		)
		switch d.Detection.Detector {
		case "crashcatcher":
			// The registers and memory follow on the console.
			var err error
			source = "CrashCatcher dump"
			if dump, err = s.crashCatcherSnapshot(ctx, d.Line); err != nil {
				s.tl.Add(Event{Time: time.Now(), Kind: EventCapture, Source: "faultline", Text: "CrashCatcher dump: " + err.Error()})
			}
		case "zephyr-fault", "zephyr-fatal", "zephyr-coredump":
			// A "#CD:" core dump may follow the fatal error's lines.
			var (
				err  error
				last uint64
			)
			source = "Zephyr core dump"
			if dump, last, err = s.zephyrSnapshot(ctx, d.Line); err != nil {
				s.tl.Add(Event{Time: time.Now(), Kind: EventCapture, Source: "faultline", Text: "Zephyr core dump: " + err.Error()})
			}
			after = max(after, last)
		}
		snap := s.serialSnapshot(trig)
		if dump != nil {
			mergeConsoleDump(snap, dump, source)
		}
		select {
		case s.crashes <- SessionCrash{Snapshot: snap}:
		case <-ctx.Done():
			return
		}
	}
}

// serialSnapshot is a capture with only the console evidence (no target
// state): serial-only mode, or a target that died.
func (s *Session) serialSnapshot(trig capture.Trigger) *capture.Snapshot {
	snap := &capture.Snapshot{
		Registers: map[string]uint32{},
		Meta: capture.Meta{
			Schema: capture.SchemaV1, Trigger: trig, CapturedAt: time.Now().UTC(),
			Target:  "serial-only",
			Missing: []string{"registers and memory: no GDB connection at the time of the crash"},
		},
	}
	if s.opts.Target != nil {
		snap.Meta.Board = s.opts.Target.Board.Name
		if im := s.opts.Target.Image; im != nil {
			snap.Meta.ELF = capture.ELFRef{Path: im.Path(), BuildID: im.BuildID(), SHA256: im.SHA256()}
		}
	}
	s.fillEvidence(snap)
	return snap
}

// Halt stops the running target.
func (s *Session) Halt(ctx context.Context) error { _, err := s.do(ctx, "halt"); return err }

// Continue resumes the target (off a fault handler's breakpoint if needed).
func (s *Session) Continue(ctx context.Context) error { _, err := s.do(ctx, "continue"); return err }

// Reset resets the core (OpenOCD: monitor reset; others: AIRCR.SYSRESETREQ)
// and lets it run with fault catching armed.
func (s *Session) Reset(ctx context.Context) error { _, err := s.do(ctx, "reset"); return err }

// SnapshotNow takes a manual snapshot (halting briefly if running).
func (s *Session) SnapshotNow(ctx context.Context) (*capture.Snapshot, error) {
	return s.do(ctx, "snapshot")
}

func (s *Session) do(ctx context.Context, op string) (*capture.Snapshot, error) {
	if s.tgt == nil {
		return nil, fmt.Errorf("%s: no GDB connection (serial-only session)", op)
	}
	c := sessionCmd{op: op, reply: make(chan sessionReply, 1)}
	select {
	case s.cmds <- c:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	}
	select {
	case r := <-c.reply:
		return r.snap, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// command runs on the owner goroutine.
func (s *Session) command(ctx context.Context, c sessionCmd) {
	var r sessionReply
	st := s.Status().Target
	switch c.op {
	case "halt":
		if st == StatusRunning {
			_, r.err = s.tgt.Halt(ctx)
			if r.err == nil {
				s.setTarget(StatusHalted, nil)
			}
		}
	case "continue":
		switch st {
		case StatusCrashed:
			s.resumeAfterCrash(ctx)
		case StatusHalted:
			if r.err = s.tgt.Resume(ctx); r.err == nil {
				s.setTarget(StatusRunning, nil)
			}
		case StatusRunning:
		default:
			r.err = fmt.Errorf("continue: target is %s", st)
		}
	case "reset":
		if st == StatusRunning {
			if _, r.err = s.tgt.Halt(ctx); r.err != nil {
				break
			}
		}
		if r.err = s.tgt.ResetCore(ctx); r.err == nil {
			r.err = s.begin(ctx)
		}
	case "snapshot":
		running := st == StatusRunning
		if running {
			if _, r.err = s.tgt.Halt(ctx); r.err != nil {
				break
			}
		}
		r.snap, r.err = s.tgt.Snapshot(ctx, capture.Trigger{Kind: "manual", Detail: "snapshot taken on request"}, "")
		s.fillEvidence(r.snap)
		if running {
			if err := s.tgt.Resume(ctx); err != nil && r.err == nil {
				r.err = err
			}
		}
	case "disarm":
		r.err = s.tgt.DisarmFaultCatch(ctx)
	default:
		r.err = fmt.Errorf("unknown session command %q", c.op)
	}
	c.reply <- r
}

// DisarmFaultCatch removes fault catching from a halted target.
func (s *Session) DisarmFaultCatch(ctx context.Context) error {
	if s.tgt == nil {
		return nil
	}
	_, err := s.do(ctx, "disarm")
	return err
}
