package faultdecode

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-delve/delve/pkg/dwarf/frame"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
)

// fakeFunc is a function of the fake image: CFA = SP + cfa, LR saved at
// CFA + lrOff (lrOff 0: a leaf that keeps its return address in LR).
type fakeFunc struct {
	name       string
	start, end uint32
	cfa        int64
	lrOff      int64
	noCFI      bool
	inlined    string // an inlined callee covering the whole function
}

// fakeProg is a Program (and image) with synthetic CFI and code: the
// halfwords before each return address in calls/indirect decode as BL or
// BLX, everything else as NOP.
type fakeProg struct {
	funcs    []fakeFunc
	calls    map[uint32]bool // return addresses after a BL
	indirect map[uint32]bool // return addresses after a BLX Rm
	// blTargets gives the BL before a return address in calls a
	// destination (default: the return address itself).
	blTargets map[uint32]uint32
}

// encodeBL encodes a Thumb-2 BL at addr to target.
func encodeBL(addr, target uint32) (uint16, uint16) {
	off := target - addr - 4
	s := (off >> 24) & 1
	i1, i2 := (off>>23)&1, (off>>22)&1
	j1, j2 := (^(i1 ^ s))&1, (^(i2 ^ s))&1
	hw1 := uint16(0xF000 | s<<10 | (off>>12)&0x3FF)
	hw2 := uint16(0xD000 | j1<<13 | j2<<11 | (off>>1)&0x7FF)
	return hw1, hw2
}

func (p *fakeProg) fn(addr uint64) (fakeFunc, bool) {
	for _, f := range p.funcs {
		if addr >= uint64(f.start) && addr < uint64(f.end) {
			return f, true
		}
	}
	return fakeFunc{}, false
}

func (p *fakeProg) FrameContext(pc uint64) (*frame.FrameContext, error) {
	f, ok := p.fn(pc)
	if !ok || f.noCFI {
		return nil, fmt.Errorf("0x%x: %w", pc, elfsym.ErrNoCFI)
	}
	fc := &frame.FrameContext{
		CFA:        frame.DWRule{Rule: frame.RuleCFA, Reg: 13, Offset: f.cfa},
		Regs:       map[uint64]frame.DWRule{},
		RetAddrReg: 14,
	}
	if f.lrOff != 0 {
		fc.Regs[14] = frame.DWRule{Rule: frame.RuleOffset, Offset: f.lrOff}
	}
	return fc, nil
}

func (p *fakeProg) Frames(addr uint64) []elfsym.Frame {
	f, ok := p.fn(addr)
	if !ok {
		return nil
	}
	line := int(addr-uint64(f.start))/2 + 10
	out := []elfsym.Frame{}
	if f.inlined != "" {
		out = append(out, elfsym.Frame{Function: f.inlined, File: "src/fake.c", Line: 3, Inlined: true})
	}
	return append(out, elfsym.Frame{Function: f.name, File: "src/fake.c", Line: line, Entry: uint64(f.start)})
}

func (p *fakeProg) IsCode(addr uint64) bool { _, ok := p.fn(addr); return ok }

func (p *fakeProg) ReadMemory(buf []byte, addr uint64) (int, error) {
	for i := 0; i+1 < len(buf); i += 2 {
		a := uint32(addr) + uint32(i)
		if !p.IsCode(uint64(a)) {
			return i, errors.New("not in the image")
		}
		hw := uint16(0xBF00)
		switch {
		case p.calls[a+4]:
			hw = 0xF000
			if t, ok := p.blTargets[a+4]; ok {
				hw, _ = encodeBL(a, t)
			}
		case p.calls[a+2]:
			hw = 0xF800
			if t, ok := p.blTargets[a+2]; ok {
				_, hw = encodeBL(a-2, t)
			}
		case p.indirect[a+2]:
			hw = 0x4798
		}
		binary.LittleEndian.PutUint16(buf[i:], hw)
	}
	return len(buf), nil
}

