package faultdecode

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// BenchmarkAnalyze128K runs Analyze (decode, unwind, findings) on a 128 KiB
// RAM snapshot. "cfi" is a 40-deep recursion unwound by CFI; "scan" makes
// every frame fall back to the stack scan over random data, the worst case.
func BenchmarkAnalyze128K(b *testing.B) {
	build := func(scan bool) *capture.Snapshot {
		ram := make([]byte, 128<<10)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range ram {
			ram[i] = byte(rng.IntN(256))
		}
		put := func(addr, v uint32) { binary.LittleEndian.PutUint32(ram[addr-0x20000000:], v) }
		frameAt := uint32(0x2001f000)
		pc := uint32(fdtest.B + 0x10)
		if scan {
			pc = fdtest.NoCFI + 0x10
		}
		words := []uint32{0, 1, 2, 3, 12, fdtest.B + 0x21, pc, 0x01000000}
		for i, w := range words {
			put(frameAt+uint32(4*i), w)
		}
		sp := frameAt + 0x20
		for range 40 { // b recursing: CFA = SP+8, LR at CFA-4
			put(sp+4, fdtest.B+0x21)
			sp += 8
		}
		put(sp+4, 0xFFFFFFFF)
		regs := handlerRegs(3, 0xFFFFFFF9, frameAt, nil)
		return &capture.Snapshot{
			Registers: regs,
			Memory: []capture.Region{
				{Addr: 0x20000000, Data: ram, Name: "ram"},
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 25, fault.AddrHFSR: 1 << 30}),
			},
		}
	}
	for _, c := range []struct {
		name string
		scan bool
	}{{"cfi", false}, {"scan", true}} {
		snap := build(c.scan)
		prog := fdtest.NewProg()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := analyze(snap, prog)
				if len(r.Frames) == 0 {
					b.Fatal("no frames")
				}
			}
		})
	}
}

// BenchmarkAnalyzeQEMU runs Analyze on a real crash captured from QEMU
// (128 KiB of netduino2 RAM) against the real ELF, next to gdb's view of the
// same stack for reference.
func BenchmarkAnalyzeQEMU(b *testing.B) {
	img := openUnwindELF(b)
	for _, sc := range []struct {
		name     string
		scenario int
	}{{"precise", 1}, {"isr-psp", 3}, {"stack-scan", 4}} {
		c := runScenario(b, img.Path(), sc.scenario)
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				n = len(Analyze(c.Snap, img).Frames)
			}
			b.ReportMetric(float64(n), "frames")
		})
	}
}
