// Package probers reads the core dumps probe-rs writes (`probe-rs run
// --core-dump`, `probe-rs debug` "dump", probe-rs-debug's test corpus) into
// a capture.Snapshot, so faultline analyses them like its own captures.
//
// The format is probe-rs's `CoreDump` struct (probe-rs/src/core/dump.rs)
// serialised by rmp-serde's write_named: a MessagePack map
//
//	registers                    map: register id (u16) -> {"U32": n} | {"U64": n} | {"U128": n}
//	data                         array of [ {start, end}, bytes ]
//	instruction_set              "Thumb2", "A32", "RV32", ...
//	supports_native_64bit_access bool
//	core_type                    "armv6m", "armv7m", "armv7em", "armv8m", ...
//	fpu_support                  bool
//	floating_point_register_count int or nil
//
// The register ids are the Cortex-M DCRSR REGSEL numbers probe-rs uses
// (probe-rs/src/architecture/arm/core/registers/cortex_m.rs and armv8m.rs).
// Bytes come as a MessagePack array of integers (serde's Vec<u8>) or as
// bin; both are read. probe-rs also loads ELF cores (Xtensa, RISC-V) with
// the same API; those are not Cortex-M and are refused here.
package probers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/faultline-dev/faultline/capture"
)

// FormatError says the data is not a probe-rs core dump this package reads (Decode
// returns it with a nil Snapshot); DamagedError says one ends early or
// holds nonsense (with a Snapshot of what came before).
type (
	FormatError  = capture.NotADumpError
	DamagedError = capture.DamagedDumpError
)

const format capture.DumpFormat = "probe-rs core dump"

// Looks reports whether data starts like a probe-rs core dump: a
// MessagePack map whose first key is "registers" (rmp-serde writes the
// struct's fields in declaration order).
func Looks(data []byte) bool {
	dec := msgpack.NewDecoder(bytes.NewReader(data))
	n, err := dec.DecodeMapLen()
	if err != nil || n < 1 {
		return false
	}
	k, err := dec.DecodeString()
	return err == nil && k == "registers"
}

// registerNames are the names a capture.Snapshot uses for probe-rs's
// Cortex-M register ids (DCRSR REGSEL) 0 to 0x1f, "" for the ids that name
// no register. 0x14 (EXTRA: CONTROL, FAULTMASK, BASEPRI, PRIMASK packed in
// one word) is split apart in setRegister; 33 is fpscr. An array, not a
// map: a map literal is built by package init, in every command's start.
var registerNames = [0x20]string{
	0: "r0", 1: "r1", 2: "r2", 3: "r3", 4: "r4", 5: "r5", 6: "r6", 7: "r7",
	8: "r8", 9: "r9", 10: "r10", 11: "r11", 12: "r12",
	13: "sp", 14: "lr", 15: "pc", 16: "xpsr", 17: "msp", 18: "psp",
	0x18: "msp_ns", 0x19: "psp_ns", 0x1a: "msp_s", 0x1b: "psp_s",
	0x1c: "msplim_s", 0x1d: "psplim_s", 0x1e: "msplim", 0x1f: "psplim",
}

// registerName is the snapshot's name for probe-rs's register id, or "".
func registerName(id uint64) string {
	if id == 33 {
		return "fpscr"
	}
	if id < uint64(len(registerNames)) {
		return registerNames[id]
	}
	return ""
}

// maxDump bounds the memory Decode will accept from one dump, so a damaged
// length cannot make it allocate without limit (a full 4 GiB dump of a
// Cortex-M is not a thing).
const maxDump = 256 << 20

// Decode reads a probe-rs core dump.
//
// It returns (s, nil) for a sound dump; (nil, *FormatError) for data that
// is not one (or not of a Cortex-M core); and for a dump that is truncated
// or damaged part-way, the registers and memory ranges read before the
// damage with a *DamagedError. Decode never panics.
func Decode(data []byte) (*capture.Snapshot, error) {
	if len(data) > maxDump {
		return nil, format.NotADump(fmt.Sprintf("%d bytes is more than a Cortex-M dump can hold", len(data)))
	}
	if !Looks(data) {
		return nil, format.NotADump(`not a MessagePack map starting with "registers"`)
	}
	d := &decoder{
		dec:  msgpack.NewDecoder(bytes.NewReader(data)),
		size: len(data),
		snap: &capture.Snapshot{Registers: map[string]uint32{}},
	}
	d.snap.Meta.Schema = capture.SchemaV1
	d.snap.Meta.Target = "probe-rs core dump"
	if err := d.top(); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, err
		}
		d.damage(err.Error())
	}
	return d.finish()
}

