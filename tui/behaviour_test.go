package tui_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/faultline-dev/faultline/tui"
	"github.com/faultline-dev/faultline/tui/internal/fake"
)

func TestKeysCallTheBackend(t *testing.T) {
	tests := []struct {
		key     string
		call    string
		message string
	}{
		{"h", "halt", "halt: done"},
		{"c", "continue", "continue: done"},
		{"r", "reset", "reset: done"},
		{"s", "save", "saved crashes/capture-0001.core"},
	}
	for _, tc := range tests {
		t.Run(tc.call, func(t *testing.T) {
			b := &fake.Backend{}
			hs := newHarness(t, b, 80, 24)
			hs.key(tc.key)
			if got := b.Calls(); !slices.Equal(got, []string{tc.call}) {
				t.Fatalf("backend calls = %v, want [%s]", got, tc.call)
			}
			if v := hs.view(); !strings.Contains(v, tc.message) {
				t.Errorf("view does not show %q:\n%s", tc.message, v)
			}
		})
	}
}

func TestBackendErrorIsShown(t *testing.T) {
	b := &fake.Backend{Errs: map[string]error{"halt": errors.New("target not responding")}}
	hs := newHarness(t, b, 80, 24)
	hs.key("h")
	if v := hs.view(); !strings.Contains(v, "halt failed: target not responding") {
		t.Errorf("error not shown:\n%s", v)
	}
}

func TestBackendCallTimesOut(t *testing.T) {
	b := &fake.Backend{Delay: time.Hour}
	hs := newHarnessOpts(t, b, 80, 24, tui.Options{Timeout: 50 * time.Millisecond})
	start := time.Now()
	hs.key("h")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("halt took %s despite a 50ms timeout", d)
	}
	if v := hs.view(); !strings.Contains(v, "halt failed: no answer in 50ms") {
		t.Errorf("timeout not shown:\n%s", v)
	}
}

func TestSearchFindsAndScrollsToLine(t *testing.T) {
	hs := newHarness(t, nil, 80, 24)
	var ls []tui.ConsoleLine
	for i := 0; i < 1000; i++ {
		text := fmt.Sprintf("line %04d ok", i)
		switch i {
		case 100:
			text = "line 0100 PANIC: assertion failed in net_poll"
		case 40:
			text = "line 0040 panic: early boot"
		}
		ls = append(ls, tui.ConsoleLine{Time: fake.At(i), Text: text})
	}
	hs.send(ls)
	if v := hs.view(); strings.Contains(v, "line 0100") {
		t.Fatalf("line 100 visible before searching")
	}
	hs.key("/")
	hs.typeText("panic")
	if v := hs.view(); !strings.Contains(v, "/panic") {
		t.Errorf("search input not shown:\n%s", v)
	}
	hs.key("enter")
	v := hs.view()
	if !strings.Contains(v, "line 0100 PANIC") {
		t.Fatalf("search did not scroll to the newest match:\n%s", v)
	}
	if !strings.Contains(v, "match: panic") {
		t.Errorf("no match message:\n%s", v)
	}
	hs.key("n") // next older match
	if v := hs.view(); !strings.Contains(v, "line 0040 panic") {
		t.Errorf("n did not go to the older match:\n%s", v)
	}
	hs.key("N")
	if v := hs.view(); !strings.Contains(v, "line 0100 PANIC") {
		t.Errorf("N did not come back to the newer match:\n%s", v)
	}
	hs.key("/", "backspace", "backspace", "backspace", "backspace", "backspace")
	hs.typeText("no such text")
	hs.key("enter")
	if v := hs.view(); !strings.Contains(v, "not found: no such text") {
		t.Errorf("no not-found message:\n%s", v)
	}
}

func TestSearchIsSmartCase(t *testing.T) {
	hs := newHarness(t, nil, 80, 24)
	hs.send([]tui.ConsoleLine{{Text: "Fault here"}, {Text: "x"}})
	for _, tc := range []struct {
		query string
		found bool
	}{{"fault", true}, {"Fault", true}, {"FAULT", false}} {
		hs.key("/")
		for range 10 {
			hs.key("backspace")
		}
		hs.typeText(tc.query)
		hs.key("enter")
		got := !strings.Contains(hs.view(), "not found")
		if got != tc.found {
			t.Errorf("search %q: found=%v, want %v", tc.query, got, tc.found)
		}
	}
}

func sendCrash(hs *harness, path string) {
	hs.send(fake.CrashedStatus(), tui.Crash{Report: fake.HardFaultReport(), CapturePath: path, Source: fake.Sources})
}

