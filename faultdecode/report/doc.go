// Package report holds the "faultline.report/v1" Report (DESIGN.md's JSON
// schema), the finding kinds, the text and Markdown renderers, and the
// Signature/Fingerprint that group repeats of one crash.
//
// It knows only the report's own fields: it imports no other faultdecode
// package and must not compute anything a report does not already say.
// Renderers write to the io.Writer they are given, read source files only
// through the Sources they are handed, and show source paths through
// srcpath.Rel (relative to the working or compile directory), as the TUI
// does; the JSON keeps them as recorded.
//
// Quirks it handles:
//   - The renderers keep the first write error and return it (errWriter).
//   - A fingerprint leaves out stack-scan and guessed frames and every
//     number in names, so a rebuild or stack garbage does not split one
//     bug into several.
//   - Frames may leave out the middle of a recursion too deep to list: the
//     frame after the gap counts the calls left out (Frame.Elided), and
//     the renderers print a line for them there.
package report
