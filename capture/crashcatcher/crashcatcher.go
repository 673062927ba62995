// Package crashcatcher reads the crash dumps CrashCatcher
// (https://github.com/adamgreen/CrashCatcher) writes from a Cortex-M
// HardFault handler: the binary dump (CRASH.DMP, what its Core module hands
// CrashCatcher_DumpMemory) and the hex text its HexDump module prints on a
// UART, which is the same bytes as two hex digits each.
//
// The format (README "Dump Format", Core/src/CrashCatcher.c, version 3.0):
//
//	"cC" 0x03 0x00                      signature, major, minor version
//	flags (u32)                         bit 0: FP registers follow
//	r0-r12, sp, lr, pc, psr (u32 each)  the faulting context; sp as before the exception
//	msp, psp, exceptionPSR (u32 each)   the handler's MSP (the exception frame), PSP, xPSR
//	[s0-s31, fpscr]                     when flags bit 0
//	{start, end (u32), end-start bytes}  memory regions, until the end; the
//	                                    last is the fault status registers
//	                                    (CFSR..BFAR at 0xE000ED28) on ARMv7-M
//	[0xACCE55ED]                        CrashCatcher's own stack overflowed
//
// All numbers are little-endian.
package crashcatcher

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/capture"
)

// Signature is the first two bytes of a dump; Major the format version read.
const (
	Signature = "cC"
	Major     = 3
)

// stackSentinel ends a dump whose writer overflowed its stack.
const stackSentinel = 0xACCE55ED

// FormatError says the data is not a CrashCatcher dump this package reads (Decode
// returns it with a nil Snapshot); DamagedError says one ends early or
// holds nonsense (with a Snapshot of what came before).
type (
	FormatError  = capture.NotADumpError
	DamagedError = capture.DamagedDumpError
)

const format capture.DumpFormat = "CrashCatcher dump"

// Looks reports whether data starts like a binary CrashCatcher dump.
func Looks(data []byte) bool {
	return len(data) >= 3 && string(data[:2]) == Signature && data[2] == Major
}

// integer registers in dump order, after signature and flags.
var integerRegisters = []string{
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
	"sp", "lr", "pc", "xpsr", "msp", "psp",
}

// Decode reads a binary CrashCatcher dump.
//
// It returns (s, nil) for a sound dump; (nil, *FormatError) for data that
// is not a version 3 dump; and, for a dump that ends early or is damaged,
// the registers and regions read before the damage with a *DamagedError.
//
// The registers are the faulting context, as CrashCatcher records them
// (CrashDebug shows the same to gdb): pc, lr, xpsr and r0-r3, r12 from the
// exception frame, sp as it was before the exception. The handler's xPSR is
// kept in Meta.Extra["exception_psr"].
func Decode(data []byte) (*capture.Snapshot, error) {
	if len(data) < 4 || string(data[:2]) != Signature {
		return nil, format.NotADump(`no "cC" signature`)
	}
	if data[2] != Major {
		return nil, format.NotADump(fmt.Sprintf("format version %d.%d (faultline reads %d.x)", data[2], data[3], Major))
	}
	d := &decoder{data: data, off: 4, snap: &capture.Snapshot{Registers: map[string]uint32{}}}
	s := d.snap
	s.Meta.Schema = capture.SchemaV1
	s.Meta.Target = fmt.Sprintf("CrashCatcher dump v%d.%d", data[2], data[3])
	s.Meta.Trigger = capture.Trigger{Kind: "fault-handler", Detail: "CrashCatcher HardFault handler"}
	d.read()
	return d.finish()
}

type decoder struct {
	data     []byte
	off      int
	snap     *capture.Snapshot
	problems []string
}

func (d *decoder) word() (uint32, bool) {
	if len(d.data)-d.off < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(d.data[d.off:])
	d.off += 4
	return v, true
}

