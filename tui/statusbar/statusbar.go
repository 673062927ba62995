// Package statusbar renders the two status lines at the top of the screen:
// target state with the GDB endpoint and the ELF (and whether it matches
// the target), then the serial port and the status LED as a colour swatch
// with its decoded pattern. It is a pure function of its inputs.
package statusbar

import (
	"strings"

	"github.com/faultline-dev/faultline/tui/common"
)

// Info is what the bar shows; the screen copies it from tui.Status.
type Info struct {
	Target      string
	GDB         string
	Serial      string
	SerialState string
	ELF         string
	ELFMatches  *bool
	LEDColor    [3]float64
	LEDPattern  string
	Capture     string // a capture in progress, e.g. "reading memory 48/128 KiB"
	Saved       string // where the crash on screen is saved, "" if not
}

// View renders the bar as two lines no wider than width.
func View(st *common.Styles, in Info, width int) string {
	sep := st.Dim.Render(" │ ")

	target := in.Target
	if target == "" {
		target = "connecting"
	}
	var parts1 []string
	parts1 = append(parts1, targetStyle(st, target).Render(strings.ToUpper(target)))
	if in.Capture != "" {
		// Before the endpoint: a narrow screen truncates from the right,
		// and a capture still reading is what a person waits on.
		parts1 = append(parts1, st.InfoText.Render(in.Capture))
	}
	if in.Saved != "" {
		// Also before the endpoint: where the evidence is matters more
		// than which server gave it.
		parts1 = append(parts1, st.Label.Render("saved ")+st.Value.Render(in.Saved))
	}
	if in.GDB != "" {
		parts1 = append(parts1, st.Label.Render("gdb ")+st.Value.Render(in.GDB))
	} else {
		parts1 = append(parts1, st.Label.Render("gdb ")+st.Dim.Render("none (serial only)"))
	}
	elf := st.Label.Render("elf ")
	switch {
	case in.ELF == "":
		elf += st.Dim.Render("none")
	case in.ELFMatches == nil:
		elf += st.Value.Render(in.ELF) + st.Dim.Render(" (match unknown)")
	case *in.ELFMatches:
		elf += st.Value.Render(in.ELF) + st.InfoText.Render(" (matches)")
	default:
		elf += st.Value.Render(in.ELF) + " " + st.Mismatch.Render("(MISMATCH)")
	}
	parts1 = append(parts1, elf)

	var parts2 []string
	if in.Serial != "" {
		s := st.Label.Render("serial ") + st.Value.Render(in.Serial)
		switch in.SerialState {
		case "":
		case "open":
			s += st.Dim.Render(" (open)")
		default:
			s += " " + st.Mismatch.Render("("+in.SerialState+")")
		}
		parts2 = append(parts2, s)
	} else {
		parts2 = append(parts2, st.Label.Render("serial ")+st.Dim.Render("none"))
	}
	led := st.Label.Render("led ")
	if in.LEDPattern == "" && in.LEDColor == ([3]float64{}) {
		led += st.Dim.Render("none")
	} else {
		led += st.Swatch(in.LEDColor, "██")
		if in.LEDPattern != "" {
			led += " " + st.Value.Render(in.LEDPattern)
		}
	}
	parts2 = append(parts2, led)

	return common.Truncate(strings.Join(parts1, sep), width) + "\n" +
		common.Truncate(" "+strings.Join(parts2, sep), width)
}

func targetStyle(st *common.Styles, target string) interface{ Render(...string) string } {
	switch target {
	case "running":
		return st.TargetOK
	case "halted", "connecting", "reset", "resetting":
		return st.TargetWarn
	default: // crashed, locked up, disconnected and anything unknown
		return st.TargetBad
	}
}