type decoder struct {
	dec      *msgpack.Decoder
	size     int
	snap     *capture.Snapshot
	problems []string
	sawRegs  bool
	sawData  bool
	ranges   int // memory ranges read
	coreType string
	iset     string
}

func (d *decoder) damage(what string) { d.problems = append(d.problems, what) }

func (d *decoder) top() error {
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return fmt.Errorf("read the top-level map: %w", err)
	}
	for i := 0; i < n; i++ {
		key, err := d.dec.DecodeString()
		if err != nil {
			return fmt.Errorf("read field %d's name: %w", i+1, err)
		}
		switch key {
		case "registers":
			err = d.registers()
		case "data":
			err = d.data()
		case "instruction_set":
			d.iset, err = d.dec.DecodeString()
			if err == nil && d.iset != "Thumb2" {
				return format.NotADump(fmt.Sprintf("instruction set %q (faultline reads Cortex-M, Thumb2)", d.iset))
			}
		case "core_type":
			d.coreType, err = d.dec.DecodeString()
			ct := strings.ToLower(d.coreType)
			if err == nil && !(strings.HasPrefix(ct, "armv") && strings.HasSuffix(ct, "m")) {
				return format.NotADump(fmt.Sprintf("core type %q (faultline reads Cortex-M: armv6m, armv7m, armv7em, armv8m)", d.coreType))
			}
		default:
			err = d.dec.Skip()
		}
		if err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
	}
	return nil
}

// registers reads the register map. A value that is not a 32-bit integer
// (a 64-bit FP register on another architecture) is skipped.
func (d *decoder) registers() error {
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		id, err := d.dec.DecodeUint64()
		if err != nil {
			return fmt.Errorf("register %d of %d: id: %w", i+1, n, err)
		}
		v, ok, err := d.registerValue()
		if err != nil {
			return fmt.Errorf("register id %d: %w", id, err)
		}
		if ok {
			d.setRegister(id, v)
		}
	}
	d.sawRegs = true
	return nil
}

// registerValue reads RegisterValue, an enum serialised as a one-entry map
// {"U32": n}. Only U32 values are Cortex-M registers.
func (d *decoder) registerValue() (uint32, bool, error) {
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return 0, false, err
	}
	var v uint32
	ok := false
	for i := 0; i < n; i++ {
		kind, err := d.dec.DecodeString()
		if err != nil {
			return 0, false, err
		}
		if kind != "U32" {
			if err := d.dec.Skip(); err != nil {
				return 0, false, err
			}
			continue
		}
		if v, err = d.dec.DecodeUint32(); err != nil {
			return 0, false, err
		}
		ok = true
	}
	return v, ok, nil
}

func (d *decoder) setRegister(id uint64, v uint32) {
	switch {
	case id == 0x14: // EXTRA: CONTROL[31:24] FAULTMASK[23:16] BASEPRI[15:8] PRIMASK[7:0]
		d.snap.Registers["control"] = v >> 24
		d.snap.Registers["faultmask"] = v >> 16 & 0xff
		d.snap.Registers["basepri"] = v >> 8 & 0xff
		d.snap.Registers["primask"] = v & 0xff
	case id >= 64 && id < 96:
		d.snap.Registers[fmt.Sprintf("s%d", id-64)] = v
	default:
		if name := registerName(id); name != "" {
			d.snap.Registers[name] = v
		}
	}
}

// data reads the memory ranges.
func (d *decoder) data() error {
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := d.memoryRange(i, n); err != nil {
			return fmt.Errorf("memory range %d of %d: %w", i+1, n, err)
		}
		d.ranges++
	}
	d.sawData = true
	return nil
}

