package statusbar

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/faultline-dev/faultline/tui/common"
	"github.com/muesli/termenv"
)

func styles(p termenv.Profile) *common.Styles {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	return common.NewStyles(r)
}

func TestLEDSwatchHasTheLEDColour(t *testing.T) {
	out := View(styles(termenv.TrueColor), Info{Target: "running", LEDColor: [3]float64{0, 0.8, 0.8}, LEDPattern: "breathing cyan"}, 120)
	// 0.8*255 = 204: background and foreground of the swatch.
	if !strings.Contains(out, "48;2;0;204;204") || !strings.Contains(out, "38;2;0;204;204") {
		t.Errorf("swatch lacks the LED colour: %q", out)
	}
	if !strings.Contains(out, "breathing cyan") {
		t.Errorf("pattern missing: %q", out)
	}
}

func TestStatusWords(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		in   Info
		want []string
	}{
		{"serial only", Info{Target: "running", Serial: "/dev/ttyUSB0 @115200"}, []string{"RUNNING", "gdb none (serial only)", "serial /dev/ttyUSB0 @115200"}},
		{"elf matches", Info{ELF: "a.elf", ELFMatches: &yes}, []string{"CONNECTING", "elf a.elf (matches)"}},
		{"elf mismatch", Info{ELF: "a.elf", ELFMatches: &no}, []string{"elf a.elf (MISMATCH)"}},
		{"elf unknown", Info{ELF: "a.elf"}, []string{"elf a.elf (match unknown)"}},
		{"no led", Info{Target: "halted"}, []string{"HALTED", "led none", "serial none"}},
		{"reconnecting", Info{Target: "disconnected", Serial: "/dev/x", SerialState: "reconnecting"}, []string{"DISCONNECTED", "(reconnecting)"}},
		{"crash saved", Info{Target: "crashed", GDB: "127.0.0.1:3333 (openocd)", Saved: "crashes/crash-20261203-120000.000.core"}, []string{"CRASHED  │ saved crashes/crash-20261203-120000.000.core │ gdb 127.0.0.1:3333"}},
		{"capture in progress", Info{Target: "crashed", GDB: "127.0.0.1:3333 (openocd)", Capture: "reading memory 48/128 KiB"}, []string{"CRASHED  │ reading memory 48/128 KiB │ gdb 127.0.0.1:3333"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := View(styles(termenv.Ascii), tc.in, 200)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q lacks %q", out, w)
				}
			}
		})
	}
}
