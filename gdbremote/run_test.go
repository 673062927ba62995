package gdbremote_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

func TestContinueWaitStop(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			run := rsptest.Run{
				Console: []string{"Info : hello from the target\n"},
				Delay:   50 * time.Millisecond,
				Stop:    "T05",
				Regs:    map[string]uint64{"pc": 0x08000200},
				Memory:  []rsptest.Region{{Addr: 0x20000010, Data: []byte{1, 2, 3, 4}}},
			}
			fk, addr := fl.listen(t, rsptest.Config{State: baseState(), Script: []rsptest.Run{run}})
			var con consoleLog
			cl := dial(t, addr, gdbremote.Options{OnConsole: con.add})
			ctx := ctxT(t)
			if err := cl.Continue(ctx); err != nil {
				t.Fatal(err)
			}
			if !cl.Running() {
				t.Fatal("not Running after Continue")
			}
			sr, err := cl.WaitStop(ctx)
			if err != nil || sr.Kind != 'T' || sr.Signal != 5 {
				t.Fatalf("WaitStop = %+v, %v", sr, err)
			}
			if fl.name == "qemu" && sr.Thread != "p01.01" {
				t.Errorf("thread = %q, want p01.01", sr.Thread)
			}
			if cl.Running() {
				t.Error("still Running after the stop")
			}
			if pc, err := cl.ReadRegister(ctx, "pc"); err != nil || pc != 0x08000200 {
				t.Errorf("pc after stop = %#x, %v", pc, err)
			}
			if b, err := cl.ReadMemory(ctx, 0x20000010, 4); err != nil || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
				t.Errorf("memory after stop = % x, %v", b, err)
			}
			wantConsole := map[string]string{"openocd": "Info : hello from the target\n", "qemu": ""}[fl.name]
			if con.String() != wantConsole {
				t.Errorf("console = %q, want %q", con.String(), wantConsole)
			}
			if !contains(fk.Requests(), "vCont;c") {
				t.Errorf("vCont;c not used though supported: %v", fk.Requests())
			}
		})
	}
}

func TestInterruptStopsRunningTarget(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			_, addr := fl.listen(t, rsptest.Config{State: baseState()})
			cl := dial(t, addr, gdbremote.Options{})
			ctx := ctxT(t)
			if err := cl.Continue(ctx); err != nil {
				t.Fatal(err)
			}
			sr, err := cl.Interrupt(ctx)
			if err != nil || sr.Signal != 2 {
				t.Fatalf("Interrupt = %+v, %v; want T02", sr, err)
			}
			if cl.Running() {
				t.Error("Running after Interrupt")
			}
			if _, err := cl.ReadRegisters(ctx); err != nil {
				t.Errorf("read after interrupt: %v", err)
			}
		})
	}
}

func TestInterruptWhileAnotherGoroutineWaits(t *testing.T) {
	_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: baseState()})
	cl := dial(t, addr, gdbremote.Options{})
	ctx := ctxT(t)
	if err := cl.Continue(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan gdbremote.StopReply, 1)
	go func() {
		sr, err := cl.WaitStop(ctx)
		if err != nil {
			t.Errorf("WaitStop: %v", err)
		}
		got <- sr
	}()
	time.Sleep(30 * time.Millisecond)
	sr, err := cl.Interrupt(ctx)
	if err != nil || sr.Signal != 2 {
		t.Fatalf("Interrupt = %+v, %v", sr, err)
	}
	if w := <-got; w.Raw != sr.Raw {
		t.Errorf("WaitStop saw %q, Interrupt %q", w.Raw, sr.Raw)
	}
}

// On QEMU any byte sent while the guest runs stops it and loses the
// packet: the client must refuse everything but Interrupt and WaitStop.
func TestQEMURunningRule(t *testing.T) {
	fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: baseState()})
	cl := dial(t, addr, gdbremote.Options{})
	ctx := ctxT(t)
	if err := cl.Continue(ctx); err != nil {
		t.Fatal(err)
	}
	n := len(fk.Requests())
	calls := map[string]func() error{
		"ReadMemory":    func() error { _, err := cl.ReadMemory(ctx, 0x20000000, 4); return err },
		"ReadRegisters": func() error { _, err := cl.ReadRegisters(ctx); return err },
		"ReadRegister":  func() error { _, err := cl.ReadRegister(ctx, "pc"); return err },
		"WriteMemory":   func() error { return cl.WriteMemory(ctx, 0x20000000, []byte{1}) },
		"SetBreakpoint": func() error { return cl.SetBreakpoint(ctx, gdbremote.BreakHardware, 0x08000100, 2) },
		"Continue":      func() error { return cl.Continue(ctx) },
		"Step":          func() error { _, err := cl.Step(ctx); return err },
		"Monitor":       func() error { _, err := cl.Monitor(ctx, "info"); return err },
		"Halted":        func() error { _, err := cl.Halted(ctx); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, gdbremote.ErrRunning) {
			t.Errorf("%s while running: %v, want ErrRunning", name, err)
		}
	}
	if got := fk.Requests()[n:]; len(got) != 0 {
		t.Fatalf("bytes reached the running guest: %v", got)
	}
	if sr, err := cl.Interrupt(ctx); err != nil || sr.Raw != "T02thread:p01.01;" {
		t.Fatalf("Interrupt = %q, %v", sr.Raw, err)
	}
}

