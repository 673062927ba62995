// Package zephyrdump reads the core dumps Zephyr's coredump subsystem
// (CONFIG_DEBUG_COREDUMP) writes on a fatal error: the binary dump (flash
// partition back end, or what Zephyr's coredump_serial_log_parser.py makes
// of a console log) and the "#CD:" lines its logging back end prints, which
// are the same bytes as hex.
//
// The format, as Zephyr's include/debug/coredump.h, arch/arm/core/
// (aarch32/)cortex_m/coredump.c and scripts/coredump/ parsers define it;
// all numbers little-endian:
//
//	'Z' 'E'  hdr_version (u16)  tgt_code (u16)  ptr_size_bits (u8)  flag (u8)  reason (u32)
//	then blocks until the end, each starting with its id byte:
//	'A' version (u16) num_bytes (u16) data    the architecture block
//	'T' version (u16) num_bytes (u16) data    threads metadata (header v2)
//	'M' version (u16) start end (pointers) end-start bytes
//
// The Cortex-M architecture block holds r0-r3, r12, lr, pc, xpsr (from the
// exception frame) and sp; version 2 adds r4-r11 (zero unless
// CONFIG_EXTRA_EXCEPTION_INFO), version 3 a flag saying whether they are
// valid and where k_thread keeps them.
package zephyrdump

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/capture"
)

// The ids and versions this package reads.
const (
	Signature = "ZE"
	// MaxVersion is the newest dump header version read (Zephyr 3.x writes 2).
	MaxVersion = 2
	// TargetCortexM is COREDUMP_TGT_ARM_CORTEX_M.
	TargetCortexM = 3
)

// FormatError says the data is not a Zephyr core dump this package reads (Decode
// returns it with a nil Snapshot); DamagedError says one ends early or
// holds nonsense (with a Snapshot of what came before).
type (
	FormatError  = capture.NotADumpError
	DamagedError = capture.DamagedDumpError
)

const format capture.DumpFormat = "Zephyr core dump"

// FrameCandidates is the Meta.Extra key listing, for a dump that records no
// sp, the addresses in its memory that hold its registers as an exception
// frame would ("0x20000510,0x20000a88"), when there is more than one.
const FrameCandidates = "zephyr_frame_candidates"

// headerSize is the dump header's size: id, version, target, pointer size,
// flag, reason.
const headerSize = 2 + 2 + 2 + 1 + 1 + 4

// Looks reports whether data starts like a binary Zephyr core dump.
func Looks(data []byte) bool {
	if len(data) < headerSize || string(data[:2]) != Signature {
		return false
	}
	v := binary.LittleEndian.Uint16(data[2:])
	return v >= 1 && v <= MaxVersion
}

// Reasons are enum k_fatal_error_reason's names (include/fatal.h; the same
// five Zephyr's log_parser.py names) and what each means.
var reasons = []struct{ Name, Words string }{
	{"K_ERR_CPU_EXCEPTION", "a CPU exception (fault)"},
	{"K_ERR_SPURIOUS_IRQ", "an unhandled (spurious) interrupt"},
	{"K_ERR_STACK_CHK_FAIL", "a stack overflow (stack check failed)"},
	{"K_ERR_KERNEL_OOPS", "a kernel oops (k_oops(), a failed kernel check or a bad system call; fatal to the thread)"},
	{"K_ERR_KERNEL_PANIC", "a kernel panic (k_panic(); fatal to the system)"},
}

// archReasonStart is K_ERR_ARCH_START: codes from here on are the
// architecture's own.
const archReasonStart = 16

// ReasonName is the k_fatal_error_reason name of a z_fatal_error reason
// code, and a phrase saying what it means.
func ReasonName(code uint32) (name, words string) {
	if int(code) < len(reasons) {
		return reasons[code].Name, reasons[code].Words
	}
	if code >= archReasonStart && code < archReasonStart+256 {
		return fmt.Sprintf("reason %d", code), fmt.Sprintf("an architecture-specific fatal error (K_ERR_ARCH_START+%d)", code-archReasonStart)
	}
	return fmt.Sprintf("reason %d", code), "an unknown fatal error reason"
}

// integer registers of the Cortex-M architecture block, in order.
var (
	frameRegisters  = []string{"r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr", "sp"}
	calleeRegisters = []string{"r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11"}
)

