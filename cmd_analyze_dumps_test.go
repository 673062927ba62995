package main

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture/crashcatcher"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

// TestAnalyzeProbeRSCoreDump: `faultline analyze X.coredump --elf X.elf`
// on a dump probe-rs wrote, told apart from a capture by content.
func TestAnalyzeProbeRSCoreDump(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join("capture", "probers", "testdata", "probe-rs", "nRF52833_xxAA_hardfault_from_busfault")
	elf := elfsymtest.Gunzip(t, src+".elf.gz", filepath.Join(dir, "fw.elf"))
	dump, err := filepath.Abs(src + ".coredump")
	if err != nil {
		t.Fatal(err)
	}
	out := analyzeJSON(t, context.Background(), dir, dump, elf)
	var rep struct {
		Fault struct {
			Exception    string   `json:"exception"`
			Causes       []string `json:"causes"`
			FaultAddress string   `json:"fault_address"`
		} `json:"fault"`
		Frames []struct {
			Function string `json:"function"`
		} `json:"frames"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a report: %v\n%s", err, out)
	}
	// probe-rs's own snapshot: "HardFault <Cause: Escalated BusFault
	// <Cause: Precise data access error at location: 0x3ffffffc>>",
	// read_volatile<u32> in trigger_hardfault_from_busfault.
	if rep.Fault.Exception != "HardFault" || rep.Fault.FaultAddress != "0x3ffffffc" {
		t.Errorf("fault %+v, want HardFault at 0x3ffffffc", rep.Fault)
	}
	if len(rep.Frames) < 2 || rep.Frames[0].Function != "core::ptr::read_volatile" || rep.Frames[1].Function != "nRF52833_xxAA::trigger_hardfault_from_busfault" {
		t.Errorf("frames %+v", rep.Frames)
	}
}

// TestCaptureSerialOnlyCrashCatcherDump: real firmware in QEMU crashes and
// CrashCatcher's HexDump prints the post-mortem on the console; faultline,
// with --serial and no --gdb, turns that block into a full report whose
// fault and frames are the ones gdb sees on the live target (expected.json,
// checked by crashlab's TestExpectedMatchesQEMUUnderGDB). analyze of the
// console log alone says the same.
func TestCaptureSerialOnlyCrashCatcherDump(t *testing.T) {
	t.Parallel()
	for _, board := range []string{"mps2-an385", "netduino2"} {
		t.Run(board, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			elf, err := crashlab.ELF(ctx, board, "crashcatcher")
			if err != nil {
				t.Fatal(err)
			}
			exp, err := crashlab.Expected()
			if err != nil {
				t.Fatal(err)
			}
			want := exp["crashcatcher"][board]
			dir := t.TempDir()
			log := filepath.Join(dir, "console.log")
			stdout, _ := captureSerialOnce(t, ctx, board, elf, dir, "--log", log)
			checkCrashCatcherReport(t, "capture --serial", stdout, want)

			// The console log alone, as a user would hand it to analyze.
			checkCrashCatcherReport(t, "analyze LOG", analyzeJSON(t, ctx, dir, log, elf), want)

			// The binary dump CrashDebug reads, written from the hex text.
			logText, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			bin, complete, err := crashcatcher.FromHex(string(logText))
			if err != nil || !complete {
				t.Fatalf("hex dump in the log: complete %v, %v", complete, err)
			}
			dmp := filepath.Join(dir, "CRASH.DMP")
			if err := os.WriteFile(dmp, bin, 0o644); err != nil {
				t.Fatal(err)
			}
			checkCrashCatcherReport(t, "analyze CRASH.DMP", analyzeJSON(t, ctx, dir, dmp, elf), want)
		})
	}
}

// analyzeJSON runs `faultline analyze in --elf elf --json` in dir and
// returns the report it printed; t fails on a non-zero exit.
func analyzeJSON(t *testing.T, ctx context.Context, dir, in, elf string) string {
	t.Helper()
	r := runFaultline(t, ctx, dir, "", "analyze", in, "--elf", elf, "--json")
	if r.code != 0 {
		t.Fatalf("analyze %s: exit %d: %s", in, r.code, r.stderr)
	}
	return r.stdout
}

func checkCrashCatcherReport(t *testing.T, what, out string, want crashlab.Expectation) {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%s: not one JSON report: %v\n%s", what, err, out)
	}
	if rep.Fault.Exception != want.Exception || rep.Fault.Forced != want.Forced || !slices.Contains(rep.Fault.Causes, want.Causes[0]) {
		t.Errorf("%s: fault %s forced=%v %v, want %s forced=%v %v", what, rep.Fault.Exception, rep.Fault.Forced, rep.Fault.Causes, want.Exception, want.Forced, want.Causes)
	}
	var got []string
	for _, f := range rep.Frames {
		got = append(got, f.Function)
	}
	if len(got) < len(want.Frames) || !slices.Equal(got[:len(want.Frames)], want.Frames) {
		t.Errorf("%s: frames %q, want %q first (as gdb shows them)", what, got, want.Frames)
	}
	for i, f := range rep.Frames[:min(len(rep.Frames), len(want.Frames))] {
		if f.Confidence != "certain" {
			t.Errorf("%s: frame %d %s is %s, want certain", what, i, f.Function, f.Confidence)
		}
	}
}

// TestAnalyzeCutDumpsSaysWhatIsMissing: a dump cut short still gives a
// report, with a warning and a note naming what is gone; a file of no known
// format is an error naming the formats.
func TestAnalyzeCutDumpsSaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	probeRS, err := os.ReadFile(filepath.Join("capture", "probers", "testdata", "probe-rs", "RP2040_svcall.coredump"))
	if err != nil {
		t.Fatal(err)
	}
	ccText, err := os.ReadFile(filepath.Join("capture", "crashcatcher", "testdata", "crashlab-mps2-an385.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		wantCode int
		wantSaid string // in stderr
		wantNote string // in the report's notes
	}{
		{"probe-rs dump cut in its memory", probeRS[:len(probeRS)*2/3], 0, "probe-rs core dump damaged", "memory range"},
		{"CrashCatcher hex dump cut", ccText[:len(ccText)/2], 0, "End of dump", "cut short"},
		{"not a dump", []byte("hello\n"), exitError, "not a format faultline reads", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("dump%d", i))
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runFaultline(t, context.Background(), dir, "", "analyze", path, "--json")
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.wantSaid) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.wantCode, tc.wantSaid)
			}
			if tc.wantNote == "" {
				return
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("not a report: %v\n%s", err, r.stdout)
			}
			if !strings.Contains(strings.Join(rep.Notes, "\n"), tc.wantNote) {
				t.Errorf("notes %q do not say %q", rep.Notes, tc.wantNote)
			}
		})
	}
}

// TestSymbolizeJSONNamesDataInText: a const object the linker put in .text
// (crashlab places .rodata there) is named by symbolize --json as the text
// output names it: "?? (program_name+0x2)".
func TestSymbolizeJSONNamesDataInText(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elfPath, err := crashlab.ELF(ctx, "mps2-an385", "undef")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var addr uint64
	for _, s := range syms {
		if s.Name == "program_name" {
			addr = s.Value + 2
		}
	}
	text := f.Section(".text")
	if addr == 0 || text == nil || addr < text.Addr || addr >= text.Addr+text.Size {
		t.Fatalf("program_name+2 = %#x is not in .text (%v): the premise is gone", addr, text)
	}
	arg := fmt.Sprintf("%#x", addr)
	r := runFaultline(t, ctx, t.TempDir(), "", "symbolize", "--elf", elfPath, arg)
	if want := fmt.Sprintf("0x%08x ?? (program_name+0x2)\n", addr); r.code != 0 || r.stdout != want {
		t.Fatalf("text: exit %d %q, want %q", r.code, r.stdout, want)
	}
	r = runFaultline(t, ctx, t.TempDir(), "", "symbolize", "--json", "--elf", elfPath, arg)
	var got []struct {
		Frames []any  `json:"frames"`
		Symbol string `json:"symbol"`
		Offset string `json:"offset"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stdout)
	}
	if len(got) != 1 || len(got[0].Frames) != 0 || got[0].Symbol != "program_name" || got[0].Offset != "0x2" {
		t.Errorf("json %+v, want no frames and program_name+0x2", got)
	}
}
