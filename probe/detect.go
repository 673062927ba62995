package probe

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/deviceos"
	"github.com/faultline-dev/faultline/internal/lazyre"
)

// A Symbolizer annotates code addresses in a line of text with what they
// are (function, file:line). The lead wires it to elfsym; it must be
// cheap, as it runs in the console's reader goroutine.
type Symbolizer interface {
	Annotate(line string) string
}

// A Detection is what a detector recognised in one console line.
type Detection struct {
	Kind     EventKind // EventPanic, EventResetReason, EventBoot, EventFaultMarker, EventUserMatch
	Detector string    // which detector fired: "deviceos-panic", "zephyr-fatal", "user:NAME", ...
	Crash    bool      // a crash trigger: capture should act on it
	Name     string    // panic or fault name ("HardFault", "LoadProhibited", "MPU FAULT") or user match name
	Code     int       // panic code when the format has one (Device OS, Zephyr reason), else 0
	Text     string    // the line, annotated by the Symbolizer when there is one
	Fields   map[string]string
}

// Event turns d into a timeline event.
func (d Detection) Event(t time.Time, source string) Event {
	f := make(map[string]string, len(d.Fields)+4)
	for k, v := range d.Fields {
		f[k] = v
	}
	f["detector"] = d.Detector
	f["crash"] = strconv.FormatBool(d.Crash)
	if d.Name != "" {
		f["name"] = d.Name
	}
	if d.Code != 0 {
		f["code"] = strconv.Itoa(d.Code)
	}
	return Event{Time: t, Kind: d.Kind, Source: source, Text: d.Text, Fields: f}
}

// PanicName returns the Device OS name of a panic code ("" if unknown).
func PanicName(code int) string { return deviceos.PanicName(code) }

// PanicCode returns the Device OS code of a panic name (case-insensitive), 0 if unknown.
func PanicCode(name string) int { return deviceos.PanicCode(name) }

// Device OS reset reasons (hal's reset_reason_t); 130 is the one FACTS.md
// pins down, the others are listed so a log's number reads as a word.
// An array indexed by reason/10, not a map, which package init would build
// in every command's start.
var resetReasons = [...]string{"NONE", "UNKNOWN", "PIN_RESET", "POWER_MANAGEMENT",
	"POWER_DOWN", "POWER_BROWNOUT", "WATCHDOG", "UPDATE", "UPDATE_ERROR",
	"UPDATE_TIMEOUT", "FACTORY_RESET", "SAFE_MODE", "DFU_MODE", "PANIC", "USER"}

// resetReasonName is Device OS's name for a reset reason, or "".
func resetReasonName(reason int) string {
	if reason < 0 || reason%10 != 0 || reason/10 >= len(resetReasons) {
		return ""
	}
	return resetReasons[reason/10]
}

// resetPanic is Device OS's RESET_REASON_PANIC: its data is the panic code.
const resetPanic = 130

// DefaultCrashHoldoff is how long after a crash trigger further crash
// markers count as the same crash (a fault dump spans many lines).
const DefaultCrashHoldoff = 2 * time.Second

// A DetectorSet runs the built-in detectors and user patterns over console
// lines. It keeps a little state (the last Device OS timestamp, the last
// crash) and is safe for concurrent use.
type DetectorSet struct {
	// CrashHoldoff: a crash marker within this time of the previous crash
	// trigger (and with no boot between) is reported with Crash false and
	// Fields["same_crash"]="true". Zero means DefaultCrashHoldoff; negative
	// turns the grouping off.
	CrashHoldoff time.Duration

	sym       Symbolizer
	mu        sync.Mutex
	users     []userDetector
	lastTS    int64 // last Device OS millisecond timestamp, -1 none
	lastCrash time.Time
	inCrash   bool
}

type userDetector struct {
	name  string
	re    *regexp.Regexp
	crash bool
}

// NewDetectorSet returns the built-in detectors; sym may be nil.
func NewDetectorSet(sym Symbolizer) *DetectorSet {
	return &DetectorSet{sym: sym, lastTS: -1}
}

// AddUser adds a user pattern (the --match NAME=REGEX flag); a match is a
// crash trigger, since that is why a user names one. Use AddUserMatch for
// an informational pattern.
func (ds *DetectorSet) AddUser(name, expr string) error {
	return ds.AddUserMatch(name, expr, true)
}

// AddUserMatch adds a user pattern and says whether its matches are crash triggers.
func (ds *DetectorSet) AddUserMatch(name, expr string, crash bool) error {
	if name == "" {
		return fmt.Errorf("user match %q: empty name", expr)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return fmt.Errorf("user match %s: %w", name, err)
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.users = append(ds.users, userDetector{name: name, re: re, crash: crash})
	return nil
}

// ParseMatch splits a --match argument "NAME=REGEX".
func ParseMatch(s string) (name, expr string, err error) {
	name, expr, ok := strings.Cut(s, "=")
	if !ok || name == "" || expr == "" {
		return "", "", fmt.Errorf("match %q: want NAME=REGEX", s)
	}
	return name, expr, nil
}

// Detect runs every detector over l. At most one built-in detector fires
// per line (the most specific: ecosystem formats before generic fault
// words); user patterns add their own detections. Partial lines are
// examined too, since a crashing device often dies mid-line.
func (ds *DetectorSet) Detect(l Line) []Detection {
	text := l.Text
	ds.mu.Lock()
	defer ds.mu.Unlock()
	var out []Detection
	if d, ok := ds.builtin(text); ok {
		out = append(out, d)
	}
	for _, u := range ds.users {
		m := u.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		d := Detection{Kind: EventUserMatch, Detector: "user:" + u.name, Crash: u.crash, Name: u.name,
			Fields: map[string]string{"match": m[0]}}
		for i, g := range u.re.SubexpNames() {
			if g != "" && i < len(m) {
				d.Fields[g] = m[i]
			}
		}
		out = append(out, d)
	}
	for i := range out {
		if out[i].Kind == EventBoot || out[i].Kind == EventResetReason || out[i].Fields["boot"] == "true" {
			ds.inCrash = false // the device restarted: the next crash is a new one
		}
		if out[i].Crash {
			hold := ds.CrashHoldoff
			if hold == 0 {
				hold = DefaultCrashHoldoff
			}
			if hold > 0 && ds.inCrash && l.Time.Sub(ds.lastCrash) < hold && !l.Time.Before(ds.lastCrash) {
				out[i].Crash = false
				if out[i].Fields == nil {
					out[i].Fields = map[string]string{}
				}
				out[i].Fields["same_crash"] = "true"
			} else {
				ds.inCrash = true
				ds.lastCrash = l.Time
			}
		}
		out[i].Text = ds.annotate(text)
	}
	if len(out) == 0 && ds.inCrash && ds.sym != nil && hexAddr.MatchString(text) && l.Time.Sub(ds.lastCrash) < max(ds.CrashHoldoff, DefaultCrashHoldoff) {
		// Register dumps and backtraces follow a crash marker: worth a
		// timeline entry when the symbolizer knows an address in them.
		if a := ds.sym.Annotate(text); a != text {
			out = append(out, Detection{Kind: EventFaultMarker, Detector: "crash-context", Text: a})
		}
	}
	return out
}

var hexAddr = lazyre.New(`(?i)\b(0x)?[0-9a-f]{8}\b`)

func (ds *DetectorSet) annotate(s string) string {
	if ds.sym == nil {
		return s
	}
	return ds.sym.Annotate(s)
}
