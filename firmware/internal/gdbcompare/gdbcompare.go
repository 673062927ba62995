package gdbcompare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// A Program is one firmware image to crash in QEMU.
type Program struct {
	Machine string   // QEMU -M: mps2-an385, mps2-an505, microbit, netduino2
	ELF     string   // absolute path
	Board   string   // faultline --board; "" = "generic"
	Extra   []string // extra `faultline capture` flags (e.g. "--mem", "0x28000000:64K")
	// StopAt names extra functions gdb breaks on besides the ELF's fault
	// handlers (from its vector table), e.g. a RAM vector table's HardFault
	// handler, or "*0xADDR" for an address inside one.
	StopAt []string
	// CaptureDir keeps Faultline's capture file there (--dir); "" writes
	// it to a temporary directory removed afterwards.
	CaptureDir string
}

// Timeouts: one run of gdb or faultline, QEMU's start included.
const (
	gdbTimeout       = 60 * time.Second
	faultlineTimeout = 60 * time.Second
)

// A GDBResult is what stock gdb saw when the program stopped in a fault
// handler.
type GDBResult struct {
	// Frames are bt's function names innermost first, without the handler
	// frame and without "<signal handler called>"; "??" for unknown.
	Frames []string
	// Handler is the function gdb stopped in.
	Handler string
	// CFSR and HFSR as gdb read them at the stop; ok false where the core
	// has none (ARMv6-M) or the read failed.
	CFSR, HFSR uint32
	FaultRegs  bool
	// Raw is gdb's whole output, for logs.
	Raw string
}

// GDB boots p halted in QEMU, lets stock gdb-multiarch continue to the first
// fault handler breakpoint, and returns its bt: function names innermost
// first with the handler frame and "<signal handler called>" removed, plus
// gdb's raw output for logs. Bounded by ctx and a 60 s timeout.
func GDB(ctx context.Context, p Program) (frames []string, raw string, err error) {
	r, err := RunGDB(ctx, p)
	if r == nil {
		return nil, "", err
	}
	return r.Frames, r.Raw, err
}

var (
	stopLine  = regexp.MustCompile(`(?m)^Breakpoint \d+(?:\.\d+)?, (?:0x[0-9a-f]+ in )?(\S+) \(`)
	regsLine  = regexp.MustCompile(`(?m)^FAULTREGS CFSR=([0-9a-f]{8}) HFSR=([0-9a-f]{8})$`)
	frameLine = regexp.MustCompile(`(?m)^#(\d+)\s+(?:0x[0-9a-f]+ in )?(.*)$`)
)

// RunGDB is GDB with everything gdb printed decoded. A non-nil result comes
// with a nil error, or with the error and the raw output so far.
func RunGDB(ctx context.Context, p Program) (*GDBResult, error) {
	if _, err := exec.LookPath("gdb-multiarch"); err != nil {
		return nil, fmt.Errorf("gdb: gdb-multiarch not found on PATH: run scripts/setup.sh")
	}
	st, err := stops(p.ELF, p.StopAt)
	if err != nil {
		return nil, fmt.Errorf("gdb: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, gdbTimeout)
	defer cancel()
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: p.Machine, Kernel: p.ELF, Halted: true, Serials: []string{"null"}})
	if err != nil {
		return nil, fmt.Errorf("gdb: %w", err)
	}
	defer func() { _ = q.Stop() }()

	args := []string{"-q", "-nx", "-batch", p.ELF,
		"-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off",
		"-ex", "target remote " + q.GDBAddr}
	for _, s := range st {
		args = append(args, "-ex", fmt.Sprintf("break *%#x", s.addr))
	}
	// The fault registers come last: on a core without them the read fails
	// and gdb goes on to the next command anyway.
	args = append(args, "-ex", "continue", "-ex", "bt",
		"-ex", `printf "FAULTREGS CFSR=%08x HFSR=%08x\n", *(unsigned*)0xE000ED28, *(unsigned*)0xE000ED2C`)
	cmd := exec.CommandContext(ctx, "gdb-multiarch", args...)
	cmd.WaitDelay = 2 * time.Second
	out, runErr := cmd.CombinedOutput()
	r := &GDBResult{Raw: string(out)}
	if runErr != nil && ctx.Err() != nil {
		return r, fmt.Errorf("gdb: no fault handler reached within %v: %w", gdbTimeout, ctx.Err())
	}
	m := stopLine.FindStringSubmatch(r.Raw)
	if m == nil {
		return r, fmt.Errorf("gdb did not stop in a fault handler (%s)", names(st))
	}
	r.Handler = m[1]
	r.Frames = parseBT(r.Raw)
	if rm := regsLine.FindStringSubmatch(r.Raw); rm != nil {
		c, _ := strconv.ParseUint(rm[1], 16, 32)
		h, _ := strconv.ParseUint(rm[2], 16, 32)
		r.CFSR, r.HFSR, r.FaultRegs = uint32(c), uint32(h), true
	}
	return r, nil
}

func names(st []stop) string {
	var s []string
	for _, x := range st {
		s = append(s, fmt.Sprintf("%s at %#x", x.name, x.addr))
	}
	return strings.Join(s, ", ")
}

// parseBT turns gdb's bt into function names innermost first, dropping
// frame #0 (the handler gdb stopped in) and every "<signal handler called>".
func parseBT(out string) []string {
	var frames []string
	for _, m := range frameLine.FindAllStringSubmatch(out, -1) {
		if m[1] == "0" {
			frames = frames[:0] // a second bt would start over; keep the last
			continue
		}
		rest := strings.TrimSpace(m[2])
		if strings.HasPrefix(rest, "<signal handler called>") {
			continue
		}
		frames = append(frames, btName(rest))
	}
	return frames
}

