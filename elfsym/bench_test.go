package elfsym_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// benchFuncs is the size of the generated benchmark program.
const benchFuncs = 3000

// benchAddrs picks every function entry plus, inside DWARF-described code,
// every 6th halfword: a mix of entries, mid-function and inlined addresses.
func benchAddrs(im *elfsym.Image) []uint64 {
	var addrs []uint64
	for _, s := range im.Symbols() {
		if s.Func && s.Size > 0 {
			addrs = append(addrs, s.Addr)
		}
	}
	for _, a := range testAddrs(im) {
		if a%12 == 2 && im.HasDWARFFunction(a) {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// BenchmarkSymbolize measures elfsym against arm-none-eabi-addr2line on a
// generated C++ program of benchFuncs functions (classes, virtual methods,
// nested inlines), compiled once and cached:
//
//	go test -run XXX -bench Symbolize -benchtime 3x ./elfsym/
//
// Open: index load time. Frames: lookups/s of a loaded index.
// OpenAndFrames: one Open plus every address once, the work one addr2line
// process does. addr2line: one batch process over the same addresses.
func BenchmarkSymbolize(b *testing.B) {
	ctx := context.Background()
	elf, err := elfsymtest.Big(ctx, benchFuncs)
	if err != nil {
		b.Fatal(err)
	}
	im, err := elfsym.Open(elf)
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	addrs := benchAddrs(im)
	deepest := 0
	for _, a := range addrs {
		deepest = max(deepest, len(im.Frames(a)))
	}
	b.Logf("%s: %d symbols, %d addresses, deepest chain %d frames", elf, len(im.Symbols()), len(addrs), deepest)

	var oursRate, e2eRate, a2lRate float64
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			im, err := elfsym.Open(elf)
			if err != nil {
				b.Fatal(err)
			}
			im.Close()
		}
	})
	b.Run("Frames", func(b *testing.B) {
		n := 0
		start := time.Now()
		for b.Loop() {
			if im.Frames(addrs[n%len(addrs)]) == nil {
				b.Fatalf("no frames at %#x", addrs[n%len(addrs)])
			}
			n++
		}
		oursRate = float64(n) / time.Since(start).Seconds()
		b.ReportMetric(oursRate, "lookups/s")
	})
	b.Run("OpenAndFrames", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			im, err := elfsym.Open(elf)
			if err != nil {
				b.Fatal(err)
			}
			for _, a := range addrs {
				im.Frames(a)
			}
			im.Close()
		}
		e2eRate = float64(b.N*len(addrs)) / time.Since(start).Seconds()
		b.ReportMetric(e2eRate, "lookups/s")
	})
	b.Run("addr2line", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			res, err := addr2line(ctx, elf, addrs)
			if err != nil {
				b.Fatal(err)
			}
			if len(res) != len(addrs) {
				b.Fatalf("addr2line answered %d of %d", len(res), len(addrs))
			}
		}
		a2lRate = float64(b.N*len(addrs)) / time.Since(start).Seconds()
		b.ReportMetric(a2lRate, "lookups/s")
	})
	if a2lRate > 0 {
		b.Logf("elfsym %.0f lookups/s loaded (%.1fx addr2line), %.0f lookups/s including Open (%.1fx); addr2line %.0f lookups/s",
			oursRate, oursRate/a2lRate, e2eRate, e2eRate/a2lRate, a2lRate)
	}
}