func (p *fakeProg) Path() string       { return "fake.elf" }
func (p *fakeProg) BuildID() string    { return "fakebuild" }
func (p *fakeProg) Warnings() []string { return nil }
func (p *fakeProg) Sections() []elfsym.Section {
	return []elfsym.Section{{Name: ".text", Addr: 0x08000000, Size: 0x10000, Exec: true, Alloc: true, Loaded: true}}
}
func (p *fakeProg) LookupSymbol(name string) (elfsym.Symbol, bool) {
	if name == "__stack_limit" {
		return elfsym.Symbol{Name: name, RawName: name, Addr: 0x20000800}, true
	}
	return elfsym.Symbol{}, false
}

func (p *fakeProg) SymbolAt(addr uint64) (elfsym.Symbol, uint64, bool) {
	f, ok := p.fn(addr)
	if !ok {
		return elfsym.Symbol{}, 0, false
	}
	return elfsym.Symbol{Name: f.name, Addr: uint64(f.start), Size: uint64(f.end - f.start), Func: true}, addr - uint64(f.start), true
}

// The fake firmware: main -> a -> b -> c, an ISR, a thread function, a
// function without CFI, all with fixed layouts.
const (
	fMain   = 0x08000100
	fA      = 0x08000200
	fB      = 0x08000300
	fC      = 0x08000400
	fISR    = 0x08000500
	fThread = 0x08000600
	fNoCFI  = 0x08000700
	fLoop   = 0x08000800
)

func newFakeProg() *fakeProg {
	return &fakeProg{
		funcs: []fakeFunc{
			{name: "main", start: fMain, end: fMain + 0x100, cfa: 8, lrOff: -4},
			{name: "a", start: fA, end: fA + 0x100, cfa: 16, lrOff: -4},
			{name: "b", start: fB, end: fB + 0x100, cfa: 8, lrOff: -4},
			{name: "c", start: fC, end: fC + 0x100, cfa: 0, inlined: "divide"},
			{name: "isr", start: fISR, end: fISR + 0x100, cfa: 8, lrOff: -4},
			{name: "thread_fn", start: fThread, end: fThread + 0x100, cfa: 8, lrOff: -4},
			{name: "nocfi", start: fNoCFI, end: fNoCFI + 0x100, noCFI: true},
			{name: "loop", start: fLoop, end: fLoop + 0x100, cfa: 0, lrOff: 0},
		},
		// return addresses: into main at +0x20, a at +0x20, b at +0x20, thread_fn +0x20, nocfi +0x20
		calls:    map[uint32]bool{fMain + 0x20: true, fA + 0x20: true, fB + 0x20: true, fThread + 0x20: true, fNoCFI + 0x20: true},
		indirect: map[uint32]bool{fB + 0x40: true},
	}
}

// stack builds RAM contents at 0x20000000 (16 KiB).
type stack struct{ data []byte }

const ramBase = 0x20000000

func newStack() *stack { return &stack{data: make([]byte, 0x4000)} }

func (s *stack) put(addr uint32, words ...uint32) {
	for i, w := range words {
		binary.LittleEndian.PutUint32(s.data[addr-ramBase+uint32(4*i):], w)
	}
}

// scb builds the 0xE000ED00-0xE000ED40 region.
func scbRegion(vals map[uint64]uint32) capture.Region {
	b := make([]byte, 0x40)
	for a, v := range vals {
		if a >= 0xE000ED00 && a < 0xE000ED40 {
			binary.LittleEndian.PutUint32(b[a-0xE000ED00:], v)
		}
	}
	return capture.Region{Addr: 0xE000ED00, Data: b, Name: "scb"}
}

func dhcsrRegion(v uint32) capture.Region {
	b := make([]byte, 0x10)
	binary.LittleEndian.PutUint32(b, v)
	return capture.Region{Addr: 0xE000EDF0, Data: b, Name: "dhcsr"}
}

func (s *stack) snapshot(regs map[string]uint32, extra ...capture.Region) *capture.Snapshot {
	mem := append([]capture.Region{{Addr: ramBase, Data: s.data, Name: "ram"}}, extra...)
	return &capture.Snapshot{Registers: regs, Memory: mem, Meta: capture.Meta{Schema: "faultline.capture/v1", Board: "netduino2", Trigger: capture.Trigger{Kind: "fault-handler"}}}
}
