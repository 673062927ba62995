// Package timeline is the event timeline widget: what the session noticed
// (connects, resets, halts, panics, crashes, captures) in time order.
//
// It reuses the console's ring buffer and windowed view, so it scrolls and
// searches the same way and costs the same per frame however long the
// session has run. It does no I/O.
package timeline

import (
	"strings"
	"time"

	"github.com/faultline-dev/faultline/tui/common"
	"github.com/faultline-dev/faultline/tui/console"
)

// MaxItems is how many timeline entries are kept.
const MaxItems = 10_000

// kindWidth is the column the kind is padded to.
const kindWidth = 13 // probe's longest kinds ("reset-reason", "target-state") and a space

// Model is the timeline widget.
type Model struct {
	*console.Model
}

// New makes an empty timeline.
func New(styles *common.Styles) *Model {
	m := &Model{Model: console.New(styles, MaxItems)}
	m.SetTimeLayout("15:04:05") // seconds are enough between events; keeps the side column narrow
	return m
}

// Add appends one entry; kind chooses its highlighting ("crash", "fault",
// "lockup", "panic" stand out; "reset" and "boot" are marked).
func (m *Model) Add(t time.Time, kind, text string) {
	k := common.Sanitize(kind)
	pad := kindWidth - len(k)
	if pad < 1 {
		pad = 1
	}
	line := k
	for i := 0; i < pad; i++ {
		line += " "
	}
	m.Append(console.Line{Time: t, Text: line + text, Event: eventFor(k)})
}

// eventFor maps timeline kinds onto the console's highlight classes.
// Kinds are probe's event kinds ("panic", "fault-marker", "lockup",
// "reset-reason", "boot", "capture", ...) or anything the caller makes up.
func eventFor(kind string) string {
	switch {
	case kind == "":
		return ""
	case kind == "crash" || strings.HasPrefix(kind, "fault") || kind == "hardfault" || kind == "lockup" ||
		kind == "panic" || kind == "sos" || strings.HasPrefix(kind, "disconnect"):
		return "fault"
	case strings.HasPrefix(kind, "reset") || kind == "boot" || strings.HasPrefix(kind, "reconnect"):
		return "reset"
	default:
		return "info"
	}
}
