package rtos_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/firmware/freertos"
)

// FuzzReadGarbageMemory reads the task list and heap of the real gateway
// image from memory made of fuzzed bytes (repeated over the RAM the kernel
// and its heap live in): whatever the lists, TCBs and block headers hold,
// Read returns, without panicking, within bounds.
func FuzzReadGarbageMemory(f *testing.F) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := freertos.ELF(ctx, "nullfn-Os")
	if err != nil {
		f.Fatal(err)
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		f.Fatal(err)
	}
	defer img.Close()
	f.Add([]byte{0})
	f.Add([]byte{0x08, 0x00, 0x00, 0x20}) // every word points into RAM
	f.Add([]byte{0x10, 0x00, 0x00, 0x20, 0x01, 0x00, 0x00, 0x80, 0xa5, 0xa5, 0xa5, 0xa5})
	f.Add([]byte("\xff\xff\xff\xff\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		ram := make([]byte, 32<<10)
		for i := range ram {
			ram[i] = data[i%len(data)]
		}
		snap := &capture.Snapshot{Memory: []capture.Region{{Addr: 0x20000000, Data: ram, Name: "ram"}}}
		sys, err := rtos.Read(img, snap, rtos.Options{CurrentSP: 0x20000400})
		if err != nil {
			t.Fatalf("Read on a FreeRTOS image: %v", err)
		}
		if len(sys.Tasks) > 256 || (sys.Heap != nil && len(sys.Heap.Problems) > 16) {
			t.Fatalf("unbounded: %d tasks, heap %+v", len(sys.Tasks), sys.Heap)
		}
		_ = sys.Spans()
	})
}
