// Package crashview shows one decoded crash: the fault and its cause in
// words, the findings, the frames (select one to see its source), the
// culprit source lines, and on a second page the registers, the fault
// status registers and the analysis notes.
//
// Source files are read through the caller's Source function inside a
// tea.Cmd (it may touch the disk or a slow network mount) and come back as
// a SourceMsg; a message from an earlier crash is ignored by its
// generation number. Nothing here writes anything.
package crashview
