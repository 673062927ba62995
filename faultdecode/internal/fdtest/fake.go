package fdtest

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-delve/delve/pkg/dwarf/frame"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
)

// Func is a function of the fake image: CFA = SP + CFA, LR saved at
// CFA + LROff (LROff 0: a leaf that keeps its return address in LR).
type Func struct {
	Name       string
	Start, End uint32
	CFA        int64
	LROff      int64
	NoCFI      bool
	Inlined    string // an inlined callee covering the whole function
}

// Prog is a Program (and image) with synthetic CFI and code: the
// halfwords before each return address in Calls/Indirect decode as BL or
// BLX, everything else as NOP.
type Prog struct {
	Funcs    []Func
	Calls    map[uint32]bool // return addresses after a BL
	Indirect map[uint32]bool // return addresses after a BLX Rm
	// BLTargets gives the BL before a return address in Calls a
	// destination (default: the return address itself).
	BLTargets map[uint32]uint32
	// Code puts given halfwords at their addresses, over all of the above.
	Code map[uint32]uint16
}

// EncodeBL encodes a Thumb-2 BL at addr to target.
func EncodeBL(addr, target uint32) (uint16, uint16) {
	off := target - addr - 4
	s := (off >> 24) & 1
	i1, i2 := (off>>23)&1, (off>>22)&1
	j1, j2 := (^(i1 ^ s))&1, (^(i2 ^ s))&1
	hw1 := uint16(0xF000 | s<<10 | (off>>12)&0x3FF)
	hw2 := uint16(0xD000 | j1<<13 | j2<<11 | (off>>1)&0x7FF)
	return hw1, hw2
}

// Fn is the function holding addr.
func (p *Prog) Fn(addr uint64) (Func, bool) {
	for _, f := range p.Funcs {
		if addr >= uint64(f.Start) && addr < uint64(f.End) {
			return f, true
		}
	}
	return Func{}, false
}

func (p *Prog) FrameContext(pc uint64) (*frame.FrameContext, error) {
	f, ok := p.Fn(pc)
	if !ok || f.NoCFI {
		return nil, fmt.Errorf("0x%x: %w", pc, elfsym.ErrNoCFI)
	}
	fc := &frame.FrameContext{
		CFA:        frame.DWRule{Rule: frame.RuleCFA, Reg: 13, Offset: f.CFA},
		Regs:       map[uint64]frame.DWRule{},
		RetAddrReg: 14,
	}
	if f.LROff != 0 {
		fc.Regs[14] = frame.DWRule{Rule: frame.RuleOffset, Offset: f.LROff}
	}
	return fc, nil
}

func (p *Prog) Frames(addr uint64) []elfsym.Frame {
	f, ok := p.Fn(addr)
	if !ok {
		return nil
	}
	line := int(addr-uint64(f.Start))/2 + 10
	out := []elfsym.Frame{}
	if f.Inlined != "" {
		out = append(out, elfsym.Frame{Function: f.Inlined, File: "src/fake.c", Line: 3, Inlined: true})
	}
	return append(out, elfsym.Frame{Function: f.Name, File: "src/fake.c", Line: line, Entry: uint64(f.Start)})
}

func (p *Prog) IsCode(addr uint64) bool { _, ok := p.Fn(addr); return ok }

func (p *Prog) ReadMemory(buf []byte, addr uint64) (int, error) {
	for i := 0; i+1 < len(buf); i += 2 {
		a := uint32(addr) + uint32(i)
		if !p.IsCode(uint64(a)) {
			return i, errors.New("not in the image")
		}
		hw := uint16(0xBF00)
		code, ok := p.Code[a]
		switch {
		case ok:
			hw = code
		case p.Calls[a+4]:
			hw = 0xF000
			if t, ok := p.BLTargets[a+4]; ok {
				hw, _ = EncodeBL(a, t)
			}
		case p.Calls[a+2]:
			hw = 0xF800
			if t, ok := p.BLTargets[a+2]; ok {
				_, hw = EncodeBL(a-2, t)
			}
		case p.Indirect[a+2]:
			hw = 0x4798
		}
		binary.LittleEndian.PutUint16(buf[i:], hw)
	}
	return len(buf), nil
}

