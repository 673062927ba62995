package probe

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeSymbolizer annotates the addresses it knows, as elfsym will.
type fakeSymbolizer map[string]string

var fakeAddr = regexp.MustCompile(`(?i)\b(?:0x)?([0-9a-f]{8})\b`)

func (f fakeSymbolizer) Annotate(line string) string {
	return fakeAddr.ReplaceAllStringFunc(line, func(m string) string {
		k := strings.ToLower(strings.TrimPrefix(strings.ToLower(m), "0x"))
		if s, ok := f[k]; ok {
			return m + " <" + s + ">"
		}
		return m
	})
}

// detectFile runs a fresh DetectorSet over a recorded console log, one
// line every 10ms, and describes each detection in one line.
func detectFile(t *testing.T, name string, ds *DetectorSet) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t0 := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := Line{Seq: uint64(n), Time: t0.Add(time.Duration(n) * 10 * time.Millisecond), Text: sc.Text()}
		for _, d := range ds.Detect(l) {
			s := fmt.Sprintf("%d %s %s crash=%v name=%q", n, d.Kind, d.Detector, d.Crash, d.Name)
			if d.Code != 0 {
				s += fmt.Sprintf(" code=%d", d.Code)
			}
			for _, k := range []string{"panic", "reason_name", "same_crash", "boot", "previous_crash", "pc", "addresses", "thread", "task"} {
				if v, ok := d.Fields[k]; ok {
					s += fmt.Sprintf(" %s=%s", k, v)
				}
			}
			out = append(out, s)
		}
	}
	return out
}

