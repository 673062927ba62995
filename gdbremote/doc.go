// Package gdbremote is a GDB Remote Serial Protocol client for Cortex-M
// debug servers (OpenOCD, QEMU's gdbstub, SEGGER's J-Link GDB Server,
// pyOCD, the Black Magic Probe, ST's ST-LINK gdbserver, st-util), over TCP
// or a serial port (DialSerial, a Black Magic Probe), and the stub side of the
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
//     flat target.xml; QEMU says multiprocess+ and uses xi:include; the
//     others are told by their qSupported (dialect.go, stubFromFeatures).
//
// The servers, as their source or manual says ("assumed": nothing here
// says; the fakes in rsptest/dialects.go follow this table):
//
//	server       qSupported                       target.xml, msp/psp         unreadable 'm'   stops                         vector catch, lockup
//	J-Link       PacketSize=4000, QStartNoAckMode, flat, regnum'd m-profile;  E01 (assumed)    T05, T02 (assumed)            none (UM08001 lists no such monitor
//	             hwbreak+, memory-map- (logged     m-system msp.. (assumed)                                                   command): DEMCR; lockup not reported
//	             session, cortex-debug #450)
//	pyOCD        QNonStop+, threads, memory-map,  built per core: xpsr 16,    E01              T05thread:1; a vector catch   "monitor set vector-catch hbmiscp"
//	             PacketSize=800 (gdbserver.py)    msp 17, psp 18, control 19,                  says the fault's signal       (values.py); output is text, never
//	                                              primask 20 (all 32-bit)                      (T0b, T0a, T04)               an error code; lockup not reported
//	Black Magic  memory-map, features, vCont,     none before "monitor        E01              T05thread:1; T02 on 0x03;     "vector_catch" exists but unwinds the
//	             QStartNoAckMode, never threads   swd_scan" + vAttach;1;      (gdb_main.c)     T0b after its own catch       fault and clears CFSR/HFSR (cortexm.c
//	             (gdb_main.c); on a serial port   xpsr 25, msp 26, psp 27,                                                   cortexm_fault_unwind): turned off,
//	                                              primask..control 8-bit                                                     handler breakpoints; lockup silent
//	ST-LINK      assumed: QStartNoAckMode+,       assumed OpenOCD-like        E01 (assumed)    T05, T02 (assumed)            none known: DEMCR; lockup silent
//	gdbserver    no memory map, threads, vCont
//	st-util      PacketSize=3fff, memory-map,     flat: xpsr 25, msp 26, psp  empty reply      S05 for every stop            none (resume, halt, reset,
//	             features, nothing else           27, control..primask 8-bit  (gdb-server.c)   (gdb-server.c)                jtag_reset, semihosting): DEMCR
//	             (gdb-server.c)                   ('p' answers 4 bytes); 'g'
//	                                              is r0-r15 only
//
// OpenOCD and QEMU are in FACTS.md sections 2 and 3.
//   - vCont;c / vCont;s are used when vContSupported+ and "vCont?" lists
//     both; otherwise c / s.
package gdbremote
