// Package symbolize turns code addresses into words for people: function,
// file:line and the calls they are inlined into, one address at a time
// (`faultline symbolize ADDR...`, text or JSON) or inside free text, such
// as a serial log piped through it or a console line the live session
// shows (Symbolizer implements probe.Symbolizer).
//
// Run is the symbolize command's work after its flags (faultline's command
// and the benchmark's symbolize-only program both call it).
//
// It only formats what elfsym answers; it must not open files (Run is
// handed a function that opens the image), parse DWARF or know about
// faults. Files are shown relative to the working directory
// when they are under it (JSON keeps them as DWARF recorded them).
//
// Quirks it handles:
//   - In free text only 0x-prefixed hex and bare 8-digit hex words are
//     candidates, and only those inside an executable section are
//     annotated, so timestamps and counters are left alone.
//   - The stream is flushed after every line, so a live log keeps flowing.
package symbolize