func (p *Prog) Path() string       { return "fake.elf" }
func (p *Prog) BuildID() string    { return "fakebuild" }
func (p *Prog) Warnings() []string { return nil }
func (p *Prog) Sections() []elfsym.Section {
	return []elfsym.Section{{Name: ".text", Addr: 0x08000000, Size: 0x10000, Exec: true, Alloc: true, Loaded: true}}
}
func (p *Prog) LookupSymbol(name string) (elfsym.Symbol, bool) {
	if name == "__stack_limit" {
		return elfsym.Symbol{Name: name, RawName: name, Addr: 0x20000800}, true
	}
	return elfsym.Symbol{}, false
}

func (p *Prog) SymbolAt(addr uint64) (elfsym.Symbol, uint64, bool) {
	f, ok := p.Fn(addr)
	if !ok {
		return elfsym.Symbol{}, 0, false
	}
	return elfsym.Symbol{Name: f.Name, Addr: uint64(f.Start), Size: uint64(f.End - f.Start), Func: true}, addr - uint64(f.Start), true
}

// The fake firmware: main -> a -> b -> c, an ISR, a thread function, a
// function without CFI, all with fixed layouts.
const (
	Main   = 0x08000100
	A      = 0x08000200
	B      = 0x08000300
	C      = 0x08000400
	ISR    = 0x08000500
	Thread = 0x08000600
	NoCFI  = 0x08000700
	Loop   = 0x08000800
)

// NewProg is the fake firmware: main, a, b, c (with divide inlined), isr,
// thread_fn, nocfi and loop at the addresses above.
func NewProg() *Prog {
	return &Prog{
		Funcs: []Func{
			{Name: "main", Start: Main, End: Main + 0x100, CFA: 8, LROff: -4},
			{Name: "a", Start: A, End: A + 0x100, CFA: 16, LROff: -4},
			{Name: "b", Start: B, End: B + 0x100, CFA: 8, LROff: -4},
			{Name: "c", Start: C, End: C + 0x100, CFA: 0, Inlined: "divide"},
			{Name: "isr", Start: ISR, End: ISR + 0x100, CFA: 8, LROff: -4},
			{Name: "thread_fn", Start: Thread, End: Thread + 0x100, CFA: 8, LROff: -4},
			{Name: "nocfi", Start: NoCFI, End: NoCFI + 0x100, NoCFI: true},
			{Name: "loop", Start: Loop, End: Loop + 0x100, CFA: 0, LROff: 0},
		},
		// return addresses: into main at +0x20, a at +0x20, b at +0x20, thread_fn +0x20, nocfi +0x20
		Calls:    map[uint32]bool{Main + 0x20: true, A + 0x20: true, B + 0x20: true, Thread + 0x20: true, NoCFI + 0x20: true},
		Indirect: map[uint32]bool{B + 0x40: true},
	}
}

// Stack builds RAM contents at 0x20000000 (16 KiB).
type Stack struct{ Data []byte }

// RAMBase is where a Stack's RAM starts.
const RAMBase = 0x20000000

// NewStack is 16 KiB of zeroed RAM.
func NewStack() *Stack { return &Stack{Data: make([]byte, 0x4000)} }

// Put stores words from addr on.
func (s *Stack) Put(addr uint32, words ...uint32) {
	for i, w := range words {
		binary.LittleEndian.PutUint32(s.Data[addr-RAMBase+uint32(4*i):], w)
	}
}

// SCBRegion builds the 0xE000ED00-0xE000ED40 region holding vals.
func SCBRegion(vals map[uint64]uint32) capture.Region {
	b := make([]byte, 0x40)
	for a, v := range vals {
		if a >= 0xE000ED00 && a < 0xE000ED40 {
			binary.LittleEndian.PutUint32(b[a-0xE000ED00:], v)
		}
	}
	return capture.Region{Addr: 0xE000ED00, Data: b, Name: "scb"}
}

// DHCSRRegion is the debug region with DHCSR = v.
func DHCSRRegion(v uint32) capture.Region {
	b := make([]byte, 0x10)
	binary.LittleEndian.PutUint32(b, v)
	return capture.Region{Addr: 0xE000EDF0, Data: b, Name: "dhcsr"}
}

// Snapshot is a netduino2 capture of the RAM, regs and the extra regions.
func (s *Stack) Snapshot(regs map[string]uint32, extra ...capture.Region) *capture.Snapshot {
	mem := append([]capture.Region{{Addr: RAMBase, Data: s.Data, Name: "ram"}}, extra...)
	return &capture.Snapshot{Registers: regs, Memory: mem, Meta: capture.Meta{Schema: "faultline.capture/v1", Board: "netduino2", Trigger: capture.Trigger{Kind: "fault-handler"}}}
}