// btName is the function name of a bt line's "name (args) at file:line"
// or "name (args) from lib". The name may hold parentheses
// ("(anonymous namespace)::f", "operator()") and, inside template
// arguments, " (" ("std::function<void (int)>::operator()").
func btName(rest string) string {
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ' ':
			if depth == 0 && i > 0 && strings.HasPrefix(rest[i:], " (") {
				return rest[:i]
			}
		}
	}
	return rest
}

// Faultline boots p halted in a fresh QEMU and runs `faultline capture --gdb
// ADDR --elf ELF --board B --once --json --timeout 30s` (plus p.Extra)
// against it, returning the decoded report and stderr.
func Faultline(ctx context.Context, p Program) (rep *report.Report, stderr string, err error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, faultlineTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "gdbcompare-capture-")
	if err != nil {
		return nil, "", fmt.Errorf("faultline: %w", err)
	}
	defer os.RemoveAll(dir)
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: p.Machine, Kernel: p.ELF, Halted: true, Serials: []string{"null"}})
	if err != nil {
		return nil, "", fmt.Errorf("faultline: %w", err)
	}
	defer func() { _ = q.Stop() }()

	board := p.Board
	if board == "" {
		board = "generic"
	}
	args := []string{"capture", "--gdb", q.GDBAddr, "--elf", p.ELF, "--board", board,
		"--once", "--json", "--timeout", "30s", "--dir", captureDir(p, dir)}
	args = append(args, p.Extra...)
	env, err := runEnv()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 2 * time.Second
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	runErr := cmd.Run()
	stderr = se.String()
	if runErr != nil {
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			return nil, stderr, fmt.Errorf("faultline capture: exit %d", ee.ExitCode())
		}
		return nil, stderr, fmt.Errorf("faultline capture: %w", runErr)
	}
	rep = new(report.Report)
	if err := json.Unmarshal(so.Bytes(), rep); err != nil {
		return nil, stderr, fmt.Errorf("faultline capture: stdout is not one report: %w", err)
	}
	return rep, stderr, nil
}

func captureDir(p Program, tmp string) string {
	if p.CaptureDir != "" {
		return p.CaptureDir
	}
	return filepath.Join(tmp, "crashes")
}

// Analyze runs `faultline analyze --json --elf ELF CAPTURE` and returns the
// decoded report.
func Analyze(ctx context.Context, elf, capturePath string) (*report.Report, error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, faultlineTimeout)
	defer cancel()
	env, err := runEnv()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "analyze", "--json", "--elf", elf, capturePath)
	cmd.Env = env
	cmd.WaitDelay = 2 * time.Second
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("faultline analyze: %w\n%s", err, se.String())
	}
	rep := new(report.Report)
	if err := json.Unmarshal(so.Bytes(), rep); err != nil {
		return nil, fmt.Errorf("faultline analyze: stdout is not one report: %w", err)
	}
	return rep, nil
}

// Names reduces a report's frames to function names innermost first as
// gdb's bt prints them: no parameter lists, inlined frames included, "??"
// for unknown.
func Names(rep *report.Report) []string {
	if rep == nil {
		return nil
	}
	out := make([]string, 0, len(rep.Frames))
	for _, f := range rep.Frames {
		out = append(out, BareName(f.Function))
	}
	return out
}

// BareName strips a demangled C++ name's parameter list and qualifiers
// ("net::Server::close(int) const" -> "net::Server::close") and the return
// type the demangler prints for a template instance ("bool f<int>(int)" ->
// "f<int>"), none of which gdb's bt prints; "" becomes "??".
func BareName(fn string) string {
	fn = strings.TrimSpace(fn)
	if fn == "" {
		return "??"
	}
	return withoutReturnType(withoutParams(fn))
}

func withoutParams(fn string) string {
	for _, q := range []string{" const", " volatile", " &&", " &"} {
		fn = strings.TrimSuffix(fn, q)
	}
	if !strings.HasSuffix(fn, ")") {
		return fn
	}
	// The parameter list is the last balanced (...) group.
	depth := 0
	for i := len(fn) - 1; i >= 0; i-- {
		switch fn[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				if i == 0 || strings.HasSuffix(fn[:i], "operator") {
					// "(anonymous namespace)" alone, or the "()" of
					// an operator() named without its parameters.
					return fn
				}
				return fn[:i]
			}
		}
	}
	return fn
}

// withoutReturnType drops what precedes the name's last space outside
// <>, () and {} ("sched::Task* std::f<int>" -> "std::f<int>"), unless the
// name is an operator whose name holds a space (operator new, operator
// unsigned int).
func withoutReturnType(fn string) string {
	if strings.Contains(fn, "operator ") {
		return fn
	}
	depth := 0
	for i := len(fn) - 1; i > 0; i-- {
		switch fn[i] {
		case '>', ')', '}':
			depth++
		case '<', '(', '{':
			depth--
		case ' ':
			if depth == 0 {
				return fn[i+1:]
			}
		}
	}
	return fn
}

// NeedTools fails t unless QEMU, gdb-multiarch and every tool in extra are
// on PATH: CI has them all (scripts/setup.sh installs them), so a missing
// one is a broken machine, not a reason to skip.
func NeedTools(t testing.TB, extra ...string) {
	t.Helper()
	for _, tool := range append([]string{"qemu-system-arm", "gdb-multiarch"}, extra...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found on PATH: run scripts/setup.sh", tool)
		}
	}
}