func TestStepAdvancesPC(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			_, addr := fl.listen(t, rsptest.Config{State: baseState()})
			cl := dial(t, addr, gdbremote.Options{})
			ctx := ctxT(t)
			sr, err := cl.Step(ctx)
			if err != nil || sr.Signal != 5 {
				t.Fatalf("Step = %+v, %v", sr, err)
			}
			if pc, _ := cl.ReadRegister(ctx, "pc"); pc != 0x08000102 {
				t.Errorf("pc after step = %#x", pc)
			}
		})
	}
}

func TestWatchpointStop(t *testing.T) {
	run := rsptest.Run{Delay: 10 * time.Millisecond, Stop: "T05watch:20000040;"}
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), Script: []rsptest.Run{run}})
	cl := dial(t, addr, gdbremote.Options{})
	ctx := ctxT(t)
	if err := cl.SetBreakpoint(ctx, gdbremote.WatchWrite, 0x20000040, 4); err != nil {
		t.Fatal(err)
	}
	if err := cl.Continue(ctx); err != nil {
		t.Fatal(err)
	}
	sr, err := cl.WaitStop(ctx)
	if err != nil || sr.Watch != "watch" || sr.WatchAddr != 0x20000040 {
		t.Fatalf("stop = %+v, %v", sr, err)
	}
}

func TestMonitorCollectsOutput(t *testing.T) {
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState()})
	var con consoleLog
	cl := dial(t, addr, gdbremote.Options{OnConsole: con.add})
	ctx := ctxT(t)
	out, err := cl.Monitor(ctx, "cortex_m vector_catch hard_err bus_err mm_err")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{" hard_err: catch", "  bus_err: catch", "   mm_err: catch", "  int_err: ignore"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if con.String() != "" {
		t.Errorf("monitor output leaked to OnConsole: %q", con.String())
	}
	demcr, _ := fk.ReadMem(0xE000EDFC, 4)
	if got, want := binary.LittleEndian.Uint32(demcr), uint32(1<<10|1<<8|1<<4); got != want {
		t.Errorf("DEMCR = %#x, want %#x", got, want)
	}
	b, err := cl.ReadMemory(ctx, 0xE000EDFC, 4)
	if err != nil || !bytes.Equal(b, demcr) {
		t.Errorf("client reads DEMCR % x, %v", b, err)
	}
	out, err = cl.Monitor(ctx, "reset halt")
	if err != nil || !strings.Contains(out, "halted due to debug-request") {
		t.Errorf("reset halt: %q, %v", out, err)
	}
	out, err = cl.Monitor(ctx, "frobnicate")
	var re *gdbremote.RemoteError
	if !errors.As(err, &re) || re.Code != 1 || !strings.Contains(re.Text, "invalid command name") {
		t.Errorf("unknown command: %q, %v; want E01 with the output", out, err)
	}
}

func TestLockupSequence(t *testing.T) {
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{
		State:  baseState(),
		Script: []rsptest.Run{rsptest.LockupRun(rsptest.OpenOCDTarget, 30*time.Millisecond)},
	})
	var con consoleLog
	cl := dial(t, addr, gdbremote.Options{OnConsole: con.add})
	ctx := ctxT(t)
	if err := cl.Continue(ctx); err != nil {
		t.Fatal(err)
	}
	sr, err := cl.WaitStop(ctx)
	if err != nil || sr.Raw != "T02" {
		t.Fatalf("WaitStop = %+v, %v; want T02", sr, err)
	}
	if want := "[stm32f2x.cpu] clearing lockup after double fault\n"; con.String() != want {
		t.Errorf("console = %q, want %q", con.String(), want)
	}
	if pc, _ := cl.ReadRegister(ctx, "pc"); pc != 0xfffffffe {
		t.Errorf("pc = %#x, want the lockup address", pc)
	}
}

