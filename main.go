// Command faultline catches, captures and explains crashes of ARM Cortex-M
// firmware. Package main only parses flags, wires packages together and
// picks the output: each command lives in its own cmd_*.go file and reaches
// the packages that do the work (watch, bench, soak, history, symbolize,
// tui/live); session.go and output.go hold what several commands share, and
// no command file calls another's functions.

// Start is most of a symbolize on small firmware. Since Go 1.25 the
// runtime starts, before main, a goroutine that rereads the cgroup CPU
// limit every second to adjust GOMAXPROCS; faultline runs for
// milliseconds, or waits on I/O (a TUI, serve, soak), and keeps the
// GOMAXPROCS it starts with.
//
//go:debug updatemaxprocs=0
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// Exit codes are part of the contract in DESIGN.md.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitTimeout = 3
)

// exitCodeError carries a specific exit code out of a command.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitCodeError) Unwrap() error { return e.err }

// withExit attaches an exit code to err.
func withExit(code int, err error) error { return &exitCodeError{code: code, err: err} }

// usageError marks err as a usage mistake (exit 2).
func usageError(format string, args ...any) error {
	return withExit(exitUsage, fmt.Errorf(format, args...))
}

// newRootCmd builds the command tree. With only naming a registered
// command, that command is the only one built: building all of them (their
// flags, help texts and board lists) was a tenth of the CPU time of a
// start, and a command's own run and --help need none of the others.
// Anything else (no command, help, completion, a typo that wants
// suggestions) gets the whole tree.
func newRootCmd(only string) *cobra.Command {
	root := &cobra.Command{
		Use:   "faultline",
		Short: "Catch, capture and explain crashes of ARM Cortex-M firmware",
		Long: `faultline watches a Cortex-M target through its GDB remote server (OpenOCD,
QEMU) and its serial console, catches the crash (fault handler, lockup, panic
line, SOS on the LED), saves the evidence as an ELF core file, and explains it
against the firmware ELF: the fault and its cause, the frames with file:line and
inlined calls, and where a bad pointer came from.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withExit(exitUsage, fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath()))
	})
	if c, ok := commandNamed(only); ok {
		root.AddCommand(c.build())
		// The arguments go to c, so cobra's completion command (five
		// commands with their help texts, made on every Execute) cannot
		// be the one run.
		root.CompletionOptions.DisableDefaultCmd = true
		return root
	}
	for _, c := range commands {
		root.AddCommand(c.build())
	}
	return root
}

// A command is one subcommand: its name, the first word of its Use (a
// test checks they agree), and the function that builds it.
type command struct {
	name  string
	build func() *cobra.Command
	// signals: the command watches cmd.Context() and cleans up when
	// Ctrl-C or SIGTERM cancels it. Without it the signals end the process
	// at once, as they end any program: catching them for a command that
	// never looks at its context made Ctrl-C do nothing (symbolize reading
	// a terminal ran on), and the signal watcher costs every start four
	// threads.
	signals bool
}

// commandNamed returns the registered command called name.
func commandNamed(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// commands is filled by the cmd_*.go files' init functions, so adding a
// command never means editing this file.
var commands []command

func main() {
	// A copy of faultline started to build a firmware's index in the
	// background (indexcache.ServeBackground) does only that.
	if indexcache.ServeBackground() {
		return
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var first string
	if len(args) > 0 {
		first = args[0]
	}
	ctx := context.Background()
	if c, ok := commandNamed(first); ok && c.signals {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	root := newRootCmd(first)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(os.Stderr, "faultline: %v\n", err)
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitError
}

// isCobraUsageError recognises cobra's own argument errors, which it returns
// as plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
