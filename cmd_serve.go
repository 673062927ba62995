package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote/coreserver"
)

func init() { commands = append(commands, command{name: "serve", build: newServeCmd, signals: true}) }

type serveFlags struct {
	elf, host, traceRSP string
	port                int
	noCache             bool
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve CAPTURE [--port N] [--elf FILE]",
		Short: "Serve a capture file to stock gdb over the GDB remote protocol (read-only)",
		Long: `serve acts as a GDB remote server over a capture file, so arm-none-eabi-gdb
(or gdb-multiarch) can inspect a crash that happened elsewhere with
'target remote': bt, info registers, x, print, frame, up, down.

Registers are the ones captured (where faultline stopped the target, usually
the fault handler's entry), including msp and psp, so gdb unwinds exception
frames on both stacks; a core file cannot give gdb psp. Memory comes from the
capture, and from the ELF's flash contents where the capture has none.

The target is frozen: writes, breakpoints, continue and step are refused with
an error. It serves until Ctrl-C.`,
		Example: `  faultline serve crashes/crash-20261126-101500.123.core --elf build/app.elf
  # then, in another terminal:
  arm-none-eabi-gdb build/app.elf -ex 'target remote :3333' -ex bt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.port < 0 || f.port > 65535 {
				return usageError("--port %d is not a TCP port", f.port)
			}
			return runServe(cmd.Context(), args[0], f, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.port, "port", 3333, "TCP `PORT` to listen on (0: any free port)")
	fl.StringVar(&f.host, "host", "127.0.0.1", "address to listen on")
	fl.StringVar(&f.elf, "elf", "", "firmware ELF `FILE` for flash contents (default: the path recorded in the capture)")
	fl.StringVar(&f.traceRSP, "trace-rsp", "", "write the RSP wire trace to `FILE`")
	addNoCacheFlag(fl, &f.noCache)
	return cmd
}

func runServe(ctx context.Context, path string, f serveFlags, stderr io.Writer) error {
	snap, err := capture.Read(path)
	if err != nil {
		if snap == nil {
			return fmt.Errorf("read capture: %w", err)
		}
		fmt.Fprintf(stderr, "faultline: warning: %v (serving what is there)\n", err)
	}
	img, err := openCaptureELF(f.elf, f.noCache, snap, stderr)
	if err != nil {
		return err
	}
	cfg := coreserver.Config{Snapshot: snap, Log: stderr}
	elfName := "app.elf"
	if img != nil {
		defer img.Close()
		cfg.Flash = img
		elfName = img.Path()
	}
	if f.traceRSP != "" {
		tf, err := os.Create(f.traceRSP)
		if err != nil {
			return fmt.Errorf("open RSP trace: %w", err)
		}
		defer tf.Close()
		cfg.Trace = tf
	}
	srv, err := coreserver.New(cfg)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(stderr, "faultline: listening on %s; connect with: arm-none-eabi-gdb %s -ex 'target remote :%d'\n",
		ln.Addr(), elfName, port)
	return srv.Serve(ctx, ln)
}
