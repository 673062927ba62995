// Package common holds what every faultline TUI widget needs: the terminal
// size, the styles (bound to one lipgloss renderer per session, so colour
// detection follows the session's own output, e.g. an ssh pty, and never a
// global), the key map, the error message type, and small helpers that keep
// every rendered line within the terminal's width.
//
// It must not do I/O and must not import the widgets.
package common
