package elfsym_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

func openBigData(b *testing.B, n int) *elfsym.Image {
	b.Helper()
	return elfsymtest.OpenBigData(b, n, elfsym.Open)
}

// BenchmarkDataIndex is the one-time cost of the data index (types and
// variables from DWARF) for 3000 globals.
func BenchmarkDataIndex(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p, err := elfsymtest.BigData(ctx, 3000)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		im, err := elfsym.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		if len(im.Variables()) < 3000 {
			b.Fatalf("%d variables", len(im.Variables()))
		}
		im.Close()
	}
}

// BenchmarkDataAt names every word of 128 KiB of SRAM.
func BenchmarkDataAt(b *testing.B) {
	im := openBigData(b, 3000)
	im.Variables() // build the index outside the timing
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		named := 0
		for a := uint64(0x20000000); a < 0x20020000; a += 4 {
			if _, _, ok := im.DataAt(a); ok {
				named++
			}
		}
		if named == 0 {
			b.Fatal("nothing named")
		}
	}
}
