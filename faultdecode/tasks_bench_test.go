package faultdecode

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/firmware/freertos"
)

// BenchmarkAnalyzeFreeRTOS16Tasks runs on a real crash of the FreeRTOS
// gateway with 16 tasks (div0 with 11 workers, captured from QEMU): the
// whole analysis, and the task part alone (the task list read from the
// TCBs and lists, and an unwind of every switched-out task from its saved
// context). Run it with BenchmarkAnalyze128K for the bare-metal numbers:
//
//	go test -run '^$' -bench 'Analyze128K/cfi|AnalyzeFreeRTOS' ./faultdecode/
func BenchmarkAnalyzeFreeRTOS16Tasks(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := freertos.ELF(ctx, freertos.ManyTasks)
	if err != nil {
		b.Fatal(err)
	}
	snap, img := captureELF(b, freertos.Machine, elf)
	rep := Analyze(snap, img)
	if len(rep.Tasks) != 16 {
		b.Fatalf("%d tasks, want 16", len(rep.Tasks))
	}
	b.Run("analyze", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Analyze(snap, img); len(r.Tasks) != 16 {
				b.Fatalf("%d tasks", len(r.Tasks))
			}
		}
	})
	b.Run("tasks", func(b *testing.B) {
		b.ReportAllocs()
		a := &analysis{snap: snap, img: img, ram: ramRanges(snap, img)}
		frames := 0
		for b.Loop() {
			sys, err := rtos.Read(img, snap, rtos.Options{CurrentSP: snap.Registers["psp"]})
			if err != nil {
				b.Fatal(err)
			}
			frames = 0
			for i := range sys.Tasks {
				if t := &sys.Tasks[i]; t.Context != nil {
					frames += len(a.unwindTask(t))
				}
			}
		}
		b.ReportMetric(float64(frames), "frames")
	})
}
