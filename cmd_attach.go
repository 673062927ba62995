package main

import (
	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/tui/live"
)

func init() { commands = append(commands, command{name: "attach", build: newAttachCmd, signals: true}) }

func newAttachCmd() *cobra.Command {
	var f deviceFlags
	cmd := &cobra.Command{
		Use:   "attach [--gdb HOST:PORT] [--serial DEV[@BAUD]] [--elf FILE]",
		Short: "Interactive TUI: console, target state, LED, timeline, and the crash explained",
		Long: `attach opens one screen over a live device: a status bar (target state, GDB
endpoint, serial port, ELF, the RGB LED and its decoded pattern), the serial
console (scrollable, searchable, events highlighted), the event timeline, and,
the moment a crash is caught, the crash view: cause in words, the culprit
source lines, the frames, registers and findings. Each crash is saved to --dir
the moment it is caught, as 'faultline capture' saves it, and the status bar
shows where (--no-save: only when you press s).

Keys: h halt, c continue, r reset, s save a capture now, tab/1-4 panes,
/ search, q quit (asks when a crash has not been saved).

The LED is sampled through the debugger: OpenOCD reads it while the core
runs; on QEMU each sample halts the core briefly, which perturbs timing
(--led=false turns it off).`,
		Example: `  faultline attach --gdb localhost:3333 --serial /dev/ttyACM0@115200 --elf app.elf --board photon
  faultline attach --serial /dev/ttyUSB0@921600 --elf app.elf   # serial only

  # a Black Magic Probe (its first USB port is the GDB server); crashes are
  # not written to crashes/ unless you press s
  faultline attach --gdb /dev/ttyACM0 --serial /dev/ttyACM1@115200 --elf app.elf --no-save

  # read the CCM stack too
  faultline attach --gdb localhost:3333 --elf app.elf --mem 0x10000000:64K`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.gdb == "" && f.serial == "" {
				return usageError("attach needs --gdb HOST:PORT and/or --serial DEV[@BAUD]")
			}
			// The TUI keeps the crash on screen; continue is the user's call.
			sess, img, stop, err := startDevice(cmd.Context(), f, false, cmd.ErrOrStderr())
			defer stop()
			if err != nil {
				return err
			}
			return live.Run(cmd.Context(), sess, img, live.Options{Dir: f.dir, Title: "faultline attach", NoSave: f.noSave})
		},
	}
	fl := cmd.Flags()
	addDeviceFlags(cmd, &f)
	addNoSaveFlag(fl, &f.noSave)
	fl.StringVar(&f.gdb, "gdb", "", "GDB remote server `HOST:PORT` (OpenOCD :3333, QEMU -gdb, J-Link :2331, pyOCD, st-util :4242) or a Black Magic Probe's port (/dev/ttyACM0, serial:PATH)")
	fl.StringVar(&f.serial, "serial", "", "serial console `DEV[@BAUD]` (also tcp:HOST:PORT, usb:SERIAL)")
	fl.StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with debug info")
	fl.StringVar(&f.logFile, "log", "", "append the raw console bytes to `FILE`")
	fl.BoolVar(&f.led, "led", true, "sample the board's RGB LED through the debugger")
	return cmd
}
