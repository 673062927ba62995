package probe

import (
	"strconv"
	"strings"

	"github.com/faultline-dev/faultline/internal/lazyre"
)

// A rule is one built-in detector: a cheap substring test first (most
// console lines match nothing, and a Contains is far cheaper than a
// regexp), then the pattern, then fill to turn submatches into fields.
type rule struct {
	detector string
	kind     EventKind
	crash    bool
	quick    []string // any of these must occur (case-sensitive); empty: always try
	re       *lazyre.Regexp
	fill     func(m []string, d *Detection)
}

// builtinRules are tried in order; the first match wins, so specific
// ecosystem formats come before the generic fault words. The formats are
// the ones the firmware prints verbatim (see testdata/*.txt).
var builtinRules = []rule{
	// Device OS: "0000123456 [hal] PANIC: HardFault".
	{detector: "deviceos-panic", kind: EventPanic, crash: true, quick: []string{"PANIC"},
		re: lazyre.New(`\[([^\]]*)\] PANIC: *(.*)$`),
		fill: func(m []string, d *Detection) {
			d.Fields = map[string]string{"category": m[1], "message": m[2]}
			d.Name, d.Code = panicFromMessage(m[2])
		}},
	// Device OS, at boot: "Last reset reason: 130 (data: 0x01)".
	{detector: "deviceos-reset-reason", kind: EventResetReason, quick: []string{"reset reason"},
		re: lazyre.New(`(?i)last reset reason: *(\d+)(?: *\(data: *(0x[0-9a-f]+|\d+)\))?`),
		fill: func(m []string, d *Detection) {
			reason, _ := strconv.Atoi(m[1])
			d.Name = resetReasonName(reason)
			if d.Name == "" {
				d.Name = "reason " + m[1]
			}
			d.Fields = map[string]string{"reason": m[1], "reason_name": d.Name}
			if m[2] != "" {
				d.Fields["data"] = m[2]
			}
			if reason == resetPanic && m[2] != "" {
				if v, err := strconv.ParseUint(m[2], 0, 32); err == nil {
					d.Code = int(v)
					d.Fields["panic_code"] = strconv.Itoa(d.Code)
					if n := PanicName(d.Code); n != "" {
						d.Fields["panic"] = n
					}
				}
			}
			if reason == resetPanic || reason == 60 {
				d.Fields["previous_crash"] = "true"
			}
		}},
	// ESP-IDF: "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled."
	{detector: "espidf-guru", kind: EventPanic, crash: true, quick: []string{"Guru Meditation"},
		re: lazyre.New(`Guru Meditation Error: Core\s+(\d+) panic'ed \(([^)]*)\)`),
		fill: func(m []string, d *Detection) {
			d.Name = m[2]
			d.Fields = map[string]string{"core": m[1]}
		}},
	{detector: "espidf-abort", kind: EventPanic, crash: true, quick: []string{"abort() was called"},
		re: lazyre.New(`abort\(\) was called at PC (0x[0-9a-fA-F]+) on core (\d+)`),
		fill: func(m []string, d *Detection) {
			d.Name = "abort"
			d.Fields = map[string]string{"pc": m[1], "core": m[2]}
		}},
	{detector: "espidf-stack-overflow", kind: EventPanic, crash: true, quick: []string{"stack overflow"},
		re: lazyre.New(`\*\*\*ERROR\*\*\* A stack overflow in task (\S+) has been detected`),
		fill: func(m []string, d *Detection) {
			d.Name = "StackOverflow"
			d.Fields = map[string]string{"task": m[1]}
		}},
	{detector: "espidf-backtrace", kind: EventFaultMarker, quick: []string{"Backtrace:"},
		re: lazyre.New(`^Backtrace: *((?:0x[0-9a-fA-F]+:0x[0-9a-fA-F]+ *)+)`),
		fill: func(m []string, d *Detection) {
			d.Name = "backtrace"
			d.Fields = map[string]string{"addresses": strings.TrimSpace(m[1])}
		}},
	{detector: "espidf-reset-reason", kind: EventResetReason, quick: []string{"rst:"},
		re: lazyre.New(`^rst:(0x[0-9a-fA-F]+) \(([A-Za-z0-9_]+)\)(?:,boot:(0x[0-9a-fA-F]+))?`),
		fill: func(m []string, d *Detection) {
			d.Name = m[2]
			d.Fields = map[string]string{"reason": m[1], "reason_name": m[2]}
			if strings.Contains(m[2], "PANIC") || strings.Contains(m[2], "WDT") || strings.Contains(m[2], "EXCEPTION") {
				d.Fields["previous_crash"] = "true"
			}
		}},
	{detector: "espidf-boot", kind: EventBoot, quick: []string{"ets ", "ESP-ROM:"},
		re:   lazyre.New(`^(ets [A-Z][a-z]{2} +\d+ \d{4}|ESP-ROM:\S+)`),
		fill: func(m []string, d *Detection) { d.Name = "ESP boot ROM" }},
	// Zephyr's fatal error handler.
	{detector: "zephyr-fault", kind: EventFaultMarker, crash: true, quick: []string{"*****"},
		re:   lazyre.New(`\*{5} ((?:[A-Z]+ )*FAULT|Debug monitor exception|[A-Za-z ]+ exception) \*{5}`),
		fill: func(m []string, d *Detection) { d.Name = m[1] }},
	{detector: "zephyr-fatal", kind: EventPanic, crash: true, quick: []string{"ZEPHYR FATAL ERROR"},
		re: lazyre.New(`>>> ZEPHYR FATAL ERROR (\d+): (.*?)(?: on CPU (\d+))?$`),
		fill: func(m []string, d *Detection) {
			d.Code, _ = strconv.Atoi(m[1])
			d.Name = m[2]
			d.Fields = map[string]string{"reason": m[1]}
			if m[3] != "" {
				d.Fields["cpu"] = m[3]
			}
		}},
	{detector: "zephyr-fault-pc", kind: EventFaultMarker, quick: []string{"Faulting instruction address"},
		re: lazyre.New(`Faulting instruction address \(r15/pc\): (0x[0-9a-fA-F]+)`),
		fill: func(m []string, d *Detection) {
			d.Name = "fault pc"
			d.Fields = map[string]string{"pc": m[1]}
		}},
	{detector: "zephyr-boot", kind: EventBoot, quick: []string{"Booting Zephyr"},
		re: lazyre.New(`\*\*\* Booting Zephyr OS (?:build |version )?(\S+)`),
		fill: func(m []string, d *Detection) {
			d.Name = "Zephyr " + m[1]
		}},
	// Zephyr's coredump logging back end: the dump follows as "#CD:" hex
	// lines up to "#CD:END#", collected by the session (console_dump.go).
	{detector: "zephyr-coredump", kind: EventFaultMarker, crash: true, quick: []string{"#CD:BEGIN#"},
		re:   lazyre.New(`#CD:BEGIN#`),
		fill: func(m []string, d *Detection) { d.Name = "Zephyr core dump" }},
	// CrashCatcher's HexDump back end.
	{detector: "crashcatcher", kind: EventFaultMarker, crash: true, quick: []string{"CRASH ENCOUNTERED"},
		re:   lazyre.New(`CRASH ENCOUNTERED`),
		fill: func(m []string, d *Detection) { d.Name = "CrashCatcher" }},
	// HexDump's last line; the hex lines between are collected by the
	// session (console_dump.go), not detected one by one.
	{detector: "crashcatcher-dump", kind: EventFaultMarker, quick: []string{"End of dump"},
		re:   lazyre.New(`^\s*End of dump\s*$`),
		fill: func(m []string, d *Detection) { d.Name = "CrashCatcher dump end" }},
	// CmBacktrace: the header of its fault dump, then the context line,
	// then the addr2line hint with the call stack.
	{detector: "cmbacktrace", kind: EventFaultMarker, crash: true, quick: []string{"Firmware name:"},
		re: lazyre.New(`Firmware name: *([^,]*), *hardware version: *([^,]*), *software version: *(.*)$`),
		fill: func(m []string, d *Detection) {
			d.Name = "CmBacktrace"
			d.Fields = map[string]string{"firmware": m[1], "hardware": m[2], "software": strings.TrimSpace(m[3])}
		}},
	{detector: "cmbacktrace-context", kind: EventFaultMarker, crash: true, quick: []string{"Fault on "},
		re: lazyre.New(`Fault on (?:thread (\S+)|(interrupt or bare metal))`),
		fill: func(m []string, d *Detection) {
			d.Name = "fault context"
			if m[1] != "" {
				d.Fields = map[string]string{"thread": m[1]}
			} else {
				d.Fields = map[string]string{"context": "interrupt or bare metal"}
			}
		}},
	{detector: "cmbacktrace-callstack", kind: EventFaultMarker, quick: []string{"addr2line"},
		re: lazyre.New(`Show more call stack info by run: addr2line -e (\S+)(?: -[a-zA-Z]+)* *((?:[0-9a-fA-Fx]+ *)*)`),
		fill: func(m []string, d *Detection) {
			d.Name = "call stack"
			d.Fields = map[string]string{"elf": m[1], "addresses": strings.TrimSpace(m[2])}
		}},
	// Any firmware: the Cortex-M fault names as words. Last, so a line an
	// ecosystem rule understood is not reported twice.
	{detector: "fault-word", kind: EventFaultMarker, crash: true,
		re:   lazyre.New(`(?i)\b(hard ?fault|bus ?fault|usage ?fault|mem ?manage(?: fault)?)\b`),
		fill: func(m []string, d *Detection) { d.Name = canonicalFault(m[1]) }},
}

