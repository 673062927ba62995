package probe

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

// BenchmarkCaptureQEMU measures, on a real QEMU halted at a fault handler,
// the time from the stop to the capture file written (registers, system
// registers, 128 KiB of SRAM, flash samples), and in the same run
// gdb-multiarch -batch dumping the same 128 KiB (a new gdb per dump, which is
// how people script it).
func BenchmarkCaptureQEMU(b *testing.B) {
	ctx := context.Background()
	elf, err := crashlab.ELF(ctx, "netduino2", "divzero")
	if err != nil {
		b.Fatal(err)
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		b.Fatal(err)
	}
	defer img.Close()
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: "netduino2", Kernel: elf, Halted: true, Serials: []string{"null"}})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Stop()
	board, _ := LookupBoard("netduino2")
	dir := b.TempDir()

	b.Run("faultline", func(b *testing.B) {
		tgt, err := ConnectTarget(ctx, TargetOptions{Addr: q.GDBAddr, Board: board, Image: img})
		if err != nil {
			b.Fatal(err)
		}
		defer tgt.Close()
		if st, err := tgt.Inspect(ctx); err != nil {
			b.Fatal(err)
		} else if !st.InFault {
			if err := tgt.ArmAndResume(ctx); err != nil {
				b.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, err := tgt.WaitCrash(wctx)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}
		path := filepath.Join(dir, "bench.core")
		var bytes int
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			snap, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "fault-handler"}, "T05")
			if err != nil {
				b.Fatal(err)
			}
			if err := capture.Write(path, snap); err != nil {
				b.Fatal(err)
			}
			bytes = 0
			for _, r := range snap.Memory {
				bytes += len(r.Data)
			}
		}
		b.ReportMetric(float64(bytes), "bytes/capture")
	})

	b.Run("gdb-multiarch", func(b *testing.B) {
		gdb, err := exec.LookPath("gdb-multiarch")
		if err != nil {
			b.Fatal("gdb-multiarch not found: run scripts/setup.sh")
		}
		out := filepath.Join(dir, "ram.bin")
		for i := 0; i < b.N; i++ {
			cmd := exec.CommandContext(ctx, gdb, "-batch", "-nx",
				"-ex", "set architecture arm", "-ex", "target remote "+q.GDBAddr,
				"-ex", fmt.Sprintf("dump binary memory %s 0x20000000 0x20020000", out))
			if o, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("gdb: %v\n%s", err, o)
			}
			if st, err := os.Stat(out); err != nil || st.Size() != 128<<10 {
				b.Fatalf("gdb dump: %v, %v", st, err)
			}
		}
	})
}
