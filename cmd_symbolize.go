package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

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
			if os.Getenv("GOGC") == "" {
				// One lookup run allocates its index and exits: collecting
				// a quarter as often saves a tenth of a first run on a
				// large ELF, and memory stays far below addr2line's.
				debug.SetGCPercent(400)
			}
			open := func() (*elfsym.Image, error) { return indexcache.Open(f.elf, f.noCache) }
			var addrs []uint64
			if len(args) == 1 && args[0] == "-" {
				// The image opens while the addresses are read: tens of
				// thousands take about as long to read as a warm open.
				type opened struct {
					im  *elfsym.Image
					err error
				}
				done := make(chan opened, 1)
				go func() {
					im, err := open()
					done <- opened{im, err}
				}()
				var err error
				addrs, err = symbolize.ReadAddrs(cmd.InOrStdin())
				var bad *symbolize.BadAddrError
				if errors.As(err, &bad) {
					err = usageError("stdin: %v", bad.Err)
				}
				o := <-done
				if err != nil || len(addrs) == 0 {
					// A bad address is the error, not the image; nothing
					// asked, nothing to say (as addr2line).
					if o.im != nil {
						o.im.Close()
					}
					return err
				}
				open = func() (*elfsym.Image, error) { return o.im, o.err }
			} else {
				addrs = make([]uint64, 0, len(args))
				for _, a := range args {
					v, err := symbolize.ParseAddr(a)
					if err != nil {
						return usageError("%v", err)
					}
					addrs = append(addrs, v)
				}
			}
			if len(addrs) == 0 && f.json {
				return usageError("--json needs addresses on the command line (stdin mode annotates text)")
			}
			im, err := open()
			if err != nil {
				return withExit(exitError, err)
			}
			defer im.Close()
			for _, w := range im.Warnings() {
				fmt.Fprintf(cmd.ErrOrStderr(), "faultline: warning: %s: %s\n", f.elf, w)
			}
			im.Prepare(addrs) // a lazy index builds what the addresses need at once
			sym := symbolize.New(im)
			out := cmd.OutOrStdout()
			switch {
			case len(addrs) == 0:
				return sym.AnnotateStream(cmd.InOrStdin(), out)
			case f.json:
				return sym.WriteJSON(out, addrs)
			default:
				if f, ok := out.(*os.File); ok && len(addrs) >= 1024 {
					symbolize.GrowPipe(f)
				}
				return sym.WriteText(out, addrs)
			}
		},
	}
	cmd.Flags().StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with symbols (and DWARF for file:line)")
	cmd.Flags().BoolVar(&f.json, "json", false, `print [{"address","frames":[{"function","file","line","inlined"}],"symbol","offset"}] (symbol+offset for an address in no function)`)
	addNoCacheFlag(cmd.Flags(), &f.noCache)
	return cmd
}
