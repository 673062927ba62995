package emu_test

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// ledSample reads TIM2 CCR2-4 (red, green, blue) with gdb-multiarch: the
// attach halts QEMU's guest and the detach resumes it.
func ledSample(ctx context.Context, t *testing.T, gdbAddr string) [3]uint32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "gdb-multiarch", "-nx", "-batch",
		"-ex", "set architecture arm", "-ex", "target remote "+gdbAddr,
		"-ex", "x/3xw 0x40000038", "-ex", "detach").CombinedOutput()
	if err != nil {
		t.Fatalf("gdb-multiarch (run scripts/setup.sh if missing): %v\n%s", err, out)
	}
	m := regexp.MustCompile(`0x40000038:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no CCR values in gdb output:\n%s", out)
	}
	var ccr [3]uint32
	for i := range ccr {
		v, _ := strconv.ParseUint(m[i+1], 16, 32)
		ccr[i] = uint32(v)
	}
	return ccr
}

// The buggy image's crash is a Device OS panic: the PANIC line, red SOS on
// the LED (brightness = 1 - CCR/(ARR+1)), then a reset that reports reason
// 130 with the panic code, and the firmware comes back.
func TestBuggyCrashBlinksSOSAndResetsWithPanicReason(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t, 3*time.Minute)
	b := startBench(ctx, t, "webserver")
	if err := b.WiFi().WaitListening(ctx); err != nil {
		t.Fatal(err)
	}
	// Connected: breathing cyan, red dark and green = blue.
	if ccr := ledSample(ctx, t, b.GDBAddr()); ccr[0] != 10000 || ccr[1] != ccr[2] {
		t.Errorf("connected LED CCR2-4 = %v, want red off (10000) and green = blue (cyan)", ccr)
	}

	run := cycleDrops(ctx, t, b, 4, 20, 1, 20*time.Millisecond, reporterCycle, false)
	if run.crashAt == 0 {
		t.Fatalf("no crash in %d drops", run.drops)
	}
	if want := "[hal] PANIC: HardFault"; !b.console.waitFor(ctx, want, 1) {
		t.Fatalf("no %q line", want)
	}
	// During the SOS the LED is red or dark, never green or blue, and red
	// is lit at some point.
	redSeen := false
	for i := 0; i < 12 && !redSeen; i++ {
		ccr := ledSample(ctx, t, b.GDBAddr())
		if ccr[1] != 10000 || ccr[2] != 10000 {
			t.Fatalf("SOS LED CCR2-4 = %v: green or blue lit", ccr)
		}
		redSeen = ccr[0] == 0
		time.Sleep(50 * time.Millisecond)
	}
	if !redSeen {
		t.Error("red never lit during the SOS")
	}
	if want := "[hal] INFO: Last reset reason: 130 (data: 0x01)"; !b.console.waitFor(ctx, want, 1) {
		t.Fatalf("no %q line after the panic", want)
	}
	if err := b.WiFi().WaitListening(ctx); err != nil {
		t.Fatalf("firmware did not come back after the panic reset: %v", err)
	}
	if _, err := getWithin(ctx, b.HTTPAddr(), 5*time.Second); err != nil {
		t.Errorf("GET after the panic reset: %v", err)
	}
}
