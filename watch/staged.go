package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/probe"
)

// A firstLook is a crash whose first report (from the registers, fault
// registers and stacks) is out while its capture still reads the rest of
// memory over a slow link.
type firstLook struct {
	snap probe.SessionCrash
	rep  *report.Report
}

// showFirstLook prints the first report (text mode only: --json promises
// one document per crash, the complete one).
func showFirstLook(c probe.SessionCrash, o Options) (*firstLook, error) {
	rep := Explain(c.Snapshot, o.Image, o.Log)
	if !o.JSON {
		fmt.Fprintln(o.Log, "faultline: crash caught; first report from the registers, fault registers and stacks while the rest of memory is read")
		if err := PrintReport(o.Out, rep, o.Image, false); err != nil {
			return nil, err
		}
	}
	return &firstLook{snap: c, rep: rep}, nil
}

// printWhole prints the report of the complete capture: always without a
// first look or with --json, and after a first look only when the rest of
// memory changed it.
func (fl *firstLook) printWhole(stdout, stderr io.Writer, rep *report.Report, img *elfsym.Image, asJSON bool) error {
	if fl == nil || asJSON {
		return PrintReport(stdout, rep, img, asJSON)
	}
	if !reportChanged(fl.rep, rep) {
		fmt.Fprintln(stderr, "faultline: the rest of memory is in; it changes nothing in the report above")
		return nil
	}
	fmt.Fprintln(stderr, "faultline: the rest of memory is in; the report, updated:")
	fmt.Fprintln(stdout)
	return PrintReport(stdout, rep, img, false)
}

// interrupted ends a capture stopped (Ctrl-C) while it read the rest of
// memory: the session stops reading and hands over what it read, which is
// saved saying what is missing.
func (fl *firstLook) interrupted(sess *probe.Session, o Options) error {
	sess.Close() // stops the capture; its crash, as read, is then on Crashes
	c := fl.snap
	select {
	case c = <-sess.Crashes():
	case <-time.After(5 * time.Second):
		// The session did not hand it over: save the first look, which
		// says what it lacks.
	}
	if o.NoSave {
		return errors.New("capture interrupted while reading memory (not saved: --no-save)")
	}
	path, err := capture.Save(o.Dir, c.Snapshot)
	if err != nil {
		return fmt.Errorf("save capture: %w", err)
	}
	fmt.Fprintf(o.Log, "faultline: capture saved to %s\n", path)
	if err := fl.printWhole(o.Out, o.Log, Explain(c.Snapshot, o.Image, o.Log), o.Image, o.JSON); err != nil {
		return err
	}
	return fmt.Errorf("capture interrupted while reading memory (saved what was read to %s)", path)
}

// reportChanged compares two reports but for the notes that say memory was
// still being read.
func reportChanged(a, b any) bool {
	return !reflect.DeepEqual(reportShape(a), reportShape(b))
}

func reportShape(r any) any {
	raw, err := json.Marshal(r)
	if err != nil {
		return err.Error()
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err.Error()
	}
	if notes, ok := m["notes"].([]any); ok {
		var keep []any
		for _, n := range notes {
			if s, ok := n.(string); !ok || !strings.Contains(s, probe.PendingMemoryNote) {
				keep = append(keep, n)
			}
		}
		m["notes"] = keep
	}
	return m
}
