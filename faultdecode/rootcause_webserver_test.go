package faultdecode

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware"
	"github.com/faultline-dev/faultline/probe"
)

// runWebserver boots a bundled webserver image on the emulated bench
// under HTTP load and drops the WiFi link every 1.2 s. It returns the
// capture of the first crash, or, when none came after drops link drops,
// a capture of the halted target (crashed false).
func runWebserver(t *testing.T, variant string, drops int) (snap *capture.Snapshot, img *elfsym.Image, crashed bool) {
	t.Helper()
	fdtest.NeedTool(t, "qemu-system-arm")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := firmware.ELF(ctx, variant)
	if err != nil {
		t.Fatalf("build %s: %v (run scripts/setup.sh if the toolchain is missing)", variant, err)
	}
	img, err = elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	bench, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf, Halted: true, Console: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bench.Stop() })
	board, err := probe.LookupBoard("netduino2")
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := probe.ConnectTarget(ctx, probe.TargetOptions{Addr: bench.GDBAddr(), Board: board, Image: img})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if err := tgt.ArmAndResume(ctx); err != nil {
		t.Fatal(err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	go emu.RunLoad(loadCtx, emu.LoadConfig{URL: "http://" + bench.HTTPAddr() + "/", Workers: 3, Seed: 7}, &emu.LoadStats{})
	crash := make(chan probe.Crash, 1)
	waitCtx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	go func() {
		if c, err := tgt.WaitCrash(waitCtx); err == nil {
			crash <- c
		}
		close(crash)
	}()
	for i := 0; i < drops; i++ {
		select {
		case c, ok := <-crash:
			if ok {
				stopLoad()
				s, err := tgt.Snapshot(ctx, c.Trigger, c.Stop.Raw)
				if err != nil {
					t.Fatal(err)
				}
				return s, img, true
			}
			t.Fatal("the target went away without a crash")
		case <-time.After(1200 * time.Millisecond):
		}
		bench.DropLink()
		time.Sleep(400 * time.Millisecond)
		bench.RestoreLink()
	}
	stopLoad()
	stopWait()
	<-crash
	stop, err := tgt.Halt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "manual"}, stop.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return s, img, false
}

// staleClientFinding is what the demo requires of a report on the buggy
// image: a dangling-pointer or corrupt-vtable finding naming a server's
// clients[] slot and a frame in the socket layer.
func staleClientFinding(rep *report.Report) bool {
	for _, f := range rep.Findings {
		if (f.Kind == report.FindDanglingPointer || f.Kind == report.FindCorruptVtable) &&
			strings.Contains(f.Symbol, "clients[") && strings.Contains(f.Summary, "socket_hal.cpp") {
			return true
		}
	}
	return false
}

func TestWebserverStaleClientSlot(t *testing.T) {
	tests := []struct {
		variant   string
		wantCrash bool
	}{
		{"webserver", true},
		{"webserver-fixed", false},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			snap, img, crashed := runWebserver(t, tt.variant, 8)
			if crashed != tt.wantCrash {
				t.Fatalf("crashed %v, want %v", crashed, tt.wantCrash)
			}
			rep := analyzeForTest(snap, img)
			t.Logf("findings:\n%s", findingList(rep))
			if got := staleClientFinding(rep); got != tt.wantCrash {
				t.Errorf("stale clients[] finding %v, want %v", got, tt.wantCrash)
			}
			// The fixed image has no stale clients[] slot, no bad object
			// and a sound heap. Its TCPServer may still hold the handle
			// of a server socket deleted at the link loss until the
			// application re-opens it (Device OS 0.7's second bug, worked
			// around by server.stop(); server.begin()): that integer
			// handle is reported, and is no false alarm.
			for _, f := range rep.Findings {
				if tt.wantCrash {
					break
				}
				switch {
				case f.Kind == report.FindCorruptVtable || f.Kind == report.FindHeapCorruption,
					f.Kind == report.FindDanglingPointer && f.Symbol != "server.sock_":
					t.Errorf("false %s on the fixed image: %s", f.Kind, f.Summary)
				}
			}
		})
	}
}
