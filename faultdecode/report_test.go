package faultdecode

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// handlerRegs are the registers at a fault handler's first instruction.
func handlerRegs(exc uint32, lr, sp uint32, extra map[string]uint32) map[string]uint32 {
	r := map[string]uint32{"pc": 0x08000050, "lr": lr, "sp": sp, "msp": sp, "psp": 0, "xpsr": 0x01000000 | exc}
	for i, n := range fault.RegNames[:13] {
		r[n] = uint32(0x100 + i)
	}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

type reportCase struct {
	name  string
	snap  func() *capture.Snapshot
	noELF bool
	check func(t *testing.T, r *report.Report)
}

func reportCases() []reportCase {
	chain := func(s *fdtest.Stack, frameAt uint32) {
		// c (leaf) -> b -> a -> main, above an exception frame of 0x20 bytes.
		sp := frameAt + 0x20
		s.Put(sp+4, fdtest.A+0x21)
		s.Put(sp+8+12, fdtest.Main+0x21)
		s.Put(sp+8+16+4, 0xFFFFFFFF)
	}
	return []reportCase{
		{name: "divzero-forced", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			chain(s, 0x20001000)
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 25, fault.AddrHFSR: 1 << 30, fault.AddrICSR: 3, fault.AddrCCR: 0x210}), fdtest.DHCSRRegion(0x00030003))
		}, check: func(t *testing.T, r *report.Report) {
			wantFrames(t, r, "divide/fault-pc/inlined", "c/fault-pc", "b/cfi", "a/cfi", "main/cfi")
			if r.Registers["pc"] != report.Hex(fdtest.C+0x10) || r.Registers["sp"] != "0x20001020" || r.Registers["msp"] != "0x20001020" {
				t.Errorf("faulting context registers wrong: %v", r.Registers)
			}
		}},
		{name: "bad-function-pointer", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0xae094710, 1, 2, 0xae094710, 12, fdtest.B+0x41, 0xae094710, 0x00000000)
			chain(s, 0x20001000)
			s.Put(0x20000a40, 0xae094711) // the stale object's function pointer
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1, fault.AddrHFSR: 1 << 30, fault.AddrMMFAR: 0xE000EDF8}))
		}, check: func(t *testing.T, r *report.Report) {
			wantFrames(t, r, "??/fault-pc", "b/lr", "a/cfi", "main/cfi")
			wantFindings(t, r, "bad-pc", "pointer-source")
			for _, f := range r.Findings {
				if f.Kind == "pointer-source" && f.Address != "0x20000a40" {
					t.Errorf("pointer-source at %s: the copies on the stack must not count", f.Address)
				}
			}
			if r.Fault.FaultAddress != "" {
				t.Errorf("fault_address %s shown without MMARVALID", r.Fault.FaultAddress)
			}
		}},
		{name: "isr-on-psp", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20002000, 0, 1, 2, 3, 12, fdtest.ISR+0x01, fdtest.ISR+0x10, 0x0100002a)
			s.Put(0x20002024, 0xFFFFFFFD)
			s.Put(0x20003000, 0, 1, 2, 3, 12, fdtest.Main+0x21, fdtest.Thread+0x10, 0x01000000)
			s.Put(0x20003024, fdtest.Main+0x21)
			s.Put(0x2000302c, 0xFFFFFFFF)
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF1, 0x20002000, map[string]uint32{"psp": 0x20003000}),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1<<1 | 1<<7, fault.AddrHFSR: 1 << 30, fault.AddrMMFAR: 0x00000004, fault.AddrSHCSR: 0}))
		}, check: func(t *testing.T, r *report.Report) {
			wantFrames(t, r, "isr/fault-pc", "thread_fn/exception-frame", "main/cfi")
			if r.Fault.FaultAddress != "0x00000004" {
				t.Errorf("fault_address %q, want MMFAR", r.Fault.FaultAddress)
			}
		}},
		{name: "fp-frame-realigned", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			words := make([]uint32, 26)
			copy(words, []uint32{0, 1, 2, 3, 12, fdtest.B + 0x21, fdtest.C + 0x10, 0x01000200})
			s.Put(0x20001000, words...)
			s.Put(0x2000106c+4, 0xFFFFFFFF) // b's saved LR (CFA = 0x2000106c + 8)
			return s.Snapshot(handlerRegs(6, 0xFFFFFFE9, 0x20001000, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 24, fault.AddrSHCSR: 1 << 18}))
		}, check: func(t *testing.T, r *report.Report) {
			if r.Registers["sp"] != "0x2000106c" {
				t.Errorf("sp %s, want 0x2000106c (0x68 FP frame + 4 realignment)", r.Registers["sp"])
			}
			wantFrames(t, r, "divide/fault-pc/inlined", "c/fault-pc", "b/cfi")
		}},
		{name: "stacking-error", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			return s.Snapshot(handlerRegs(3, 0xFFFFFFFD, 0x20001000, map[string]uint32{"psp": 0x1FFFFFE0}),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 12, fault.AddrHFSR: 1 << 30}))
		}, check: func(t *testing.T, r *report.Report) {
			if len(r.Frames) != 0 {
				t.Errorf("a frame from a failed stacking: %v", frameList(r))
			}
			wantFindings(t, r, "stack-corruption", "stack-overflow")
			if !strings.Contains(strings.Join(r.Notes, "\n"), "is not valid") {
				t.Errorf("notes must say the frame is not valid: %v", r.Notes)
			}
		}},
		{name: "lockup", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			chain(s, 0x20001000)
			snap := s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, map[string]uint32{"pc": 0xFFFFFFFE}),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1<<9 | 1<<15, fault.AddrBFAR: 0x60000010, fault.AddrHFSR: 1 << 30}), fdtest.DHCSRRegion(1<<19|1<<17|3))
			snap.Meta.Trigger = capture.Trigger{Kind: "lockup", Detail: "clearing lockup after double fault"}
			return snap
		}, check: func(t *testing.T, r *report.Report) {
			if r.Fault.Exception != "Lockup" || !r.Fault.Lockup || r.Fault.FaultAddress != "0x60000010" {
				t.Errorf("exception %s lockup %v address %s", r.Fault.Exception, r.Fault.Lockup, r.Fault.FaultAddress)
			}
			wantFindings(t, r, "lockup")
			wantFrames(t, r, "divide/fault-pc/inlined", "c/fault-pc", "b/cfi", "a/cfi", "main/cfi")
		}},
		{name: "imprecise", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			chain(s, 0x20001000)
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 10, fault.AddrBFAR: 0x12345678, fault.AddrHFSR: 1 << 30}))
		}, check: func(t *testing.T, r *report.Report) {
			wantFindings(t, r, "imprecise")
			if r.Frames[0].How != unwind.HowExceptionFrame || r.Fault.FaultAddress != "" {
				t.Errorf("frame 0 how %s, fault_address %q", r.Frames[0].How, r.Fault.FaultAddress)
			}
		}},
		{name: "invstate", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, fdtest.C, 12, fdtest.B+0x41, fdtest.C, 0x00000000)
			chain(s, 0x20001000)
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 17, fault.AddrHFSR: 1 << 30}))
		}, check: func(t *testing.T, r *report.Report) {
			wantFindings(t, r, "thumb-bit")
		}},
		{name: "ascii-return-address", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			s.Put(0x20001024, 0x41414141) // b's saved LR, overwritten by a string
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 25, fault.AddrHFSR: 1 << 30}))
		}, check: func(t *testing.T, r *report.Report) {
			wantFindings(t, r, "stack-corruption")
			wantFrames(t, r, "divide/fault-pc/inlined", "c/fault-pc", "b/cfi")
			if r.Frames[2].Error == "" {
				t.Error("the frame where unwinding stopped must say why")
			}
		}},
		{name: "lockup-without-exc-return", snap: func() *capture.Snapshot {
			// Locked up inside HardFault after the handler reused LR: the
			// original frame is found by looking near SP.
			s := fdtest.NewStack()
			s.Put(0x20001000, 0x11, 0x22)
			s.Put(0x20001008, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			s.Put(0x2000102c, fdtest.A+0x21)
			s.Put(0x2000103c, fdtest.Main+0x21)
			s.Put(0x20001044, 0xFFFFFFFF)
			snap := s.Snapshot(handlerRegs(3, 0x08000051, 0x20001000, map[string]uint32{"pc": 0xFFFFFFFE}),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 1, fault.AddrHFSR: 1 << 30}), fdtest.DHCSRRegion(1<<19|1<<17|3))
			snap.Meta.Trigger = capture.Trigger{Kind: "lockup"}
			return snap
		}, check: func(t *testing.T, r *report.Report) {
			if r.Fault.Exception != "Lockup" {
				t.Errorf("exception %s", r.Fault.Exception)
			}
			wantFrames(t, r, "divide/fault-pc/inlined", "c/fault-pc", "b/cfi", "a/cfi", "main/cfi")
			if r.Frames[0].Confidence != unwind.Guess {
				t.Errorf("a guessed frame must say so: %s", r.Frames[0].Confidence)
			}
		}},
		{name: "main-stack-overflow", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20000700, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			chain(s, 0x20000700)
			return s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20000700, nil),
				fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1<<1 | 1<<7, fault.AddrMMFAR: 0x20000700, fault.AddrHFSR: 1 << 30}))
		}, check: func(t *testing.T, r *report.Report) {
			wantFindings(t, r, "stack-overflow")
		}},
		{name: "serial-only", snap: func() *capture.Snapshot {
			return &capture.Snapshot{Meta: capture.Meta{Trigger: capture.Trigger{Kind: "serial-panic", Detail: "0000123456 [hal] PANIC: HardFault"}, Target: "serial-only"}}
		}, check: func(t *testing.T, r *report.Report) {
			if len(r.Frames) != 0 || r.Fault.Exception != "HardFault" || len(r.Notes) == 0 {
				t.Errorf("frames %v exception %s notes %v", r.Frames, r.Fault.Exception, r.Notes)
			}
		}},
		{name: "v6m-hardfault", snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			chain(s, 0x20001000)
			snap := s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil), fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 0xFFFFFFFF}))
			snap.Meta.Extra = map[string]string{"core": "cortex-m0+"}
			return snap
		}, check: func(t *testing.T, r *report.Report) {
			if len(r.Fault.Causes) != 0 || r.Fault.Exception != "HardFault" {
				t.Errorf("v6-M: causes %v exception %s", r.Fault.Causes, r.Fault.Exception)
			}
		}},
		{name: "no-elf", noELF: true, snap: func() *capture.Snapshot {
			s := fdtest.NewStack()
			s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
			return s.Snapshot(handlerRegs(6, 0xFFFFFFF9, 0x20001000, nil), fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 25, fault.AddrSHCSR: 1 << 18}))
		}, check: func(t *testing.T, r *report.Report) {
			if len(r.Frames) != 1 || r.Frames[0].PC != report.Hex(fdtest.C+0x10) {
				t.Errorf("frames %v", r.Frames)
			}
		}},
	}
}