func TestQuit(t *testing.T) {
	const prompt = "unsaved capture: save? (y/n/esc)"
	tests := []struct {
		name      string
		crash     bool   // a crash arrived
		path      string // its capture path
		keys      []string
		saveErr   error
		wantQuit  bool
		wantCalls []string
		wantText  string
	}{
		{name: "no crash quits at once", keys: []string{"q"}, wantQuit: true},
		{name: "saved crash quits at once", crash: true, path: "crashes/a.core", keys: []string{"q"}, wantQuit: true},
		{name: "unsaved crash asks", crash: true, keys: []string{"q"}, wantText: prompt},
		{name: "ctrl+c asks too", crash: true, keys: []string{"ctrl+c"}, wantText: prompt},
		{name: "esc cancels", crash: true, keys: []string{"q", "esc"}, wantText: "h halt"},
		{name: "n quits without saving", crash: true, keys: []string{"q", "n"}, wantQuit: true},
		{name: "y saves then quits", crash: true, keys: []string{"q", "y"}, wantQuit: true, wantCalls: []string{"save"}},
		{name: "failed save does not quit", crash: true, keys: []string{"q", "y"}, saveErr: errors.New("disk full"),
			wantCalls: []string{"save"}, wantText: "save failed: save capture: disk full"},
		{name: "s then q quits", crash: true, keys: []string{"s", "q"}, wantQuit: true, wantCalls: []string{"save"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &fake.Backend{}
			if tc.saveErr != nil {
				b.Errs = map[string]error{"save": tc.saveErr}
			}
			hs := newHarness(t, b, 80, 24)
			if tc.crash {
				sendCrash(hs, tc.path)
			}
			hs.key(tc.keys...)
			if hs.quit != tc.wantQuit {
				t.Errorf("quit = %v, want %v", hs.quit, tc.wantQuit)
			}
			if got := b.Calls(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("backend calls = %v, want %v", got, tc.wantCalls)
			}
			if tc.wantText != "" && !strings.Contains(hs.view(), tc.wantText) {
				t.Errorf("view lacks %q:\n%s", tc.wantText, hs.view())
			}
		})
	}
}

func TestResizeKeepsLayoutInBounds(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}, {100, 30}, {200, 60}, {109, 24}, {110, 24}, {40, 12}, {30, 8}, {29, 7}, {10, 3}, {1, 1}}
	hs := newHarness(t, nil, 80, 24)
	long := strings.Repeat("wide 世界 text ", 40)
	hs.send(fake.RunningStatus(), consoleLines(fake.BootLines(50)), tui.ConsoleLine{Text: long, Event: "panic"})
	hs.send(timelineMsgs(fake.Timeline())...)
	hs.send(tui.TimelineItem{Kind: "note", Text: long})
	sendCrash(hs, "")
	for _, pane := range []string{"1", "2", "3", "4", "?"} {
		for _, sz := range sizes {
			hs.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			hs.key(pane)
			t.Run(fmt.Sprintf("pane%s_%dx%d", pane, sz[0], sz[1]), func(t *testing.T) {
				checkBounds(t, hs.view(), sz[0], sz[1])
			})
			if pane == "?" {
				hs.key("esc") // close the help again
			}
		}
	}
}

func TestFrameSelectionShowsItsSource(t *testing.T) {
	hs := newHarness(t, nil, 100, 40)
	sendCrash(hs, "")
	if v := hs.view(); !strings.Contains(v, "── src/net/server.cpp:36") || !strings.Contains(v, "> 36 │         int n = c->available();") {
		t.Fatalf("culprit source not shown:\n%s", v)
	}
	hs.key("down", "down")
	if v := hs.view(); !strings.Contains(v, "── src/main.cpp:12") || !strings.Contains(v, "> 12 │     g_server.loop();") {
		t.Fatalf("source of the selected frame not shown:\n%s", v)
	}
	hs.key("down")
	if v := hs.view(); !strings.Contains(v, "source unavailable: read src/system/main.cpp") {
		t.Fatalf("missing source not reported:\n%s", v)
	}
	hs.key("up", "up", "up", "up")
	if v := hs.view(); !strings.Contains(v, "no source line for 0xae094710") {
		t.Fatalf("frame without a line not reported:\n%s", v)
	}
}

func TestMouseWheelScrollsConsole(t *testing.T) {
	hs := newHarness(t, nil, 80, 24)
	hs.send(consoleLines(fake.BootLines(100)))
	if v := hs.view(); !strings.Contains(v, "(following)") {
		t.Fatalf("not following the tail at start:\n%s", v)
	}
	hs.send(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp})
	v := hs.view()
	if strings.Contains(v, "(following)") || !strings.Contains(v, "lines 84-102 of 105") {
		t.Fatalf("wheel up did not scroll 3 lines:\n%s", v)
	}
	hs.send(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelDown})
	if v := hs.view(); !strings.Contains(v, "(following)") {
		t.Fatalf("wheel down to the bottom did not resume following:\n%s", v)
	}
}

func TestConsoleSanitizesDeviceText(t *testing.T) {
	hs := newHarness(t, nil, 80, 24)
	hs.send(tui.ConsoleLine{Text: "evil\x1b[2J\x1b[31mred\x07\tend\r"})
	v := hs.view()
	if strings.ContainsAny(v, "\x1b\x07\r\t") {
		t.Fatalf("control characters reached the screen: %q", v)
	}
	if !strings.Contains(v, "evilred    end") {
		t.Errorf("text lost while sanitizing:\n%s", v)
	}
}

