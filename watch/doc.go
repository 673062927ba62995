// Package watch is faultline's headless crash watcher (`faultline
// capture`, `faultline demo --no-tui`): it waits on a live probe.Session,
// saves every crash to a capture file (capture.Save), explains it and
// prints the report, text or JSON. Explain, PrintReport and LocalSources
// (how text and Markdown reach and name the sources) are also how
// `analyze` explains a capture post-mortem, so live and post-mortem reports
// are identical.
//
// It must not start or configure sessions (the caller does) or decide exit
// codes: a timeout with nothing caught is ErrNoCrash, which the caller maps.
//
// Quirks it handles:
//   - A crash is saved before it is explained, so a report that fails
//     still leaves the evidence on disk.
//   - An incomplete capture is saved as far as it was read, then reported
//     as an error naming the file.
//   - On the way out a target left running is halted and its fault catching
//     removed, so the GDB server is left sane for the next debugger.
package watch