func (d *decoder) read() {
	s := d.snap
	flags, ok := d.word()
	if !ok {
		d.problems = append(d.problems, "the dump ends in its flags word: no registers")
		return
	}
	for _, n := range integerRegisters {
		v, ok := d.word()
		if !ok {
			d.problems = append(d.problems, fmt.Sprintf("the dump ends before register %s", n))
			return
		}
		s.Registers[n] = v
	}
	epsr, ok := d.word()
	if !ok {
		d.problems = append(d.problems, "the dump ends before the handler's xPSR")
		return
	}
	s.Meta.Extra = map[string]string{"exception_psr": fmt.Sprintf("0x%08x", epsr)}
	if flags&1 != 0 {
		for i := 0; i < 33; i++ {
			v, ok := d.word()
			if !ok {
				d.problems = append(d.problems, "the dump ends in the floating-point registers")
				return
			}
			if i == 32 {
				s.Registers["fpscr"] = v
			} else {
				s.Registers[fmt.Sprintf("s%d", i)] = v
			}
		}
	}
	for n := 1; d.off < len(d.data); n++ {
		if len(d.data)-d.off == 4 && binary.LittleEndian.Uint32(d.data[d.off:]) == stackSentinel {
			s.Meta.Missing = append(s.Meta.Missing, "CrashCatcher's stack overflowed while it wrote the dump (0xACCE55ED at its end): values it computed may be wrong")
			return
		}
		start, ok1 := d.word()
		end, ok2 := d.word()
		if !ok1 || !ok2 {
			d.problems = append(d.problems, fmt.Sprintf("the dump ends in memory region %d's header", n))
			return
		}
		size, problems, ok := s.AddDumpedRegion(fmt.Sprintf("memory region %d", n), start, end, d.data[d.off:])
		d.problems = append(d.problems, problems...)
		if !ok {
			return
		}
		d.off += size
	}
}

func (d *decoder) finish() (*capture.Snapshot, error) {
	s := d.snap
	if len(s.Registers) > 0 {
		s.Meta.Missing = append(s.Meta.Missing, "registers: a CrashCatcher dump has no primask, basepri, faultmask or control")
	}
	if m := capture.MissingFaultRegisters(s); m != "" {
		s.Meta.Missing = append(s.Meta.Missing, m+" (CrashCatcher leaves them out on ARMv6-M)")
	}
	return capture.FinishImport(s, d.problems, format.Damaged)
}

// The lines HexDump prints around a dump.
const (
	crashLine  = "CRASH ENCOUNTERED"
	breakLine  = "BREAKPOINT ENCOUNTERED"
	promptLine = "Enable logging and then press any key to start dump."
	endLine    = "End of dump"
)

// IsStart reports whether a console line starts a HexDump crash dump.
func IsStart(line string) bool {
	l := strings.TrimSpace(line)
	return l == crashLine || l == breakLine
}

// IsEnd reports whether a console line ends a HexDump crash dump.
func IsEnd(line string) bool { return strings.TrimSpace(line) == endLine }

// FromHex turns HexDump's text into the binary dump: the hex lines between
// the "CRASH ENCOUNTERED" prompt (optional) and "End of dump", in order.
// Other text before the dump is skipped; a line inside the dump that is not
// hex ends it early, which Decode then reports as damage. complete says
// whether "End of dump" was seen.
func FromHex(text string) (dump []byte, complete bool, err error) {
	var buf bytes.Buffer
	started := false
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case IsStart(l):
			if started && buf.Len() > 0 {
				return buf.Bytes(), false, nil // a second prompt: the first dump was cut
			}
			started = true
			continue
		case l == promptLine || l == "":
			continue
		case IsEnd(l):
			if buf.Len() > 0 {
				return buf.Bytes(), true, nil
			}
			continue
		}
		b, herr := hex.DecodeString(l)
		if herr != nil {
			if buf.Len() > 0 {
				return buf.Bytes(), false, nil // the dump stopped mid-way
			}
			started = false // text before the dump
			continue
		}
		if buf.Len() == 0 && !(started || bytes.HasPrefix(b, []byte(Signature))) {
			continue // hex that is no dump
		}
		buf.Write(b)
	}
	if buf.Len() == 0 {
		return nil, false, format.NotADump("no hex dump in the text (HexDump prints \"" + crashLine + "\", hex lines, \"" + endLine + "\")")
	}
	return buf.Bytes(), false, nil
}

// DecodeHex reads HexDump's text output: FromHex, then Decode. A dump
// without its "End of dump" line is decoded as far as it goes and the
// error says so.
func DecodeHex(text string) (*capture.Snapshot, error) {
	dump, complete, err := FromHex(text)
	if err != nil {
		return nil, err
	}
	s, err := Decode(dump)
	if s != nil && !complete {
		err = capture.NoteCutShort(s, err, "the hex dump has no \"End of dump\" line: it was cut short", format.Damaged)
	}
	return s, err
}

// LooksHex reports whether text holds a HexDump crash dump.
func LooksHex(text []byte) bool {
	for _, line := range strings.Split(string(text), "\n") {
		if IsStart(line) {
			return true
		}
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "634303") {
			_, err := hex.DecodeString(l)
			return err == nil
		}
	}
	return false
}