func TestCloseMidRead(t *testing.T) {
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{
		State:  baseState(),
		Faults: []rsptest.Fault{{Match: "m20000000", Kind: rsptest.FaultClose, N: 100}},
	})
	cl := dial(t, addr, gdbremote.Options{})
	got, err := cl.ReadMemory(ctxT(t), 0x20000000, 4096)
	if !errors.Is(err, gdbremote.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
	if !strings.Contains(err.Error(), "read memory 0x20000000+4096") {
		t.Errorf("error does not say what was read: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("returned %d bytes", len(got))
	}
}

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   rsptest.Fault
		timeout time.Duration
		wantErr error
		errText string
	}{
		{name: "garbage before the reply", fault: rsptest.Fault{Kind: rsptest.FaultGarbage, N: 37}},
		{name: "two bad checksums then good", fault: rsptest.Fault{Kind: rsptest.FaultBadChecksum, N: 2}},
		{name: "bad checksums past the retry limit", fault: rsptest.Fault{Kind: rsptest.FaultBadChecksum, N: 6}, errText: "bad checksums"},
		{name: "slow but in time", fault: rsptest.Fault{Kind: rsptest.FaultDelay, Delay: 50 * time.Millisecond}, timeout: time.Second},
		{name: "keep-alives before the reply", fault: rsptest.Fault{Kind: rsptest.FaultKeepAlive, N: 3}},
		{name: "too slow", fault: rsptest.Fault{Kind: rsptest.FaultDelay, Delay: 400 * time.Millisecond}, timeout: 100 * time.Millisecond, wantErr: gdbremote.ErrTimeout},
	}
	for _, fl := range flavours {
		for _, tt := range tests {
			// Bad checksums need ack mode to be recoverable: QEMU (no
			// QStartNoAckMode) is; OpenOCD runs without acks and fails.
			if fl.name == "openocd" && tt.fault.Kind == rsptest.FaultBadChecksum {
				continue
			}
			t.Run(fl.name+"/"+tt.name, func(t *testing.T) {
				f := tt.fault
				f.Match = "m2000"
				_, addr := fl.listen(t, rsptest.Config{State: baseState(), Faults: []rsptest.Fault{f}})
				cl := dial(t, addr, gdbremote.Options{Timeout: tt.timeout})
				b, err := cl.ReadMemory(ctxT(t), 0x20000000, 16)
				switch {
				case tt.wantErr != nil || tt.errText != "":
					if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errText) {
						t.Fatalf("err = %v, want %v %q", err, tt.wantErr, tt.errText)
					}
				case err != nil:
					t.Fatal(err)
				case !bytes.Equal(b, baseState().Memory[0].Data[:16]):
					t.Fatalf("read % x", b)
				}
			})
		}
	}
}

func TestOpenOCDDamagedReplyInNoAckMode(t *testing.T) {
	damaged := func(match string, n int) []rsptest.Fault {
		return slices.Repeat([]rsptest.Fault{{Match: match, Kind: rsptest.FaultBadChecksum, N: 1}}, n)
	}
	t.Run("a read is asked again", func(t *testing.T) {
		fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), Faults: damaged("m", 2)})
		cl := dial(t, addr, gdbremote.Options{})
		b, err := cl.ReadMemory(ctxT(t), 0x20000000, 16)
		if err != nil || !bytes.Equal(b, baseState().Memory[0].Data[:16]) {
			t.Fatalf("read % x, %v", b, err)
		}
		if n := len(requestSizes(fk.Requests(), "m")); n != 3 {
			t.Errorf("%d m requests, want 3 (two damaged replies)", n)
		}
	})
	t.Run("gives up with a checksum error", func(t *testing.T) {
		_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), Faults: damaged("m", 10)})
		cl := dial(t, addr, gdbremote.Options{})
		_, err := cl.ReadMemory(ctxT(t), 0x20000000, 16)
		if !errors.Is(err, gdbremote.ErrBadChecksum) || !strings.Contains(err.Error(), "no-ack mode") {
			t.Fatalf("err = %v, want a bad-checksum error in no-ack mode", err)
		}
	})
	t.Run("a write is never repeated", func(t *testing.T) {
		fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), Faults: damaged("M", 1)})
		cl := dial(t, addr, gdbremote.Options{})
		err := cl.WriteMemory(ctxT(t), 0x20000000, []byte{1, 2, 3, 4})
		if !errors.Is(err, gdbremote.ErrBadChecksum) {
			t.Fatalf("err = %v, want a bad-checksum error", err)
		}
		if n := len(requestSizes(fk.Requests(), "M")); n != 1 {
			t.Errorf("%d M requests, want 1", n)
		}
	})
}

