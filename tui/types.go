package tui

import (
	"context"
	"io"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// Backend is the live session the TUI drives; every method may block on I/O
// and is only ever called from a tea.Cmd, with a context that has a timeout.
type Backend interface {
	Halt(ctx context.Context) error
	Continue(ctx context.Context) error
	Reset(ctx context.Context) error                          // monitor reset on OpenOCD, or the bench
	SaveCapture(ctx context.Context) (path string, err error) // save the current/last crash (or a manual snapshot)
}

// Status is the session's state for the status bar. Each Status replaces
// the previous one whole.
type Status struct {
	Target      string     // "running", "halted", "locked up", "disconnected", "crashed"
	GDB         string     // endpoint, e.g. "127.0.0.1:3333 (openocd)" or "" when serial-only
	Serial      string     // "/dev/ttyACM0 @115200" or ""
	SerialState string     // "open", "reconnecting", ""
	ELF         string     // file name
	ELFMatches  *bool      // nil unknown
	LEDColor    [3]float64 // r,g,b 0..1
	LEDPattern  string     // "breathing cyan", "SOS 1 HardFault", "" when no LED
	Capture     string     // a capture still reading memory: "reading memory 48/128 KiB"; "" when none
	Saved       string     // where the crash on screen is saved; "" when none is or it is unsaved
}

// ConsoleLine is one line from the serial console (without its newline).
type ConsoleLine struct {
	Time  time.Time
	Text  string
	Event string // "", "panic", "fault-marker", "reset", ... for highlighting
}

// TimelineItem is one event on the session's timeline.
type TimelineItem struct {
	Time       time.Time
	Kind, Text string
}

// Crash is a decoded crash to show. Sending a Crash with the same Report
// pointer again (e.g. once the session saved it and knows CapturePath)
// updates it in place and keeps the frame selection.
type Crash struct {
	Report      *report.Report
	CapturePath string                            // "" while unsaved
	Source      func(file string) ([]byte, error) // for the culprit lines; may be nil; called from a tea.Cmd
	// ShowPath shortens a source path for the source pane's title (relative
	// to the working or compile directory); nil shows it as recorded.
	ShowPath func(file string) string
	// Update says Report is the crash on screen read further (its first
	// report came while the capture still read memory): it replaces the
	// one shown without moving the pane or the frame selection.
	Update bool
}

// Options configure Run and NewModel.
type Options struct {
	Title     string    // shown at the right of the pane tabs; "faultline" when empty
	AltScreen bool      // use the terminal's alternate screen
	Mouse     bool      // mouse wheel scrolling (cell-motion mouse reporting)
	Input     io.Reader // keys; os.Stdin when nil
	Output    io.Writer // screen; os.Stdout when nil

	// Added beyond the v0 contract:

	// Renderer styles the output; nil makes one for Output (colour support
	// detected from it). Tests pass one with termenv.Ascii.
	Renderer *lipgloss.Renderer
	// Timeout bounds Halt, Continue and Reset; 0 means 10s.
	Timeout time.Duration
	// SaveTimeout bounds SaveCapture (a capture reads all RAM); 0 means 60s.
	SaveTimeout time.Duration
	// MaxConsoleLines is the console scrollback; 0 means 100,000.
	MaxConsoleLines int
}

const (
	defaultTimeout     = 10 * time.Second
	defaultSaveTimeout = 60 * time.Second
	// maxBatch bounds how many queued updates one message carries, so a
	// flood of serial lines is drained in few Updates but keys still get
	// through between batches.
	maxBatch = 4096
)
