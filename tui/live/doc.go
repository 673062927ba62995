// Package live wires a live probe.Session to the TUI (`faultline attach`,
// `faultline demo`): the session's timeline, status and crashes become TUI
// updates, and the TUI's keys (halt, continue, reset, save) become session
// calls. The tui package must not import probe; this package is the one
// place the two meet.
//
// It must not draw anything (that is tui's) or decide how a crash is
// explained (faultdecode.Analyze, the same report as capture and analyze).
package live
