package faultdecode

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/faultline-dev/faultline/internal/lazyre"
)

// Console evidence: when a crash was seen only on the serial console (no
// registers: serial-only mode, or a target that died), the report is built
// from what the firmware printed: the fault it named, and the code
// addresses in its last lines, symbolized.

// consoleFaultNames maps words fault printers use to the exception name.
var consoleFaultNames = []struct {
	re   *lazyre.Regexp
	name string
}{
	{lazyre.New(`(?i)\bhard\s?fault\b|HARD FAULT`), "HardFault"},
	{lazyre.New(`(?i)\bmem\s?manage\b|MPU FAULT|MemManage`), "MemManage"},
	{lazyre.New(`(?i)\bbus\s?fault\b|BUS FAULT`), "BusFault"},
	{lazyre.New(`(?i)\busage\s?fault\b|USAGE FAULT`), "UsageFault"},
	{lazyre.New(`(?i)\bNMI\s?fault\b`), "NMI"},
}

// consoleHex finds candidate addresses in console text.
var consoleHex = lazyre.New(`\b(?:0[xX][0-9a-fA-F]{1,8}|[0-9a-fA-F]{8})\b`)

// maxConsoleAddrs bounds how many printed addresses a report lists.
const maxConsoleAddrs = 16

// consoleEvidence fills the report from the console when no register was
// captured.
func (a *analysis) consoleEvidence() {
	if len(a.snap.Registers) > 0 || a.fault.Exception != "None" || a.fault.Lockup {
		return
	}
	trig := a.snap.Meta.Trigger
	text := trig.Detail
	for _, v := range consoleFaultNames {
		if v.re.MatchString(text) {
			a.rep.Fault.Exception = v.name
			break
		}
	}
	var lines []string
	for _, l := range a.snap.Meta.Serial {
		lines = append(lines, l.Text)
	}
	if len(lines) == 0 && text != "" {
		lines = []string{text}
	}
	if len(lines) > 0 && trig.Kind != "" {
		a.note("console evidence (%s): %s", trig.Kind, strings.TrimSpace(text))
	}
	if a.img == nil {
		return
	}
	seen := map[uint64]bool{}
	for _, l := range lines {
		for _, w := range consoleHex.FindAllString(l, -1) {
			v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(w, "0x"), "0X"), 16, 32)
			if err != nil || seen[v&^1] || !a.img.IsCode(v&^1) {
				continue
			}
			seen[v&^1] = true
			fs := a.img.Frames(v &^ 1)
			if len(fs) == 0 {
				continue
			}
			a.note("console printed 0x%08x: %s at %s:%d", v, fs[0].Function, fs[0].File, fs[0].Line)
			if len(seen) >= maxConsoleAddrs {
				return
			}
		}
	}
}

// consoleSummary is the summary of a console-only report.
func (a *analysis) consoleSummary() (string, bool) {
	if len(a.snap.Registers) > 0 || a.snap.Meta.Trigger.Kind == "" || a.fault.Exception != "None" || a.fault.Lockup {
		return "", false
	}
	t := a.snap.Meta.Trigger
	s := fmt.Sprintf("The console reported a crash (%s): %q. No registers or memory were captured, so there are no frames; attach the debugger (--gdb) to catch the fault itself.",
		t.Kind, strings.TrimSpace(t.Detail))
	if a.rep.Fault.Exception != "None" {
		s = a.rep.Fault.Exception + ": " + s
	}
	return s, true
}
