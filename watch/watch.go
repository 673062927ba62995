package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/srcpath"
)

// Options say where caught crashes go and how their reports are printed.
type Options struct {
	Dir     string        // capture files (capture.Save)
	NoSave  bool          // explain crashes without saving them (demo --no-save)
	Image   *elfsym.Image // the firmware, for reports; may be nil
	JSON    bool          // print each report as one JSON document
	Once    bool          // stop after the first crash
	Timeout time.Duration // give up after this long without a crash; 0: until ctx ends
	Out     io.Writer     // reports
	Log     io.Writer     // saved paths and warnings
	// Ended, when set, is closed when the target can never crash again
	// (the emulator exited); EndErr then says how it ended.
	Ended  <-chan struct{}
	EndErr func() error
	// Timeline, when set, receives the session's timeline, an event a
	// line, until the first crash (then the report is not interleaved
	// with it).
	Timeline io.Writer
	// Caught, when set, runs for each crash before its first report is
	// printed (the demo counts its requests).
	Caught func()
}

// ErrNoCrash is Run's error when Timeout passed with nothing caught.
var ErrNoCrash = errors.New("no crash within the timeout")

// Run waits for the session's crashes; each is saved to o.Dir, explained
// and its report printed on o.Out. Over a slow link a first report (from
// the registers, fault registers and stacks) comes before the whole
// capture, which is printed again only if the rest of memory changes it;
// a Ctrl-C while the rest is read saves what was read. It returns nil after the first crash
// with o.Once, or when ctx ends (Ctrl-C) after a crash or without Once;
// ErrNoCrash when o.Timeout passed with none; an error when a capture is
// incomplete (what was read is saved), the target connection is lost, or
// the target ended. A target left running on the way out is halted and
// unarmed (probe.Session.Leave).
func Run(ctx context.Context, sess *probe.Session, o Options) error {
	waitCtx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if o.Timeline != nil {
		evctx, stopEvents := context.WithCancel(ctx)
		printed := make(chan struct{})
		go func() {
			defer close(printed)
			for e := range sess.Timeline().Subscribe(evctx) {
				fmt.Fprintln(o.Timeline, e.String())
			}
		}()
		stopTimeline := func() { stopEvents(); <-printed }
		defer stopTimeline()
		caught := o.Caught
		o.Caught = func() {
			stopTimeline()
			if caught != nil {
				caught()
			}
		}
	}
	if st := sess.Status().Target; st == probe.StatusRunning || st == probe.StatusSerialOnly {
		fmt.Fprintf(o.Log, "faultline: watching %s; waiting for a crash\n", sess.Status().Watching())
	}
	caught := 0
	var first *firstLook // a first report shown, its capture still reading
	var lastCaught time.Time
	done := waitCtx.Done()
	for {
		select {
		case <-done:
			if first != nil && ctx.Err() == nil {
				// Timeout bounds the wait for a crash, not the capture
				// of one already caught.
				done = ctx.Done()
				continue
			}
			if first != nil {
				return first.interrupted(sess, o)
			}
			sess.Leave(ctx)
			if caught > 0 || (ctx.Err() != nil && !o.Once) {
				return nil // a clean stop
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return ErrNoCrash
		case <-o.Ended:
			if o.EndErr != nil {
				if err := o.EndErr(); err != nil {
					return fmt.Errorf("QEMU ended: %w", err)
				}
			}
			return errors.New("QEMU ended unexpectedly")
		case c := <-sess.FirstLooks():
			if c.Snapshot.Meta.CapturedAt.Equal(lastCaught) {
				continue // the whole crash came first: this look is stale
			}
			if o.Caught != nil {
				o.Caught()
			}
			var err error
			if first, err = showFirstLook(c, o); err != nil {
				return err
			}
		case c := <-sess.Crashes():
			caught++
			lastCaught = c.Snapshot.Meta.CapturedAt
			path := ""
			if !o.NoSave {
				var err error
				if path, err = capture.Save(o.Dir, c.Snapshot); err != nil {
					return fmt.Errorf("save capture: %w", err)
				}
			}
			if o.Caught != nil && first == nil {
				o.Caught()
			}
			if !o.NoSave {
				fmt.Fprintf(o.Log, "faultline: capture saved to %s\n", path)
			}
			rep := Explain(c.Snapshot, o.Image, o.Log)
			if err := first.printWhole(o.Out, o.Log, rep, o.Image, o.JSON); err != nil {
				return err
			}
			first = nil
			if c.Err != nil && path == "" {
				return fmt.Errorf("capture incomplete: %w", c.Err)
			}
			if c.Err != nil {
				return fmt.Errorf("capture incomplete (saved what was read to %s): %w", path, c.Err)
			}
			if o.Once {
				return nil
			}
			if st := sess.Status(); st.Target == probe.StatusDisconnected {
				return fmt.Errorf("target connection lost: %v", st.Err)
			}
		}
	}
}

// Explain analyses a crash and says loudly on warn when the ELF does not
// match the target, since every symbol in the report would then lie. The
// live watch and the post-mortem `analyze` both explain through it.
func Explain(snap *capture.Snapshot, img *elfsym.Image, warn io.Writer) *report.Report {
	rep := faultdecode.AnalyzeWith(snap, img, faultdecode.Options{Source: os.ReadFile})
	if m := rep.ELF.MatchesTarget; m != nil && !*m {
		fmt.Fprintf(warn, "faultline: WARNING: %s does not match what the target runs (flash differs); every symbol in this report may be wrong: pass the ELF that was flashed\n", rep.ELF.Path)
	}
	return rep
}

// PrintReport prints rep as text (with source lines read from this
// machine, when there, and LocalSources' paths) or as one JSON document
// (paths as recorded). img may be nil.
func PrintReport(w io.Writer, rep *report.Report, img *elfsym.Image, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(w, LocalSources(img))
}

// LocalSources is how text and Markdown reports reach the sources on this
// machine: read from disk, their paths shown relative to the working
// directory or to img's compile directory when under one, as the TUI
// shows them. img may be nil.
func LocalSources(img *elfsym.Image) report.Sources {
	var compDirs []string
	if img != nil {
		compDirs = img.CompDirs()
	}
	read := func(file string) ([]byte, error) { return srcpath.ReadFile(file, compDirs...) }
	return report.Sources{Read: read, Dirs: srcpath.Dirs(compDirs...)}
}
