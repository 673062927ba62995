package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/probe"
)

// What the commands that attach to a device share: the flags that name it
// and the live session's options built from them.

// deviceFlags name a device and how to watch it: capture's options, which
// attach and soak (--gdb, --serial, ...) share.
type deviceFlags struct {
	elf, gdb, board, dir string
	serial, logFile      string
	match                []string
	mem                  []string // --mem ADDR:SIZE, extra ranges every capture reads
	once, json, resume   bool
	halt                 bool // capture --halt: capture the target now, as it is
	led                  bool
	timeout, rspTimeout  time.Duration
	traceRSP             string
	noCache, noSave      bool
}

// addDeviceFlags adds the flags capture, attach and soak name a device
// with, besides --gdb, --serial and --elf (whose help differs).
func addDeviceFlags(cmd *cobra.Command, f *deviceFlags) {
	fl := cmd.Flags()
	addNoCacheFlag(fl, &f.noCache)
	fl.StringVar(&f.board, "board", "generic", "board profile: "+strings.Join(probe.BoardNames(), "|"))
	fl.StringVar(&f.dir, "dir", "crashes", "directory for capture files")
	fl.StringArrayVar(&f.match, "match", nil, "extra crash marker `NAME=REGEX` on the console (repeatable)")
	addMemFlag(cmd, &f.mem)
	fl.DurationVar(&f.rspTimeout, "rsp-timeout", 5*time.Second, "timeout for each exchange with the GDB server")
}

// addNoCacheFlag adds --no-cache, the same on every command that loads an
// ELF.
func addNoCacheFlag(fl *pflag.FlagSet, p *bool) {
	fl.BoolVar(p, "no-cache", false, "neither read nor write the saved ELF index (in the user cache dir, faultline/index): index the ELF from scratch")
}

// addNoSaveFlag adds --no-save to the commands with a TUI (attach, demo).
func addNoSaveFlag(fl *pflag.FlagSet, p *bool) {
	fl.BoolVar(p, "no-save", false, "do not save each crash to --dir as it is caught (in the TUI, s saves it)")
}

// addMemFlag registers --mem on a command that captures.
func addMemFlag(cmd *cobra.Command, mem *[]string) {
	cmd.Flags().StringArrayVar(mem, "mem", nil, "also read `ADDR:SIZE` into every capture (repeatable; hex or decimal, size may end in K or M: --mem 0x10000000:64K)")
}

// parseMemFlags parses --mem values; a malformed one is a usage error that
// says the expected form.
func parseMemFlags(vals []string) ([]probe.MemRange, error) {
	mem, err := probe.ParseMemRanges(vals)
	if err != nil {
		return nil, withExit(exitUsage, err)
	}
	return mem, nil
}

// startDevice opens the ELF (if named) and starts a live session on the
// device f names; resume lets the firmware's own fault handler run after
// each capture. stop closes the session and what it opened (the target is
// left as it is: see probe.Session.Leave); it is never nil. With neither
// --gdb nor --serial there is no session, only the ELF.
func startDevice(ctx context.Context, f deviceFlags, resume bool, stderr io.Writer) (sess *probe.Session, img *elfsym.Image, stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		stops = nil
	}
	if img, err = openELF(f.elf, f.noCache, stderr); err != nil {
		return nil, nil, stop, err
	}
	if img != nil {
		stops = append(stops, func() { img.Close() })
	}
	if f.gdb == "" && f.serial == "" {
		return nil, img, stop, nil
	}
	dev := probe.Device{
		GDB: f.gdb, Serial: f.serial, Board: f.board, LogFile: f.logFile, Match: f.match, Mem: f.mem,
		LED: f.led, RSPTimeout: f.rspTimeout, ServerLog: stderr,
	}
	opts, err := dev.Options(img)
	if err != nil {
		return nil, img, stop, withExit(exitUsage, err)
	}
	opts.Resume = resume
	opts.HaltNow = f.halt
	if f.gdb != "" && f.traceRSP != "" {
		tf, err := os.Create(f.traceRSP)
		if err != nil {
			return nil, img, stop, fmt.Errorf("open RSP trace: %w", err)
		}
		opts.Target.Trace = tf
		stops = append(stops, func() { tf.Close() })
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	sess, err = probe.StartSession(cctx, opts)
	cancel()
	if err != nil {
		return nil, img, stop, err
	}
	stops = append(stops, func() { sess.Close() })
	return sess, img, stop, nil
}
