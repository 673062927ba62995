package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/srcpath"
	"github.com/faultline-dev/faultline/tui"
)

// backend is what the TUI drives: the probe session plus the crash on
// screen, which `s` saves.
type backend struct {
	sess     *probe.Session
	dir      string
	autosave bool // save each crash the moment it is caught (not --no-save)

	mu    sync.Mutex
	snap  *capture.Snapshot // the last crash, nil before one
	saved string            // its file, "" while unsaved
	// partial: snap is a first look whose capture still reads memory; a
	// save of it is completed in place when the rest comes.
	partial bool
}

// firstLook takes a crash's first look (its capture still reads memory).
// With autosave the caller then saves it (save), and the whole capture
// rewrites that file in place when it comes.
func (b *backend) firstLook(snap *capture.Snapshot) {
	b.mu.Lock()
	b.snap, b.saved, b.partial = snap, "", true
	b.mu.Unlock()
}

// whole takes the complete capture of a crash. When the crash on screen
// is its first look (update), a save of that (automatic or the user's) is
// rewritten with it (atomically, same path), so the file on disk is the
// complete one; otherwise, with autosave, it is saved now. path is where
// it is saved, "" if unsaved.
func (b *backend) whole(snap *capture.Snapshot) (path string, update bool, err error) {
	b.mu.Lock()
	update = b.partial && b.snap != nil && b.snap.Meta.CapturedAt.Equal(snap.Meta.CapturedAt)
	if update {
		path = b.saved
	}
	b.snap, b.saved, b.partial = snap, "", false
	b.mu.Unlock()
	switch {
	case path != "":
		if err := capture.Write(path, snap); err != nil {
			return "", update, err
		}
		b.keep(snap, path)
		return path, update, nil
	case b.autosave:
		path, err = b.save(snap)
		return path, update, err
	}
	return "", update, nil
}

// save writes snap to the capture directory the way `capture` does
// (capture.Save) and remembers the path if snap is still the crash on
// screen.
func (b *backend) save(snap *capture.Snapshot) (string, error) {
	path, err := capture.Save(b.dir, snap)
	if err != nil {
		return "", err
	}
	b.keep(snap, path)
	return path, nil
}

func (b *backend) keep(snap *capture.Snapshot, path string) {
	b.mu.Lock()
	if b.snap == snap {
		b.saved = path
	}
	b.mu.Unlock()
}

// finishSaved, once the screen is gone, completes a saved first look with
// what the capture read until the session stops it: quitting during the
// memory fill loses nothing that was read.
func (b *backend) finishSaved() {
	b.mu.Lock()
	pending := b.partial && b.saved != ""
	b.mu.Unlock()
	if !pending {
		return
	}
	b.sess.Close() // stops the capture; its crash, as read, is then on Crashes
	select {
	case c := <-b.sess.Crashes():
		b.whole(c.Snapshot) // best effort: the screen that would show an error is gone
	case <-time.After(5 * time.Second):
	}
}

func (b *backend) Halt(ctx context.Context) error     { return b.sess.Halt(ctx) }
func (b *backend) Continue(ctx context.Context) error { return b.sess.Continue(ctx) }
func (b *backend) Reset(ctx context.Context) error    { return b.sess.Reset(ctx) }

// SaveCapture saves the crash on screen, or, with none, a snapshot taken now.
func (b *backend) SaveCapture(ctx context.Context) (string, error) {
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
	return b.save(snap)
}

// Options say where crashes go and what the screen is called.
type Options struct {
	Dir   string // capture files
	Title string // shown at the right of the pane tabs
	// NoSave leaves a caught crash unsaved until the user saves it (s);
	// by default each is saved to Dir the moment it is caught, as
	// `capture` saves it, so the evidence survives a dead terminal.
	NoSave bool
}

// Run shows the session until the user quits or ctx ends. img may be nil.
func Run(ctx context.Context, sess *probe.Session, img *elfsym.Image, opts Options) error {
	b := &backend{sess: sess, dir: opts.Dir, autosave: !opts.NoSave}
	updates := make(chan any, 4096)
	fctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		feed(fctx, sess, img, b, updates)
	}()
	err := tui.Run(ctx, b, updates, tui.Options{Title: opts.Title, AltScreen: true, Mouse: true})
	stop()
	wg.Wait()
	b.finishSaved()
	return err
}

// feed turns the session's timeline, status and crashes into TUI updates.
func feed(ctx context.Context, sess *probe.Session, img *elfsym.Image, b *backend, out chan<- any) {
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
	// Source paths as the frames show them: relative to the working
	// directory, else to the ELF's compile directory, when under one. The
	// directories are looked up when a crash first needs them, not at start.
	dirs := sync.OnceValue(func() []string {
		if img == nil {
			return srcpath.Dirs()
		}
		return srcpath.Dirs(img.CompDirs()...)
	})
	showPath := func(file string) string { return srcpath.Rel(file, dirs()...) }
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
		b.mu.Lock()
		saved := b.saved
		b.mu.Unlock()
		return tui.Status{Target: string(st.Target), GDB: st.GDB, Serial: st.Serial, SerialState: serialState,
			ELF: elfName, ELFMatches: matches, LEDColor: st.LEDRGB, LEDPattern: pattern, Capture: capturing, Saved: saved}
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
	// saved puts a save (or why it failed) on the TUI's timeline.
	var lastSaved string
	saved := func(path string, err error) bool {
		switch {
		case err != nil:
			return send(tui.TimelineItem{Time: time.Now(), Kind: "error", Text: "could not save the crash: " + err.Error() + " (s retries)"})
		case path != "" && path != lastSaved:
			lastSaved = path
			return send(tui.TimelineItem{Time: time.Now(), Kind: "capture", Text: "crash saved to " + path})
		}
		return true
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
			rep := faultdecode.AnalyzeWith(c.Snapshot, img, faultdecode.Options{Source: os.ReadFile})
			matches = rep.ELF.MatchesTarget
			b.firstLook(c.Snapshot)
			crash := tui.Crash{Report: rep, Source: os.ReadFile, ShowPath: showPath}
			if !send(crash) {
				return
			}
			// Saved once on screen, so the write never delays the first
			// view; the same report again carries the path.
			if b.autosave {
				path, err := b.save(c.Snapshot)
				crash.CapturePath = path
				if !saved(path, err) || (path != "" && !send(crash)) {
					return
				}
			}
			if !send(status()) {
				return
			}
		case c := <-sess.Crashes():
			lastCaught = c.Snapshot.Meta.CapturedAt
			rep := faultdecode.AnalyzeWith(c.Snapshot, img, faultdecode.Options{Source: os.ReadFile})
			matches = rep.ELF.MatchesTarget
			path, update, err := b.whole(c.Snapshot)
			if !send(tui.Crash{Report: rep, CapturePath: path, Source: os.ReadFile, ShowPath: showPath, Update: update}) || !saved(path, err) || !send(status()) {
				return
			}
		}
	}
}
