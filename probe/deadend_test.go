package probe

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/firmware/deadendlab"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// deadEndImage is a dead-end lab program (nl_assert gcc-O2: its vector
// table's handlers are all Default_Handler, and it defines __assert_func,
// abort and _exit). The fake serves its first 4 KiB at 0 (the table and
// the code) and RAM; the core sits at Reset_Handler.
func deadEndImage(t *testing.T, program, variant string) (*elfsym.Image, rsptest.State) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	elf, err := deadendlab.ELF(ctx, program, variant)
	if err != nil {
		t.Fatal(err)
	}
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	flash := make([]byte, 0x1000)
	if n, _ := img.ReadMemory(flash, 0); n == 0 {
		t.Fatal("nothing at 0 in the image")
	}
	reset, ok := img.LookupSymbol("Reset_Handler")
	if !ok {
		t.Fatal("no Reset_Handler")
	}
	return img, rsptest.State{
		Regs: map[string]uint64{"pc": reset.Addr, "sp": 0x20000f00, "msp": 0x20000f00, "xpsr": 0x01000000},
		Memory: []rsptest.Region{
			{Addr: 0, Data: flash},
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
		},
	}
}

func funcAddr(t *testing.T, img *elfsym.Image, name string) uint64 {
	t.Helper()
	s, ok := img.LookupSymbol(name)
	if !ok {
		t.Fatalf("no %s in the image", name)
	}
	return s.Addr
}

// TestDeadEndsTakeWhatTheServerGrants: a server that refuses breakpoints
// after two still gets fault catching armed first (a handler breakpoint
// on QEMU, vector catch on OpenOCD), then the dead ends in priority order,
// __assert_func first; the timeline names those armed and those refused,
// and the capture goes on: a stop at __assert_func's entry is a dead-end
// crash.
func TestDeadEndsTakeWhatTheServerGrants(t *testing.T) {
	img, st := deadEndImage(t, "nl_assert", "gcc-O2")
	handler := funcAddr(t, img, "Default_Handler")
	// newlib's assert.o defines __assert next to __assert_func: second.
	assertFn, assert2 := funcAddr(t, img, "__assert_func"), funcAddr(t, img, "__assert")
	tests := []struct {
		name    string
		listen  func(t *testing.T, cfg rsptest.Config) (*rsptest.Fake, string)
		armed   []uint64 // breakpoints set, besides the fault catch's
		refused []string
	}{
		{"qemu", func(t *testing.T, cfg rsptest.Config) (*rsptest.Fake, string) { return rsptest.ListenQEMU(t, cfg) },
			[]uint64{handler, assertFn}, []string{"__assert()", "abort()", "_exit()"}},
		{"openocd", func(t *testing.T, cfg rsptest.Config) (*rsptest.Fake, string) { return rsptest.ListenOpenOCD(t, cfg) },
			[]uint64{assertFn, assert2}, []string{"abort()", "_exit()"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hit := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T05",
				Regs: map[string]uint64{"pc": assertFn, "lr": funcAddr(t, img, "sensor_scale") + 0x11, "xpsr": 0x01000000}}
			fk, addr := tc.listen(t, rsptest.Config{State: st, Script: []rsptest.Run{hit}, MaxBreakpoints: 2})
			sess, c := firstCrash(t, addr, TargetOptions{Image: img})
			if got := c.Snapshot.Meta.Trigger; got.Kind != "dead-end" || got.Detail != fmt.Sprintf("__assert_func() entered at 0x%08x", assertFn) {
				t.Errorf("trigger %+v, want dead-end at __assert_func", got)
			}
			bps := strings.Join(fk.Breakpoints(), " ")
			for _, a := range tc.armed {
				if !strings.Contains(bps, fmt.Sprintf(",%x,", a)) {
					t.Errorf("no breakpoint at 0x%x: %s", a, bps)
				}
			}
			if tc.name == "openocd" && !strings.Contains(strings.Join(fk.Requests(), " "), "qRcmd") {
				t.Error("vector catch not armed on OpenOCD")
			}
			var armedLine, refusedLine string
			for _, e := range sess.Timeline().Events() {
				if strings.HasPrefix(e.Text, "armed dead-end breakpoints on ") {
					armedLine = e.Text
				}
				if strings.Contains(e.Text, "refused") {
					refusedLine = e.Text
				}
			}
			if !strings.Contains(armedLine, "__assert_func()") {
				t.Errorf("timeline does not say __assert_func was armed: %q", armedLine)
			}
			for _, r := range tc.refused {
				if !strings.Contains(refusedLine, r) || strings.Contains(armedLine, r) {
					t.Errorf("timeline does not say %s was refused: armed %q, refused %q", r, armedLine, refusedLine)
				}
			}
		})
	}
}

