package main

import (
	"bufio"
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServe runs `faultline serve core --port 0` and returns the port it
// listens on; the server is stopped with SIGINT at the end of the test,
// which must end it with exit 0.
func startServe(t *testing.T, core, elf string) string {
	t.Helper()
	cmd := exec.Command(faultlineBin, "serve", core, "--elf", elf, "--port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var log []string
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() {
			for l := range lines {
				log = append(log, l)
			}
			done <- cmd.Wait()
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not end cleanly on SIGINT: %v\n%s", err, strings.Join(log, "\n"))
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve ignored SIGINT")
		}
	})
	re := regexp.MustCompile(`^faultline: listening on 127\.0\.0\.1:(\d+); connect with: arm-none-eabi-gdb \S+ -ex 'target remote :(\d+)'$`)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before listening: %s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if m := re.FindStringSubmatch(l); m != nil {
				if m[1] != m[2] {
					t.Fatalf("listening line names two ports: %s", l)
				}
				return m[1]
			}
		case <-timeout:
			t.Fatalf("serve printed no listening line: %s", strings.Join(log, "\n"))
		}
	}
}

// TestServeGivesGDBTheWholeBacktrace: stock gdb attached to `faultline
// serve` with target remote names every function of the report, also past
// an exception frame on the process stack (which a core cannot give it),
// and may not change the capture.
func TestServeGivesGDBTheWholeBacktrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range gdbLabCases {
		t.Run(tc.prog, func(t *testing.T) {
			t.Parallel()
			lc := captureLab(t, ctx, "netduino2", tc.prog)
			port := startServe(t, lc.core, lc.elf)
			out := runGDB(t, ctx, lc.elf, "-ex", "target remote :"+port, "-ex", "bt",
				"-ex", "info registers", "-ex", "x/4xw $sp",
				"-ex", "set var $before = *(unsigned int *)$sp",
				"-ex", "set {unsigned int}$sp = 0x12345678",
				"-ex", "set $r0 = 0x55",
				"-ex", "continue",
				"-ex", "printf \"after %#x %#x\\n\", *(unsigned int *)$sp, $before")
			got := comparableFrames(gdbBacktrace(out))
			want := reportFunctions(&lc.rep)
			if !slices.Equal(got, want) {
				t.Errorf("gdb bt over serve names %q, report frames %q\n%s", got, want, out)
			}
			if !regexp.MustCompile(`(?m)^psp\s+0x[0-9a-f]+`).MatchString(out) {
				t.Errorf("info registers shows no psp:\n%s", out)
			}
			if !strings.Contains(out, "Cannot access memory at address") {
				t.Errorf("memory write not refused:\n%s", out)
			}
			if !strings.Contains(out, `Could not write register "r0"; remote failure reply 'E01'`) {
				t.Errorf("register write not refused:\n%s", out)
			}
			if !strings.Contains(out, "cannot run, step or be written") || !strings.Contains(out, "Remote failure reply: E01") {
				t.Errorf("continue not refused with a message:\n%s", out)
			}
			m := regexp.MustCompile(`after (0x[0-9a-f]+|0) (0x[0-9a-f]+|0)`).FindStringSubmatch(out)
			if m == nil || m[1] != m[2] {
				t.Errorf("memory changed under gdb (after, before): %v\n%s", m, out)
			}
		})
	}
}
