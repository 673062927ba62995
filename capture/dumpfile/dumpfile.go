// Package dumpfile reads a crash dump of any format faultline knows, told
// apart by content, not by name: faultline's own capture and other ELF
// cores (gdb's gcore), probe-rs core dumps, CrashCatcher dumps (binary,
// or the hex dump its HexDump module prints on a console) and Zephyr core
// dumps (binary, or the "#CD:" lines its logging back end prints).
package dumpfile

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/capture/crashcatcher"
	"github.com/faultline-dev/faultline/capture/probers"
	"github.com/faultline-dev/faultline/capture/zephyrdump"
)

// Format names a dump format.
type Format string

// The formats Read tells apart.
const (
	ELFCore Format = "elf-core" // faultline's capture, gdb gcore, other ELF cores
	ProbeRS Format = "probe-rs" // probe-rs .coredump (MessagePack)
	// CrashCatcher is its binary dump; CrashCatcherHex the text its
	// HexDump module prints (a console log holding one will do).
	CrashCatcher    Format = "crashcatcher"
	CrashCatcherHex Format = "crashcatcher-hex"
	// Zephyr is a binary Zephyr core dump; ZephyrLog a console log with
	// the "#CD:" lines of its logging back end.
	Zephyr    Format = "zephyr"
	ZephyrLog Format = "zephyr-log"
	Unknown   Format = ""
)

// maxSize bounds what Read loads into memory: Cortex-M dumps are small,
// and a wrong path to a disk image should fail fast.
const maxSize = 256 << 20

// Detect tells the format of a dump from its first bytes.
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return ELFCore
	case probers.Looks(head):
		return ProbeRS
	case crashcatcher.Looks(head):
		return CrashCatcher
	case crashcatcher.LooksHex(head):
		return CrashCatcherHex
	case zephyrdump.Looks(head):
		return Zephyr
	case zephyrdump.LooksLog(head):
		return ZephyrLog
	}
	return Unknown
}

// Read reads the dump at path, whatever its format. Like capture.Read it
// returns a nil Snapshot with an error for a file it cannot read at all,
// and a Snapshot with an error for one read in part (what is missing is
// then also in Meta.Missing).
func Read(path string) (*capture.Snapshot, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Unknown, fmt.Errorf("read dump: %w", err)
	}
	defer f.Close()
	// A console log may print a while before the dump starts.
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	format := Detect(head[:n])
	switch format {
	case ELFCore:
		s, err := capture.Read(path)
		return s, format, err
	case Unknown:
		return nil, format, fmt.Errorf("read dump %s: not a format faultline reads (a faultline capture or other ELF core, a probe-rs .coredump, a CrashCatcher dump or its HexDump text, a Zephyr core dump or a console log with its #CD: lines)", path)
	}
	data, err := io.ReadAll(io.LimitReader(io.MultiReader(bytes.NewReader(head[:n]), f), maxSize+1))
	if err != nil {
		return nil, format, fmt.Errorf("read dump %s: %w", path, err)
	}
	if len(data) > maxSize {
		return nil, format, fmt.Errorf("read dump %s: larger than %d MiB, not a Cortex-M dump", path, maxSize>>20)
	}
	var s *capture.Snapshot
	switch format {
	case ProbeRS:
		s, err = probers.Decode(data)
	case CrashCatcher:
		s, err = crashcatcher.Decode(data)
	case CrashCatcherHex:
		s, err = crashcatcher.DecodeHex(string(data))
	case Zephyr:
		s, err = zephyrdump.Decode(data)
	case ZephyrLog:
		s, err = zephyrdump.DecodeLog(string(data))
	}
	if err != nil {
		return s, format, fmt.Errorf("read %s dump %s: %w", format, path, err)
	}
	return s, format, nil
}