// TestDeadEndEnteredFromAnotherIsTheSameCrash: abort entered from
// __assert_func (both armed) is the death already caught at
// __assert_func, and a dead end entered inside a fault handler (a handler
// ending in abort, Zephyr's fatal path) is the fault already caught at the
// handler's entry: the session steps off and resumes, says why, and the
// next real crash is the one delivered.
func TestDeadEndEnteredFromAnotherIsTheSameCrash(t *testing.T) {
	img, st := deadEndImage(t, "nl_assert", "gcc-O2")
	assertFn, abortFn := funcAddr(t, img, "__assert_func"), funcAddr(t, img, "abort")
	tests := []struct {
		name string
		regs map[string]uint64
		says string
	}{
		{"from another armed one", map[string]uint64{"pc": abortFn, "lr": assertFn + 0x21, "xpsr": 0x01000000},
			"abort() entered from __assert_func(), already caught there"},
		{"inside a fault handler", map[string]uint64{"pc": assertFn, "lr": funcAddr(t, img, "sensor_scale") + 0x11, "xpsr": 0x01000003},
			"__assert_func() entered inside the HardFault handler, already caught there"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			again := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T05", Regs: tc.regs}
			step := rsptest.Run{Stop: "T05", Regs: map[string]uint64{"xpsr": 0x01000000}}
			crash := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T05",
				Regs: map[string]uint64{"pc": funcAddr(t, img, "Default_Handler"), "xpsr": 0x01000003, "lr": 0xfffffff9}}
			_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st, Script: []rsptest.Run{again, step, crash}})
			sess, c := firstCrash(t, addr, TargetOptions{Image: img})
			if got := c.Snapshot.Meta.Trigger; got.Kind != "fault-handler" {
				t.Errorf("trigger %+v, want the fault after the skipped dead end", got)
			}
			said := false
			for _, e := range sess.Timeline().Events() {
				said = said || strings.Contains(e.Text, tc.says)
			}
			if !said {
				t.Errorf("the timeline does not say %q", tc.says)
			}
		})
	}
}

// TestHaltedOnABranchToItselfWithInterruptsMaskedIsADeadEnd: a target
// found on "b ." with PRIMASK set (CubeMX's Error_Handler inlined) is
// captured as it is, and so is one in an interrupt handler (an unhandled
// IRQ's Default_Handler); the same loop in thread mode with interrupts on
// (an idle loop whose work is in interrupts) is resumed with catching
// armed.
func TestHaltedOnABranchToItselfWithInterruptsMaskedIsADeadEnd(t *testing.T) {
	tests := []struct {
		name    string
		primask uint64
		basepri uint64
		xpsr    uint64
		dead    string // what the trigger says; "" for none
	}{
		{"primask", 1, 0, 0x01000000, "with interrupts masked (PRIMASK=1)"},
		{"basepri", 0, 0x50, 0x01000000, "with interrupts masked (BASEPRI=80)"},
		{"interrupts on", 0, 0, 0x01000000, ""},
		// An unhandled interrupt spinning in Default_Handler.
		{"in an interrupt handler", 0, 0, 0x01000010, "in the handler of IRQ 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := runningCortexM(0x08000200)
			const loop = 0x08000300
			st.Memory = append(st.Memory, rsptest.Region{Addr: loop, Data: []byte{0xfe, 0xe7, 0x00, 0xbf}})
			st.Regs["pc"], st.Regs["primask"], st.Regs["basepri"], st.Regs["xpsr"] = loop, tc.primask, tc.basepri, tc.xpsr
			_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := StartSession(ctx, SessionOptions{Target: &TargetOptions{Addr: addr, Board: testBoard}})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			if tc.dead == "" {
				if got := sess.Status().Target; got != StatusRunning {
					t.Errorf("target %s, want running", got)
				}
				return
			}
			select {
			case c := <-sess.Crashes():
				got := c.Snapshot.Meta.Trigger
				if got.Kind != "dead-end" || !strings.Contains(got.Detail, "found halted") || !strings.Contains(got.Detail, "branch to itself "+tc.dead) {
					t.Errorf("trigger %+v, want dead-end found halted on a branch to itself %s", got, tc.dead)
				}
			case <-ctx.Done():
				t.Fatal("no crash delivered")
			}
		})
	}
}

