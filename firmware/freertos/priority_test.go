package freertos

import (
	"context"
	"debug/elf"
	"fmt"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware/internal/gdbcompare"
	"github.com/faultline-dev/faultline/gdbremote"
)

// Priority registers the TIMER0 interrupt is held to: its NVIC IPR byte
// and the SHPR3 bytes of PendSV and SysTick.
const (
	timer0IPR  = 0xe000e400 + 8 // TIMER0_IRQn
	pendSVPri  = 0xe000ed22
	sysTickPri = 0xe000ed23
)

// TestTimerInterruptNeverPreemptsTheKernel runs the isr builds to their
// fault and reads the priorities the core really holds: TIMER0 must equal
// SysTick and PendSV, as expected.json's isr chains assume (the ISR
// interrupts crunch, never the tick). QEMU's mps2 NVIC keeps all 8
// priority bits, so 0xe0 (configKERNEL_INTERRUPT_PRIORITY) against the
// port's 255 let TIMER0 preempt xPortSysTickHandler in some runs, and the
// crash chain then held a tick handler gdb's run did not have.
func TestTimerInterruptNeverPreemptsTheKernel(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc", "qemu-system-arm")
	if testing.Short() {
		t.Skip("boots QEMU")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	for _, variant := range []string{"isr-Os", "isr-Os" + M4FSuffix} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			pri, err := faultPriorities(ctx, variant)
			if err != nil {
				t.Fatal(err)
			}
			if pri[0] != pri[1] || pri[0] != pri[2] {
				t.Errorf("at the fault: TIMER0 priority 0x%02x, PendSV 0x%02x, SysTick 0x%02x; want all equal", pri[0], pri[1], pri[2])
			}
		})
	}
}

// faultPriorities boots variant, lets it run into its UsageFault handler
// and returns the TIMER0, PendSV and SysTick priority bytes there.
func faultPriorities(ctx context.Context, variant string) ([3]byte, error) {
	var pri [3]byte
	path, err := ELF(ctx, variant)
	if err != nil {
		return pri, err
	}
	handler, err := symbolAddr(path, "UsageFault_Handler")
	if err != nil {
		return pri, err
	}
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: MachineFor(variant), Kernel: path, Halted: true, Serials: []string{"null"}})
	if err != nil {
		return pri, err
	}
	defer func() { _ = q.Stop() }()
	cl, err := gdbremote.Dial(ctx, q.GDBAddr, gdbremote.Options{})
	if err != nil {
		return pri, err
	}
	defer cl.Close()
	if err := cl.SetBreakpoint(ctx, gdbremote.BreakSoftware, handler, 2); err != nil {
		return pri, fmt.Errorf("break at UsageFault_Handler: %w", err)
	}
	if err := cl.Continue(ctx); err != nil {
		return pri, err
	}
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cl.WaitStop(runCtx); err != nil {
		return pri, fmt.Errorf("wait for the fault: %w", err)
	}
	if pc, err := cl.ReadRegister(ctx, "pc"); err != nil || pc != handler {
		return pri, fmt.Errorf("stopped at pc 0x%x (%v), not in UsageFault_Handler 0x%x", pc, err, handler)
	}
	for i, addr := range []uint64{timer0IPR, pendSVPri, sysTickPri} {
		b, err := cl.ReadMemory(ctx, addr, 1)
		if err != nil || len(b) != 1 {
			return pri, fmt.Errorf("read priority at 0x%08x: %v", addr, err)
		}
		pri[i] = b[0]
	}
	return pri, nil
}

func symbolAddr(path, name string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value &^ 1, nil
		}
	}
	return 0, fmt.Errorf("%s: no symbol %s", path, name)
}