// Decode reads a binary Zephyr core dump.
//
// It returns (s, nil) for a sound dump; (nil, *FormatError) for data that
// is not a dump this package reads (another version or target); and, for a
// dump that ends early or is damaged, what was read before the damage with
// a *DamagedError.
//
// The registers are the faulting context: r0-r3, r12, lr, pc and xpsr from
// the exception frame, sp as it was before the exception. Zephyr before
// 3.6 records the exception frame's address as sp (gdb then unwinds the
// frame's words as if they were the stack); Decode recognises that frame in
// the dumped memory and moves sp past it, saying so in Meta.Extra. The
// fatal error reason is in Meta.Trigger and Meta.Extra["zephyr_reason"].
func Decode(data []byte) (*capture.Snapshot, error) {
	if len(data) < 2 || string(data[:2]) != Signature {
		return nil, format.NotADump(`no "ZE" signature`)
	}
	if len(data) < headerSize {
		return nil, format.NotADump(fmt.Sprintf("%d bytes: shorter than the %d-byte header", len(data), headerSize))
	}
	version := binary.LittleEndian.Uint16(data[2:])
	target := binary.LittleEndian.Uint16(data[4:])
	ptrBits := data[6]
	reason := binary.LittleEndian.Uint32(data[8:])
	switch {
	case version < 1 || version > MaxVersion:
		return nil, format.NotADump(fmt.Sprintf("header version %d (faultline reads 1 to %d)", version, MaxVersion))
	case target != TargetCortexM:
		return nil, format.NotADump(fmt.Sprintf("target code %d (Cortex-M is %d)", target, TargetCortexM))
	case ptrBits != 5:
		return nil, format.NotADump(fmt.Sprintf("pointer size 2^%d bits (a Cortex-M's are 32)", ptrBits))
	}
	name, words := ReasonName(reason)
	s := &capture.Snapshot{Registers: map[string]uint32{}}
	s.Meta.Schema = capture.SchemaV1
	s.Meta.Target = fmt.Sprintf("Zephyr core dump v%d", version)
	s.Meta.Trigger = capture.Trigger{Kind: "fault-handler", Detail: fmt.Sprintf("Zephyr fatal error %d: %s, %s", reason, name, words)}
	s.Meta.Extra = map[string]string{"zephyr_reason": fmt.Sprint(reason), "zephyr_reason_name": name, "zephyr_reason_text": words}
	d := &decoder{data: data, off: headerSize, snap: s}
	d.read()
	return d.finish()
}

type decoder struct {
	data     []byte
	off      int
	snap     *capture.Snapshot
	problems []string
	arch     bool
}

func (d *decoder) u16() (uint16, bool) {
	if len(d.data)-d.off < 2 {
		return 0, false
	}
	v := binary.LittleEndian.Uint16(d.data[d.off:])
	d.off += 2
	return v, true
}

func (d *decoder) u32() (uint32, bool) {
	if len(d.data)-d.off < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(d.data[d.off:])
	d.off += 4
	return v, true
}

func (d *decoder) read() {
	for n := 1; d.off < len(d.data); n++ {
		id := d.data[d.off]
		d.off++
		version, ok := d.u16()
		if !ok {
			d.problems = append(d.problems, fmt.Sprintf("the dump ends in block %d's header", n))
			return
		}
		switch id {
		case 'A', 'T':
			size, ok := d.u16()
			if !ok || len(d.data)-d.off < int(size) {
				d.problems = append(d.problems, fmt.Sprintf("the dump ends in its %c block", id))
				return
			}
			body := d.data[d.off : d.off+int(size)]
			d.off += int(size)
			if id == 'A' {
				d.archBlock(version, body)
			} else {
				d.snap.Meta.Extra["zephyr_threads_metadata"] = fmt.Sprintf("v%d, %d bytes", version, size)
			}
		case 'M':
			if !d.memoryBlock(n, version) {
				return
			}
		default:
			d.problems = append(d.problems, fmt.Sprintf("block %d at byte %d has the unknown id 0x%02x: the rest is left out", n, d.off-3, id))
			return
		}
	}
}