func (d *decoder) memoryRange(i, n int) error {
	if l, err := d.dec.DecodeArrayLen(); err != nil {
		return err
	} else if l != 2 {
		return fmt.Errorf("a (range, bytes) pair has %d elements", l)
	}
	start, end, err := d.rangeBounds()
	if err != nil {
		return fmt.Errorf("range: %w", err)
	}
	b, err := d.bytes()
	if err != nil {
		return fmt.Errorf("bytes of 0x%08x-0x%08x: %w", start, end, err)
	}
	switch {
	case end < start || end > 1<<32:
		d.damage(fmt.Sprintf("memory range 0x%x-0x%x is not in the 32-bit address space; left out", start, end))
		return nil
	case uint64(len(b)) != end-start:
		d.damage(fmt.Sprintf("memory range 0x%08x-0x%08x holds %d bytes, not %d; left out", start, end, len(b), end-start))
		return nil
	}
	if err := d.snap.AddRegion(capture.Region{Addr: uint32(start), Data: b, Name: capture.RegionName(uint32(start))}); err != nil {
		d.damage(fmt.Sprintf("%v; left out", err))
	}
	return nil
}

// rangeBounds reads a Rust Range<u64>: {start, end} by name, or [start,
// end] from a compact encoder.
func (d *decoder) rangeBounds() (start, end uint64, err error) {
	c, err := d.dec.PeekCode()
	if err != nil {
		return 0, 0, err
	}
	if msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32 {
		n, err := d.dec.DecodeArrayLen()
		if err != nil || n != 2 {
			return 0, 0, fmt.Errorf("want [start, end], got %d elements (%v)", n, err)
		}
		if start, err = d.dec.DecodeUint64(); err != nil {
			return 0, 0, err
		}
		end, err = d.dec.DecodeUint64()
		return start, end, err
	}
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return 0, 0, err
	}
	var haveStart, haveEnd bool
	for i := 0; i < n; i++ {
		k, err := d.dec.DecodeString()
		if err != nil {
			return 0, 0, err
		}
		switch k {
		case "start":
			start, err = d.dec.DecodeUint64()
			haveStart = true
		case "end":
			end, err = d.dec.DecodeUint64()
			haveEnd = true
		default:
			err = d.dec.Skip()
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", k, err)
		}
	}
	if !haveStart || !haveEnd {
		return 0, 0, errors.New("no start or no end")
	}
	return start, end, nil
}

// bytes reads a Vec<u8>: a MessagePack array of small integers (serde's
// default) or bin.
func (d *decoder) bytes() ([]byte, error) {
	c, err := d.dec.PeekCode()
	if err != nil {
		return nil, err
	}
	if c == msgpcode.Bin8 || c == msgpcode.Bin16 || c == msgpcode.Bin32 {
		return d.dec.DecodeBytes()
	}
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > d.size {
		// Every element takes at least one byte of the file.
		return nil, fmt.Errorf("%d bytes claimed, the file has %d", n, d.size)
	}
	b := make([]byte, n)
	for i := range b {
		if b[i], err = d.dec.DecodeUint8(); err != nil {
			return nil, fmt.Errorf("byte %d of %d: %w", i, n, err)
		}
	}
	return b, nil
}

func (d *decoder) finish() (*capture.Snapshot, error) {
	s := d.snap
	if d.coreType != "" {
		s.Meta.Target = "probe-rs core dump (" + d.coreType + ")"
	}
	if !d.sawRegs {
		d.damage("the register map is incomplete")
	}
	if !d.sawData {
		d.damage(fmt.Sprintf("the memory ranges end after %d complete ones", d.ranges))
	}
	for _, n := range []string{"pc", "sp", "lr", "xpsr"} {
		if _, ok := s.Registers[n]; !ok && d.sawRegs {
			s.Meta.Missing = append(s.Meta.Missing, fmt.Sprintf("registers: the dump has no %s", n))
		}
	}
	if _, ok := s.Registers["msp"]; !ok && d.sawRegs {
		s.Meta.Missing = append(s.Meta.Missing, "registers: the dump has no msp/psp (probe-rs ids 17, 18)")
	}
	if m := capture.MissingFaultRegisters(s); m != "" {
		s.Meta.Missing = append(s.Meta.Missing, m)
	}
	return capture.FinishImport(s, d.problems, format.Damaged)
}
