package freertos

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware/internal/gdbcompare"
	"github.com/faultline-dev/faultline/gdbremote"
)

// nvicISPR0 is the NVIC's set-pending register for IRQs 0-31: writing
// TIMER0's bit makes its interrupt pending as the timer would.
const (
	nvicISPR0  = 0xe000e200
	timer0Bit  = 1 << 8 // TIMER0_IRQn
	maxSteps   = 400    // sensor_recalibrate's entry to the divisor store, vTaskSuspendAll included
	settleFunc = "sensor_settle"
)

// TestTimerPendingRightAfterTheDivisorIsZeroedStillFaultsInSensorSettle
// makes TIMER0's interrupt pending at the worst moment for the isr bug:
// the instruction right after sensor_recalibrate zeroes cal.divisor,
// before it calls sensor_settle. QEMU takes interrupts between translated
// blocks, so a loaded host can deliver the timer there; expected.json's
// chain (and the CI runs, where gdb and faultline boot separately) needs
// the faulting conversion to interrupt sensor_settle whatever the timing.
// The interrupt frame crunch's PSP holds at the fault must be in
// sensor_settle (inlined at -O2), not in sensor_recalibrate. (At -O2 the
// instruction after the store already belongs to the inlined
// sensor_settle; -O0 and -Os still have the bl to it there.)
func TestTimerPendingRightAfterTheDivisorIsZeroedStillFaultsInSensorSettle(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc", "qemu-system-arm")
	if testing.Short() {
		t.Skip("boots QEMU")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	for _, variant := range []string{"isr-O0", "isr-Os", "isr-O2", "isr-Os" + M4FSuffix} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			path, err := ELF(ctx, variant)
			if err != nil {
				t.Fatal(err)
			}
			im, err := elfsym.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			pended, interrupted, err := pendTimerAfterDivisorZeroed(ctx, variant, path, im)
			if err != nil {
				t.Fatal(err)
			}
			if fn := innermost(im, interrupted); fn != settleFunc {
				t.Errorf("TIMER0 pended at 0x%x (%s): the faulting conversion interrupted crunch at 0x%x in %s, want %s",
					pended, innermost(im, pended), interrupted, fn, settleFunc)
			}
		})
	}
}

// innermost names the innermost (inlined included) function at pc.
func innermost(im *elfsym.Image, pc uint64) string {
	if fr := im.Frames(pc); len(fr) > 0 {
		return fr[0].Function
	}
	return "??"
}

// pendTimerAfterDivisorZeroed boots variant, stops at sensor_recalibrate,
// single-steps until cal.divisor reads 0, makes TIMER0 pending there and
// runs to the UsageFault handler. It returns the PC where the interrupt
// was pended and the PC of crunch's interrupted frame at the fault (the
// hardware frame at PSP: the ISR ran on MSP).
func pendTimerAfterDivisorZeroed(ctx context.Context, variant, path string, im *elfsym.Image) (pended, interrupted uint64, err error) {
	sym := func(name string) (uint64, error) {
		s, ok := im.LookupSymbol(name)
		if !ok {
			return 0, fmt.Errorf("%s: no symbol %s", path, name)
		}
		return s.Addr, nil
	}
	recal, err := sym("sensor_recalibrate")
	if err != nil {
		return 0, 0, err
	}
	cal, err := sym("cal") // divisor is its first word
	if err != nil {
		return 0, 0, err
	}
	handler, err := sym("UsageFault_Handler")
	if err != nil {
		return 0, 0, err
	}
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: MachineFor(variant), Kernel: path, Halted: true, Serials: []string{"null"}})
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = q.Stop() }()
	cl, err := gdbremote.Dial(ctx, q.GDBAddr, gdbremote.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	run := func(what string) error {
		if err := cl.Continue(runCtx); err != nil {
			return fmt.Errorf("continue to %s: %w", what, err)
		}
		if _, err := cl.WaitStop(runCtx); err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		return nil
	}

	if err := cl.SetBreakpoint(ctx, gdbremote.BreakSoftware, recal, 2); err != nil {
		return 0, 0, fmt.Errorf("break at sensor_recalibrate: %w", err)
	}
	if err := run("sensor_recalibrate"); err != nil {
		return 0, 0, err
	}
	if err := cl.ClearBreakpoint(ctx, gdbremote.BreakSoftware, recal, 2); err != nil {
		return 0, 0, err
	}
	// QEMU's gdbstub steps with interrupts and timers held off, so only
	// the pend below can interrupt the stepped instructions.
	for i := 0; ; i++ {
		b, err := cl.ReadMemory(ctx, cal, 4)
		if err != nil || len(b) != 4 {
			return 0, 0, fmt.Errorf("read cal.divisor: %v", err)
		}
		if binary.LittleEndian.Uint32(b) == 0 {
			break
		}
		if i == maxSteps {
			return 0, 0, fmt.Errorf("cal.divisor still not 0 after %d steps from sensor_recalibrate", maxSteps)
		}
		if _, err := cl.Step(ctx); err != nil {
			return 0, 0, fmt.Errorf("step: %w", err)
		}
	}
	if pended, err = cl.ReadRegister(ctx, "pc"); err != nil {
		return 0, 0, err
	}
	var pend [4]byte
	binary.LittleEndian.PutUint32(pend[:], timer0Bit)
	if err := cl.WriteMemory(ctx, nvicISPR0, pend[:]); err != nil {
		return 0, 0, fmt.Errorf("pend TIMER0: %w", err)
	}
	if err := cl.SetBreakpoint(ctx, gdbremote.BreakSoftware, handler, 2); err != nil {
		return 0, 0, fmt.Errorf("break at UsageFault_Handler: %w", err)
	}
	if err := run("the fault"); err != nil {
		return 0, 0, err
	}
	if pc, err := cl.ReadRegister(ctx, "pc"); err != nil || pc != handler {
		return 0, 0, fmt.Errorf("stopped at pc 0x%x (%v), not in UsageFault_Handler 0x%x", pc, err, handler)
	}
	psp, err := cl.ReadRegister(ctx, "psp")
	if err != nil {
		return 0, 0, err
	}
	b, err := cl.ReadMemory(ctx, psp+24, 4) // the stacked PC of crunch's basic frame
	if err != nil || len(b) != 4 {
		return 0, 0, fmt.Errorf("read crunch's stacked pc at 0x%x: %v", psp+24, err)
	}
	return pended, uint64(binary.LittleEndian.Uint32(b)), nil
}
