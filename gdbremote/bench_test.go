package gdbremote_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// BenchmarkReadMemory128K reads all of a netduino2's SRAM from each fake:
// the cost of the 'm' chunking and hex decoding over loopback TCP.
func BenchmarkReadMemory128K(b *testing.B) {
	for _, fl := range []struct {
		name string
		new  func(rsptest.Config) (*rsptest.Fake, error)
	}{{"openocd", rsptest.NewOpenOCD}, {"qemu", rsptest.NewQEMU}} {
		b.Run(fl.name, func(b *testing.B) {
			fk, err := fl.new(rsptest.Config{State: baseState()})
			if err != nil {
				b.Fatal(err)
			}
			addr := fk.Listen(b)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cl, err := gdbremote.Dial(ctx, addr, gdbremote.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			b.SetBytes(128 << 10)
			for b.Loop() {
				if _, err := cl.ReadMemory(ctx, 0x20000000, 128<<10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