// archBlock reads the Cortex-M registers.
func (d *decoder) archBlock(version uint16, body []byte) {
	s := d.snap
	if version < 1 || version > 3 {
		d.problems = append(d.problems, fmt.Sprintf("architecture block version %d (faultline reads 1 to 3): registers left out", version))
		return
	}
	if len(body) < 4*len(frameRegisters) {
		d.problems = append(d.problems, fmt.Sprintf("architecture block of %d bytes holds not even r0-sp", len(body)))
		return
	}
	d.arch = true
	for i, n := range frameRegisters {
		s.Registers[n] = binary.LittleEndian.Uint32(body[4*i:])
	}
	callee := body[4*len(frameRegisters):]
	switch {
	case version == 1:
		s.Meta.Missing = append(s.Meta.Missing, "registers r4-r11: a version 1 Zephyr core dump does not record them")
	case len(callee) < 4*len(calleeRegisters):
		d.problems = append(d.problems, "architecture block too short for r4-r11")
	default:
		valid := true
		if version >= 3 && len(callee) >= 4*len(calleeRegisters)+4 {
			valid = binary.LittleEndian.Uint32(callee[4*len(calleeRegisters):]) != 0
		} else if version == 2 {
			// Version 2 has no flag: all zeros means they were not collected.
			valid = !allZero(callee[:4*len(calleeRegisters)])
		}
		if !valid {
			s.Meta.Missing = append(s.Meta.Missing, "registers r4-r11: Zephyr did not collect them (CONFIG_EXTRA_EXCEPTION_INFO off)")
			break
		}
		for i, n := range calleeRegisters {
			s.Registers[n] = binary.LittleEndian.Uint32(callee[4*i:])
		}
	}
}

func allZero(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }

// memoryBlock reads one 'M' block; false when the dump cannot go on.
func (d *decoder) memoryBlock(n int, version uint16) bool {
	if version != 1 {
		d.problems = append(d.problems, fmt.Sprintf("memory block %d version %d (faultline reads 1): the rest is left out", n, version))
		return false
	}
	start, ok1 := d.u32()
	end, ok2 := d.u32()
	if !ok1 || !ok2 {
		d.problems = append(d.problems, fmt.Sprintf("the dump ends in memory block %d's header", n))
		return false
	}
	size, problems, ok := d.snap.AddDumpedRegion(fmt.Sprintf("memory block %d", n), start, end, d.data[d.off:])
	d.problems = append(d.problems, problems...)
	d.off += size
	return ok && size > 0
}

// basicFrame is the size of the exception frame the core stacks.
const basicFrame = 0x20

// frameRegs are the exception frame's words, in stacking order.
var frameRegs = []string{"r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr"}

// fixSP makes sp the faulting code's, past the exception frame. Zephyr
// before 3.6 records the frame's address as sp (the dumped memory at sp
// then holds exactly r0-r3, r12, lr, pc, xpsr); on the k_oops()/k_panic()
// path (SVC) it records no sp at all (0), and the frame is then found by
// its contents in the dumped RAM, if exactly one place holds it. The stack
// was realigned on exception entry when the stacked xPSR has bit 9 set.
func (d *decoder) fixSP() {
	s := d.snap
	sp, ok := s.Registers["sp"]
	if !ok {
		return
	}
	want := make([]byte, basicFrame)
	for i, reg := range frameRegs {
		binary.LittleEndian.PutUint32(want[4*i:], s.Registers[reg])
	}
	var got [basicFrame]byte
	at, how := sp, "the dump's sp 0x%08x is the exception frame's address (Zephyr before 3.6)"
	if n, err := s.ReadMemory(got[:], uint64(sp)); err != nil || n != basicFrame || !bytes.Equal(got[:], want) {
		if sp != 0 {
			return // sp is the faulting code's already (Zephyr 3.6 and later)
		}
		at, how = 0, "the dump records no sp (0x%08x; Zephyr sets none on the k_oops()/k_panic() path); the exception frame holding the dump's registers is in the dumped RAM"
		cands := findFrame(s.Memory, want)
		switch len(cands) {
		case 0:
			s.Meta.Missing = append(s.Meta.Missing, "sp: the dump records none (0) and the exception frame is not in the dumped memory, so there are no callers")
			return
		case 1:
			at = cands[0]
		default:
			// The coredump code's own copy of the registers (arch_blk)
			// is in the dumped RAM too; the analysis tells it from the
			// frame by the ELF's symbols.
			var l []string
			for _, c := range cands {
				l = append(l, fmt.Sprintf("0x%08x", c))
			}
			s.Meta.Extra[FrameCandidates] = strings.Join(l, ",")
			s.Meta.Missing = append(s.Meta.Missing, fmt.Sprintf("sp: the dump records none (0); the registers it holds are in the dumped RAM at %s (the exception frame and the coredump code's copy)", strings.Join(l, ", ")))
			return
		}
	}
	after := at + basicFrame
	if s.Registers["xpsr"]&(1<<9) != 0 {
		after += 4
	}
	s.Registers["sp"] = after
	s.Meta.Extra["exception_frame"] = fmt.Sprintf("0x%08x", at)
	s.Meta.Extra["zephyr_sp_note"] = fmt.Sprintf(how+", at 0x%08x: the faulting code's sp is 0x%08x", sp, at, after)
}

