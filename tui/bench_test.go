package tui_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/faultline-dev/faultline/tui"
	"github.com/faultline-dev/faultline/tui/internal/fake"
	"github.com/muesli/termenv"
)

// BenchmarkView measures one frame with 100,000 lines of scrollback, in
// colour (the costlier case), following the tail and scrolled to the
// middle. Target: well under 1 ms per frame.
func BenchmarkView(b *testing.B) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		for _, where := range []string{"tail", "middle"} {
			b.Run(fmt.Sprintf("%dx%d_%s", size[0], size[1], where), func(b *testing.B) {
				m := model100k(b, size[0], size[1])
				if where == "middle" {
					m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
					for range 50_000 / size[1] {
						m, _ = m.Update(tea.KeyMsg{Type: tea.KeyPgDown})
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime(b)
				for b.Loop() {
					_ = m.View()
				}
				reportCPU(b, cpu0)
			})
		}
	}
}

// BenchmarkAppendAndView is the live case: a new serial line arrives, then
// the frame is drawn.
func BenchmarkAppendAndView(b *testing.B) {
	m := model100k(b, 120, 40)
	line := tui.ConsoleLine{Time: fake.T0, Text: "0000012345 [app] INFO: client 3: GET /status 200 (121 bytes)"}
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		m, _ = m.Update(line)
		_ = m.View()
	}
	reportCPU(b, cpu0)
}

func model100k(b *testing.B, w, h int) tea.Model {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	m := tui.NewModel(&fake.Backend{}, tui.Options{Renderer: r})
	m, _ = m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m, _ = m.Update(fake.RunningStatus())
	lines := make([]tui.ConsoleLine, 100_000)
	for i := range lines {
		ev := ""
		if i%500 == 0 {
			ev = "reset"
		}
		lines[i] = tui.ConsoleLine{
			Time:  fake.At(i * 7),
			Text:  fmt.Sprintf("%010d [app] INFO: client %d: GET /status 200 (%d bytes)", i*7, i%5, 100+i%50),
			Event: ev,
		}
	}
	m, _ = m.Update(lines)
	for _, it := range fake.Timeline() {
		m, _ = m.Update(it)
	}
	return m
}

// BenchmarkCrashView measures a frame of the crash pane.
func BenchmarkCrashView(b *testing.B) {
	m := model100k(b, 120, 40)
	m, _ = m.Update(tui.Crash{Report: fake.HardFaultReport(), Source: fake.Sources})
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		_ = m.View()
	}
	reportCPU(b, cpu0)
}

// cpuTime is the process's user+system CPU time. On a loaded machine
// (shared CI, parallel builds) wall-clock ns/op swings several-fold; the
// CPU time per frame, reported as cpu-ns/op, is what a frame costs.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}
