package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// These tests check that a capture file is useful to stock gdb: opened as
// a core (`gdb app.elf crash.core`) and, through `faultline serve`, over
// the remote protocol. gdb's bt must name the functions faultline's report
// names.

// gdbLabCase is a crash-lab program and what gdb can do with its capture.
type gdbLabCase struct {
	prog string
	// pspFrame: the crash unwinds through an exception frame stacked on
	// the process stack. gdb 13 cannot unwind it from a core (that needs
	// psp, which NT_PRSTATUS has no slot for; capture/doc.go), so from the
	// core bt shows the frames up to there and from `serve` all of them.
	pspFrame bool
}

var gdbLabCases = []gdbLabCase{
	{prog: "divzero"},
	{prog: "badfnptr"},
	{prog: "isr_psp", pspFrame: true},
}

// labCapture is one crash-lab program caught by `faultline capture`.
type labCapture struct {
	elf, core string
	rep       report.Report
}

// captureLab boots prog halted in QEMU, catches its crash with
// `capture --once --json` and returns the capture file and the report.
func captureLab(t *testing.T, ctx context.Context, board, prog string) labCapture {
	t.Helper()
	elf, q := bootLab(t, ctx, board, prog)
	dir := t.TempDir()
	r := runFaultline(t, ctx, dir, "", "capture", "--gdb", q.GDBAddr, "--elf", elf,
		"--board", board, "--once", "--json", "--timeout", "30s")
	if r.code != 0 {
		t.Fatalf("capture exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("capture --json: %v\n%s", err, r.stdout)
	}
	m := regexp.MustCompile(`capture saved to (\S+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no capture path on stderr:\n%s", r.stderr)
	}
	core := m[1]
	if !filepath.IsAbs(core) {
		core = filepath.Join(dir, core)
	}
	return labCapture{elf: elf, core: core, rep: rep}
}

// runGDB runs gdb-multiarch -batch -nx with args and returns what it
// printed. gdb runs in its own process group, killed on timeout.
func runGDB(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	gdb, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		t.Fatalf("gdb-multiarch not found (%v): run scripts/setup.sh to install the test tools", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, append([]string{"-batch", "-nx"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gdb timed out: %v\n%s", ctx.Err(), out)
	}
	if err != nil {
		t.Fatalf("gdb %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// gdbFrameLine matches one line of gdb's bt: "#2  0x080000ec in f (..." or
// "#0  f (..." or "#1  <signal handler called>".
var gdbFrameLine = regexp.MustCompile(`(?m)^#(\d+)\s+(?:0x[0-9a-f]+ in )?(<signal handler called>|[^ (]+)`)

// gdbBacktrace returns the function names of gdb's last bt in out (loading
// a core prints frame #0 once before bt does), innermost first, with
// "<signal handler called>" kept as it is.
func gdbBacktrace(out string) []string {
	var names []string
	for _, m := range gdbFrameLine.FindAllStringSubmatch(out, -1) {
		if m[1] == "0" {
			names = names[:0]
		}
		names = append(names, m[2])
	}
	return names
}

// comparableFrames turns gdb's bt into the report's convention: no fault
// handler frame (frame 0 when frame 1 is the exception entry) and no
// exception-entry markers.
func comparableFrames(bt []string) []string {
	const marker = "<signal handler called>"
	if len(bt) >= 2 && bt[1] == marker {
		bt = bt[2:]
	}
	var out []string
	for _, f := range bt {
		if f != marker {
			out = append(out, f)
		}
	}
	return out
}

// reportFunctions is the report's frames up to main: gdb stops there
// ("backtrace past-main" is off), the report goes on to Reset_Handler.
func reportFunctions(rep *report.Report) []string {
	var out []string
	for _, f := range rep.Frames {
		out = append(out, f.Function)
		if f.Function == "main" {
			break
		}
	}
	return out
}

// TestGDBOpensCaptureAsCore: `gdb-multiarch app.elf crash.core` shows the
// crash: bt names the report's functions, info registers and x work.
func TestGDBOpensCaptureAsCore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range gdbLabCases {
		t.Run(tc.prog, func(t *testing.T) {
			t.Parallel()
			lc := captureLab(t, ctx, "netduino2", tc.prog)
			out := runGDB(t, ctx, lc.elf, lc.core, "-ex", "bt", "-ex", "info registers", "-ex", "x/4xw $sp")
			got := comparableFrames(gdbBacktrace(out))
			want := reportFunctions(&lc.rep)
			if len(want) < 2 {
				t.Fatalf("report has too few frames to compare: %q", want)
			}
			if tc.pspFrame {
				// gdb stops at the process-stack exception frame and says
				// why; what it shows must still agree with the report.
				if !strings.Contains(out, "Could not fetch required XPSR content") {
					t.Errorf("gdb unwound past the PSP frame from a core; update capture/doc.go and this test:\n%s", out)
				}
				if len(got) < 2 || len(got) >= len(want) || !slices.Equal(got, want[:len(got)]) {
					t.Errorf("gdb bt %q is not a proper prefix of the report's frames %q\n%s", got, want, out)
				}
			} else if !slices.Equal(got, want) {
				t.Errorf("gdb bt names %q, report frames %q\n%s", got, want, out)
			}
			// The core holds the registers as captured (the handler's
			// entry); the report's are the faulting context's.
			snap, err := capture.Read(lc.core)
			if err != nil {
				t.Fatal(err)
			}
			spv, ok := snap.Registers["sp"]
			if !ok {
				t.Fatal("capture has no sp")
			}
			sp := fmt.Sprintf("%#x", spv)
			if !regexp.MustCompile(`(?m)^sp\s+` + regexp.QuoteMeta(strings.ToLower(trimHexZeros(sp))) + `\s`).MatchString(out) {
				t.Errorf("info registers does not show sp = %s:\n%s", sp, out)
			}
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(trimHexZeros(sp)) + `(?: <[^>]*>)?:\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}`).MatchString(out) {
				t.Errorf("x/4xw $sp shows no words at %s:\n%s", sp, out)
			}
			if strings.Contains(out, "Cannot access memory") {
				t.Errorf("gdb could not read captured memory:\n%s", out)
			}
		})
	}
}

// trimHexZeros turns the report's "0x2001ffc8" / "0x0800020c" into gdb's
// spelling, which drops leading zeros.
func trimHexZeros(h string) string {
	s := strings.TrimLeft(strings.TrimPrefix(strings.ToLower(h), "0x"), "0")
	if s == "" {
		s = "0"
	}
	return "0x" + s
}