// TestReadMemoryRunning: OpenOCD reads memory through the debug port while
// the core runs, so the read neither stops the target nor loses a stop
// that arrives meanwhile; QEMU would stop on the first byte, so nothing is
// sent to it.
func TestReadMemoryRunning(t *testing.T) {
	t.Run("openocd reads without halting", func(t *testing.T) {
		fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState()})
		cl := dial(t, addr, gdbremote.Options{})
		ctx := ctxT(t)
		if err := cl.Continue(ctx); err != nil {
			t.Fatal(err)
		}
		want, _ := fk.ReadMem(0x20000000, 16)
		got, err := cl.ReadMemoryRunning(ctx, 0x20000000, 16)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ReadMemoryRunning = % x, %v; want % x", got, err, want)
		}
		if !cl.Running() || fk.Interrupts() != 0 {
			t.Errorf("running after the read: %v, interrupts sent: %d", cl.Running(), fk.Interrupts())
		}
	})
	t.Run("openocd stop during the read is kept for WaitStop", func(t *testing.T) {
		run := rsptest.Run{Delay: time.Millisecond, Stop: "T05"}
		_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), Script: []rsptest.Run{run},
			Latency: 20 * time.Millisecond})
		cl := dial(t, addr, gdbremote.Options{})
		ctx := ctxT(t)
		if err := cl.Continue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.ReadMemoryRunning(ctx, 0x20000000, 16); err != nil {
			t.Fatal(err)
		}
		if cl.Running() {
			t.Fatal("the stop that arrived before the read's answer was not recorded")
		}
		sr, err := cl.WaitStop(ctx)
		if err != nil || sr.Signal != 5 {
			t.Errorf("WaitStop = %+v, %v; want the T05", sr, err)
		}
	})
	t.Run("qemu is not asked", func(t *testing.T) {
		fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: baseState()})
		cl := dial(t, addr, gdbremote.Options{})
		ctx := ctxT(t)
		if err := cl.Continue(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := cl.ReadMemoryRunning(ctx, 0x20000000, 16)
		if !errors.Is(err, gdbremote.ErrUnsupported) {
			t.Errorf("err = %v, want ErrUnsupported", err)
		}
		if !cl.Running() {
			t.Error("the client thinks the target stopped")
		}
		// Anything sent would have reached the fake before this interrupt.
		if sr, err := cl.Interrupt(ctx); err != nil || sr.Signal != 2 {
			t.Fatalf("Interrupt = %+v, %v", sr, err)
		}
		for _, r := range fk.Requests() {
			if strings.HasPrefix(r, "m") {
				t.Errorf("QEMU was sent %q while running", r)
			}
		}
	})
}

// TestAnswerAfterTimeoutIsNotTakenForTheNextOne: a server answers every
// request, in order, however late. The answer to a read that timed out
// must be skipped, or every later request would get its predecessor's
// answer (and a register read a memory dump). An answer is expected for
// three exchange timeouts (1.5s here, from the timeout at 0.5s); a server
// that never answers must not cost every later exchange its own answer
// once that has passed. Times leave 0.5s or more of slack either side, for
// a loaded CI machine.
func TestAnswerAfterTimeoutIsNotTakenForTheNextOne(t *testing.T) {
	const timeout = 500 * time.Millisecond
	tests := []struct {
		name  string
		fault rsptest.Fault
		wait  time.Duration // after the timeout, before the next read
	}{
		{"late answer", rsptest.Fault{Match: "m20000000", Kind: rsptest.FaultDelay, Delay: 800 * time.Millisecond}, 600 * time.Millisecond},
		{"no answer", rsptest.Fault{Match: "m20000000", Kind: rsptest.FaultDrop}, 2 * time.Second},
		// QEMU acks every packet: the wait that times out is the ack's.
		{"late ack", rsptest.Fault{Match: "m20000000", Kind: rsptest.FaultLateAck, Delay: 800 * time.Millisecond}, 600 * time.Millisecond},
	}
	for _, fl := range flavours {
		for _, tt := range tests {
			t.Run(fl.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				_, addr := fl.listen(t, rsptest.Config{State: baseState(), Faults: []rsptest.Fault{tt.fault}})
				cl := dial(t, addr, gdbremote.Options{Timeout: timeout})
				ctx := ctxT(t)
				if _, err := cl.ReadMemory(ctx, 0x20000000, 16); !errors.Is(err, gdbremote.ErrTimeout) {
					t.Fatalf("first read: err = %v, want ErrTimeout", err)
				}
				time.Sleep(tt.wait) // a late answer arrives meanwhile
				want := baseState().Memory[0].Data[0x100:0x108]
				got, err := cl.ReadMemory(ctx, 0x20000100, 8)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("next read = % x, %v; want % x", got, err, want)
				}
				if pc, err := cl.ReadRegister(ctx, "pc"); err != nil || pc != baseState().Regs["pc"] {
					t.Errorf("pc = %#x, %v", pc, err)
				}
			})
		}
	}
}
