package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/config"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/symbolize"
)

func init() { commands = append(commands, command{name: "symbolize", build: newSymbolizeCmd}) }

type symbolizeFlags struct {
	elf     string
	json    bool
	noCache bool
}

func newSymbolizeCmd() *cobra.Command {
	var f symbolizeFlags
	cmd := &cobra.Command{
		Use: "symbolize --elf FILE [ADDR... | -]",
		// Any number of addresses; saying so spares cobra a pass over
		// them (legacyArgs), which counts with tens of thousands.
		Args:  cobra.ArbitraryArgs,
		Short: "Turn code addresses into function, file:line and inlined calls",
		Long: `symbolize looks addresses up in the firmware ELF's symbols and DWARF and prints,
for each, the function and source line, innermost first, followed by the
functions it is inlined into (like addr2line -fiC, but in one process with an
index built once).

ADDR is hex, with or without 0x; the Thumb bit (bit 0) is ignored. An address
in no function prints "??", with the covering symbol if there is one. A lone
"-" reads the addresses from stdin instead (separated by spaces or newlines),
printed as they would be from the command line: for more addresses than a
command line holds.

With no ADDR it reads text on stdin and copies it to stdout line by line,
appending " [function at file:line]" after every word that is a code address:
0x-prefixed hex, or a bare 8-digit hex word, that falls in an executable
section of the ELF. Nothing else is touched, so a serial log or a panic dump
can be piped through it as it arrives.

Files are shown relative to the current directory when they are under it;
--json gives them as recorded in DWARF.

Exit codes: 0 ok, 1 the ELF cannot be read, 2 usage (no --elf, bad address).`,
		Example: `  faultline symbolize --elf build/app.elf 0x08000a12 08000b31
  0x08000a12 net::Server::poll_clients() at src/server.cpp:36
  0x08000b31 leaf() at src/util.h:12
    inlined into run() at src/main.cpp:40

  faultline symbolize --elf build/app.elf --json 0x08000a12
  cut -d' ' -f2 trace.txt | faultline symbolize --elf build/app.elf -
  picocom -b 115200 /dev/ttyUSB0 | faultline symbolize --elf build/app.elf
  faultline symbolize --elf build/app.elf < crash-log.txt
  faultline symbolize --elf build/app.elf --no-cache 0x08000a12   # index afresh, ignore the saved index`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.elf == "" {
				return usageError("--elf FILE is required (or elf = \"...\" in %s)", config.FileName)
			}
			err := symbolize.Run(symbolize.Request{
				ELF:  f.elf,
				Args: args,
				JSON: f.json,
				Open: func() (*elfsym.Image, error) { return indexcache.Open(f.elf, f.noCache) },
			}, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			var usage *symbolize.UsageError
			if errors.As(err, &usage) {
				return withExit(exitUsage, usage.Err)
			}
			if err != nil {
				return withExit(exitError, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with symbols (and DWARF for file:line)")
	cmd.Flags().BoolVar(&f.json, "json", false, `print [{"address","frames":[{"function","file","line","inlined"}],"symbol","offset"}] (symbol+offset for an address in no function)`)
	addNoCacheFlag(cmd.Flags(), &f.noCache)
	return cmd
}
