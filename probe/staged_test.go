package probe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// crashed128K is a target halted in HardFault with 128 KiB of RAM full of
// a pattern (so a region read from the wrong place shows) and MSP near the
// top of RAM.
func crashed128K() (rsptest.State, Board) {
	ram := make([]byte, 128<<10)
	for i := range ram {
		ram[i] = byte(i*7 + i>>8)
	}
	scb := make([]byte, 0x40)
	binary.LittleEndian.PutUint32(scb[addrVTOR-0xE000ED00:], 0x08000000)
	binary.LittleEndian.PutUint32(scb[0x28:], 0x00020000) // CFSR: INVSTATE
	binary.LittleEndian.PutUint32(scb[0x2C:], 0x40000000) // HFSR: FORCED
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x08000200, "sp": 0x2001fe00, "msp": 0x2001fe00, "psp": 0x20004000,
			"lr": 0xfffffff9, "xpsr": 0x01000003},
		Memory: []rsptest.Region{
			{Addr: 0x08000000, Data: make([]byte, 0x400)},
			{Addr: 0x20000000, Data: ram},
			{Addr: 0xE000ED00, Data: scb},
		},
	}
	return st, Board{Name: "test128k", RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 128 << 10}}}
}

func connectFake(t *testing.T, cfg rsptest.Config, board Board) *Target {
	t.Helper()
	_, addr := rsptest.ListenOpenOCD(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tgt, err := ConnectTarget(ctx, TargetOptions{Addr: addr, Board: board})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	return tgt
}

// TestStagedCaptureGivesAFirstLookThenTheSameCapture: over a slow link,
// the first look holds the registers, the fault registers and the stacks
// near SP, says the rest is still being read, and comes long before the
// end; the complete snapshot has the same regions and bytes as an
// unstaged capture of the same target.
func TestStagedCaptureGivesAFirstLookThenTheSameCapture(t *testing.T) {
	t.Parallel()
	st, board := crashed128K()
	fast := connectFake(t, rsptest.Config{State: st}, board)
	slow := connectFake(t, rsptest.Config{State: st, Link: rsptest.Link{RTT: 2 * time.Millisecond, Bandwidth: 400 << 10}}, board)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want, err := fast.Snapshot(ctx, capture.Trigger{Kind: "fault-handler"}, "T05")
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	var first *capture.Snapshot
	var firstAt time.Duration
	var progress []CaptureProgress
	got, err := slow.SnapshotStaged(ctx, capture.Trigger{Kind: "fault-handler"}, "T05", Staging{
		First:    func(s *capture.Snapshot) { first, firstAt = s, time.Since(start) },
		Progress: func(p CaptureProgress) { progress = append(progress, p) },
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if first == nil {
		t.Fatalf("no first look over a slow link (capture took %v)", took)
	}
	t.Logf("first look after %v, complete after %v", firstAt, took)
	if firstAt > took/2 {
		t.Errorf("first look after %v of %v: not early", firstAt, took)
	}
	if first.Registers["msp"] != 0x2001fe00 || first.Registers["pc"] != 0x08000200 {
		t.Errorf("first look registers %v", first.Registers)
	}
	if cfsr, ok := readU32(first, 0xE000ED28); !ok || cfsr != 0x00020000 {
		t.Errorf("first look CFSR %#x (%v)", cfsr, ok)
	}
	if w, ok := readU32(first, 0x2001fe00); !ok || w != u32At(st.Memory[1].Data, 0x1fe00) {
		t.Errorf("first look has no stack at MSP (%#x, %v)", w, ok)
	}
	if _, ok := readU32(first, 0x20008000); ok {
		t.Error("first look already holds the middle of RAM: the stage did nothing")
	}
	if !strings.Contains(strings.Join(first.Meta.Missing, "\n"), "ram 0x20005000..0x2001fd00: "+PendingMemoryNote) {
		t.Errorf("first look Missing does not name the RAM still to read: %q", first.Meta.Missing)
	}

	if len(got.Memory) != len(want.Memory) {
		t.Fatalf("staged capture has %d regions, unstaged %d", len(got.Memory), len(want.Memory))
	}
	for i := range want.Memory {
		g, w := got.Memory[i], want.Memory[i]
		if g.Addr != w.Addr || g.Name != w.Name || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("region %d: %s %#x+%d, want %s %#x+%d (same bytes: %v)", i, g.Name, g.Addr, len(g.Data), w.Name, w.Addr, len(w.Data), bytes.Equal(g.Data, w.Data))
		}
	}
	if len(got.Meta.Missing) != 0 {
		t.Errorf("complete capture says it misses %q", got.Meta.Missing)
	}
	if n := len(progress); n < 10 || progress[n-1].Active || progress[n-1].Done != progress[n-1].Total {
		t.Fatalf("progress %v: want many steps ending inactive and complete", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Done < progress[i-1].Done {
			t.Fatalf("progress went back: %v", progress)
		}
	}
}

// TestStagedCaptureSkipsTheFirstLookOnAFastLink: with the rest of memory
// quick to read, one report from the whole capture is enough.
func TestStagedCaptureSkipsTheFirstLookOnAFastLink(t *testing.T) {
	t.Parallel()
	st, board := crashed128K()
	tgt := connectFake(t, rsptest.Config{State: st}, board)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	called := false
	if _, err := tgt.SnapshotStaged(ctx, capture.Trigger{Kind: "manual"}, "", Staging{
		First: func(*capture.Snapshot) { called = true }, FirstAfter: time.Second,
	}); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("first look given though the rest took far less than FirstAfter")
	}
}

// TestStagedCaptureStoppedKeepsWhatWasRead: a capture stopped during the
// RAM fill (Ctrl-C) returns the stacks and fault registers it read, and
// Missing names every range it did not read.
func TestStagedCaptureStoppedKeepsWhatWasRead(t *testing.T) {
	t.Parallel()
	st, board := crashed128K()
	tgt := connectFake(t, rsptest.Config{State: st, Link: rsptest.Link{RTT: time.Millisecond, Bandwidth: 200 << 10}}, board)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	snap, err := tgt.SnapshotStaged(ctx, capture.Trigger{Kind: "fault-handler"}, "T05", Staging{
		FirstAfter: -1,
		First:      func(*capture.Snapshot) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if _, ok := readU32(snap, 0x2001fe00); !ok {
		t.Error("the stack read before the stop is not in the capture")
	}
	if _, ok := readU32(snap, 0xE000ED28); !ok {
		t.Error("the fault registers read before the stop are not in the capture")
	}
	missing := strings.Join(snap.Meta.Missing, "\n")
	for _, want := range []string{"ram 0x20000000..", "not read, the capture stopped first"} {
		if !strings.Contains(missing, want) {
			t.Errorf("Missing %q lacks %q", snap.Meta.Missing, want)
		}
	}
}

func readU32(s *capture.Snapshot, addr uint32) (uint32, bool) {
	for _, r := range s.Memory {
		if addr >= r.Addr && uint64(addr)+4 <= r.End() {
			return u32At(r.Data, int(addr-r.Addr)), true
		}
	}
	return 0, false
}

func u32At(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// TestSessionHandsOutAFirstLookThenTheCrash: over a slow link the session
// gives the first look, shows the memory fill in its status and timeline,
// then the whole crash; closed during the fill, it hands over what it read.
func TestSessionHandsOutAFirstLookThenTheCrash(t *testing.T) {
	t.Parallel()
	for _, closeEarly := range []bool{false, true} {
		name := map[bool]string{false: "complete", true: "closed during the fill"}[closeEarly]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st, board := crashed128K()
			st.Regs["xpsr"] = 0x01000000 // running in thread mode until the crash
			crash := rsptest.Run{Delay: 50 * time.Millisecond, Stop: "T05", Regs: map[string]uint64{"pc": 0x08000200, "xpsr": 0x01000003}}
			_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st, Script: []rsptest.Run{crash},
				Link: rsptest.Link{RTT: time.Millisecond, Bandwidth: 400 << 10}})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sess, err := StartSession(ctx, SessionOptions{Target: &TargetOptions{Addr: addr, Board: board}})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			var first SessionCrash
			select {
			case first = <-sess.FirstLooks():
			case c := <-sess.Crashes():
				t.Fatalf("the whole crash came without a first look (err %v)", c.Err)
			case <-ctx.Done():
				t.Fatal("no first look")
			}
			if !strings.Contains(strings.Join(first.Snapshot.Meta.Missing, "\n"), PendingMemoryNote) {
				t.Errorf("first look does not say memory is still being read: %q", first.Snapshot.Meta.Missing)
			}
			if p := sess.Status().Capture; !p.Active || p.Done >= p.Total {
				t.Errorf("status during the fill: %+v, want an active capture part way", p)
			}
			if closeEarly {
				sess.Close()
			}
			var whole SessionCrash
			select {
			case whole = <-sess.Crashes():
			case <-ctx.Done():
				t.Fatal("no crash after the first look")
			}
			if !whole.Snapshot.Meta.CapturedAt.Equal(first.Snapshot.Meta.CapturedAt) {
				t.Error("the whole crash is not the first look's")
			}
			missing := strings.Join(whole.Snapshot.Meta.Missing, "\n")
			if closeEarly {
				if whole.Err == nil || !strings.Contains(missing, "not read, the capture stopped first") {
					t.Errorf("closed during the fill: err %v, missing %q", whole.Err, whole.Snapshot.Meta.Missing)
				}
				if _, ok := readU32(whole.Snapshot, 0x2001fe00); !ok {
					t.Error("the stack read before the close is not in the crash")
				}
				return
			}
			if whole.Err != nil || missing != "" {
				t.Errorf("whole crash: err %v, missing %q", whole.Err, missing)
			}
			if p := sess.Status().Capture; p.Active || p.Done != p.Total {
				t.Errorf("status after the capture: %+v", p)
			}
			var events []string
			for _, e := range sess.Timeline().Events() {
				if e.Kind == EventCapture {
					events = append(events, e.Text)
				}
			}
			joined := strings.Join(events, "\n")
			if !strings.Contains(joined, "first look at the crash") || !strings.Contains(joined, "capture complete") {
				t.Errorf("timeline capture events %q lack the first look and the completion", events)
			}
		})
	}
}
