package forensics

import (
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// BenchmarkRootCause is the heap walk, the object graph from every global,
// the vtable checks and the dangling-pointer search over 128 KiB of SRAM
// and 3000 globals (the data index is built before timing).
func BenchmarkRootCause(b *testing.B) {
	snap, img := fdtest.BigDataSnapshot(b, 3000)
	img.Variables()
	ram := snap.Memory[0]
	c := &Crash{Snap: snap, Image: img, RAM: []unwind.Range{{Start: ram.Addr, End: ram.Addr + uint32(len(ram.Data))}}}
	var rep *report.Report
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep = &report.Report{}
		Run(c, rep)
	}
	b.StopTimer()
	rc := &rootCtx{Crash: c, rep: rep, di: img}
	rc.heap = walkHeap(snap, func(n string) (uint32, bool) { s, ok := img.LookupSymbol(n); return uint32(s.Addr), ok })
	rc.vt = newVtables(img)
	rc.g = walkObjects(snap, img.Variables(), c.inRAM, func(uint32) bool { return false }, rc.vt)
	b.ReportMetric(float64(len(rc.heap.Blocks)), "heap-blocks")
	b.ReportMetric(float64(len(rc.g.Slots)), "pointers")
	b.ReportMetric(float64(len(rc.g.Objects)), "objects")
	b.ReportMetric(float64(len(rep.Findings)), "findings")
	for _, f := range rep.Findings {
		b.Log(f.Kind + ": " + f.Summary)
	}
}
