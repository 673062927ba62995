package emu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// The emulated bench: the bundled firmware (firmware/README.md) in QEMU's
// netduino2, its console on a pty, its WiFi co-processor (wifi.go) on the
// second UART. Quirks it handles:
//   - The co-processor link is a unix socket QEMU listens on with
//     wait=off: no TCP port to race for, QEMU starts without waiting, and
//     the co-processor dials (and re-dials) whenever it is ready. Bytes the
//     firmware sends before the co-processor is connected are lost, so the
//     firmware repeats HELLO until it hears back.
//   - QEMU drops console output while nobody holds the pty open. With
//     BenchConfig.Console the bench starts QEMU halted, opens the pty, and
//     only then lets the CPU run (one "c" packet on the gdbstub), so the
//     boot lines are never lost.
//   - QEMU's USART stops taking bytes from the link while RXNE is set; a
//     firmware stuck in its panic loop therefore stops reading, and every
//     link write has a deadline so the co-processor never blocks behind it.

// BenchConfig says how to start the emulated bench: the bundled firmware in
// QEMU's netduino2 with the WiFi co-processor on its second UART.
type BenchConfig struct {
	ELF string // firmware image (firmware.ELF builds one)
	// HTTPPort is the host TCP port the co-processor listens on
	// (127.0.0.1); 0 picks a free one. CLIs default to DefaultHTTPPort.
	HTTPPort int
	// Halted starts the CPU stopped before its first instruction, for a
	// debugger to attach and continue. The co-processor works once it runs.
	Halted bool
	// Console, when set, receives the firmware's console (USART1) from its
	// first byte: the bench opens the pty itself before the CPU starts.
	// Leave it nil to let another reader (faultline attach) open ConsolePTY.
	Console io.Writer
	// Log receives QEMU's output and the co-processor's events; nil discards.
	Log io.Writer
	// QEMU is the emulator binary; "" means qemu-system-arm from PATH.
	QEMU string
}

// A Bench is a running emulated bench. Stop ends everything it started.
type Bench struct {
	q    *QEMU
	wifi *WiFi
	dir  string

	cancel   context.CancelFunc
	serveErr chan error
	console  *os.File
	conDone  chan struct{}

	stopOnce sync.Once
	stopErr  error
}

// StartBench starts QEMU (netduino2, gdbstub on a free loopback port,
// console on a pty, co-processor link on a unix socket) and the
// co-processor. The bench lives until Stop or until ctx ends; on any error
// StartBench leaves nothing running. A command should pass a context from
// signal.NotifyContext so that Ctrl-C stops the bench too; if the Go
// process dies outright, QEMU gets SIGKILL from the kernel (StartQEMU's
// parent-death signal).
func StartBench(ctx context.Context, cfg BenchConfig) (b *Bench, err error) {
	if cfg.ELF == "" {
		return nil, errors.New("start bench: ELF is required")
	}
	dir, err := os.MkdirTemp("", "faultline-bench-")
	if err != nil {
		return nil, fmt.Errorf("start bench: %w", err)
	}
	b = &Bench{dir: dir, serveErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			b.Stop()
			b = nil
		}
	}()
	b.wifi, err = NewWiFi(WiFiConfig{Port: cfg.HTTPPort, Log: cfg.Log})
	if err != nil {
		return b, fmt.Errorf("start bench: %w", err)
	}
	// The link is a unix socket QEMU listens on without waiting for us:
	// QEMU's start order does not matter, and the co-processor dials (and
	// re-dials) it. No port to race for.
	sock := filepath.Join(dir, "usart2.sock")
	halted := cfg.Halted || cfg.Console != nil
	b.q, err = StartQEMU(ctx, QEMUConfig{
		Machine: "netduino2",
		Kernel:  cfg.ELF,
		Halted:  halted,
		Serials: []string{"pty", "unix:" + sock + ",server=on,wait=off"},
		Log:     cfg.Log,
		Binary:  cfg.QEMU,
	})
	if err != nil {
		return b, fmt.Errorf("start bench: %w", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() {
		b.serveErr <- b.wifi.Serve(sctx, func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		})
	}()
	if cfg.Console != nil {
		if err := b.copyConsole(cfg.Console); err != nil {
			return b, fmt.Errorf("start bench: %w", err)
		}
		if !cfg.Halted {
			if err := continueCPU(ctx, b.q.GDBAddr); err != nil {
				return b, fmt.Errorf("start bench: %w", err)
			}
		}
	}
	// The bench's processes follow the caller's context.
	go func() {
		select {
		case <-ctx.Done():
			b.Stop()
		case <-sctx.Done():
		}
	}()
	return b, nil
}

