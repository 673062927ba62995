// Package gdbremote is a GDB Remote Serial Protocol client for Cortex-M
// debug servers (OpenOCD, QEMU's gdbstub), and the stub side of the
// framing for servers (ServerConn) used by the fakes in rsptest and by
// `faultline serve`.
//
// The framing (framing.go, conn.go, server.go) stands apart from the
// commands (client.go, registers.go, memory.go, run.go). Every request
// names its operation in errors; an empty reply is ErrUnsupported, "E NN"
// is a *RemoteError, end of file (also mid-packet) is ErrClosed, and every
// exchange is bounded by the context's deadline or Options.Timeout (turned
// into SetReadDeadline and reset afterwards). WaitStop alone is bounded by
// its context only, since a target may run for hours.
//
// It must not: know about crashes, captures or ELF files; send 'p' for a
// register target.xml does not list; send a Z type above 4; send anything
// but the 0x03 byte while the target runs.
//
// Stub differences it handles:
//
//   - Acks: QStartNoAckMode is sent only when qSupported advertises it
//     (QEMU 7.2 does not); one stray '+' after it is ignored. In ack mode a
//     '-' makes it retransmit, a bad checksum makes it answer '-', both at
//     most 3 times before failing.
//   - Console: 'O' packets (OpenOCD's log lines, while running and during
//     monitor commands) and '%' notifications (%oocd_keepalive) are accepted
//     anywhere, also while waiting for an ack, and go to Options.OnConsole
//     (to the result during Monitor). The empty "$O#4f" is a keep-alive.
//   - Register map: built from target.xml, names lower-cased (OpenOCD 0.12
//     says "xPSR"), regnum explicit (OpenOCD, QEMU's xpsr at 25) or
//     sequential, xi:include followed (QEMU). 'g' is laid out in regnum
//     order until the reply runs out: OpenOCD and QEMU 10 send 17 registers
//     (r0-pc, xpsr), and QEMU's layout changes once target.xml was read (so
//     it is always read first). The rest comes from 'p', only for regnums listed:
//     OpenOCD drops the connection on any other. Sub-byte registers
//     (primask, control) take whole bytes.
//   - Missing registers: QEMU 7.2 has no msp/psp/control; HasRegister says.
//   - Memory: 'm'/'M' chunked to PacketSize (see memory.go for the exact
//     arithmetic: OpenOCD 8188 bytes per 'm', QEMU 2044). OpenOCD returns
//     zeros for unreadable memory unless report_data_abort is on (E0E);
//     QEMU's gdbstub answers E14 for unmapped addresses (observed on 10.0)
//     even where the guest itself would read 0, and E14 for an unknown 'p'.
//   - Running: QEMU stops the guest on any byte received while it runs and
//     loses the packet (answering T02), so while Running() every command
//     but Interrupt and WaitStop fails with ErrRunning, and Interrupt sends
//     the 0x03 byte alone, under the same lock as packets. The rule holds
//     for OpenOCD too, although its 'm' works while the core runs: one
//     behaviour for every stub.
//   - Interrupt races: when the target stops by itself just as 0x03 is
//     sent, the stub may answer the 0x03 with a second stop reply; one such
//     late stop reply is skipped by the next exchange instead of being
//     taken as its reply. A WaitStop deadline in the middle of a packet
//     does not lose it: the frame decoder resumes.
//   - Lockup: OpenOCD reports a lockup as an O line ("clearing lockup after
//     double fault") then T02; QEMU aborts instead, which WaitStop reports
//     as ErrClosed.
//   - Stop replies: S, T (thread:p01.01; from QEMU, watch/rwatch/awatch,
//     register pairs), W and X are parsed; OpenOCD answers '?' with S02
//     right after attach.
//   - Stub(): OpenOCD names qXfer:memory-map and qXfer:threads and sends one
//     flat target.xml; QEMU says multiprocess+ and uses xi:include.
//   - vCont;c / vCont;s are used when vContSupported+ and "vCont?" lists
//     both; otherwise c / s.
package gdbremote