func wantFrames(t *testing.T, r *report.Report, want ...string) {
	t.Helper()
	if got := frameList(r); !slices.Equal(got, want) {
		t.Errorf("frames\n got %v\nwant %v", got, want)
	}
}

func wantFindings(t *testing.T, r *report.Report, want ...string) {
	t.Helper()
	for _, k := range want {
		if !slices.Contains(findingKinds(r), k) {
			t.Errorf("findings %v lack %s", findingKinds(r), k)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestReportGolden checks the JSON and text reports of synthetic crashes
// against golden files, and the behaviour each one is about.
func TestReportGolden(t *testing.T) {
	for _, tc := range reportCases() {
		t.Run(tc.name, func(t *testing.T) {
			var r *report.Report
			if tc.noELF {
				r = Analyze(tc.snap(), nil)
			} else {
				r = analyze(tc.snap(), fdtest.NewProg())
			}
			tc.check(t, r)
			js, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".json", append(js, '\n'))
			var txt bytes.Buffer
			src := func(file string) ([]byte, error) {
				return []byte(strings.Repeat("int filler;\n", 40)), nil
			}
			if err := r.WriteText(&txt, report.Sources{Read: src}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".txt", txt.Bytes())
			var md bytes.Buffer
			if err := r.WriteMarkdown(&md, report.Sources{Read: src}); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(md.String(), "## ") {
				t.Errorf("markdown does not start with the summary heading")
			}
		})
	}
}

// TestReportJSONSchema checks field names and hex formatting against
// DESIGN.md's faultline.report/v1.
func TestReportJSONSchema(t *testing.T) {
	r := analyze(reportCases()[1].snap(), fdtest.NewProg())
	js, _ := json.Marshal(r)
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "elf", "trigger", "fault", "registers", "frames", "findings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("top-level %q missing", k)
		}
	}
	fault := m["fault"].(map[string]any)
	for _, k := range []string{"exception", "forced", "lockup", "causes", "registers", "summary"} {
		if _, ok := fault[k]; !ok {
			t.Errorf("fault.%s missing", k)
		}
	}
	fr := m["frames"].([]any)[0].(map[string]any)
	for _, k := range []string{"pc", "function", "file", "line", "inlined", "how", "confidence"} {
		if _, ok := fr[k]; !ok {
			t.Errorf("frames[0].%s missing", k)
		}
	}
	if m["schema"] != "faultline.report/v1" {
		t.Errorf("schema %v", m["schema"])
	}
	for name, v := range r.Registers {
		if len(v) != 10 || !strings.HasPrefix(v, "0x") {
			t.Errorf("register %s = %q, want 0x%%08x", name, v)
		}
	}
	if _, ok := m["elf"].(map[string]any)["matches_target"]; ok {
		t.Error("matches_target must be omitted when unknown")
	}
}

