package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/tui"
)

func init() { commands = append(commands, newAttachCmd) }

func newAttachCmd() *cobra.Command {
	var f captureFlags
	cmd := &cobra.Command{
		Use:   "attach [--gdb HOST:PORT] [--serial DEV[@BAUD]] [--elf FILE]",
		Short: "Interactive TUI: console, target state, LED, timeline, and the crash explained",
		Long: `attach opens one screen over a live device: a status bar (target state, GDB
endpoint, serial port, ELF, the RGB LED and its decoded pattern), the serial
console (scrollable, searchable, events highlighted), the event timeline, and,
the moment a crash is caught, the crash view: cause in words, the culprit
source lines, the frames, registers and findings.

Keys: h halt, c continue, r reset, s save a capture now, tab/1-4 panes,
/ search, q quit (asks when a crash has not been saved).

The LED is sampled through the debugger: OpenOCD reads it while the core
runs; on QEMU each sample halts the core briefly, which perturbs timing
(--led=false turns it off).`,
		Example: `  faultline attach --gdb localhost:3333 --serial /dev/ttyACM0@115200 --elf app.elf --board photon
  faultline attach --serial /dev/ttyUSB0@921600 --elf app.elf   # serial only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.gdb == "" && f.serial == "" {
				return usageError("attach needs --gdb HOST:PORT and/or --serial DEV[@BAUD]")
			}
			img, err := openELF(f.elf, f.noCache, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if img != nil {
				defer img.Close()
			}
			f.resume = false
			f.once = true // the TUI keeps the crash on screen; continue is the user's call
			opts, cleanup, err := sessionOptions(f, img, cmd.ErrOrStderr())
			defer cleanup()
			if err != nil {
				return err
			}
			cctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
			sess, err := probe.StartSession(cctx, opts)
			cancel()
			if err != nil {
				return err
			}
			defer sess.Close()
			return runTUI(cmd.Context(), sess, img, f.dir, "faultline attach")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.gdb, "gdb", "", "GDB remote server `HOST:PORT` (OpenOCD :3333, QEMU -gdb, J-Link :2331, pyOCD, st-util :4242) or a Black Magic Probe's port (/dev/ttyACM0, serial:PATH)")
	fl.StringVar(&f.serial, "serial", "", "serial console `DEV[@BAUD]` (also tcp:HOST:PORT, usb:SERIAL)")
	fl.StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with debug info")
	addNoCacheFlag(fl, &f.noCache)
	fl.StringVar(&f.board, "board", "generic", "board profile: "+strings.Join(probe.BoardNames(), "|"))
	fl.StringVar(&f.dir, "dir", "crashes", "directory for capture files")
	fl.StringVar(&f.logFile, "log", "", "append the raw console bytes to `FILE`")
	fl.StringArrayVar(&f.match, "match", nil, "extra crash marker `NAME=REGEX` on the console (repeatable)")
	addMemFlag(cmd, &f.mem)
	fl.BoolVar(&f.led, "led", true, "sample the board's RGB LED through the debugger")
	fl.DurationVar(&f.rspTimeout, "rsp-timeout", 5*time.Second, "timeout for each exchange with the GDB server")
	return cmd
}

// liveBackend is what the TUI drives: the probe session plus the crash on
// screen, which `s` saves.
type liveBackend struct {
	sess *probe.Session
	dir  string

	mu    sync.Mutex
	snap  *capture.Snapshot // the last crash, nil before one
	saved string            // its file, "" while unsaved
	// partial: snap is a first look whose capture still reads memory; a
	// save of it is completed in place when the rest comes.
	partial bool
}

// whole takes the complete capture of a crash. When the crash on screen
// is its first look (update), a save the user made of that is rewritten
// with it (atomically, same path), so the file on disk is the complete
// one. path is where it is saved, "" if unsaved.
func (b *liveBackend) whole(snap *capture.Snapshot) (path string, update bool) {
	b.mu.Lock()
	update = b.partial && b.snap != nil && b.snap.Meta.CapturedAt.Equal(snap.Meta.CapturedAt)
	if update {
		path = b.saved
	}
	b.snap, b.saved, b.partial = snap, "", false
	b.mu.Unlock()
	if path == "" || capture.Write(path, snap) != nil {
		return "", update
	}
	b.mu.Lock()
	if b.snap == snap {
		b.saved = path
	}
	b.mu.Unlock()
	return path, update
}

// finishSaved, once the screen is gone, completes a saved first look with
// what the capture read until the session stops it: quitting during the
// memory fill loses nothing that was read.
func (b *liveBackend) finishSaved() {
	b.mu.Lock()
	pending := b.partial && b.saved != ""
	b.mu.Unlock()
	if !pending {
		return
	}
	b.sess.Close() // stops the capture; its crash, as read, is then on Crashes
	select {
	case c := <-b.sess.Crashes():
		b.whole(c.Snapshot)
	case <-time.After(5 * time.Second):
	}
}

func (b *liveBackend) Halt(ctx context.Context) error     { return b.sess.Halt(ctx) }
func (b *liveBackend) Continue(ctx context.Context) error { return b.sess.Continue(ctx) }
func (b *liveBackend) Reset(ctx context.Context) error    { return b.sess.Reset(ctx) }

// SaveCapture saves the crash on screen, or, with none, a snapshot taken now.
func (b *liveBackend) SaveCapture(ctx context.Context) (string, error) {
	b.mu.Lock()
	snap, saved := b.snap, b.saved
	b.mu.Unlock()
	if snap != nil && saved != "" {
		return saved, nil
	}
	if snap == nil {
		s, err := b.sess.SnapshotNow(ctx)
		if s == nil {
			return "", err
		}
		snap = s
	}
	path, err := saveCapture(b.dir, snap)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	if b.snap == snap {
		b.saved = path
	}
	b.mu.Unlock()
	return path, nil
}

// runTUI shows the session until the user quits.
func runTUI(ctx context.Context, sess *probe.Session, img *elfsym.Image, dir, title string) error {
	b := &liveBackend{sess: sess, dir: dir}
	updates := make(chan any, 4096)
	fctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		feedTUI(fctx, sess, img, b, updates)
	}()
	err := tui.Run(ctx, b, updates, tui.Options{Title: title, AltScreen: true, Mouse: true})
	stop()
	wg.Wait()
	b.finishSaved()
	return err
}

// feedTUI turns the session's timeline, status and crashes into TUI updates.
func feedTUI(ctx context.Context, sess *probe.Session, img *elfsym.Image, b *liveBackend, out chan<- any) {
	send := func(v any) bool {
		select {
		case out <- v:
			return true
		case <-ctx.Done():
			return false
		}
	}
	elfName := ""
	if img != nil {
		elfName = filepath.Base(img.Path())
	}
	var matches *bool
	var lastCaught time.Time
	status := func() tui.Status {
		st := sess.Status()
		serialState := ""
		if st.Serial != "" {
			serialState = "open"
		}
		pattern := ""
		if st.LED.Pattern != "" {
			pattern = st.LED.String()
		}
		capturing := ""
		if c := st.Capture; c.Active {
			capturing = fmt.Sprintf("reading memory %d/%d KiB", c.Done>>10, c.Total>>10)
		}
		return tui.Status{Target: string(st.Target), GDB: st.GDB, Serial: st.Serial, SerialState: serialState,
			ELF: elfName, ELFMatches: matches, LEDColor: st.LEDRGB, LEDPattern: pattern, Capture: capturing}
	}
	// Lines already seen before the TUI started.
	if con := sess.Console(); con != nil {
		var ls []tui.ConsoleLine
		for _, l := range con.Lines() {
			ls = append(ls, tui.ConsoleLine{Time: l.Time, Text: l.Text})
		}
		if !send(ls) {
			return
		}
	}
	events := sess.Timeline().Subscribe(ctx)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	send(status())
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !send(status()) {
				return
			}
		case e, ok := <-events:
			if !ok {
				return
			}
			var v any
			switch e.Kind {
			case probe.EventConsoleLine:
				v = tui.ConsoleLine{Time: e.Time, Text: e.Text}
			default:
				v = tui.TimelineItem{Time: e.Time, Kind: string(e.Kind), Text: e.Text}
			}
			if !send(v) {
				return
			}
		case c := <-sess.FirstLooks():
			if c.Snapshot.Meta.CapturedAt.Equal(lastCaught) {
				continue // the whole crash came first: this look is stale
			}
			rep := faultdecode.Analyze(c.Snapshot, img)
			matches = rep.ELF.MatchesTarget
			b.mu.Lock()
			b.snap, b.saved, b.partial = c.Snapshot, "", true
			b.mu.Unlock()
			if !send(tui.Crash{Report: rep, Source: readSource}) || !send(status()) {
				return
			}
		case c := <-sess.Crashes():
			lastCaught = c.Snapshot.Meta.CapturedAt
			rep := faultdecode.Analyze(c.Snapshot, img)
			matches = rep.ELF.MatchesTarget
			path, update := b.whole(c.Snapshot)
			if !send(tui.Crash{Report: rep, CapturePath: path, Source: readSource, Update: update}) || !send(status()) {
				return
			}
		}
	}
}

// runDemoTUI is `faultline demo` with the TUI: the bench and traffic as in
// --no-tui, the session shown live.
func runDemoTUI(ctx context.Context, f demoFlags, stderr io.Writer) error {
	d, err := startDemo(ctx, f, true, stderr)
	if err != nil {
		return err
	}
	defer d.stop()
	title := fmt.Sprintf("faultline demo · http://%s/ · seed %d", d.bench.HTTPAddr(), f.seed)
	return runTUI(ctx, d.sess, d.sess.Target().Image(), f.dir, title)
}
