package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/symbolize"
)

// Config says which firmware Start boots and how the session watches it.
type Config struct {
	Variant string // a bundled image (firmware.ELF); used when ELF is ""
	ELF     string // an ELF of the user's that speaks the co-processor protocol
	NoCache bool   // index the ELF from scratch (indexcache.Open)
	Port    int    // host HTTP port of the web server; 0: any free one
	// SampleLED samples the RGB LED through the debugger (each sample
	// halts QEMU briefly).
	SampleLED bool
	TraceRSP  string // RSP wire trace file; "" none
	// Resume lets the firmware's own fault handler run after a crash is
	// captured (probe.SessionOptions.Resume).
	Resume bool
	Mem    []probe.MemRange // more ranges every capture reads
	// Progress receives what Start is doing (building, booting) and the
	// ELF's warnings; nil discards.
	Progress io.Writer
}

// A Session is the bundled firmware running on the emulated bench with a
// live faultline session attached to its gdbstub and console.
type Session struct {
	Bench *emu.Bench
	Probe *probe.Session

	img       *elfsym.Image
	trace     *os.File
	closeOnce sync.Once

	mu      sync.Mutex
	traffic []func() // Drive's stops, run by Close before the bench stops
}

// Start builds the firmware if needed, boots it on the emulated bench and
// attaches a live session to its gdbstub and console. On error nothing it
// started is left running; otherwise Close ends it all.
func Start(ctx context.Context, cfg Config) (*Session, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	elf := cfg.ELF
	if elf == "" {
		fmt.Fprintf(progress, "faultline: building the %s firmware (first run takes a while)...\n", cfg.Variant)
		var err error
		if elf, err = firmware.ELF(ctx, cfg.Variant); err != nil {
			return nil, fmt.Errorf("build firmware: %w", err)
		}
	}
	img, err := indexcache.Open(elf, cfg.NoCache)
	if err != nil {
		return nil, fmt.Errorf("open ELF: %w", err)
	}
	for _, w := range img.Warnings() {
		fmt.Fprintf(progress, "faultline: warning: %s\n", w)
	}
	fmt.Fprintf(progress, "faultline: booting %s on the emulated bench (QEMU netduino2 + WiFi co-processor)...\n", elf)
	b, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf, HTTPPort: cfg.Port, Halted: true})
	if err != nil {
		img.Close()
		return nil, err
	}
	s := &Session{Bench: b, img: img}
	fail := func(err error) (*Session, error) {
		s.Close()
		return nil, err
	}
	var trace io.Writer
	if cfg.TraceRSP != "" {
		tf, err := os.Create(cfg.TraceRSP)
		if err != nil {
			return fail(fmt.Errorf("open RSP trace: %w", err))
		}
		s.trace, trace = tf, tf
	}
	board, err := probe.LookupBoard("netduino2")
	if err != nil {
		return fail(err)
	}
	spec, err := probe.ParseSerialSpec(b.ConsolePTY())
	if err != nil {
		return fail(err)
	}
	opts := probe.SessionOptions{
		Target:    &probe.TargetOptions{Addr: b.GDBAddr(), Board: board, Extra: cfg.Mem, Image: img, Trace: trace},
		Serial:    &spec,
		Detectors: probe.NewDetectorSet(symbolize.New(img)),
		Resume:    cfg.Resume,
	}
	if cfg.SampleLED {
		opts.LED = board.LED
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	s.Probe, err = probe.StartSession(cctx, opts)
	cancel()
	if err != nil {
		return fail(err)
	}
	return s, nil
}

// Image is the firmware's ELF, open for the session's lifetime.
func (s *Session) Image() *elfsym.Image { return s.img }

// URL is the firmware's web server, "http://127.0.0.1:PORT/".
func (s *Session) URL() string { return "http://" + s.Bench.HTTPAddr() + "/" }

// WaitServing waits (at most a minute) until the firmware's web server
// listens.
func (s *Session) WaitServing(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.Bench.WiFi().WaitListening(ctx); err != nil {
		return fmt.Errorf("the bench's web server never listened: %w", err)
	}
	return nil
}

// Close stops the traffic, the session and the bench, and closes the ELF.
// Idempotent.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		stops := s.traffic
		s.traffic = nil
		s.mu.Unlock()
		for _, stop := range stops {
			stop()
		}
		if s.Probe != nil {
			s.Probe.Close()
		}
		s.Bench.Stop()
		s.img.Close()
		if s.trace != nil {
			s.trace.Close()
		}
	})
}