// TestResumeFromAMaskedLoopLiftsItsBreakpoint: a session that resumes
// after each crash (capture without --once) cannot step off a "b .": the
// loop's breakpoint is lifted, saying so, so the resume does not stop on
// it again and again, and the next stop is a new crash.
func TestResumeFromAMaskedLoopLiftsItsBreakpoint(t *testing.T) {
	t.Parallel()
	img, st := deadEndImage(t, "cube_error", "gcc-O2")
	fn := funcAddr(t, img, "MX_USART2_UART_Init")
	code := make([]byte, 64)
	img.ReadMemory(code, fn)
	i := strings.Index(string(code), "\x72\xb6\xfe\xe7")
	if i < 0 {
		t.Fatal("no cpsid i; b . in MX_USART2_UART_Init")
	}
	loop := fn + uint64(i) + 2
	hit := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T05", Regs: map[string]uint64{"pc": loop, "primask": 1}}
	step := rsptest.Run{Stop: "T05"} // a step of "b ." stays there
	fault := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T05",
		Regs: map[string]uint64{"pc": funcAddr(t, img, "Default_Handler"), "xpsr": 0x01000003, "lr": 0xfffffff9}}
	fk, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st, Script: []rsptest.Run{hit, step, fault}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := StartSession(ctx, SessionOptions{Resume: true, Target: &TargetOptions{Addr: addr, Board: testBoard, Image: img}})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var kinds []string
	for len(kinds) < 2 {
		select {
		case c := <-sess.Crashes():
			kinds = append(kinds, c.Snapshot.Meta.Trigger.Kind)
		case <-ctx.Done():
			t.Fatalf("crashes %v, want a dead end then a fault", kinds)
		}
	}
	if fmt.Sprint(kinds) != "[dead-end fault-handler]" {
		t.Errorf("crashes %v, want [dead-end fault-handler]", kinds)
	}
	if strings.Contains(strings.Join(fk.Breakpoints(), " "), fmt.Sprintf(",%x,", loop)) {
		t.Error("the loop's breakpoint is still set")
	}
	said := false
	for _, e := range sess.Timeline().Events() {
		said = said || strings.Contains(e.Text, fmt.Sprintf("the loop at 0x%08x in MX_USART2_UART_Init() (Error_Handler() inlined) is never left", loop))
	}
	if !said {
		t.Error("the timeline does not say the loop's breakpoint was lifted")
	}
}

// A stop outside the firmware's code is a crash, whoever halted the core:
// a wild jump need not fault (QEMU runs unmapped memory as zeros), and the
// bundled firmware's call through a freed client sometimes lands so, the
// demo then showing a silent console and "RUNNING" until it timed out. The
// same stop inside the code is resumed, as before.
func TestAStopOutsideTheCodeIsAWildJump(t *testing.T) {
	img, st := deadEndImage(t, "nl_assert", "gcc-O2")
	caller := funcAddr(t, img, "sensor_scale")
	const wild = 0x26f6ae4e
	inCode := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T02",
		Regs: map[string]uint64{"pc": caller + 4, "xpsr": 0x01000000}}
	away := rsptest.Run{Delay: 20 * time.Millisecond, Stop: "T02",
		Regs: map[string]uint64{"pc": wild, "lr": caller + 0x11, "xpsr": 0x01000000}}
	_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st, Script: []rsptest.Run{inCode, away}})
	_, c := firstCrash(t, addr, TargetOptions{Image: img})
	want := fmt.Sprintf("PC 0x%08x is not in the firmware's code: a wild jump that has not faulted", wild)
	if got := c.Snapshot.Meta.Trigger; got.Kind != "dead-end" || got.Detail != want {
		t.Errorf("trigger %+v, want dead-end %q", got, want)
	}
	if pc := c.Snapshot.Registers["pc"]; pc != wild {
		t.Errorf("captured pc 0x%08x, want the wild 0x%08x (the stop inside the code was resumed)", pc, wild)
	}
}
