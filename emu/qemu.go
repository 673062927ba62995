package emu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/internal/lazyre"
	"github.com/faultline-dev/faultline/internal/procgroup"
)

// QEMUConfig says how to start one emulated board.
type QEMUConfig struct {
	Machine string // QEMU -M: "netduino2", "mps2-an385"
	Kernel  string // ELF loaded with -kernel
	Halted  bool   // -S: stopped before the first instruction until a debugger continues
	// Serials has one entry per UART, in the board's order: "pty" (a
	// pseudo-terminal; its path lands in QEMU.PTYs), "null", or a QEMU
	// chardev spec passed through as it is ("tcp:127.0.0.1:1234,server=on,wait=off",
	// "file:/tmp/out"). "stdio" is refused: QEMU's stdio belongs to the
	// launcher. Empty means one "pty".
	Serials []string
	Extra   []string // more QEMU arguments, appended last
	// Log gets QEMU's stdout and stderr, line by line; nil discards. It is
	// written from QEMU's output copier: a Log that blocks stalls QEMU.
	Log io.Writer

	// Binary is the emulator to run; "" means qemu-system-arm from PATH.
	Binary string
	// StartTimeout bounds the wait for the GDB port; 0 means 15s.
	StartTimeout time.Duration
}

// QEMU is a running emulator started by StartQEMU.
type QEMU struct {
	GDBAddr string   // "127.0.0.1:PORT": QEMU's gdbstub, listening, no client yet
	PTYs    []string // pty path per Serials entry that was "pty" ("" otherwise)
	// Args is the full command line, for logs and error messages.
	Args []string

	cmd      *exec.Cmd
	out      *outputWatcher
	done     chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	stopped  bool  // Stop or ctx cancel killed it
	waitErr  error // from cmd.Wait
}

const (
	defaultStartTimeout = 15 * time.Second
	portAttempts        = 5
	// pollInterval is how often StartQEMU looks for the listening socket;
	// QEMU takes tens of milliseconds to get there.
	pollInterval = 5 * time.Millisecond
)

// ErrNoQEMU is returned (wrapped) when the emulator binary is not installed.
var ErrNoQEMU = errors.New("qemu-system-arm not found on PATH: run scripts/setup.sh")

// StartQEMU starts QEMU with its gdbstub on a free loopback port and returns
// once that port is listening (and every pty has been announced). The
// process lives in its own process group and is killed when ctx ends, when
// Stop is called, or (Linux) when the calling process dies. No client has
// connected to the gdbstub when StartQEMU returns: the first connection is
// the caller's.
func StartQEMU(ctx context.Context, cfg QEMUConfig) (*QEMU, error) {
	if cfg.Machine == "" || cfg.Kernel == "" {
		return nil, errors.New("start qemu: Machine and Kernel are required")
	}
	if _, err := os.Stat(cfg.Kernel); err != nil {
		return nil, fmt.Errorf("start qemu: kernel: %w", err)
	}
	bin := cfg.Binary
	if bin == "" {
		bin = "qemu-system-arm"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		if cfg.Binary == "" {
			return nil, fmt.Errorf("start qemu: %w", ErrNoQEMU)
		}
		return nil, fmt.Errorf("start qemu: %s not found: %w", bin, err)
	}
	serials := cfg.Serials
	if len(serials) == 0 {
		serials = []string{"pty"}
	}
	for _, s := range serials {
		if s == "stdio" || strings.HasPrefix(s, "stdio,") || strings.HasPrefix(s, "mon:") {
			return nil, fmt.Errorf("start qemu: serial %q: stdio and monitor belong to the launcher; use pty, null or a chardev", s)
		}
	}
	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}

	var lastErr error
	for attempt := 0; attempt < portAttempts; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("start qemu: %w", err)
		}
		q, err := launch(ctx, path, cfg, serials, port, timeout)
		if err == nil {
			return q, nil
		}
		lastErr = err
		// Another process took the port between our probe and QEMU's bind:
		// try a fresh one. Any other failure is final.
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("start qemu: no free gdb port after %d attempts: %w", portAttempts, lastErr)
}

