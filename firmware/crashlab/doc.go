// Package crashlab gives tests the small crash programs in firmware/crashlab:
// it builds them (make, once per process, serialised across processes with a
// file lock) and says what a correct analysis of each crash must report
// (expected.json).
//
// Every program prints "crashlab: <program> on <board>: start" on the first
// serial port and then crashes in a known way; its fault handlers print
// "crashlab: <Handler>" and spin, so a debugger can stop on them. The
// programs, the boards and every expected.json entry are described in
// README.md, and every entry was checked by booting it in QEMU under
// gdb-multiarch (verify.sh by hand, TestExpectedMatchesQEMUUnderGDB in the
// tests, which uses gdb rather than faultline's own decoder).
//
// What it must not do: run QEMU or analyse crashes (emu and faultdecode do
// that), or write anywhere but firmware/crashlab/build.
//
// Quirks it handles:
//   - Tests of several packages run as separate processes, possibly at the
//     same time; each calls ELF, so make runs under an exclusive flock on
//     build/.lock, and at most once per process after it succeeded.
//   - The source directory is found from this file's compile-time path
//     (runtime.Caller), falling back to walking up from the working directory
//     when the binary was built with -trimpath.
//   - A missing cross compiler is reported as such, with the fix
//     (scripts/setup.sh), instead of as make's error output.
package crashlab
