// Package console is the serial console widget: a ring buffer of up to
// 100,000 lines (by default) with a windowed view, scrolling that follows
// the tail until the user scrolls up, and search.
//
// It is hand-written rather than bubbles/viewport because the viewport
// keeps its content as one string that SetContent splits on every change:
// with 100,000 lines that costs tens of milliseconds per new serial line.
// Here appending is O(1) and View touches only the visible rows, so a frame
// costs the same with 10 lines or 100,000.
//
// It does no I/O: lines are appended by the screen as they arrive.
package console
