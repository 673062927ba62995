package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// writeConfig writes text as a faultline.toml in a fresh directory and
// returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadReadsEveryKey(t *testing.T) {
	p := writeConfig(t, `# a project's defaults
elf = "build/app.elf"
gdb = 'localhost:3333'
serial = "/dev/ttyACM0@115200"
board = "netduino2"
dir = "crashes"
mem = ["0x10000000:64K", "0x20000000:0x400"]

[match]
watchdog = 'WDT (\d+) expired'
"custom-panic" = "PANIC: (.*)"
`)
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := File{
		ELF: "build/app.elf", GDB: "localhost:3333", Serial: "/dev/ttyACM0@115200",
		Board: "netduino2", Dir: "crashes",
		Match: map[string]string{"watchdog": `WDT (\d+) expired`, "custom-panic": "PANIC: (.*)"},
		Mem:   []string{"0x10000000:64K", "0x20000000:0x400"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v\nwant   %+v", got, want)
	}
}

func TestLoadOfNoFileIsEmpty(t *testing.T) {
	got, err := Load(filepath.Join(t.TempDir(), FileName))
	if err != nil || !reflect.DeepEqual(got, File{}) {
		t.Errorf("Load of a missing file = %+v, %v; want an empty File and no error", got, err)
	}
}

func TestLoadRefusesWhatIsNotTheConfig(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // all in the error
	}{
		{"unknown key", "elf = \"a.elf\"\nbaud = 9600\n", []string{`unknown key "baud"`, "known: elf, gdb"}},
		{"misspelt key", "elff = \"a.elf\"\n", []string{`unknown key "elff"`}},
		{"unknown table", "[probe]\nspeed = 4000\n", []string{`unknown key "probe`}},
		{"wrong type", "elf = 5\n", []string{"parse ", "line 1", "integer"}},
		{"match not a table", "match = \"x\"\n", []string{"parse ", "line 1"}},
		{"match value not a string", "[match]\nwatchdog = 3\n", []string{"parse ", "line 2"}},
		{"mem not an array", "mem = \"0x0:4\"\n", []string{"parse ", "line 1"}},
		{"syntax", "elf = \"a.elf\"\ngdb = \n", []string{"parse ", "line 2"}},
		{"unclosed string", "elf = \"a.elf\n", []string{"parse ", "line 1"}},
		{"key twice", "elf = \"a\"\nelf = \"b\"\n", []string{"parse ", "line 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.text)
			got, err := Load(p)
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want an error", tc.text, got)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestApplyFillsOnlyTheFlagsNotSet(t *testing.T) {
	cfg := File{ELF: "file.elf", GDB: "file:3333", Board: "netduino2", Mem: []string{"0x10000000:64K"},
		Match: map[string]string{"wdt": "WDT"}}
	fl := pflag.NewFlagSet("capture", pflag.ContinueOnError)
	elf := fl.String("elf", "", "")
	gdb := fl.String("gdb", "", "")
	board := fl.String("board", "default-board", "")
	mem := fl.StringArray("mem", nil, "")
	match := fl.StringArray("match", nil, "")
	if err := fl.Parse([]string{"--gdb", "flag:4444"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Apply(fl); err != nil {
		t.Fatal(err)
	}
	if *elf != "file.elf" || *gdb != "flag:4444" || *board != "netduino2" {
		t.Errorf("elf %q gdb %q board %q; want the file's elf and board, the flag's gdb", *elf, *gdb, *board)
	}
	if !reflect.DeepEqual(*mem, []string{"0x10000000:64K"}) || !reflect.DeepEqual(*match, []string{"wdt=WDT"}) {
		t.Errorf("mem %q match %q; want the file's", *mem, *match)
	}
	// A flag the command does not have is skipped (symbolize has no --gdb).
	sym := pflag.NewFlagSet("symbolize", pflag.ContinueOnError)
	symELF := sym.String("elf", "", "")
	if err := cfg.Apply(sym); err != nil || *symELF != "file.elf" {
		t.Errorf("Apply to symbolize's flags: elf %q, %v", *symELF, err)
	}
}

func TestApplyRefusesABadMemRange(t *testing.T) {
	fl := pflag.NewFlagSet("capture", pflag.ContinueOnError)
	fl.StringArray("mem", nil, "")
	err := File{Mem: []string{"0x10000000"}}.Apply(fl)
	if err == nil || !strings.Contains(err.Error(), FileName+": mem:") || !strings.Contains(err.Error(), "ADDR:SIZE") {
		t.Errorf("Apply of mem 0x10000000 = %v, want an error naming %s's mem and the form", err, FileName)
	}
}
