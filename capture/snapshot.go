package capture

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// SchemaV1 is the Meta.Schema of capture files this package writes.
const SchemaV1 = "faultline.capture/v1"

// A Region is one captured range of target memory.
type Region struct {
	Addr uint32
	Data []byte
	Name string // "ram", "scb", "stack-msp", "flash-sample", ...
}

// End returns the address one past the region's last byte, as a uint64 so
// that a region ending at 0xFFFFFFFF does not wrap.
func (r Region) End() uint64 { return uint64(r.Addr) + uint64(len(r.Data)) }

// A Snapshot is everything captured about one crash.
type Snapshot struct {
	// Registers holds whatever was read, by lower-case name: r0..r12, sp,
	// lr, pc, xpsr, msp, psp, primask, basepri, faultmask, control, ...
	Registers map[string]uint32
	// Memory is sorted by Addr and its regions do not overlap.
	Memory []Region
	Meta   Meta
}

// Meta is the capture's metadata, stored as JSON in the FAULTLINE note.
type Meta struct {
	Schema     string            `json:"schema"` // SchemaV1
	ELF        ELFRef            `json:"elf,omitzero"`
	Board      string            `json:"board,omitempty"`
	Trigger    Trigger           `json:"trigger,omitzero"`
	CapturedAt time.Time         `json:"captured_at,omitzero"`
	Target     string            `json:"target,omitempty"` // "openocd 127.0.0.1:3333", "qemu ...", "serial-only"
	StopReply  string            `json:"stop_reply,omitempty"`
	Missing    []string          `json:"missing,omitempty"` // what could not be read, in words
	Serial     []SerialLine      `json:"serial,omitempty"`
	LED        []LEDSample       `json:"led,omitempty"`
	Timeline   []Event           `json:"timeline,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// ELFRef identifies the firmware image the capture was taken against.
type ELFRef struct {
	Path    string `json:"path,omitempty"`
	BuildID string `json:"build_id,omitempty"` // hex of NT_GNU_BUILD_ID
	SHA256  string `json:"sha256,omitempty"`   // hex of the whole file
}

// Trigger says what made faultline take the capture.
type Trigger struct {
	// Kind is "fault-handler", "lockup", "dead-end" (a function the
	// firmware stops itself in without faulting: abort, Error_Handler,
	// ...), "serial-panic", "led-sos", "watchpoint" or "manual".
	Kind   string `json:"kind,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// A SerialLine is one line of the target's console.
type SerialLine struct {
	Time time.Time `json:"time,omitzero"`
	Text string    `json:"text"`
}

// An LEDSample is one observation of the status LED; R, G, B are duty
// cycles in [0, 1].
type LEDSample struct {
	Time    time.Time `json:"time,omitzero"`
	R       float64   `json:"r"`
	G       float64   `json:"g"`
	B       float64   `json:"b"`
	Pattern string    `json:"pattern,omitempty"`
}

// An Event is one entry of the session timeline.
type Event struct {
	Time   time.Time `json:"time,omitzero"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// Region returns the first region with the given name.
func (s *Snapshot) Region(name string) (Region, bool) {
	for _, r := range s.Memory {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// Register returns a register's value by name, case-insensitively and
// accepting the other names of the same register (r13/sp, r14/lr, r15/pc,
// cpsr/psr/xpsr), so a map filled from any gdb stub reads the same.
func (s *Snapshot) Register(name string) (uint32, bool) {
	name = strings.ToLower(name)
	if v, ok := s.Registers[name]; ok {
		return v, true
	}
	for _, group := range registerAliases {
		if !slices.Contains(group, name) {
			continue
		}
		for _, n := range group {
			if v, ok := s.Registers[n]; ok {
				return v, true
			}
		}
	}
	return 0, false
}

// registerAliases are names gdb stubs use for the same register, the
// canonical one first.
var registerAliases = [][]string{{"sp", "r13"}, {"lr", "r14"}, {"pc", "r15"}, {"xpsr", "cpsr", "psr"}}

// AddRegion inserts r into s.Memory, keeping it sorted. A region that
// touches a neighbour of the same name is merged with it, so reading RAM in
// chunks gives one "ram" region. An empty r is ignored. It returns an error
// naming both regions when r overlaps one already present; s is then
// unchanged. The Data of r is copied only when it is merged.
func (s *Snapshot) AddRegion(r Region) error {
	if len(r.Data) == 0 {
		return nil
	}
	if r.End() > 1<<32 {
		return fmt.Errorf("region %q at 0x%08x: %d bytes run past the 32-bit address space", r.Name, r.Addr, len(r.Data))
	}
	i := sort.Search(len(s.Memory), func(i int) bool { return s.Memory[i].Addr >= r.Addr })
	if i > 0 && s.Memory[i-1].End() > uint64(r.Addr) {
		return overlapError(s.Memory[i-1], r)
	}
	if i < len(s.Memory) && r.End() > uint64(s.Memory[i].Addr) {
		return overlapError(r, s.Memory[i])
	}
	mergePrev := i > 0 && s.Memory[i-1].Name == r.Name && s.Memory[i-1].End() == uint64(r.Addr)
	mergeNext := i < len(s.Memory) && s.Memory[i].Name == r.Name && r.End() == uint64(s.Memory[i].Addr)
	switch {
	case mergePrev && mergeNext:
		p := &s.Memory[i-1]
		p.Data = concat(p.Data, r.Data, s.Memory[i].Data)
		s.Memory = append(s.Memory[:i], s.Memory[i+1:]...)
	case mergePrev:
		p := &s.Memory[i-1]
		p.Data = concat(p.Data, r.Data)
	case mergeNext:
		n := &s.Memory[i]
		n.Data = concat(r.Data, n.Data)
		n.Addr = r.Addr
	default:
		s.Memory = append(s.Memory, Region{})
		copy(s.Memory[i+1:], s.Memory[i:])
		s.Memory[i] = r
	}
	return nil
}

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func overlapError(a, b Region) error {
	return fmt.Errorf("region %q 0x%08x-0x%08x overlaps region %q 0x%08x-0x%08x",
		a.Name, a.Addr, a.End(), b.Name, b.Addr, b.End())
}

// Validate checks what Encode needs: regions non-empty, inside the 32-bit
// address space, sorted and not overlapping, and LED samples that JSON can
// carry (no NaN or infinity).
func (s *Snapshot) Validate() error {
	for i, r := range s.Memory {
		if len(r.Data) == 0 {
			return fmt.Errorf("region %q at 0x%08x is empty", r.Name, r.Addr)
		}
		if r.End() > 1<<32 {
			return fmt.Errorf("region %q at 0x%08x: %d bytes run past the 32-bit address space", r.Name, r.Addr, len(r.Data))
		}
		if i == 0 {
			continue
		}
		p := s.Memory[i-1]
		if r.Addr < p.Addr {
			return fmt.Errorf("regions not sorted by address: %q at 0x%08x comes after %q at 0x%08x", r.Name, r.Addr, p.Name, p.Addr)
		}
		if uint64(r.Addr) < p.End() {
			return overlapError(p, r)
		}
	}
	for i, l := range s.Meta.LED {
		for _, v := range []float64{l.R, l.G, l.B} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("LED sample %d: %v is not a number JSON can hold", i, v)
			}
		}
	}
	return nil
}

// NotCapturedError is returned by ReadMemory for an address no region holds.
type NotCapturedError struct {
	Addr uint64 // the first byte that was not captured
}

func (e *NotCapturedError) Error() string {
	return fmt.Sprintf("memory at 0x%08x was not captured", e.Addr)
}

// ReadMemory reads captured memory at a target address, io.ReaderAt-style:
// it fills buf from the regions covering addr onwards (adjacent regions
// are read through) and returns n < len(buf) with a *NotCapturedError
// naming the first address no region holds. It does a binary search per
// region crossed.
func (s *Snapshot) ReadMemory(buf []byte, addr uint64) (int, error) {
	n := 0
	for n < len(buf) {
		a := addr + uint64(n)
		i := sort.Search(len(s.Memory), func(i int) bool { return s.Memory[i].End() > a })
		if i == len(s.Memory) || uint64(s.Memory[i].Addr) > a {
			return n, &NotCapturedError{Addr: a}
		}
		r := s.Memory[i]
		n += copy(buf[n:], r.Data[a-uint64(r.Addr):])
	}
	return n, nil
}
