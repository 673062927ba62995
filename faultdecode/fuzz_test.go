package faultdecode

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// FuzzAnalyze feeds arbitrary stack contents, registers and fault registers
// through decoding, unwinding, findings and rendering: it must never panic
// and must always terminate.
func FuzzAnalyze(f *testing.F) {
	seed := make([]byte, 0x200)
	binary.LittleEndian.PutUint32(seed[0x18:], fdtest.C+0x10)
	binary.LittleEndian.PutUint32(seed[0x14:], fdtest.B+0x21)
	binary.LittleEndian.PutUint32(seed[0x1c:], 0x01000000)
	f.Add(seed, uint32(0xFFFFFFF9), uint32(0x20001000), uint32(0x02000000), uint32(0x40000000), uint32(3))
	f.Add(seed, uint32(0xFFFFFFED), uint32(0x20001000), uint32(0x00001000), uint32(0), uint32(6))
	f.Add(bytes.Repeat([]byte{0x41}, 0x100), uint32(0xFFFFFFFD), uint32(0x20001010), uint32(1), uint32(0x40000000), uint32(3))
	f.Fuzz(func(t *testing.T, ram []byte, lr, sp, cfsr, hfsr, xpsr uint32) {
		regs := handlerRegs(0, lr, sp, map[string]uint32{"xpsr": xpsr, "psp": sp + 0x40})
		snap := &capture.Snapshot{
			Registers: regs,
			Memory: []capture.Region{
				{Addr: 0x20001000, Data: ram, Name: "ram"},
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: cfsr, fault.AddrHFSR: hfsr, fault.AddrMMFAR: sp, fault.AddrBFAR: lr}),
			},
		}
		r := analyze(snap, fdtest.NewProg())
		if len(r.Frames) > 64*2 {
			t.Fatalf("%d frames: the depth cap did not hold", len(r.Frames))
		}
		var b bytes.Buffer
		if err := r.WriteText(&b, report.Sources{}); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteMarkdown(&b, report.Sources{}); err != nil {
			t.Fatal(err)
		}
	})
}
