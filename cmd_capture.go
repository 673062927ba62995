package main

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/watch"
)

func init() {
	commands = append(commands, command{name: "capture", build: newCaptureCmd, signals: true})
}

func newCaptureCmd() *cobra.Command {
	var f deviceFlags
	cmd := &cobra.Command{
		Use:   "capture --gdb HOST:PORT [--elf FILE] [flags]",
		Short: "Wait for crashes headless, save a capture file per crash, print the report",
		Long: `capture connects to a GDB remote server (OpenOCD's port 3333, QEMU's -gdb) and
looks at the target first. A target already halted in a fault (a fault
exception active, a lockup, a PC that cannot execute) is captured as it is and
never resumed past its evidence. Otherwise capture arms fault catching
(OpenOCD: vector catch; others: a breakpoint on each fault handler from the
vector table) and breaks on the entry of the functions firmware stops itself in
without faulting (newlib's __assert_func, abort and _exit, CubeMX's
Error_Handler, FreeRTOS's vAssertCalled and stack-overflow and malloc-failed
hooks, __stack_chk_fail, __cxa_pure_virtual, rust_begin_unwind, Zephyr's
k_sys_fatal_error_handler; those that trap by themselves are left to the fault
catch), and on each "b ." right after interrupts are masked (such a handler
compiled inline); the timeline names what the GDB server refused. Then it
resumes the target and waits. A stop there is a crash with trigger "dead-end";
a target found halted in one, or on a branch to itself with interrupts masked
or in an exception handler, is captured as it is, like one halted in a fault.

--halt captures a target that hangs without faulting: it halts it at once and
captures it as it is (trigger "manual"), then exits; a target found in a fault
or a dead end keeps that trigger.

On a crash it reads the registers, the fault registers, memory and samples of
flash, writes an ELF core file to --dir (its path goes to stderr) and prints the
report: the fault and its cause, the culprit line, the frames. Over a slow
debug link (an SWD probe moves 100-500 KB/s) the first report comes from the
registers, fault registers and stacks, before the rest of RAM is read; it is
printed again once the capture is complete only if the rest changes it
(--json prints one report, from the complete capture). Ctrl-C during that
read saves what was read, saying what is missing. Memory is the
board's RAM map or, without one, each writable section of the ELF and each
stack (MSP, PSP) from just below its pointer up to its top (from the linker
script's symbols, the vector table, the section or MPU region holding it),
each bounded; --mem adds ranges (also "mem = [...]" in faultline.toml). What
could not be read is named in the capture and the report.

With --serial it also watches the console: a panic line (Device OS, Zephyr,
ESP-IDF, CrashCatcher, CmBacktrace, or your --match) is a crash too. With
--serial and no --gdb it works from the console alone (serial-only mode);
a CrashCatcher hex dump printed there becomes a full capture (registers,
memory, frames).

Exit codes: 0 crash captured (or, without --once, a clean stop), 1 error,
2 usage, 3 timeout with no crash.`,
		Example: `  # catch the next crash of a board behind OpenOCD
  faultline capture --gdb localhost:3333 --elf app.elf --once

  # QEMU started with -S -gdb tcp::1234; JSON report for a script
  faultline capture --gdb 127.0.0.1:1234 --elf app.elf --board netduino2 --once --json

  # the board hangs and nothing faults: halt it now and explain where it is
  faultline capture --gdb localhost:3333 --elf app.elf --halt

  # serial console only: a panic line is the trigger
  faultline capture --serial /dev/ttyACM0@115200 --elf app.elf --once

  # also read a stack in CCM and a second RAM bank into every capture
  faultline capture --gdb localhost:3333 --elf app.elf --mem 0x10000000:64K --mem 0x24000000:512K

  # a Black Magic Probe: its GDB server is its first USB serial port; faultline
  # scans and attaches the target (serial:PATH for a port not under /dev)
  faultline capture --gdb /dev/ttyACM0 --elf app.elf --once
  faultline capture --gdb serial:/dev/serial/by-id/usb-Black_Magic_Probe-if00 --elf app.elf --once

  # index the ELF afresh instead of loading the saved index (a cold start, or to rule the cache out)
  faultline capture --gdb localhost:3333 --elf app.elf --once --no-cache`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.gdb == "" && f.serial == "" {
				return usageError("capture needs --gdb HOST:PORT (the GDB server to attach to) and/or --serial DEV[@BAUD]")
			}
			if f.halt {
				if f.gdb == "" {
					return usageError("--halt needs --gdb: the target is halted and read through the GDB server")
				}
				if f.resume {
					return usageError("--halt leaves the target halted where it was: it does not go with --resume")
				}
				f.once = true
			}
			return runCapture(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	addDeviceFlags(cmd, &f)
	fl.StringVar(&f.gdb, "gdb", "", "GDB remote server `HOST:PORT` (OpenOCD :3333, QEMU -gdb, J-Link :2331, pyOCD, st-util :4242) or a Black Magic Probe's port (/dev/ttyACM0, serial:PATH)")
	fl.StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with debug info (symbols, lines, CFI)")
	fl.BoolVar(&f.once, "once", false, "stop after the first crash")
	fl.BoolVar(&f.json, "json", false, "print each report as one JSON document (faultline.report/v1)")
	fl.BoolVar(&f.resume, "resume", false, "with --once: after capturing, let the firmware's own fault handler run (SOS, reset); without --once this is always done")
	fl.BoolVar(&f.halt, "halt", false, "halt the target at once and capture it as it is (a board that hangs without faulting), then exit; implies --once")
	fl.DurationVar(&f.timeout, "timeout", 0, "give up waiting after `DUR` (exit 3); 0 waits until Ctrl-C")
	fl.StringVar(&f.traceRSP, "trace-rsp", "", "write the RSP wire trace to `FILE`")
	fl.StringVar(&f.serial, "serial", "", "serial console `DEV[@BAUD]` (also tcp:HOST:PORT, usb:SERIAL); a panic line there is a crash")
	fl.StringVar(&f.logFile, "log", "", "append the raw console bytes to `FILE`")
	fl.BoolVar(&f.led, "led", false, "sample the board's RGB LED through the debugger (OpenOCD reads it while the core runs; on QEMU each sample halts the core briefly: it perturbs timing)")
	return cmd
}

func runCapture(ctx context.Context, f deviceFlags, stdout, stderr io.Writer) error {
	sess, img, stop, err := startDevice(ctx, f, f.resume || !f.once, stderr)
	defer stop()
	if err != nil {
		return err
	}
	err = watch.Run(ctx, sess, watch.Options{Dir: f.dir, Image: img, JSON: f.json, Once: f.once, Timeout: f.timeout, Out: stdout, Log: stderr})
	if errors.Is(err, watch.ErrNoCrash) {
		return withExit(exitTimeout, err)
	}
	return err
}