// findFrame lists the word-aligned addresses whose memory holds frame.
func findFrame(mem []capture.Region, frame []byte) []uint32 {
	var at []uint32
	for _, r := range mem {
		for off := 0; off+len(frame) <= len(r.Data); off += 4 {
			if bytes.Equal(r.Data[off:off+len(frame)], frame) {
				at = append(at, r.Addr+uint32(off))
			}
		}
	}
	return at
}

func (d *decoder) finish() (*capture.Snapshot, error) {
	s := d.snap
	if d.arch {
		d.fixSP()
		s.Meta.Missing = append(s.Meta.Missing, "registers: a Zephyr core dump has no msp, psp, primask, basepri, faultmask or control")
	} else {
		s.Meta.Missing = append(s.Meta.Missing, "registers: the dump has no architecture block")
	}
	if m := capture.MissingFaultRegisters(s); m != "" {
		s.Meta.Missing = append(s.Meta.Missing, m+" (a Zephyr core dump does not record them; the fatal error reason stands in)")
	}
	return capture.FinishImport(s, d.problems, format.Damaged)
}

// The console lines of the logging back end (coredump_backend_logging.c).
const (
	prefix    = "#CD:"
	beginLine = prefix + "BEGIN#"
	endLine   = prefix + "END#"
	errorLine = prefix + "ERROR CANNOT DUMP#"
)

// IsStart reports whether a console line starts a "#CD:" dump. The logging
// subsystem puts its own prefix (time, level, module, colours) before it.
func IsStart(line string) bool { return strings.Contains(line, beginLine) }

// IsEnd reports whether a console line ends a "#CD:" dump (its last line,
// or the line saying the dump failed).
func IsEnd(line string) bool {
	return strings.Contains(line, endLine) || strings.Contains(line, errorLine)
}

// LooksLog reports whether text holds a "#CD:" dump.
func LooksLog(text []byte) bool { return bytes.Contains(text, []byte(beginLine)) }

// FromLog turns the "#CD:" lines of a console log into the binary dump:
// the hex after "#CD:" on each line between "#CD:BEGIN#" and "#CD:END#",
// up to the first character that is not a hex digit (the log back end may
// end the line with a colour reset, which Zephyr's own
// coredump_serial_log_parser.py trips over). complete says whether
// "#CD:END#" was seen. Lines without "#CD:" in between (other log output)
// are skipped; the first dump in the text is read.
func FromLog(text string) (dump []byte, complete bool, err error) {
	i := strings.Index(text, beginLine)
	if i < 0 {
		return nil, false, format.NotADump("no \"" + beginLine + "\" line in the text (Zephyr's logging back end prints the dump between \"" + beginLine + "\" and \"" + endLine + "\")")
	}
	var buf bytes.Buffer
	for _, line := range strings.Split(text[i+len(beginLine):], "\n") {
		if strings.Contains(line, errorLine) {
			return buf.Bytes(), false, fmt.Errorf("the device printed %q: Zephyr could not write the dump", errorLine)
		}
		if strings.Contains(line, endLine) {
			return buf.Bytes(), true, nil
		}
		if strings.Contains(line, beginLine) {
			return buf.Bytes(), false, nil // a second dump: the first was cut
		}
		j := strings.Index(line, prefix)
		if j < 0 {
			continue
		}
		h := line[j+len(prefix):]
		k := 0
		for k < len(h) && isHex(h[k]) {
			k++
		}
		b, herr := hex.DecodeString(h[:k&^1])
		if herr != nil || k%2 != 0 {
			return buf.Bytes(), false, fmt.Errorf("a #CD: line is not whole bytes of hex: %q", strings.TrimSpace(line))
		}
		buf.Write(b)
	}
	return buf.Bytes(), false, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// DecodeLog reads the "#CD:" dump in a console log: FromLog, then Decode. A
// dump without its "#CD:END#" line is decoded as far as it goes and the
// error says so.
func DecodeLog(text string) (*capture.Snapshot, error) {
	dump, complete, lerr := FromLog(text)
	var fe *FormatError
	if lerr != nil && errors.As(lerr, &fe) {
		return nil, lerr
	}
	if len(dump) == 0 {
		if lerr == nil {
			lerr = fmt.Errorf("the #CD: block holds no bytes")
		}
		return nil, format.Damaged([]string{lerr.Error()})
	}
	s, err := Decode(dump)
	if s == nil {
		return nil, err
	}
	if !complete {
		msg := "the #CD: dump has no \"" + endLine + "\" line: it was cut short"
		if lerr != nil {
			msg = lerr.Error()
		}
		err = capture.NoteCutShort(s, err, msg, format.Damaged)
	}
	return s, err
}