func newHarnessOpts(t testing.TB, b tui.Backend, w, h int, opts tui.Options) *harness {
	t.Helper()
	opts.Renderer = asciiRenderer()
	hs := &harness{t: t, m: tui.NewModel(b, opts)}
	hs.run(hs.m.Init())
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func TestRunesArrivingTogetherAreSeparateKeys(t *testing.T) {
	b := &fake.Backend{}
	hs := newHarness(t, b, 80, 24)
	hs.send([]tui.ConsoleLine{{Text: "boot ok"}, {Text: "joining ap"}, {Text: "x"}})
	hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("hc/join")})
	hs.key("enter")
	if got := b.Calls(); !slices.Equal(got, []string{"halt", "continue"}) {
		t.Errorf("calls = %v, want [halt continue]", got)
	}
	if v := hs.view(); !strings.Contains(v, "match: join") {
		t.Errorf("search typed in the same burst not run:\n%s", v)
	}
}

func TestResentCrashKeepsSavedPath(t *testing.T) {
	hs := newHarness(t, nil, 80, 24)
	r := fake.HardFaultReport()
	hs.send(tui.Crash{Report: r})
	hs.key("s", "down")
	hs.send(tui.Crash{Report: r}) // the session re-sends it, path still unknown to it
	hs.key("q")
	if !hs.quit {
		t.Errorf("quit asked about a crash already saved:\n%s", hs.view())
	}
}

// TestUpdatedCrashKeepsPaneAndSelection: the report of the complete
// capture replaces a first look in place: the pane the user went to and
// the frame they selected stay; a new crash still takes the screen.
func TestUpdatedCrashKeepsPaneAndSelection(t *testing.T) {
	hs := newHarness(t, nil, 120, 40)
	first := fake.HardFaultReport()
	hs.send(tui.Crash{Report: first})
	hs.key("down") // from the culprit (#1) to #2
	hs.key("1")
	whole := fake.HardFaultReport()
	whole.Notes = append(whole.Notes, "read whole")
	hs.send(tui.Crash{Report: whole, Update: true})
	if v := hs.view(); strings.Contains(v, "── frames") {
		t.Fatalf("the update moved the screen to the crash pane:\n%s", v)
	}
	hs.key("3")
	if v := hs.view(); !strings.Contains(v, "> #2  0x08000b40") {
		t.Errorf("the update lost the frame selection:\n%s", v)
	}
	hs.key("1")
	hs.send(tui.Crash{Report: fake.LockupReport()})
	if v := hs.view(); !strings.Contains(v, "── frames") {
		t.Errorf("a new crash did not take the screen:\n%s", v)
	}
}

func TestTasksPaneListsTasksAndShowsTheSelectedOnesFrames(t *testing.T) {
	hs := newHarness(t, nil, 100, 30)
	hs.send(tui.Crash{Report: fake.HardFaultReport()})
	if v := hs.view(); strings.Contains(v, "5 tasks") {
		t.Fatalf("a bare-metal crash has a tasks tab:\n%s", v)
	}
	hs.key("5")
	if v := hs.view(); !strings.Contains(v, "no tasks") || strings.Contains(v, "[5 tasks]") {
		t.Fatalf("5 without tasks did not say so:\n%s", v)
	}
	hs.send(tui.Crash{Report: fake.FreeRTOSReport()})
	hs.key("5")
	steps := []struct {
		keys []string
		want []string // in the view, in this order
		not  string
	}{
		// The running task is selected first, with the crash's chain.
		{nil, []string{"[5 tasks]", "> * net", "task 'net': stack 0x200005c0, 1024 bytes, 668 never used", "#1  0x000010a8 link_up  src/net.c:210", "#3  0x00001150 net_task"}, "prvIdleTask"},
		{[]string{"down"}, []string{">   IDLE", "task 'IDLE'", "#0  0x00001040 prvIdleTask"}, "link_up"},
		{[]string{"down"}, []string{">   crunch", "OVERFLOWED", "xQueueReceive", "crunch_task", "! overflow: the fill pattern is gone"}, "prvIdleTask"},
		{[]string{"down", "down", "down"}, []string{">   dhcp", "deleted", "no frames"}, "crunch_task"},
		{[]string{"up", "up", "up", "up", "up", "up"}, []string{"> * net", "link_up"}, ""},
	}
	for i, s := range steps {
		hs.key(s.keys...)
		v := hs.view()
		at := 0
		for _, w := range s.want {
			j := strings.Index(v[at:], w)
			if j < 0 {
				t.Fatalf("step %d (%v): %q missing or out of order:\n%s", i, s.keys, w, v)
			}
			at += j
		}
		if s.not != "" && strings.Contains(v, s.not) {
			t.Fatalf("step %d (%v): %q shown for another task:\n%s", i, s.keys, s.not, v)
		}
	}
	// tab cycles through the tasks pane and back to the console.
	hs.key("1", "tab", "tab", "tab", "tab")
	if v := hs.view(); !strings.Contains(v, "[5 tasks]") {
		t.Fatalf("tab did not reach the tasks pane:\n%s", v)
	}
	hs.key("tab")
	if v := hs.view(); !strings.Contains(v, "[1 console]") {
		t.Fatalf("tab after the tasks pane did not wrap to the console:\n%s", v)
	}
}
