// Package bench is the emulated bench as a faultline session: it builds
// the bundled firmware if needed, boots it with emu (QEMU netduino2 and the
// emulated WiFi co-processor), attaches a probe.Session to its gdbstub and
// console, and drives the demo's traffic: HTTP load like the reporter's
// stress test and WiFi drops on emu's flap schedule. `faultline demo`,
// `faultline soak --bench` and the tests of both start the bench here.
//
// It sits above probe and emu (emu itself must not import probe) and must
// not decide what to do with a crash: saving, explaining and showing it
// belong to the caller, which reads Probe.Crashes().
//
// Quirks it handles:
//   - The bench starts halted and the session attaches before the CPU
//     runs, so no console line and no early crash is missed.
//   - Drive stops dropping the link once a crash is caught (the timeline
//     says so), leaving the link up; the load goes on.
//   - Close stops the traffic first, then the session, then QEMU, so no
//     request or link drop outlives the bench.
package bench
