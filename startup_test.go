package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/internal/lazyre"
)

// Starting the process is most of what a symbolize on small firmware costs,
// so these tests keep package inits from growing back: they count, never
// time, so a loaded machine cannot make them flaky.

// initLine is one line of GODEBUG=inittrace=1 output:
// "init PKG @0.5 ms, 0.01 ms clock, 1320 bytes, 8 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, [0-9.]+ ms clock, (\d+) bytes, (\d+) allocs$`)

// initCost is what one package's init allocated.
type initCost struct {
	pkg           string
	bytes, allocs int
}

// traceInits runs the binary with args under GODEBUG=inittrace=1 and
// returns what each package's init allocated.
func traceInits(t *testing.T, args ...string) []initCost {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, faultlineBin, args...)
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("faultline %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var out []initCost
	for _, l := range strings.Split(stderr.String(), "\n") {
		m := initLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		b, _ := strconv.Atoi(m[2])
		a, _ := strconv.Atoi(m[3])
		out = append(out, initCost{m[1], b, a})
	}
	if len(out) < 20 {
		t.Fatalf("inittrace gave %d package inits; the output format changed?\n%s", len(out), stderr.String())
	}
	return out
}

// TestPackageInitsStaySmall: faultline's own package inits allocate
// almost nothing (a compiled regexp is 2-3 KB and ~25 allocations, a
// table of them tens of KB), no dependency's init allocates more than
// encoding/xml's 19 KB, and the whole process's inits stay near what they
// are since the regexps and tables became lazy (452 KB; 243 KB; 131 KB
// since third_party/bubbletea builds its key tables and third_party/
// clipboard finds its program on first use; faultline's own 7 KB -> 3 KB
// since its lookup maps became switches and arrays). Over budget means some init
// does work only one command needs: make it lazy (internal/lazyre,
// sync.OnceValue), in a fork if it is a dependency's.
func TestPackageInitsStaySmall(t *testing.T) {
	t.Parallel()
	const (
		perPackageBytes = 8 << 10
		ownBytes        = 6 << 10
		depBytes        = 24 << 10
		processBytes    = 160 << 10
	)
	for _, args := range [][]string{{"--help"}, {"symbolize", "--help"}} {
		var own, total int
		for _, c := range traceInits(t, args...) {
			total += c.bytes
			if c.pkg != "main" && !strings.HasPrefix(c.pkg, "github.com/faultline-dev/faultline") {
				if c.bytes > depBytes {
					t.Errorf("faultline %s: init of %s allocated %d bytes (%d allocs), budget %d", strings.Join(args, " "), c.pkg, c.bytes, c.allocs, depBytes)
				}
				continue
			}
			own += c.bytes
			if c.bytes > perPackageBytes {
				t.Errorf("faultline %s: init of %s allocated %d bytes (%d allocs), budget %d", strings.Join(args, " "), c.pkg, c.bytes, c.allocs, perPackageBytes)
			}
		}
		if own > ownBytes {
			t.Errorf("faultline %s: faultline's package inits allocated %d bytes, budget %d", strings.Join(args, " "), own, ownBytes)
		}
		if total > processBytes {
			t.Errorf("faultline %s: all package inits allocated %d bytes, budget %d", strings.Join(args, " "), total, processBytes)
		}
	}
}

// TestNoRegexpCompiledAtInit: no package linked into faultline compiles a
// regular expression in a package-level variable or an init function;
// they are lazyre.Regexp, compiled by the command that uses them.
func TestNoRegexpCompiledAtInit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", "-json=ImportPath,Dir,GoFiles,Module", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath, Dir string
		GoFiles         []string
		Module          *struct{ Path string }
	}
	var checked int
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != "github.com/faultline-dev/faultline" {
			continue
		}
		for _, f := range p.GoFiles {
			checked++
			for _, pos := range initRegexps(t, filepath.Join(p.Dir, f)) {
				t.Errorf("%s: regexp compiled at init; use lazyre.New", pos)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d files; go list output changed?", checked)
	}
}

// initRegexps returns where file compiles a regexp at init: in a
// package-level variable's value or in func init, outside function
// literals (those run later).
func initRegexps(t *testing.T, file string) []token.Position {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	name := ""
	for _, im := range f.Imports {
		if im.Path.Value == `"regexp"` {
			name = "regexp"
			if im.Name != nil {
				name = im.Name.Name
			}
		}
	}
	if name == "" {
		return nil
	}
	var found []token.Position
	look := func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && strings.Contains(sel.Sel.Name, "Compile") {
						found = append(found, fset.Position(n.Pos()))
					}
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			if d.Tok == token.VAR {
				look(d)
			}
		case *ast.FuncDecl:
			if d.Name.Name == "init" && d.Recv == nil && d.Body != nil {
				look(d.Body)
			}
		}
	}
	return found
}

// TestLazyRegexpsCompile: every lazyre expression in the binary's packages
// compiles (they are only compiled on first use, so a typo in one that no
// test reaches would otherwise panic in the field).
func TestLazyRegexpsCompile(t *testing.T) {
	t.Parallel()
	if err := lazyre.CompileAll(); err != nil {
		t.Error(err)
	}
}

// TestCtrlCEndsSymbolize: symbolize never looks at its context, so it must
// not catch SIGINT (it did, for every command, and then ran on: a symbolize
// reading a terminal could not be stopped with Ctrl-C). It must die of the
// signal, as addr2line would, whichever way it reads stdin.
func TestCtrlCEndsSymbolize(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	addr := fmt.Sprintf("%#x", fx.entry)
	tests := []struct {
		name  string
		args  []string
		first string // what stdin gets before the signal
		ready string // the output that says it is running
	}{
		{"annotating a log", nil, "pc " + addr + "\n", "pc " + addr},
		{"addresses after -", []string{"-"}, addr + "\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd, stdin, stdout := startSymbolize(t, ctx, fx.elf, tc.args...)
			defer stdin.Close() // only after the test: EOF would end it too
			if _, err := io.WriteString(stdin, tc.first); err != nil {
				t.Fatal(err)
			}
			if tc.ready != "" {
				// Annotating answers line by line: wait for it, so the
				// signal lands while it reads, not during start.
				line, err := bufio.NewReader(stdout).ReadString('\n')
				if err != nil || !strings.HasPrefix(line, tc.ready) {
					t.Fatalf("first line %q, %v; want %q...", line, err, tc.ready)
				}
			} else {
				time.Sleep(300 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("symbolize exited %v after SIGINT, want killed by it", err)
				}
				if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
					t.Errorf("symbolize ended with %v, want killed by SIGINT", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("symbolize still running 5s after SIGINT")
			}
		})
	}
}

// TestNoGOMAXPROCSUpdaterStarts: the binary keeps the GOMAXPROCS it starts
// with (main.go's //go:debug updatemaxprocs=0), so the runtime starts no
// goroutine before main to reread the cgroup CPU limit every second.
func TestNoGOMAXPROCSUpdaterStarts(t *testing.T) {
	info, err := buildinfo.ReadFile(faultlineBin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Settings {
		if s.Key == "DefaultGODEBUG" && slices.Contains(strings.Split(s.Value, ","), "updatemaxprocs=0") {
			return
		}
	}
	t.Fatalf("faultline is built without updatemaxprocs=0 in its default GODEBUG: %v", info.Settings)
}
