package faultdecode

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// A report lists at most reportDepth physical frames. The unwinder goes
// much deeper (maxUnwindDepth), so that a recursion hundreds of calls deep
// in a big RAM still reaches main, as gdb's bt does; its middle is left
// out of the report and counted, keeping the innermost frames and the
// outermost keepOuter. A long chain that is no recursion (a corrupt stack
// read as frames) is cut at reportDepth, as before.
const (
	maxUnwindDepth = 8192
	reportDepth    = 64
	keepOuter      = 16
	// maxRecursionFuncs is how many functions a left-out middle may cycle
	// through and still be called a recursion (mutual recursion, with a
	// helper or two between).
	maxRecursionFuncs = 4
)

// foldRecursion shortens a.frames to at most reportDepth: the middle of
// a recursion is left out (a.elided, a.elidedAt, and a note naming its
// functions); anything else deeper than reportDepth is cut there.
func (a *analysis) foldRecursion() {
	n := len(a.frames)
	a.elidedAt = n
	if n <= reportDepth {
		return
	}
	head := reportDepth - keepOuter
	mid := a.frames[head : n-keepOuter]
	funcs, ok := a.recursionFuncs(mid)
	if !ok {
		a.frames = a.frames[:reportDepth]
		a.elidedAt = reportDepth
		a.unwErr = fmt.Errorf("%w (%d frames)", unwind.ErrDepth, reportDepth)
		return
	}
	a.elided, a.elidedAt = len(mid), head
	a.frames = append(a.frames[:head:head], a.frames[n-keepOuter:]...)
	a.note("%d frames unwound, a recursion through %s: the %d calls between the innermost %d frames and the outermost %d are left out of the frames",
		n, strings.Join(funcs, ", "), len(mid), head, keepOuter)
}

// recursionFuncs names the functions of frames in order of first
// appearance, and says whether they are few enough, each called often
// enough, to be one recursion.
func (a *analysis) recursionFuncs(frames []unwind.Frame) ([]string, bool) {
	var names []string
	count := map[string]int{}
	for _, f := range frames {
		name := a.frameFunc(f)
		if name == "" {
			return nil, false // unknown code: not a recursion we can name
		}
		if count[name] == 0 {
			names = append(names, name)
			if len(names) > maxRecursionFuncs {
				return nil, false
			}
		}
		count[name]++
	}
	for _, n := range names {
		if count[n] < 2 {
			return nil, false
		}
	}
	return names, true
}

// frameFunc is the physical function of an unwound frame, "" if unknown.
func (a *analysis) frameFunc(f unwind.Frame) string {
	if k := len(f.Funcs); k > 0 {
		return f.Funcs[k-1].Function
	}
	if a.img != nil {
		if s, _, ok := a.img.SymbolAt(uint64(f.Lookup)); ok && s.Func {
			return s.Name
		}
	}
	return ""
}