func TestDetectorsOnRecordedConsoles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"deviceos.txt", []string{
			`2 reset-reason deviceos-reset-reason crash=false name="PIN_RESET" reason_name=PIN_RESET`,
			`9 panic deviceos-panic crash=true name="HardFault" code=1`,
			`10 boot deviceos-timestamp crash=false name="Device OS restart"`,
			`11 reset-reason deviceos-reset-reason crash=false name="PANIC" code=1 panic=HardFault reason_name=PANIC previous_crash=true`,
			`13 panic deviceos-panic crash=true name="OutOfHeap" code=8`,
			`14 reset-reason deviceos-reset-reason crash=false name="PANIC" code=13 panic=StackOverflow reason_name=PANIC boot=true previous_crash=true`,
		}},
		{"espidf.txt", []string{
			`1 boot espidf-boot crash=false name="ESP boot ROM"`,
			`3 reset-reason espidf-reset-reason crash=false name="POWERON_RESET" reason_name=POWERON_RESET`,
			`12 panic espidf-guru crash=true name="LoadProhibited"`,
			`18 fault-marker espidf-backtrace crash=false name="backtrace" addresses=0x400d1a28:0x3ffb1f90 0x400d2c41:0x3ffb1fb0 0x40086a4d:0x3ffb1fd0`,
			`23 boot espidf-boot crash=false name="ESP boot ROM"`,
			`25 reset-reason espidf-reset-reason crash=false name="SW_CPU_RESET" reason_name=SW_CPU_RESET`,
			`27 panic espidf-abort crash=true name="abort" pc=0x400d3f1e`,
			`28 panic espidf-stack-overflow crash=false name="StackOverflow" same_crash=true task=wifi_task`,
		}},
		{"zephyr.txt", []string{
			`1 boot zephyr-boot crash=false name="Zephyr v3.5.0"`,
			`3 fault-marker zephyr-fault crash=true name="MPU FAULT"`,
			`9 fault-marker zephyr-fault-pc crash=false name="fault pc" pc=0x000003b2`,
			`10 panic zephyr-fatal crash=false name="Unknown error" code=19 same_crash=true`,
		}},
		{"crashcatcher.txt", []string{
			`6 fault-marker crashcatcher crash=true name="CrashCatcher"`,
			`189 fault-marker crashcatcher-dump crash=false name="CrashCatcher dump end"`,
			`192 fault-marker crashcatcher crash=false name="CrashCatcher" same_crash=true`,
		}},
		{"cmbacktrace.txt", []string{
			`2 fault-marker cmbacktrace crash=true name="CmBacktrace"`,
			`3 fault-marker cmbacktrace-context crash=false name="fault context" same_crash=true thread=main`,
			`12 fault-marker fault-word crash=false name="UsageFault" same_crash=true`,
			`13 fault-marker cmbacktrace-callstack crash=false name="call stack" addresses=08000d3e 08000d2a 08000e1f`,
		}},
		{"generic.txt", []string{
			`4 fault-marker fault-word crash=true name="HardFault"`,
			`7 fault-marker fault-word crash=false name="BusFault" same_crash=true`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := detectFile(t, tt.file, NewDetectorSet(nil))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("detections (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetectorsAnnotateAddresses(t *testing.T) {
	sym := fakeSymbolizer{"08000d3e": "divide main.c:12", "000003b2": "read_sensor sensor.c:40"}
	ds := NewDetectorSet(sym)
	t0 := time.Now()
	dets := ds.Detect(Line{Time: t0, Text: "Show more call stack info by run: addr2line -e app.axf -afpiC 08000d3e 08000d2a"})
	if len(dets) != 1 || !strings.Contains(dets[0].Text, "08000d3e <divide main.c:12>") {
		t.Errorf("detections = %+v, want the call stack annotated", dets)
	}
	// Lines of a crash dump no detector knows are still annotated while a
	// crash is in progress: that is where the register dump is.
	ds.Detect(Line{Time: t0, Text: "[00:00:01.503,000] <err> os: ***** MPU FAULT *****"})
	dets = ds.Detect(Line{Time: t0.Add(time.Millisecond), Text: "r14/lr:  0x000003b2"})
	if len(dets) != 1 || dets[0].Detector != "crash-context" || !strings.Contains(dets[0].Text, "<read_sensor sensor.c:40>") {
		t.Errorf("crash-context detections = %+v", dets)
	}
	// Outside a crash, ordinary lines with addresses produce nothing.
	ds2 := NewDetectorSet(sym)
	if dets := ds2.Detect(Line{Time: t0, Text: "value 0x000003b2"}); len(dets) != 0 {
		t.Errorf("quiet line detections = %+v, want none", dets)
	}
}

func TestCrashHoldoffEndsAtBootOrAfterTime(t *testing.T) {
	ds := NewDetectorSet(nil)
	t0 := time.Now()
	crash := func(d time.Duration, text string) bool {
		for _, det := range ds.Detect(Line{Time: t0.Add(d), Text: text}) {
			if det.Crash {
				return true
			}
		}
		return false
	}
	steps := []struct {
		at   time.Duration
		text string
		want bool
	}{
		{0, "0000100000 [hal] PANIC: HardFault", true},
		{500 * time.Millisecond, "0000100500 [hal] PANIC: HardFault", false}, // same dump
		{600 * time.Millisecond, "0000000005 [system] INFO: boot", false},
		{700 * time.Millisecond, "0000000100 [hal] PANIC: BusFault", true}, // after a reboot: a new crash
		{5 * time.Second, "0000004400 [hal] PANIC: BusFault", true},        // holdoff over
	}
	for _, s := range steps {
		if got := crash(s.at, s.text); got != s.want {
			t.Errorf("at %v %q: crash = %v, want %v", s.at, s.text, got, s.want)
		}
	}
}

func TestUserMatches(t *testing.T) {
	ds := NewDetectorSet(nil)
	name, expr, err := ParseMatch(`wdt=watchdog (?P<task>\w+) starved`)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.AddUser(name, expr); err != nil {
		t.Fatal(err)
	}
	if err := ds.AddUserMatch("heap", `heap free (\d+)`, false); err != nil {
		t.Fatal(err)
	}
	dets := ds.Detect(Line{Time: time.Now(), Text: "E: watchdog net starved, heap free 120"})
	want := []string{"user:wdt crash=true task=net", "user:heap crash=false task="}
	var got []string
	for _, d := range dets {
		got = append(got, fmt.Sprintf("%s crash=%v task=%s", d.Detector, d.Crash, d.Fields["task"]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user detections (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"noequals", "=x", "name="} {
		if _, _, err := ParseMatch(bad); err == nil {
			t.Errorf("ParseMatch(%q) succeeded", bad)
		}
	}
	if err := ds.AddUser("bad", "("); err == nil {
		t.Error("AddUser accepted an invalid regexp")
	}
}

func TestPanicCodeTable(t *testing.T) {
	for code, name := range map[int]string{1: "HardFault", 5: "UsageFault", 13: "StackOverflow", 14: "HeapError"} {
		if got := PanicName(code); got != name {
			t.Errorf("PanicName(%d) = %q, want %q", code, got, name)
		}
		if got := PanicCode(strings.ToLower(name)); got != code {
			t.Errorf("PanicCode(%q) = %d, want %d", name, got, code)
		}
	}
	if PanicName(0) != "" || PanicName(15) != "" || PanicCode("Nope") != 0 {
		t.Error("unknown panic codes/names resolve")
	}
}

func FuzzDetect(f *testing.F) {
	for _, name := range []string{"deviceos.txt", "espidf.txt", "zephyr.txt", "crashcatcher.txt", "cmbacktrace.txt", "generic.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
	}
	ds := NewDetectorSet(fakeSymbolizer{"08000d3e": "x"})
	if err := ds.AddUser("u", `(?P<v>\d+) bytes`); err != nil {
		f.Fatal(err)
	}
	t0 := time.Now()
	f.Fuzz(func(t *testing.T, text string) {
		for _, d := range ds.Detect(Line{Time: t0, Text: text}) {
			if d.Detector == "" || d.Kind == "" {
				t.Errorf("detection without detector or kind: %+v", d)
			}
			if d.Text == "" && text != "" {
				t.Errorf("detection lost the line text: %+v", d)
			}
			ev := d.Event(t0, "fuzz")
			if ev.Fields["detector"] != d.Detector {
				t.Errorf("event fields %v lack the detector", ev.Fields)
			}
		}
	})
}
