// Package live wires a live probe.Session to the TUI (`faultline attach`,
// `faultline demo`): the session's timeline, status and crashes become TUI
// updates, and the TUI's keys (halt, continue, reset, save) become session
// calls. The tui package must not import probe; this package is the one
// place the two meet.
//
// Nothing is left unsaved: each crash is saved to the capture directory the
// moment it is caught, with capture.Save as `faultline capture` saves it
// (Options.NoSave opts out; s then saves), and the status bar shows where.
// Over a slow link the first look is saved at once and rewritten in place
// with the whole capture when it is read.
//
// It must not draw anything (that is tui's) or decide how a crash is
// explained (faultdecode.Analyze, the same report as capture and analyze).
package live
