package crashlab

import (
	"github.com/faultline-dev/faultline/firmware/internal/armbuild"
	"github.com/faultline-dev/faultline/firmware/internal/srcdir"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// An Expectation is what a correct analysis of one program's crash on one
// board must say (one entry of expected.json).
type Expectation struct {
	// Exception is the fault exception whose handler is entered:
	// "HardFault", "MemManage", "BusFault", "UsageFault", or "None" when the
	// program does not fault on that board.
	Exception string `json:"exception"`
	// Causes are the CFSR cause bits set (ARM names, e.g. "IACCVIOL"),
	// without the MMARVALID/BFARVALID flags.
	Causes []string `json:"causes"`
	// Forced is HFSR.FORCED: a configurable fault escalated to HardFault.
	Forced bool `json:"forced"`
	// FaultAddress is MMFAR or BFAR ("0x60000000") when valid, else nil.
	FaultAddress *string `json:"fault_address"`
	// Frames are function names innermost first, excluding the fault
	// handler, as addr2line -f -C prints them; "??" is a PC in no function.
	// An analysis may show more frames after the last one listed.
	Frames []string `json:"frames"`
	// Handler is the symbol of the handler a debugger stops in ("" for None).
	Handler string `json:"handler"`
	// Console is what the program prints on the first serial port, line by
	// line; "<10 digits>" stands for a zero-padded millisecond count.
	Console []string `json:"console"`
	// Note says what is peculiar about this entry, for people.
	Note string `json:"note,omitempty"`
	// Findings are root-cause findings a correct analysis must make.
	Findings []ExpectedFinding `json:"findings,omitempty"`
}

// An ExpectedFinding is a report finding of Kind whose summary or symbol
// contains Contains.
type ExpectedFinding struct {
	Kind     string `json:"kind"`
	Contains string `json:"contains"`
}

// Faults reports whether the program crashes on that board at all (idle
// never does; busfault on netduino2 does not, see README.md): tests that
// wait for a crash must skip the entries where this is false.
func (e Expectation) Faults() bool { return e.Exception != "None" }

// expectedFile is the layout of expected.json.
type expectedFile struct {
	Schema      string                            `json:"schema"`
	Conventions []string                          `json:"conventions"`
	Programs    map[string]map[string]Expectation `json:"programs"`
}

const expectedSchema = "crashlab.expected/v1"

// Dir returns the absolute path of firmware/crashlab (the sources, the
// Makefile and expected.json).
func Dir() (string, error) {
	return srcdir.Find("firmware/crashlab", "Makefile", "expected.json", "programs")
}

// Programs lists the crash programs (one source file each under programs/),
// sorted. It is nil if the directory cannot be found.
func Programs() []string {
	dir, err := Dir()
	if err != nil {
		return nil
	}
	names, _ := listPrograms(dir)
	return names
}

// Boards lists the boards the programs are built for (directories under
// boards/, named as QEMU's -M machine), sorted.
func Boards() []string {
	dir, err := Dir()
	if err != nil {
		return nil
	}
	names, _ := listBoards(dir)
	return names
}

func listPrograms(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, "programs"))
	if err != nil {
		return nil, fmt.Errorf("list programs: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if ext := filepath.Ext(n); !e.IsDir() && (ext == ".c" || ext == ".cpp") {
			names = append(names, strings.TrimSuffix(n, ext))
		}
	}
	sort.Strings(names)
	return names, nil
}

func listBoards(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, "boards"))
	if err != nil {
		return nil, fmt.Errorf("list boards: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// ELF builds the crash programs if needed and returns the absolute path of
// program's ELF for board, e.g. ELF(ctx, "netduino2", "divzero").
// builder is the one piece of package state: "once per process" is the
// contract of ELF, and test binaries call ELF from many tests.
var builder = &armbuild.Builder{}

func ELF(ctx context.Context, board, program string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	if err := checkName(dir, board, program); err != nil {
		return "", err
	}
	return builder.Output(ctx, dir, "crashlab", board+"/"+program+".elf")
}

func checkName(dir, board, program string) error {
	boards, err := listBoards(dir)
	if err != nil {
		return err
	}
	programs, err := listPrograms(dir)
	if err != nil {
		return err
	}
	if !contains(boards, board) {
		return fmt.Errorf("crashlab: unknown board %q (have %s)", board, strings.Join(boards, ", "))
	}
	if !contains(programs, program) {
		return fmt.Errorf("crashlab: unknown program %q (have %s)", program, strings.Join(programs, ", "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Expected reads expected.json: what each program must produce, indexed by
// program, then board.
func Expected() (map[string]map[string]Expectation, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return srcdir.ReadExpected(dir, parseExpected)
}

// parseExpected decodes and checks expected.json's contents.
func parseExpected(data []byte) (map[string]map[string]Expectation, error) {
	var f expectedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Schema != expectedSchema {
		return nil, fmt.Errorf("schema %q, want %q", f.Schema, expectedSchema)
	}
	if len(f.Programs) == 0 {
		return nil, errors.New("no programs")
	}
	for prog, boards := range f.Programs {
		for board, e := range boards {
			if err := e.check(); err != nil {
				return nil, fmt.Errorf("%s on %s: %w", prog, board, err)
			}
		}
	}
	return f.Programs, nil
}

var exceptions = map[string]bool{"HardFault": true, "MemManage": true, "BusFault": true, "UsageFault": true, "None": true}

// cfsrCauses are the CFSR cause bit names (FACTS.md section 1).
var cfsrCauses = map[string]bool{
	"IACCVIOL": true, "DACCVIOL": true, "MUNSTKERR": true, "MSTKERR": true, "MLSPERR": true,
	"IBUSERR": true, "PRECISERR": true, "IMPRECISERR": true, "UNSTKERR": true, "STKERR": true, "LSPERR": true,
	"UNDEFINSTR": true, "INVSTATE": true, "INVPC": true, "NOCP": true, "UNALIGNED": true, "DIVBYZERO": true,
}

func (e Expectation) check() error {
	if !exceptions[e.Exception] {
		return fmt.Errorf("unknown exception %q", e.Exception)
	}
	for _, c := range e.Causes {
		if !cfsrCauses[c] {
			return fmt.Errorf("unknown CFSR cause %q", c)
		}
	}
	if e.Exception == "None" {
		if len(e.Causes) != 0 || e.Forced || e.FaultAddress != nil || len(e.Frames) != 0 {
			return errors.New("exception None with fault details")
		}
		return nil
	}
	if len(e.Causes) == 0 {
		return errors.New("no causes")
	}
	if e.Forced && e.Exception != "HardFault" {
		return fmt.Errorf("forced but exception %s", e.Exception)
	}
	if e.FaultAddress != nil {
		var v uint32
		if _, err := fmt.Sscanf(*e.FaultAddress, "0x%08x", &v); err != nil || fmt.Sprintf("0x%08x", v) != *e.FaultAddress {
			return fmt.Errorf("fault_address %q is not 0x%%08x", *e.FaultAddress)
		}
	}
	if len(e.Frames) == 0 {
		return errors.New("no frames")
	}
	if e.Handler == "" {
		return errors.New("no handler")
	}
	return nil
}
