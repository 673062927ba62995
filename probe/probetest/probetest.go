// Package probetest records real crashes for tests of the packages above
// probe (watch, tui/live, the commands): a crash-lab program run to its
// fault in QEMU and snapshotted by a probe.Target, once per test binary,
// and the fake OpenOCD (rsptest) that replays it over a link as slow as a
// real probe's.
package probetest

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe"
)

// A Recorded crash: the crash-lab ELF, the board (QEMU machine) it ran on
// and the snapshot taken at its fault.
type Recorded struct {
	ELF   string
	Board string
	Snap  *capture.Snapshot
}

type key struct{ board, prog string }

var (
	mu       sync.Mutex
	recorded = map[key]*recording{}
)

type recording struct {
	once sync.Once
	rec  Recorded
	err  error
}

// Record runs crash-lab program prog on board (a QEMU machine) until it
// faults and snapshots it, once per test binary for each pair; tb fails if
// that cannot be done.
func Record(tb testing.TB, board, prog string) Recorded {
	tb.Helper()
	mu.Lock()
	r := recorded[key{board, prog}]
	if r == nil {
		r = &recording{}
		recorded[key{board, prog}] = r
	}
	mu.Unlock()
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r.rec, r.err = record(ctx, board, prog)
	})
	if r.err != nil {
		tb.Fatalf("record %s on %s in QEMU: %v", prog, board, r.err)
	}
	return r.rec
}

func record(ctx context.Context, board, prog string) (Recorded, error) {
	elf, err := crashlab.ELF(ctx, board, prog)
	if err != nil {
		return Recorded{}, err
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		return Recorded{}, err
	}
	defer img.Close()
	b, err := probe.LookupBoard(board)
	if err != nil {
		return Recorded{}, err
	}
	snap, err := CrashIn(ctx, board, b, elf, img)
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{ELF: elf, Board: board, Snap: snap}, nil
}

// CrashIn boots elf (whose image is img) on QEMU's machine, halted, lets a
// probe.Target with board b's memory map arm fault catching and run it,
// waits up to a minute for the fault and snapshots the target, as
// `faultline capture` does.
func CrashIn(ctx context.Context, machine string, b probe.Board, elf string, img *elfsym.Image) (*capture.Snapshot, error) {
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: machine, Kernel: elf, Halted: true, Serials: []string{"null"}})
	if err != nil {
		return nil, err
	}
	defer q.Stop()
	tgt, err := probe.ConnectTarget(ctx, probe.TargetOptions{Addr: q.GDBAddr, Board: b, Image: img})
	if err != nil {
		return nil, err
	}
	defer tgt.Close()
	if err := tgt.ArmAndResume(ctx); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	crash, err := tgt.WaitCrash(wctx)
	if err != nil {
		return nil, fmt.Errorf("wait for the crash: %w", err)
	}
	return tgt.Snapshot(ctx, crash.Trigger, crash.Stop.Raw)
}

// NeedTools fails tb when a tool a QEMU test builds or runs with is not on
// PATH.
func NeedTools(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s not found on PATH: run scripts/setup.sh", tool)
		}
	}
}

// Serve starts a fake OpenOCD for the test that runs from main into the
// recorded crash over link (rsptest.Link{} is a fast one); the fake tells
// when it stopped the target.
func (r Recorded) Serve(tb testing.TB, img *elfsym.Image, link rsptest.Link) (*rsptest.Fake, string) {
	tb.Helper()
	main, ok := img.LookupSymbol("main")
	if !ok {
		tb.Fatalf("no main in %s", r.ELF)
	}
	rp, err := rsptest.ReplayCrash(r.Snap, img, main.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	return rsptest.ListenOpenOCD(tb, rsptest.Config{State: rp.Before, Script: []rsptest.Run{rp.Crash}, Link: link})
}

// Replay serves the recorded crash over link (Serve) and starts a probe
// session on it, as `faultline capture --gdb` does with a probe; the fake
// tells when it stopped the target.
func (r Recorded) Replay(tb testing.TB, ctx context.Context, img *elfsym.Image, link rsptest.Link) (*rsptest.Fake, *probe.Session) {
	tb.Helper()
	fk, addr := r.Serve(tb, img, link)
	return fk, StartSession(tb, ctx, probe.Device{GDB: addr, Board: r.Board, RSPTimeout: 5 * time.Second}, img)
}

// SWDLink is the slow probe of issue 14: 4 ms per round trip, 200 KB/s.
var SWDLink = rsptest.Link{RTT: 4 * time.Millisecond, Bandwidth: 200_000}

// Links are the links the slow-probe benchmarks compare: a fast one and
// SWDLink.
var Links = []struct {
	Name string
	Link rsptest.Link
}{{"fast", rsptest.Link{}}, {"4ms_200KBps", SWDLink}}

// FirstReportGoal is issue 14's goal for the time from the stop to the
// first report on SWDLink; tests allow twice that for a loaded 2-core
// machine and log the number measured.
const FirstReportGoal = 150 * time.Millisecond

// QEMU boots elf on QEMU's machine, halted, until the test ends, and
// returns the device a session attaches to: its GDB server and the
// machine's board profile.
func QEMU(tb testing.TB, ctx context.Context, machine, elf string) probe.Device {
	tb.Helper()
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: machine, Kernel: elf, Halted: true, Serials: []string{"null"}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Stop() })
	return probe.Device{GDB: q.GDBAddr, Board: machine}
}

// StartSession starts a probe session on dev for img, as the commands do;
// change, when given, edits the options first (Resume, ...). The session
// closes when the test ends, if the caller has not closed it before.
func StartSession(tb testing.TB, ctx context.Context, dev probe.Device, img *elfsym.Image, change ...func(*probe.SessionOptions)) *probe.Session {
	tb.Helper()
	opts, err := dev.Options(img)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range change {
		c(&opts)
	}
	sess, err := probe.StartSession(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sess.Close() })
	return sess
}
