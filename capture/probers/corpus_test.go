package probers_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture/probers"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/faultdecode"
)

// corpus is probe-rs's own unwind test corpus (testdata/probe-rs/README.md):
// every Cortex-M dump in probe-rs-debug/tests/debug-unwind-tests.
var corpus = []string{
	"RP2040_full_unwind", "RP2040_svcall", "RP2040_systick", "atsamd51p19a",
	"nRF52833_xxAA_full_unwind", "nRF52833_xxAA_hardfault_from_busfault",
	"nRF52833_xxAA_hardfault_from_usagefault", "nRF52833_xxAA_hardfault_in_systick",
	"nRF52833_xxAA_svcall", "nRF52833_xxAA_systick",
	"stm32u585_exception_no_debuginfo", "stm32u585_hardfault_fp",
	"stm32u585_nested_exceptions", "stm32u585_psp_exception",
}

// snapFrame is one frame of probe-rs's insta snapshot of its unwind.
type snapFrame struct {
	name    string
	inlined bool
	noPC    bool // probe-rs's synthetic "Reset" bottom: no registers at all
}

// readSnapshot reads the frames of an insta YAML snapshot: the top-level
// list items' function_name, is_inlined, and whether the frame's PC
// (the register with role ProgramCounter) has a value.
func readSnapshot(t *testing.T, path string) []snapFrame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []snapFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	inPC := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "- function_name: "):
			out = append(out, snapFrame{name: yamlString(t, strings.TrimPrefix(line, "- function_name: "))})
			inPC = false
		case len(out) == 0:
		case strings.HasPrefix(line, "  is_inlined: "):
			out[len(out)-1].inlined = strings.TrimPrefix(line, "  is_inlined: ") == "true"
		case strings.TrimSpace(line) == "- ProgramCounter":
			inPC = true
		case inPC && strings.HasPrefix(strings.TrimSpace(line), "value:"):
			out[len(out)-1].noPC = strings.TrimSpace(line) == "value: ~"
			inPC = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func yamlString(t *testing.T, s string) string {
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			t.Fatalf("snapshot string %s: %v", s, err)
		}
		return u
	}
	return s
}

// exceptionMarkers are the names probe-rs gives the pseudo-frame it puts
// where an exception interrupted the frames below ("HardFault <Cause: ...>",
// "SVC", "SysTick").
var exceptionMarkers = map[string]bool{
	"HardFault": true, "MemManage": true, "BusFault": true, "UsageFault": true,
	"SecureFault": true, "NMI": true, "SVC": true, "SVCall": true,
	"PendSV": true, "SysTick": true, "DebugMonitor": true,
}

// wantFrame is one frame faultline must report.
type wantFrame struct {
	name     string
	inlined  bool
	boundary bool // first frame of an interrupted context
}

// expectedFrames turns probe-rs's snapshot into what faultline reports.
// faultline explains the interrupted context: the frames of the handler
// the core is stopped in (above probe-rs's first exception marker) are
// summed up in a note, not listed; every later marker becomes an
// exception-frame boundary. probe-rs's synthetic bottom frame (no PC) is
// not a function. Names are DW_AT_name as probe-rs prints them: the
// " : ERROR ..." it appends to the last frame and generic arguments go.
func expectedFrames(frames []snapFrame) []wantFrame {
	start := 0
	for i, f := range frames {
		if exceptionMarkers[markerName(f.name)] {
			start = i + 1
			break
		}
	}
	var out []wantFrame
	boundary := start > 0
	for _, f := range frames[start:] {
		if exceptionMarkers[markerName(f.name)] {
			boundary = true
			continue
		}
		if f.noPC {
			continue
		}
		name, _, _ := strings.Cut(f.name, " : ERROR")
		out = append(out, wantFrame{name: stripGenerics(name), inlined: f.inlined, boundary: boundary})
		boundary = false
	}
	return out
}

func markerName(n string) string {
	n, _, _ = strings.Cut(n, " ")
	return n
}

// stripGenerics drops <...> argument lists: "read_volatile<u32>".
func stripGenerics(n string) string {
	var b strings.Builder
	depth := 0
	for _, c := range n {
		switch {
		case c == '<':
			depth++
		case c == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// sameFunction compares faultline's name (the demangled linkage name:
// "core::ptr::read_volatile", "nRF52833_xxAA::__cortex_m_rt_main") with
// probe-rs's DW_AT_name. cortex-m-rt's #[entry] and #[exception] emit
// __cortex_m_rt_X_trampoline with export_name "X" (main, SysTick): the
// linkage name faultline prints is X.
func sameFunction(got, want string) bool {
	if i := strings.LastIndex(got, "::"); i >= 0 {
		got = got[i+2:]
	}
	if got == want {
		return true
	}
	x, ok := strings.CutPrefix(want, "__cortex_m_rt_")
	return ok && strings.HasSuffix(x, "_trampoline") && got == strings.TrimSuffix(x, "_trampoline")
}

// beyondProbeRS are frames faultline finds past probe-rs's last one, with
// why they are right (see testdata/probe-rs/README.md).
var beyondProbeRS = map[string][]wantFrame{
	// The source documents main -> nodbg_a -> nodbg_b -> svc; the ELF has
	// no .debug_frame, probe-rs stops at nodbg_a, faultline's stack scan
	// finds main's trampoline and Reset (marked guesses).
	"stm32u585_exception_no_debuginfo": {{name: "__cortex_m_rt_main"}, {name: "__cortex_m_rt_main_trampoline"}, {name: "Reset"}},
}

func TestProbeRSCorpusFramesMatchProbeRSSnapshots(t *testing.T) {
	for _, name := range corpus {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "probe-rs")
			data, err := os.ReadFile(filepath.Join(dir, name+".coredump"))
			if err != nil {
				t.Fatal(err)
			}
			snap, err := probers.Decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			im, err := elfsym.Open(elfsymtest.Gunzip(t, filepath.Join(dir, name+".elf.gz"), filepath.Join(t.TempDir(), name+".elf")))
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			rep := faultdecode.Analyze(snap, im)
			want := append(expectedFrames(readSnapshot(t, filepath.Join(dir, name+".snap"))), beyondProbeRS[name]...)
			var got []string
			for _, f := range rep.Frames {
				got = append(got, fmt.Sprintf("%s inlined=%v %s", f.Function, f.Inlined, f.How))
			}
			if len(rep.Frames) != len(want) {
				t.Fatalf("faultline has %d frames, probe-rs %d\nfaultline: %s\nprobe-rs:  %+v", len(rep.Frames), len(want), strings.Join(got, "\n  "), want)
			}
			for i, w := range want {
				f := rep.Frames[i]
				if !sameFunction(f.Function, w.name) || f.Inlined != w.inlined {
					t.Errorf("frame %d: faultline %s, probe-rs %s inlined=%v", i, got[i], w.name, w.inlined)
				}
				// A frame right after an exception boundary starts with
				// the stacked PC; faultline must say so.
				if w.boundary && i > 0 && f.How != "exception-frame" {
					t.Errorf("frame %d (%s) follows an exception in probe-rs's unwind; faultline found it by %s", i, f.Function, f.How)
				}
			}
		})
	}
}
