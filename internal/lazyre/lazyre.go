// Package lazyre holds regular expressions that are compiled the first time
// they are used instead of in their package's init.
//
// A package-level regexp.MustCompile runs in every faultline process, for
// every command, before main: the console detectors alone were a quarter
// of the CPU time of `faultline --help`. A Regexp costs one small
// allocation at init and compiles once, on its first match, in the command
// that needs it.
//
// Expressions are constants written in the source, so a bad one is a
// programming error: like regexp.MustCompile, the first use panics.
// CompileAll compiles every Regexp made so far, for a test to find such
// errors without reaching each use.
package lazyre

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// A Regexp is a regular expression compiled on first use. Its methods are
// those of regexp.Regexp that faultline uses; Get returns the compiled
// expression for the others. It is safe for concurrent use.
type Regexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
	err  error
}

var (
	allMu sync.Mutex
	all   []*Regexp
)

// New returns a Regexp for expr, not yet compiled.
func New(expr string) *Regexp {
	r := &Regexp{expr: expr}
	allMu.Lock()
	all = append(all, r)
	allMu.Unlock()
	return r
}

func (r *Regexp) compile() {
	r.once.Do(func() { r.re, r.err = regexp.Compile(r.expr) })
}

// Get returns the compiled expression, compiling it on the first call. It
// panics if the expression does not compile.
func (r *Regexp) Get() *regexp.Regexp {
	r.compile()
	if r.err != nil {
		panic(fmt.Sprintf("lazyre: %v", r.err))
	}
	return r.re
}

// String returns the source text of the expression, without compiling it.
func (r *Regexp) String() string { return r.expr }

// MatchString is regexp.Regexp.MatchString.
func (r *Regexp) MatchString(s string) bool { return r.Get().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.Get().FindStringSubmatch(s) }

// FindAllString is regexp.Regexp.FindAllString.
func (r *Regexp) FindAllString(s string, n int) []string { return r.Get().FindAllString(s, n) }

// FindAllStringIndex is regexp.Regexp.FindAllStringIndex.
func (r *Regexp) FindAllStringIndex(s string, n int) [][]int { return r.Get().FindAllStringIndex(s, n) }

// FindAllStringSubmatch is regexp.Regexp.FindAllStringSubmatch.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.Get().FindAllStringSubmatch(s, n)
}

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (r *Regexp) ReplaceAllString(src, repl string) string {
	return r.Get().ReplaceAllString(src, repl)
}

// CompileAll compiles every Regexp made with New so far and returns the
// errors of those that do not compile, each naming its expression.
func CompileAll() error {
	allMu.Lock()
	rs := append([]*Regexp(nil), all...)
	allMu.Unlock()
	var errs []error
	for _, r := range rs {
		r.compile()
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", r.expr, r.err))
		}
	}
	return errors.Join(errs...)
}
