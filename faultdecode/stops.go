package faultdecode

import (
	"bufio"
	"bytes"
	"fmt"
	"sync"

	"strconv"
	"strings"

	"github.com/faultline-dev/faultline/deviceos"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/deadend"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
	"github.com/faultline-dev/faultline/internal/lazyre"
	"github.com/faultline-dev/faultline/srcpath"
	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// A stopCall is what the call into a stop function passed, as far as it
// could be read back.
type stopCall struct {
	file     string
	line     int
	fn       string
	expr     string
	exprFrom string // "its argument", "the source line"
	code     int    // Device OS panic code, 0 if not known
	msg      string
}

// deliberateStops names a crash that is the firmware stopping itself: a
// failed assertion's handler among the frames. The check that failed is
// in the handler's caller, whose file and line the finding names; the
// summary leads with it. The handler's arguments (file, line, expression,
// panic code) are read back from the constants the caller loaded before
// its call, since the handler has long reused r0-r3 when it traps.
func (a *analysis) deliberateStops() {
	a.trapExplanation()
	fs := a.rep.Frames
	for i, f := range fs {
		sf, ok := deadend.Lookup(report.BareFunction(f.Function))
		if !ok || sf.Explained {
			continue
		}
		handler := report.BareFunction(f.Function)
		j := i + 1
		for j < len(fs) {
			if name := report.BareFunction(fs[j].Function); name == handler {
				j++ // an inlined copy of the handler itself
			} else if outer, ok := deadend.Lookup(name); ok && !outer.Explained {
				// A stop that calls another (newlib's __assert_func and
				// __stack_chk_fail end in abort): the outer one names
				// the check that failed.
				sf, handler = outer, name
				j++
			} else {
				break
			}
		}
		where := "an unknown caller"
		finding := report.Finding{Kind: report.FindAssert}
		if sf.Kind != "" {
			finding.Kind = sf.Kind
		}
		var call stopCall
		if j < len(fs) {
			where = fs[j].Where()
			finding.Address, finding.Symbol = fs[j].PC, report.BareFunction(fs[j].Function)
			call = a.readStopCall(sf, handler, fs[j])
		}
		what := sf.What
		if call.expr != "" {
			what = fmt.Sprintf("%s(%s)", sf.Macro, call.expr)
		}
		lead := fmt.Sprintf("Assertion failed: %s in %s", what, where)
		switch {
		case sf.Lead != "":
			lead = fmt.Sprintf(sf.Lead, where)
		case handler == "panic_" && call.code != 0:
			name := deviceos.PanicName(call.code)
			if name == "" {
				name = "with an unknown code"
			}
			if call.code == deviceos.PanicCode("AssertionFailure") && call.expr != "" {
				lead = fmt.Sprintf("Assertion failed: %s (Device OS panic %s, code %d) in %s", what, name, call.code, where)
			} else {
				lead = fmt.Sprintf("Device OS panic %s (code %d) in %s", name, call.code, where)
			}
		}
		stopped := "so the fault below is the stop, not the bug"
		if a.rep.Fault.Exception == "None" && !a.rep.Fault.Lockup {
			stopped = "and the core was caught there (no fault: such a stop spins, or ends in a loop, with nothing on the console)"
		}
		finding.Summary = fmt.Sprintf("%s; %s stopped the firmware there on purpose, %s", lead, handler, stopped)
		if details := a.stopDetails(call, fs[min(j, len(fs)-1)]); details != "" {
			finding.Summary += ". " + details
		}
		if cur := a.sys.Current(); cur != nil {
			finding.Summary += fmt.Sprintf(" (task '%s')", cur.Name)
		}
		a.rep.Findings = append([]report.Finding{finding}, a.rep.Findings...)
		a.rep.Fault.Summary = lead + ". " + a.rep.Fault.Summary
		return
	}
	a.inlineStop()
}

// inlineStop explains a dead-end stop on a branch to itself with no stop
// function among the frames: an assertion or error handler compiled
// inline (FreeRTOS's configASSERT written "taskDISABLE_INTERRUPTS();
// for (;;);"), so the line the core spins on is the check that failed;
// its expression is the macro's argument there, when the source says.
func (a *analysis) inlineStop() {
	if a.snap == nil || a.snap.Meta.Trigger.Kind != "dead-end" || len(a.rep.Frames) == 0 {
		return
	}
	f := a.rep.Frames[0]
	pc, err := strconv.ParseUint(strings.TrimPrefix(f.PC, "0x"), 16, 32)
	if err != nil {
		return
	}
	var b [4]byte
	n, _ := codeMem{a}.ReadMemory(b[:], pc)
	if !deadend.BranchToSelf(b[:n]) {
		return
	}
	where := f.Where()
	lead := "The firmware stopped itself in " + where
	expr := ""
	for _, m := range []string{"configASSERT", "assert_param", "assert"} {
		if e := macroArgument(a.source, f.File, f.Line, m); e != "" {
			lead, expr = fmt.Sprintf("Assertion failed: %s(%s) in %s", m, e, where), e
			break
		}
	}
	finding := report.Finding{Kind: report.FindAssert, Address: f.PC, Symbol: report.BareFunction(f.Function),
		Summary: lead + "; it spins there on a branch to itself, as an assertion or error handler compiled inline does (interrupts masked, no fault, nothing on the console)"}
	if expr != "" {
		finding.Summary += ". Expression (from the source line): " + expr
		if vals := a.exprValues(expr, f); vals != "" {
			finding.Summary += "; " + vals
		}
	}
	if cur := a.sys.Current(); cur != nil {
		finding.Summary += fmt.Sprintf(" (task '%s')", cur.Name)
	}
	a.rep.Findings = append([]report.Finding{finding}, a.rep.Findings...)
	a.rep.Fault.Summary = lead + ". " + a.rep.Fault.Summary
}

// readStopCall reads the stop function's arguments back from the code
// that called it (the caller frame's return address) and, when the call
// passed no expression, the macro's argument from the source line.
func (a *analysis) readStopCall(sf deadend.Func, handler string, caller report.Frame) stopCall {
	var call stopCall
	if a.img == nil {
		return call
	}
	if args, ok := a.entryArgs(handler); ok {
		call.fill(a, sf, args)
	} else if ret, err := strconv.ParseUint(strings.TrimPrefix(caller.PC, "0x"), 16, 32); err == nil && ret >= 4 {
		if sym, _, ok := a.img.SymbolAt(ret - 4); ok && sym.Func {
			if args, ok := fault.CallArgs(codeMem{a}, uint32(sym.Addr), uint32(ret)); ok {
				call.fill(a, sf, args)
			}
		}
	}
	if call.expr == "" && sf.Macro != "" && caller.File != "" && caller.Line > 0 {
		line := caller.Line
		if call.line > 0 && (call.file == "" || srcpath.Base(call.file) == srcpath.Base(caller.File)) {
			line = call.line
		}
		if e := macroArgument(a.source, caller.File, line, sf.Macro); e != "" {
			call.expr, call.exprFrom = e, "the source line"
		}
	}
	return call
}

// entryArgs gives r0-r3 as the call passed them when the core stopped on
// the first instruction of the stop function fn (capture's dead-end
// breakpoint): then they are the arguments, whatever the caller computed
// them from.
func (a *analysis) entryArgs(fn string) ([4]fault.Arg, bool) {
	var args [4]fault.Arg
	if len(a.frames) == 0 || a.frames[0].Lookup != a.frames[0].PC {
		return args, false
	}
	sym, ok := a.img.LookupSymbol(fn)
	if !ok || !sym.Func || uint32(sym.Addr)&^1 != a.frames[0].PC&^1 {
		return args, false
	}
	for r := range args {
		v, ok := a.frames[0].Regs.Get(r)
		args[r] = fault.Arg{Known: ok, Value: v, From: fmt.Sprintf("r%d at %s's entry", r, fn)}
	}
	return args, true
}

// fill interprets the argument registers the call set from constants.
func (c *stopCall) fill(a *analysis, sf deadend.Func, args [4]fault.Arg) {
	for r, kind := range sf.Args {
		if kind == deadend.ArgNone || !args[r].Known {
			continue
		}
		v := args[r].Value
		switch kind {
		case deadend.ArgLine:
			c.line = int(int32(v))
		case deadend.ArgPanicCode:
			c.code = int(v)
		case deadend.ArgFile:
			c.file = a.cString(v)
		case deadend.ArgFunc:
			c.fn = a.cString(v)
		case deadend.ArgExpr:
			if c.expr = a.cString(v); c.expr != "" {
				c.exprFrom = "its argument"
			}
		case deadend.ArgPanicMsg:
			c.msg = a.cString(v)
			// SPARK_ASSERT(p) is PANIC(AssertionFailure, "AssertionFailure "#p).
			if e, ok := strings.CutPrefix(c.msg, "AssertionFailure "); ok && e != "" {
				c.expr, c.exprFrom = e, "the panic message"
			}
		}
	}
}

// stopDetails says what the call passed (file, line, function, message)
// and the values of the expression's variables that the capture holds.
func (a *analysis) stopDetails(c stopCall, caller report.Frame) string {
	var parts []string
	if c.file != "" {
		parts = append(parts, fmt.Sprintf("file %q", c.file))
	}
	if c.line != 0 {
		parts = append(parts, fmt.Sprintf("line %d", c.line))
	}
	if c.fn != "" {
		parts = append(parts, "function "+c.fn)
	}
	if c.msg != "" && c.expr == "" {
		parts = append(parts, fmt.Sprintf("message %q", c.msg))
	}
	out := ""
	if len(parts) > 0 {
		out = "The call passed " + strings.Join(parts, ", ")
	}
	if c.expr != "" {
		if out != "" {
			out += ". "
		}
		out += fmt.Sprintf("Expression (from %s): %s", c.exprFrom, c.expr)
		if vals := a.exprValues(c.expr, caller); vals != "" {
			out += "; " + vals
		}
	}
	return out
}

// identRE matches the variables of a C expression with their member and
// constant-index accessors ("cfg->limits[2].max").
var identRE = lazyre.New(`[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|->)[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*(\s*\()?`)

// exprValues gives the value of each variable in expr: a global's from
// the captured RAM; a local's or parameter's is said not to be
// recoverable (its register or stack slot at the call is not read).
func (a *analysis) exprValues(expr string, caller report.Frame) string {
	ev, ok := a.img.(interface {
		Eval(mem elfsym.MemReader, expr string) (uint64, *elfsym.Type, error)
		FormatValue(mem elfsym.MemReader, addr uint64, t *elfsym.Type, opt elfsym.FormatOptions) string
	})
	var out []string
	seen := map[string]bool{}
	for _, m := range identRE.FindAllStringSubmatch(expr, -1) {
		name := m[0]
		if m[1] != "" || seen[name] || cKeywords()[name] || strings.ToUpper(name) == name {
			continue // a function call, a keyword or a macro constant
		}
		seen[name] = true
		if ok {
			if addr, t, err := ev.Eval(a.snap, name); err == nil {
				v := ev.FormatValue(a.snap, addr, t, elfsym.FormatOptions{MaxDepth: 2, MaxElements: 8})
				if !strings.Contains(v, "<unreadable>") {
					out = append(out, fmt.Sprintf("%s = %s", name, v))
					continue
				}
				out = append(out, fmt.Sprintf("%s: not in the capture", name))
				continue
			}
		}
		out = append(out, a.localValue(name, caller))
	}
	return strings.Join(out, "; ")
}

// localValue says the value a local or parameter of the caller had at
// its call, from its DWARF location there: in a register the call keeps
// (r4-r11, sp) or in the caller's frame; or why that is not recoverable.
func (a *analysis) localValue(name string, caller report.Frame) string {
	notHere := fmt.Sprintf("%s: a local or parameter of %s, its value at the call not recoverable from the capture", name, caller.Where())
	loc, ok := a.img.(interface {
		LocalAt(pc uint64, name string) (elfsym.Local, bool, error)
	})
	if !ok {
		return notHere
	}
	var fr *unwind.Frame
	top := false // the frame the core stopped in, not a caller: every register is as it was
	for i := range a.frames {
		if fmt.Sprintf("0x%08x", a.frames[i].PC) != caller.PC {
			continue
		}
		if a.frames[i].Lookup != a.frames[i].PC {
			fr = &a.frames[i]
			break
		}
		if i == 0 && a.stoppedAsIs() {
			fr, top = &a.frames[i], true
			break
		}
	}
	if fr == nil {
		return notHere
	}
	l, ok, err := loc.LocalAt(uint64(fr.Lookup), name)
	if err != nil || !ok {
		return notHere
	}
	trusted := fr.How == unwind.HowCFI // registers restored by the callee's CFI
	reg := func(n int) (uint32, bool) {
		if top {
			return fr.Regs.Get(n)
		}
		if !trusted || !(n >= 4 && n <= 11 || n == fault.RegSP) {
			return 0, false // r0-r3, r12 and lr do not survive the call
		}
		return fr.Regs.Get(n)
	}
	cfa := func() (uint32, bool) {
		fc, err := a.img.FrameContext(uint64(fr.Lookup))
		if err != nil || fc.CFA.Rule != frame.RuleCFA || fc.CFA.Reg > 15 {
			return 0, false
		}
		base, ok := reg(int(fc.CFA.Reg))
		return uint32(int64(base) + fc.CFA.Offset), ok
	}
	v := l.ValueOf(elfsym.LocalFrame{Reg: reg, CFA: cfa, Mem: a.snap})
	what := "local"
	if l.Param {
		what = "parameter"
	}
	if !v.OK {
		return fmt.Sprintf("%s (a %s of %s): not recoverable, %s", name, what, l.Function, v.Why)
	}
	return fmt.Sprintf("%s = 0x%x (%d) (a %s of %s, %s)", name, v.Value, int64(signExtend(v.Value, l.Size)), what, l.Function, v.Where)
}

// signExtend reads the low size bytes of v as a signed number.
func signExtend(v uint64, size int64) int64 {
	if size <= 0 || size >= 8 {
		return int64(v)
	}
	shift := 64 - 8*uint(size)
	return int64(v<<shift) >> shift
}

var cKeywords = sync.OnceValue(func() map[string]bool {
	return map[string]bool{"sizeof": true, "true": true, "false": true, "nullptr": true, "NULL": true, "int": true, "unsigned": true, "char": true, "void": true, "const": true, "struct": true}
})

// cString reads a NUL-terminated string of printable text at addr, from
// the image (string literals are in flash) or the capture; "" if none.
func (a *analysis) cString(addr uint32) string {
	var s []byte
	// In small pieces: a string near the end of its section leaves no
	// room for a long read.
	for len(s) < 512 {
		var b [16]byte
		n, _ := codeMem{a}.ReadMemory(b[:], uint64(addr)+uint64(len(s)))
		if n == 0 {
			n, _ = codeMem{a}.ReadMemory(b[:1], uint64(addr)+uint64(len(s)))
		}
		if n == 0 {
			return ""
		}
		for _, c := range b[:n] {
			if c == 0 {
				return string(s)
			}
			if c < 0x20 && c != '\t' || c >= 0x7f {
				return ""
			}
			s = append(s, c)
		}
	}
	return ""
}

// codeMem reads the image first, then the capture: code and constants
// as linked, whatever the capture holds.
type codeMem struct{ a *analysis }

func (m codeMem) ReadMemory(buf []byte, addr uint64) (int, error) {
	if m.a.img != nil {
		if n, _ := m.a.img.ReadMemory(buf, addr); n == len(buf) {
			return n, nil
		}
	}
	return m.a.snap.ReadMemory(buf, addr)
}

// macroArgument is the argument of the first call of macro on line of
// the source file ("configASSERT( pxQueue );" gives "pxQueue"), "" when
// there is no source reader, the file cannot be read or the line has no
// such call.
func macroArgument(src report.SourceFunc, file string, line int, macro string) string {
	if src == nil {
		return ""
	}
	b, err := src(file)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if n < line {
			continue
		}
		text := sc.Text()
		i := strings.Index(text, macro)
		if i < 0 {
			return ""
		}
		rest := strings.TrimLeft(text[i+len(macro):], " \t")
		if !strings.HasPrefix(rest, "(") {
			return ""
		}
		depth := 0
		for k, c := range rest {
			switch c {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					return strings.TrimSpace(rest[1:k])
				}
			}
		}
		return "" // spans lines: not worth guessing
	}
	return ""
}

// trapExplanation says what an UNDEFINSTR at a udf is: a trap placed on
// purpose, not a jump into data or corrupted flash.
func (a *analysis) trapExplanation() {
	pc, ok := a.faultPC()
	if !ok {
		return
	}
	in, ok := a.insnAt(pc)
	if !ok || in.Kind != fault.InsnUDF {
		return
	}
	for i, c := range a.rep.Fault.Causes {
		if c == "UNDEFINSTR" && i < len(a.rep.Fault.Explanations) {
			a.rep.Fault.Explanations[i] = fmt.Sprintf("UNDEFINSTR: the faulting instruction is %s at 0x%08x, a permanently undefined instruction placed on purpose (__builtin_trap() in an assertion or hook, or the compiler's trap after code it proved unreachable), not a jump into data", in.Text, pc)
		}
	}
}
