// Command symbolizeonly is `faultline symbolize` with nothing else linked:
// the symbolize command's flags and config file, indexcache's open and
// background builder, and symbolize.Run, the same entry point the command
// calls, without cobra or the other commands' packages. The speed benchmark
// (BenchmarkSymbolizeVsAddr2line, ms-symbolize-only) builds it to split a
// symbolize run's wall time into Go's start (a hello world), what the rest
// of faultline adds to every start (faultline --help), and symbolize's own
// work. It takes the command's arguments after the word "symbolize" and
// answers byte for byte as faultline does (the benchmark checks).
//
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/faultline-dev/faultline/config"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/symbolize"
)

func main() {
	// The second run on an ELF starts a copy of this binary as the index's
	// builder, as faultline does.
	if indexcache.ServeBackground() {
		return
	}
	os.Exit(run(os.Args[1:]))
}

// run parses the flags faultline's symbolize command has, with the same
// exit codes: 2 for usage, 1 for an ELF that cannot be read.
func run(args []string) int {
	fl := pflag.NewFlagSet("symbolize", pflag.ContinueOnError)
	var elf string
	var asJSON, noCache bool
	fl.StringVar(&elf, "elf", "", "firmware ELF")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	fl.BoolVar(&noCache, "no-cache", false, "neither read nor write the saved ELF index")
	if err := fl.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "faultline: %v\n", err)
		return 2
	}
	cfg, err := config.Load(config.FileName)
	if err == nil {
		err = cfg.Apply(fl)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "faultline: %v\n", err)
		return 2
	}
	if elf == "" {
		fmt.Fprintf(os.Stderr, "faultline: --elf FILE is required (or elf = \"...\" in %s)\n", config.FileName)
		return 2
	}
	err = symbolize.Run(symbolize.Request{
		ELF:  elf,
		Args: fl.Args(),
		JSON: asJSON,
		Open: func() (*elfsym.Image, error) { return indexcache.Open(elf, noCache) },
	}, os.Stdin, os.Stdout, os.Stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintf(os.Stderr, "faultline: %v\n", err)
	if errors.As(err, new(*symbolize.UsageError)) {
		return 2
	}
	return 1
}
