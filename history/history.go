package history

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// Schema names the JSON of `analyze DIR --json`.
const Schema = "faultline.history/v1"

// A Group is every capture of one fingerprint.
type Group struct {
	Fingerprint string    `json:"fingerprint"`
	Signature   string    `json:"signature"` // what the fingerprint hashes, readable
	Count       int       `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Builds      []string  `json:"builds"`  // firmware build ids seen ("" unknown)
	Summary     string    `json:"summary"` // the latest report's fault summary
	Captures    []string  `json:"captures"`
}

// A History collects reports into groups; the zero value is empty.
type History struct {
	groups map[string]*Group
}

// Add files the report of the capture at path ("" if not saved), taken
// at at, and returns its fingerprint.
func (h *History) Add(path string, at time.Time, rep *report.Report) string {
	if h.groups == nil {
		h.groups = map[string]*Group{}
	}
	fp := report.Fingerprint(rep)
	g := h.groups[fp]
	if g == nil {
		g = &Group{Fingerprint: fp, Signature: report.Signature(rep), FirstSeen: at, LastSeen: at}
		h.groups[fp] = g
	}
	g.Count++
	if at.Before(g.FirstSeen) {
		g.FirstSeen = at
	}
	if !at.Before(g.LastSeen) {
		g.LastSeen = at
		g.Summary = rep.Fault.Summary
	}
	if !slices.Contains(g.Builds, rep.ELF.BuildID) {
		g.Builds = append(g.Builds, rep.ELF.BuildID)
	}
	if path != "" {
		g.Captures = append(g.Captures, path)
	}
	return fp
}

// Sorted gives the groups, most frequent first, then most recent.
func (h *History) Sorted() []Group {
	var out []Group
	for _, g := range h.groups {
		slices.Sort(g.Builds)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return b.LastSeen.Compare(a.LastSeen)
	})
	return out
}

// A Summary is the history of a directory: `analyze DIR --json`.
type Summary struct {
	Schema     string       `json:"schema"`
	Dir        string       `json:"dir"`
	Captures   int          `json:"captures"`
	Groups     []Group      `json:"groups"`
	Unreadable []Unreadable `json:"unreadable,omitempty"`
}

// Unreadable is a file that is no capture (or too damaged to read).
type Unreadable struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// OpenELF opens the ELF for captures recorded against elfPath (the
// --elf flag, or the path the capture recorded); nil means analyse
// without symbols. It may warn on the writer the caller gave Scan.
type OpenELF func(elfPath string, snap *capture.Snapshot) (*elfsym.Image, error)

// Scan analyses every capture file in dir (against elf, or the ELF each
// capture recorded when elf is "") and groups them. Files that cannot be
// read are listed, and warnings go to warn; only an unreadable directory
// is an error.
func Scan(dir, elf string, open OpenELF, warn io.Writer) (*Summary, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read capture directory: %w", err)
	}
	hr := &Summary{Schema: Schema, Dir: dir, Groups: []Group{}}
	var h History
	images := map[string]*elfsym.Image{}
	defer func() {
		for _, im := range images {
			if im != nil {
				im.Close()
			}
		}
	}()
	for _, e := range ents {
		// Write's temporary files start with a dot; they are not captures.
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".core") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		snap, err := capture.Read(path)
		if snap == nil {
			hr.Unreadable = append(hr.Unreadable, Unreadable{Path: path, Error: err.Error()})
			fmt.Fprintf(warn, "faultline: warning: skipping %s: %v\n", path, err)
			continue
		}
		if err != nil {
			fmt.Fprintf(warn, "faultline: warning: %s: %v (analysing what is there)\n", path, err)
		}
		elfPath := elf
		if elfPath == "" {
			elfPath = snap.Meta.ELF.Path
		}
		img, seen := images[elfPath]
		if !seen {
			// Opened once per ELF, so its warnings are said once.
			img, err = open(elfPath, snap)
			if err != nil {
				fmt.Fprintf(warn, "faultline: warning: %v (frames of captures against it have no names)\n", err)
			}
			images[elfPath] = img
		}
		if img != nil && snap.Meta.ELF.SHA256 != "" && snap.Meta.ELF.SHA256 != img.SHA256() {
			img = nil // another build: names from this ELF would lie
			fmt.Fprintf(warn, "faultline: warning: %s was taken against another build than %s; analysed without symbols (use --elf)\n", path, elfPath)
		}
		rep := faultdecode.AnalyzeWith(snap, img, faultdecode.Options{Source: os.ReadFile})
		hr.Captures++
		h.Add(path, snap.Meta.CapturedAt, rep)
	}
	hr.Groups = append(hr.Groups, h.Sorted()...)
	return hr, nil
}

// WriteText prints the history as a table, most frequent crash first, and
// each crash's summary and latest capture.
func (hr *Summary) WriteText(w io.Writer) error {
	if hr.Captures == 0 {
		_, err := fmt.Fprintf(w, "no capture files in %s\n", hr.Dir)
		return err
	}
	fmt.Fprintf(w, "%s in %s, %s\n\n", Plural(hr.Captures, "capture"), hr.Dir, Plural(len(hr.Groups), "distinct crash"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tCOUNT\tFIRST SEEN\tLAST SEEN\tBUILD\tCRASH")
	for _, g := range hr.Groups {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", g.Fingerprint, g.Count, fmtSeen(g.FirstSeen), fmtSeen(g.LastSeen), fmtBuilds(g.Builds), g.Signature)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, g := range hr.Groups {
		fmt.Fprintf(w, "\n%s: %s\n  latest: %s\n", g.Fingerprint, g.Summary, g.Captures[len(g.Captures)-1])
	}
	return nil
}

func fmtSeen(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtBuilds shortens build ids to 12 digits, like git's abbreviations.
func fmtBuilds(ids []string) string {
	var out []string
	for _, id := range ids {
		if id == "" {
			id = "unknown"
		} else if len(id) > 12 {
			id = id[:12]
		}
		out = append(out, id)
	}
	return strings.Join(out, ",")
}

// Plural is "1 capture", "2 captures".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "sh") || strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