var errPortTaken = errors.New("gdb port already in use")

// freePort asks the kernel for a free loopback port. QEMU binds it a moment
// later; StartQEMU retries when another process wins that race.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

func buildArgs(cfg QEMUConfig, serials []string, port int) []string {
	// -nodefaults: no default serial, parallel, monitor or network backends;
	// every UART gets exactly what Serials says. (mps2-an385 then warns
	// "nic lan9118.0 has no peer", which is harmless.)
	args := []string{"-M", cfg.Machine, "-display", "none", "-monitor", "none", "-nodefaults",
		"-kernel", cfg.Kernel, "-gdb", "tcp:127.0.0.1:" + strconv.Itoa(port)}
	if cfg.Halted {
		args = append(args, "-S")
	}
	for _, s := range serials {
		args = append(args, "-serial", s)
	}
	return append(args, cfg.Extra...)
}

func launch(ctx context.Context, bin string, cfg QEMUConfig, serials []string, port int, timeout time.Duration) (*QEMU, error) {
	args := buildArgs(cfg, serials, port)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = procgroup.Attr() // Stop kills the group; nothing outlives a killed faultline
	ow := newOutputWatcher(cfg.Log)
	cmd.Stdout = ow.stream(false)
	cmd.Stderr = ow.stream(true)
	// QEMU starts no children, but do not let a stray holder of its pipes
	// block Wait forever.
	cmd.WaitDelay = 2 * time.Second
	q := &QEMU{
		GDBAddr: "127.0.0.1:" + strconv.Itoa(port),
		Args:    append([]string{bin}, args...),
		cmd:     cmd,
		out:     ow,
		done:    make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	go func() {
		err := cmd.Wait()
		q.mu.Lock()
		q.waitErr = err
		q.mu.Unlock()
		close(q.done)
	}()

	wantPTYs := 0
	for _, s := range serials {
		if s == "pty" {
			wantPTYs++
		}
	}
	if err := q.waitReady(ctx, port, wantPTYs, timeout); err != nil {
		_ = q.Stop()
		if ow.portTaken() {
			return nil, fmt.Errorf("start qemu on port %d: %w", port, errPortTaken)
		}
		return nil, err
	}
	ptys := ow.ptys()
	q.PTYs = make([]string, len(serials))
	for i, s := range serials {
		if s == "pty" {
			q.PTYs[i] = ptys["serial"+strconv.Itoa(i)]
		}
	}
	// The caller's context owns the process from now on.
	go func() {
		select {
		case <-ctx.Done():
			_ = q.Stop()
		case <-q.done:
		}
	}()
	return q, nil
}

// waitReady polls until QEMU's gdbstub socket is listening and every pty is
// announced, QEMU exits, ctx ends or the timeout passes.
func (q *QEMU) waitReady(ctx context.Context, port, wantPTYs int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	pid := q.cmd.Process.Pid
	for {
		if len(q.out.ptys()) >= wantPTYs {
			ok, err := gdbListening(pid, port)
			if err != nil {
				return fmt.Errorf("start qemu: wait for gdb port %d: %w", port, err)
			}
			if ok {
				return nil
			}
		}
		select {
		case <-q.done:
			return fmt.Errorf("start qemu: %s", q.exitDescription())
		case <-ctx.Done():
			return fmt.Errorf("start qemu: %w", ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("start qemu: gdb port %d not listening after %v (last output: %q)", port, timeout, q.out.lastLine())
		case <-tick.C:
		}
	}
}

// Pid is QEMU's process id (also its process group id).
func (q *QEMU) Pid() int { return q.cmd.Process.Pid }

// Stop kills QEMU's process group and waits for QEMU to exit. It is
// idempotent and safe to call from several goroutines.
func (q *QEMU) Stop() error {
	q.stopOnce.Do(func() {
		select {
		case <-q.done:
			return // exited by itself: keep its own exit status
		default:
		}
		q.mu.Lock()
		q.stopped = true
		q.mu.Unlock()
		_ = procgroup.Kill(q.cmd.Process)
	})
	<-q.done
	return nil
}

// Done is closed when QEMU has exited and been reaped.
func (q *QEMU) Done() <-chan struct{} { return q.done }

// ExitErr says how QEMU ended, once Done is closed: nil for a clean exit or
// a kill by Stop or ctx, otherwise the exit status with QEMU's last
// meaningful output line, e.g. "qemu exited: signal: aborted: qemu: fatal:
// Lockup: can't escalate 3 to HardFault". Before Done it returns nil.
func (q *QEMU) ExitErr() error {
	select {
	case <-q.done:
	default:
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || q.waitErr == nil {
		return nil
	}
	return errors.New(q.exitDescriptionLocked())
}

func (q *QEMU) exitDescription() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.exitDescriptionLocked()
}

func (q *QEMU) exitDescriptionLocked() string {
	status := "exit status 0"
	if q.waitErr != nil {
		status = q.waitErr.Error()
	}
	if line := q.out.lastLine(); line != "" {
		return "qemu exited: " + status + ": " + line
	}
	return "qemu exited: " + status
}

// ptyLine is how QEMU announces a pty chardev (on stdout): "char device
// redirected to /dev/pts/3 (label serial0)". The label serialN is the index
// of the -serial option.
var ptyLine = lazyre.New(`char device redirected to (\S+) \(label ([^)]+)\)`)

// outputWatcher splits QEMU's output into lines, copies them to the log,
// collects pty announcements and remembers the line that best explains an
// exit.
type outputWatcher struct {
	mu        sync.Mutex
	log       io.Writer
	pty       map[string]string
	last      string // last "qemu...:" line that is not a warning
	lastAny   string // last stderr line of any kind
	bindError bool
}

func newOutputWatcher(log io.Writer) *outputWatcher {
	return &outputWatcher{log: log, pty: map[string]string{}}
}

type lineStream struct {
	w      *outputWatcher
	stderr bool
	buf    bytes.Buffer
}

func (w *outputWatcher) stream(stderr bool) io.Writer { return &lineStream{w: w, stderr: stderr} }

// Write is called by os/exec's copying goroutine; it never fails, so QEMU
// is never blocked on a full pipe by a slow or broken log.
func (s *lineStream) Write(p []byte) (int, error) {
	s.buf.Write(p)
	for {
		i := bytes.IndexByte(s.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(s.buf.Next(i+1)), "\r\n")
		s.w.line(line, s.stderr)
	}
	return len(p), nil
}

func (w *outputWatcher) line(line string, stderr bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.log != nil {
		_, _ = io.WriteString(w.log, line+"\n")
	}
	if m := ptyLine.FindStringSubmatch(line); m != nil {
		w.pty[m[2]] = m[1]
		return
	}
	if !stderr || strings.TrimSpace(line) == "" {
		return
	}
	w.lastAny = line
	// QEMU prefixes its own messages with "qemu-system-arm:" or "qemu:";
	// a fatal error is followed by a register dump, which explains nothing.
	if strings.HasPrefix(line, "qemu") && !strings.Contains(line, "warning:") &&
		!strings.Contains(line, "terminating on signal") {
		w.last = line
	}
	if strings.Contains(line, "-gdb") && strings.Contains(line, "Address already in use") {
		w.bindError = true
	}
}

func (w *outputWatcher) ptys() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[string]string, len(w.pty))
	for k, v := range w.pty {
		m[k] = v
	}
	return m
}

func (w *outputWatcher) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last != "" {
		return w.last
	}
	return w.lastAny
}

func (w *outputWatcher) portTaken() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bindError
}
