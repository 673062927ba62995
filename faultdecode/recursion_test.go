package faultdecode

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// TestFoldRecursionKeepsBothEndsOfADeepRecursion: a chain deeper than the
// report lists keeps its innermost frames and its outermost (down to
// main), the middle of a recursion counted on the frame where the chain
// resumes; a deep chain that is no recursion is cut at the report's depth
// with the depth-cap error, and a short one is untouched.
func TestFoldRecursionKeepsBothEndsOfADeepRecursion(t *testing.T) {
	chain := func(names ...string) []unwind.Frame {
		var fs []unwind.Frame
		for i, n := range names {
			fs = append(fs, unwind.Frame{PC: uint32(0x100 + 4*i), SP: uint32(0x20000000 + 64*i), Funcs: []elfsym.Frame{{Function: n}}})
		}
		return fs
	}
	recursion := func(depth int) []string {
		out := []string{"lookup_atom"}
		for i := 0; i < depth; i++ {
			out = append(out, "parse_value", "parse_list")
		}
		return append(out, "parse_value", "parse_document", "main")
	}
	distinct := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("f%d", i))
		}
		return out
	}
	tests := []struct {
		name       string
		frames     []string
		wantLen    int
		wantElided int // on report frame reportDepth-keepOuter
		wantLast   string
		wantDepth  bool // unwErr is the depth cap
		wantNote   string
	}{
		{"recursion 2000 levels deep", recursion(2000), reportDepth, 4004 - reportDepth, "main", false, "a recursion through parse_list, parse_value: the 3940 calls"},
		{"short chain", recursion(10), 24, 0, "main", false, ""},
		{"deep chain of distinct functions", distinct(100), reportDepth, 0, "f63", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &analysis{rep: &report.Report{Registers: map[string]string{}}, frames: chain(tc.frames...)}
			a.foldRecursion()
			a.reportFrames()
			fr := a.rep.Frames
			if len(fr) != tc.wantLen || fr[len(fr)-1].Function != tc.wantLast {
				t.Fatalf("%d frames ending in %s, want %d ending in %s", len(fr), fr[len(fr)-1].Function, tc.wantLen, tc.wantLast)
			}
			elided := 0
			for i, f := range fr {
				if f.Elided > 0 && i != reportDepth-keepOuter {
					t.Errorf("frame %d has elided %d; only frame %d may", i, f.Elided, reportDepth-keepOuter)
				}
				elided += f.Elided
			}
			if elided != tc.wantElided {
				t.Errorf("elided %d calls, want %d", elided, tc.wantElided)
			}
			if got := errors.Is(a.unwErr, unwind.ErrDepth); got != tc.wantDepth {
				t.Errorf("depth-cap error %v, want %v", a.unwErr, tc.wantDepth)
			}
			notes := strings.Join(a.rep.Notes, "\n")
			if tc.wantNote != "" && !strings.Contains(notes, tc.wantNote) {
				t.Errorf("notes do not say %q:\n%s", tc.wantNote, notes)
			}
			if tc.wantNote == "" && strings.Contains(notes, "recursion") {
				t.Errorf("a recursion noted where there is none:\n%s", notes)
			}
		})
	}
}