// deviceOSLine matches the Device OS log prefix: "%010u [category] ".
var deviceOSLine = lazyre.New(`^(\d{10}) \[`)

// bootTimestampMax: a Device OS timestamp that goes backwards to below this
// many milliseconds means the device restarted.
const bootTimestampMax = 10_000

func (ds *DetectorSet) builtin(text string) (Detection, bool) {
	var boot *Detection
	if len(text) > 12 && text[0] >= '0' && text[0] <= '9' {
		if m := deviceOSLine.FindStringSubmatch(text); m != nil {
			ts, _ := strconv.ParseInt(m[1], 10, 64)
			if ds.lastTS >= 0 && ts < ds.lastTS && ts < bootTimestampMax {
				boot = &Detection{Kind: EventBoot, Detector: "deviceos-timestamp", Name: "Device OS restart",
					Fields: map[string]string{"previous_ms": strconv.FormatInt(ds.lastTS, 10), "ms": m[1]}}
			}
			ds.lastTS = ts
		}
	}
	for i := range builtinRules {
		r := &builtinRules[i]
		if len(r.quick) > 0 && !containsAny(text, r.quick) {
			continue
		}
		m := r.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		d := Detection{Kind: r.kind, Detector: r.detector, Crash: r.crash}
		r.fill(m, &d)
		if boot != nil && d.Kind != EventBoot {
			// The first line after a restart that is also something else
			// (typically the reset reason): report the content, note the boot.
			if d.Fields == nil {
				d.Fields = map[string]string{}
			}
			d.Fields["boot"] = "true"
		}
		return d, true
	}
	if boot != nil {
		return *boot, true
	}
	return Detection{}, false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// panicFromMessage reads a Device OS panic message: a name from the panic
// table ("HardFault"), possibly with or instead of a number.
func panicFromMessage(msg string) (string, int) {
	fields := strings.FieldsFunc(msg, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for _, f := range fields {
		if c := PanicCode(f); c != 0 {
			return PanicName(c), c
		}
	}
	for _, f := range fields {
		if c, err := strconv.Atoi(f); err == nil && PanicName(c) != "" {
			return PanicName(c), c
		}
	}
	return strings.TrimSpace(msg), 0
}

func canonicalFault(w string) string {
	l := strings.ToLower(strings.ReplaceAll(w, " ", ""))
	switch {
	case strings.HasPrefix(l, "hard"):
		return "HardFault"
	case strings.HasPrefix(l, "bus"):
		return "BusFault"
	case strings.HasPrefix(l, "usage"):
		return "UsageFault"
	default:
		return "MemManage"
	}
}
