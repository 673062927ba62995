// Package soak is the reporter's stress rig: HTTP load at a set rate, the
// device's link dropped on emu's flap schedule, counters like the
// reporter's script (successes, timeouts, connection errors, non-200s,
// reconnects), a liveness check after every restore, a capture of every
// crash (grouped by fingerprint with history) and a summary with a verdict
// (`faultline soak`, JSON schema faultline.soak/v1).
//
// It drives a device it is given (a probe.Session, an emu.Bench, a Link);
// starting and stopping them is the caller's (bench.Start for the emulated
// bench). It must not parse flags or decide exit codes.
//
// Decisions worth knowing:
//   - After a crash is captured the device is brought back by a debugger
//     reset by default (probe.Session.Reset: AIRCR.SYSRESETREQ on QEMU,
//     "monitor reset halt" on OpenOCD, then fault catching is re-armed and
//     the core resumed). It is quick (the bench serves again within about
//     2 s), where letting the firmware's own handler run
//     (Config.ResumeAfterCrash, probe.SessionOptions.Resume) costs the 10 s
//     of SOS first. Restarting the whole bench would lose the point: the
//     same QEMU, link and co-processor go on, as a device on a desk would.
//   - The liveness check belongs to the link schedule
//     (emu.FlapSchedule.AfterRestore): the next drop waits until the server
//     answered or RecoverWithin passed. A crash since the drop is its own
//     finding, not a failure to recover.
//   - A server that did not recover ends the soak: its live state is
//     snapshotted (probe.Session.SnapshotNow) while it is still wedged.
//   - Load requests and liveness probes are separate: the counters are
//     the load's alone, like the reporter's script.
//   - A tick that finds InFlight requests open is skipped, so a hung
//     server does not pile up connections.
package soak