func TestWriteTextAnswerFirst(t *testing.T) {
	r := analyze(reportCases()[0].snap(), fdtest.NewProg())
	var b bytes.Buffer
	src := func(file string) ([]byte, error) {
		if file != "src/fake.c" {
			t.Errorf("asked for %q", file)
		}
		lines := make([]string, 40)
		for i := range lines {
			lines[i] = "line " + string(rune('A'+i%26))
		}
		lines[2] = "return x / y;"
		return []byte(strings.Join(lines, "\n")), nil
	}
	if err := r.WriteText(&b, report.Sources{Read: src}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	first := strings.SplitN(out, "\n", 2)[0]
	if first != r.Fault.Summary {
		t.Errorf("first line %q, want the summary", first)
	}
	for _, want := range []string{">     3 | return x / y;", "Frames:", "[fault-pc, certain]", "Registers:", "cfsr  0x02000000"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "Frames:") > strings.Index(out, "Registers:") {
		t.Error("frames must come before registers")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteTextReportsWriteErrors(t *testing.T) {
	r := analyze(reportCases()[0].snap(), fdtest.NewProg())
	if err := r.WriteText(failWriter{}, report.Sources{}); err == nil {
		t.Error("WriteText swallowed the write error")
	}
	if err := r.WriteMarkdown(failWriter{}, report.Sources{}); err == nil {
		t.Error("WriteMarkdown swallowed the write error")
	}
}