// copyConsole opens the console pty and copies it, line by line, to w.
func (b *Bench) copyConsole(w io.Writer) error {
	f, err := os.OpenFile(b.ConsolePTY(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open console: %w", err)
	}
	b.console = f
	b.conDone = make(chan struct{})
	go func() {
		defer close(b.conDone)
		r := bufio.NewReader(f)
		for {
			line, err := r.ReadString('\n')
			if len(line) > 0 {
				_, _ = io.WriteString(w, line)
			}
			if err != nil {
				return
			}
		}
	}()
	return nil
}

// continueCPU resumes a CPU that QEMU holds at -S: one RSP "c" packet on a
// fresh gdbstub connection, then disconnect (QEMU keeps running).
func continueCPU(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("continue cpu: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, "$c#63"); err != nil {
		return fmt.Errorf("continue cpu: %w", err)
	}
	ack := make([]byte, 1)
	if _, err := io.ReadFull(c, ack); err != nil || ack[0] != '+' {
		return fmt.Errorf("continue cpu: no ack from the gdbstub (%q): %v", ack, err)
	}
	return nil
}

// GDBAddr is QEMU's gdbstub, "127.0.0.1:PORT".
func (b *Bench) GDBAddr() string { return b.q.GDBAddr }

// ConsolePTY is the pty of the firmware's console (USART1).
func (b *Bench) ConsolePTY() string { return b.q.PTYs[0] }

// HTTPAddr is where the firmware's web server is reachable, "127.0.0.1:PORT".
func (b *Bench) HTTPAddr() string { return b.wifi.Addr() }

// WiFi is the co-processor, for its counters and waits.
func (b *Bench) WiFi() *WiFi { return b.wifi }

// DropLink drops the WiFi link (see WiFi.DropLink).
func (b *Bench) DropLink() { b.wifi.DropLink() }

// RestoreLink restores the WiFi link (see WiFi.RestoreLink).
func (b *Bench) RestoreLink() { b.wifi.RestoreLink() }

// QEMUPid is the emulator's process id (its process group id too).
func (b *Bench) QEMUPid() int { return b.q.Pid() }

// Done is closed when QEMU has exited, by itself or by Stop.
func (b *Bench) Done() <-chan struct{} { return b.q.Done() }

// ExitErr says how QEMU ended when it ended by itself (see QEMU.ExitErr),
// e.g. on a lockup; nil while running or after Stop.
func (b *Bench) ExitErr() error { return b.q.ExitErr() }

// Stop kills QEMU (its process group), stops the co-processor and removes
// the bench's temporary files. Idempotent; safe from several goroutines.
func (b *Bench) Stop() error {
	b.stopOnce.Do(func() {
		var errs []error
		if b.q != nil {
			errs = append(errs, b.q.Stop())
		}
		if b.cancel != nil {
			b.cancel()
		}
		if b.wifi != nil {
			errs = append(errs, b.wifi.Close())
			if b.cancel != nil {
				<-b.serveErr
			}
		}
		if b.console != nil {
			errs = append(errs, b.console.Close())
			<-b.conDone
		}
		errs = append(errs, os.RemoveAll(b.dir))
		b.stopErr = errors.Join(errs...)
	})
	return b.stopErr
}
