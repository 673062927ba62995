package tui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/faultline-dev/faultline/srcpath"
	"github.com/faultline-dev/faultline/tui"
	"github.com/faultline-dev/faultline/tui/internal/fake"
)

// scenarios are the screens a user meets; each is rendered at 80x24 and
// 120x40 and compared with testdata/TestGolden/<name>_<w>x<h>.golden
// (go test ./tui -run TestGolden -update rewrites them).
var scenarios = []struct {
	name  string
	setup func(hs *harness)
}{
	{"running", func(hs *harness) {
		hs.send(fake.RunningStatus(), consoleLines(fake.BootLines(40)))
		hs.send(timelineMsgs(fake.Timeline()[:3])...)
	}},
	{"crash", func(hs *harness) {
		hs.send(fake.CrashedStatus(), consoleLines(fake.BootLines(30)), consoleLines(fake.PanicLines(9000)))
		hs.send(timelineMsgs(fake.Timeline())...)
		hs.send(tui.Crash{Report: fake.HardFaultReport(), Source: fake.Sources})
	}},
	{"crash_registers", func(hs *harness) {
		hs.send(fake.CrashedStatus(), consoleLines(fake.PanicLines(9000)))
		hs.send(tui.Crash{Report: fake.HardFaultReport(), CapturePath: "crashes/capture-0001.core", Source: fake.Sources})
		hs.key("4")
	}},
	{"tasks", func(hs *harness) {
		hs.send(fake.CrashedStatus(), consoleLines(fake.BootLines(3)))
		hs.send(tui.Crash{Report: fake.FreeRTOSReport()})
		hs.key("5", "down")
	}},
	{"crash_saved", func(hs *harness) {
		// attach and demo: saved the moment it was caught, the status bar
		// says where, and the source pane names the file relative to the
		// build directory the DWARF paths are under.
		st := fake.CrashedStatus()
		st.Saved = "crashes/crash-20261126-101500.123.core"
		hs.send(st, consoleLines(fake.PanicLines(9000)))
		rep := fake.HardFaultReport()
		const buildDir = "/home/ci/work/firmware"
		for i := range rep.Frames {
			if rep.Frames[i].File != "" {
				rep.Frames[i].File = buildDir + "/" + rep.Frames[i].File
			}
		}
		hs.send(tui.Crash{Report: rep, CapturePath: st.Saved,
			Source:   func(file string) ([]byte, error) { return fake.Sources(strings.TrimPrefix(file, buildDir+"/")) },
			ShowPath: func(file string) string { return srcpath.Rel(file, "/nonexistent/cwd", buildDir) }})
	}},
	{"lockup", func(hs *harness) {
		hs.send(fake.LockupStatus(), consoleLines(fake.BootLines(3)))
		hs.send(tui.Crash{Report: fake.LockupReport(), Source: fake.Sources})
	}},
	{"serial_only", func(hs *harness) {
		hs.send(fake.SerialOnlyStatus(), consoleLines(fake.BootLines(12)))
	}},
	{"disconnected", func(hs *harness) {
		hs.send(fake.DisconnectedStatus(), consoleLines(fake.BootLines(8)))
		hs.send(timelineMsgs(fake.Timeline()[:3])...)
		hs.send(tui.TimelineItem{Time: fake.At(4000), Kind: "disconnect", Text: "gdb: connection reset by peer"})
	}},
}

func TestGolden(t *testing.T) {
	for _, sc := range scenarios {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				hs := newHarness(t, nil, size[0], size[1])
				sc.setup(hs)
				frame := hs.view()
				checkBounds(t, frame, size[0], size[1])
				golden.RequireEqual(t, []byte(frame+"\n"))
			})
		}
	}
}
