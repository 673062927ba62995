// Package probe is faultline's live session: it watches a running target
// through its serial console, its status LED and (in target*.go and
// session*.go) its GDB remote server, and puts everything it sees on one
// timeline.
//
// What is here:
//
//   - Timeline: a bounded, concurrent ring of Events with non-blocking
//     fan-out. A slow subscriber loses events and is told how many (an
//     EventDropped marker) rather than stalling the serial reader.
//
//   - Console: reads a tty, a pty (QEMU's -serial pty) or a TCP stream
//     (ParseSerialSpec: DEV[@BAUD[,8N1]], usb:SERIAL, tcp:HOST:PORT) into
//     timestamped Lines with a bounded scrollback and a raw byte log.
//
//   - DetectorSet: turns console lines into typed detections (Device OS
//     panics and reset reasons, ESP-IDF, Zephyr, CrashCatcher, CmBacktrace,
//     generic fault words, user patterns), each marked as a crash trigger
//     or not; WaitCrash is the serial-only crash catcher.
//
//   - LED: LEDProfile turns a timer's PWM registers into RGB brightness,
//     SampleLED polls them, LEDDecoder names colour and pattern (solid,
//     blinking at a speed, breathing, SOS with its panic code).
//
//   - Target (target.go, vectors.go, snapshot.go, regions.go): a GDB
//     remote connection to a Cortex-M core (over TCP, or a Black Magic
//     Probe's serial port): Inspect (is it already halted in a fault or
//     locked up?), ArmFaultCatch (OpenOCD: cortex_m vector_catch; pyOCD:
//     set vector-catch; J-Link, ST-LINK gdbserver, st-util: DEMCR's VC_*
//     bits by a memory write; QEMU and the Black Magic Probe: a
//     breakpoint on each fault handler of the ELF's vector table and of
//     the live one at VTOR, and a write watchpoint on VTOR; dialect.go),
//     then a breakpoint on each dead-end function the ELF defines
//     (deadend.go: faultdecode/deadend's list, as many as the server
//     grants), WaitCrash/CrashFromStop, and Snapshot (registers, SCB/MPU/debug
//     registers, memory as planned by regionPlan, flash samples for the
//     ELF check).
//
//   - regionPlan (regions.go): what a capture reads. The board's RAM map
//     if it has one, else each writable section of the ELF as its own
//     region ("section .bss"), and a window on each stack ("stack-msp",
//     "stack-psp") from 256 bytes below SP up to the stack's top, found
//     from linker symbols (_estack, __StackTop, __initial_sp,
//     _stack_start, _sstack + _Min_Stack_Size ...), the initial SP in the
//     ELF's and the live vector table, the object or section holding SP,
//     or the MPU region holding it; failing all, 16 KiB. The malloc heap
//     ("heap") wherever newlib's allocator state on the target says it is
//     (forensics.HeapExtent: after .bss, or in external SDRAM/PSRAM no
//     section describes). Plus Board.Extra and --mem ("mem"). Each bounded
//     (1 MiB a stack, 1 MiB a section, 8 MiB in all); what a bound or the
//     target left out goes to Meta.Missing. Sections and the heap may lie
//     in the external device region (FMC SDRAM at 0xC0000000); a stack
//     window only in code, SRAM and external RAM.
//
//   - Session (session.go): one goroutine owns the target; it waits for a
//     crash in short windows so it can sample the LED and serve commands
//     (halt, continue, reset, snapshot) between them. Crashes come out of
//     Crashes() already snapshotted, with the console tail and timeline.
//
//   - Staged capture (staged.go): a crash is read registers first (no 'p'
//     for the FP d registers, which a capture drops), then the SCB/MPU/
//     debug registers, the stacks near SP and the vector table, then the
//     rest. When the rest is expected to take longer than FirstAfter (a
//     slow SWD link: 128 KiB at 200 KB/s is most of a second), the session
//     hands out a first look on FirstLooks() before the whole crash comes
//     on Crashes(), with the same regions an unstaged read gives. Progress
//     is in SessionStatus.Capture; a capture stopped part way (Close,
//     Ctrl-C) keeps what it read and names the rest in Meta.Missing.
//
// What it must not do: import tui or main; run an external process per
// console line (symbolization goes through the Symbolizer interface, which
// the caller backs with elfsym); block a producer on a consumer; leave a
// goroutine running after Close or after its context ends.
//
// Quirks it handles:
//
//   - Line ends: \n, \r\n, \r and \n\r each end one line, also when the
//     pair straddles two reads. A line is stamped with the time its first
//     byte was read. An unterminated line is emitted as Partial after
//     IdleFlush (a prompt, or a device that died mid-line) or MaxLine bytes.
//   - Binary noise (reset glitches, wrong baud) is escaped as \xNN in Line
//     text so it cannot corrupt a terminal or JSON; the raw log keeps the
//     bytes exactly as received.
//   - The Photon's USB CDC port vanishes on every reset. A read error ends
//     the current connection: the partial line is flushed (Partial), an
//     EventConsoleGap "lost" is recorded, the port is reopened by path (or
//     by USB serial number, resolved again each time since the device name
//     can change) with exponential backoff, then "reconnected". Bytes the
//     kernel held but the reader had not read when a pty or USB tty hung up
//     are discarded by the kernel (tty hangup flushes the input queue); TCP
//     delivers everything before EOF.
//   - go.bug.st/serial's Read returns (0, nil) on its read timeout; the
//     console uses a short timeout (<= 50ms) to flush idle partial lines
//     and notice Close without closing the port from another goroutine.
//   - A fault dump spans many lines, so after a crash trigger further crash
//     markers within DetectorSet.CrashHoldoff are reported with Crash false
//     and same_crash=true, until a boot or reset reason is seen.
//   - A Device OS timestamp (%010u ms) that jumps back to a small value is
//     a restart even when the boot itself printed nothing recognisable.
//   - LED samples read over GDB are irregular and some are missing. The
//     decoder works on edge times placed halfway between samples, takes the
//     median of blink intervals (a missed pulse doubles one interval only),
//     judges a new colour on its own samples, and reports a change only
//     after it held for LEDDecoderOptions.Hold. A fast blink (100ms period)
//     needs sampling above ~35 Hz: below that it aliases (Nyquist).
//   - QEMU stops the guest on any byte sent while it runs, so the LED is
//     sampled by halt/read/resume (it perturbs timing), and a halt that
//     races a crash returns the crash's stop reply: CrashFromStop checks
//     every stop, so an LED sample never swallows a fault.
//   - The Black Magic Probe's own vector catch (HardFault by default)
//     unwinds the exception, clears CFSR and HFSR and reports SIGSEGV at
//     the faulting instruction: the cause would be lost, so it is turned
//     off ("monitor vector_catch disable ...") and handler breakpoints
//     catch instead. On a serial port it is scanned and attached for the
//     user (gdbremote).
//   - Only OpenOCD (a log line) and QEMU (it exits) report a lockup. Behind
//     J-Link, pyOCD, the Black Magic Probe, ST-LINK gdbserver or st-util a
//     locked-up core just stops making progress, so the session halts it
//     every 500ms (or at each LED sample, which halts it anyway) and looks
//     at DHCSR.S_LOCKUP and the lockup PC.
//   - QEMU aborts on a lockup instead of halting: the gdbstub closes while
//     the target runs. The session reports that as a lockup crash carrying
//     the console evidence (ErrTargetGone).
//   - The first look at a target never resumes one already halted in a
//     fault (an active fault exception, DHCSR.S_LOCKUP, the lockup PC, or
//     a PC outside the ELF's code): its evidence is captured as it is.
//     NMI or HardFault active with a PC in execute-never space, the lockup
//     PC, or S_LOCKUP make it a lockup (OpenOCD halts a locked-up core and
//     S_LOCKUP clears, so a later attach sees only IPSR and PC).
//   - Firmware moves its vector table (bootloaders, RTOSes, Device OS copy
//     it to RAM and set VTOR, often with other handlers). OpenOCD's vector
//     catch and DEMCR's do not care; with breakpoints, a write watchpoint
//     on VTOR stops the core. QEMU (ARM) stops before the write and a step
//     with the watchpoint in place stops at it again, so the watchpoint is
//     lifted for one step, then the new table's handlers get breakpoints.
//     Without watchpoints VTOR is looked at again at every other stop.
//   - Firmware from elsewhere often dies without faulting: newlib's
//     assert ends in _exit's while (1), CubeMX's Error_Handler and
//     FreeRTOS's hooks mask interrupts and spin. Those functions get a
//     breakpoint on entry after the fault catch (hardware, else software;
//     a refusal is said on the timeline, never an error), the first
//     entered on a path first, so r0-r3 still hold the arguments. One
//     entered from another armed one (abort from __assert_func) is the
//     same death and is stepped over. One that traps (udf) is left to the
//     fault catch. A "b ." right after interrupts are masked (an inlined
//     Error_Handler leaves no function to break on) gets a breakpoint
//     after them, up to 64. A target found in one, or on a "b ." with
//     PRIMASK, FAULTMASK or BASEPRI set or inside an exception handler, is
//     captured as is.
//     Device OS's panic_ (and its abort and _exit, which lead there) is
//     not armed: its console line and SOS are that crash's evidence.
//   - On OpenOCD arming never reads the vector table (0 may alias flash or
//     not be readable); a vector catch stop is named from IPSR, and a
//     SIGTRAP with IPSR outside 2-6 (a bkpt in thread code) is no crash.
//   - QEMU's debugger reads go through the MPU a page (1 KiB) at a time:
//     a 256-byte no-access guard hides its whole page, so a stack window
//     reports the page as missing, not just the guard.
//   - QEMU 10 on ARMv8-M (mps2-an505) offers msp, psp, msplim, psplim in
//     org.gnu.gdb.arm.m-system (the current security state's) and the
//     banked msp_s/msp_ns/... in org.gnu.gdb.arm.secext; a server with
//     only the banked ones has the bank SP is in copied to the plain names.
//   - SOS is recognised from run structure, not a window: a red preamble of
//     5-9 pulses over ~2.8s with gaps under 200ms, a pause, then N pulses
//     of ~300ms with ~300ms gaps, then a pause. N is the Device OS panic code.
package probe
