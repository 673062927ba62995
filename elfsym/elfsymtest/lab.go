package elfsymtest

import (
	"context"
	"fmt"
	"strings"
)

// A LabConfig says how Lab builds the lab program (src/lab: lab.c, a
// firmware in another team's style with deliberate tail calls and typed
// globals; discard.c, functions --gc-sections throws away; eh.s, a
// function whose CFI is only in .eh_frame), linked with flash at 0.
type LabConfig struct {
	Compiler   string   // "gcc" (arm-none-eabi-gcc and GNU ld) or "clang" (clang and ld.lld)
	Opt        string   // "-O0", "-O2", ...; "" means -O2
	CPU        string   // -mcpu, "" means cortex-m3
	GCSections bool     // -ffunction-sections -fdata-sections --gc-sections
	Extra      []string // more compile flags, e.g. "-gdwarf-4"
}

// Name is a file name for the configuration, e.g. "lab-clang-O2-cortex-m3-gc".
func (c LabConfig) Name() string {
	c = c.withDefaults()
	n := fmt.Sprintf("lab-%s%s-%s", c.Compiler, c.Opt, c.CPU)
	if c.GCSections {
		n += "-gc"
	}
	for _, e := range c.Extra {
		n += strings.ReplaceAll(e, "=", "")
	}
	return n
}

func (c LabConfig) withDefaults() LabConfig {
	if c.Compiler == "" {
		c.Compiler = "gcc"
	}
	if c.Opt == "" {
		c.Opt = "-O2"
	}
	if c.CPU == "" {
		c.CPU = "cortex-m3"
	}
	return c
}

// clangTargets maps -mcpu to clang's --target for the cores tests use.
var clangTargets = map[string]string{
	"cortex-m0":     "thumbv6m-none-eabi",
	"cortex-m0plus": "thumbv6m-none-eabi",
	"cortex-m3":     "thumbv7m-none-eabi",
	"cortex-m4":     "thumbv7em-none-eabi",
	"cortex-m7":     "thumbv7em-none-eabi",
	"cortex-m23":    "thumbv8m.base-none-eabi",
	"cortex-m33":    "thumbv8m.main-none-eabi",
	"cortex-m55":    "thumbv8.1m.main-none-eabi",
	"cortex-m85":    "thumbv8.1m.main-none-eabi",
	"cortex-m35p":   "thumbv8m.main-none-eabi",
	"cortex-m52":    "thumbv8.1m.main-none-eabi",
}

// Lab builds the lab program as c says and returns the ELF path (cached
// like every elfsymtest image).
func Lab(ctx context.Context, c LabConfig) (string, error) {
	c = c.withDefaults()
	p := Program{
		Name: c.Name(),
		Srcs: map[string][]byte{
			"lab.c":     mustRead("src/lab/lab.c"),
			"discard.c": mustRead("src/lab/discard.c"),
			"eh.s":      mustRead("src/lab/eh.s"),
		},
		LinkerScript: mustRead("src/lab/link.ld"),
	}
	flags := []string{"-g", c.Opt, "-mcpu=" + c.CPU, "-ffreestanding", "-nostdlib"}
	switch c.Compiler {
	case "gcc":
		p.CC = "arm-none-eabi-gcc"
		flags = append(flags, "-mthumb")
	case "clang":
		target, ok := clangTargets[c.CPU]
		if !ok {
			return "", fmt.Errorf("lab: no clang target for -mcpu=%s", c.CPU)
		}
		p.CC = "clang"
		flags = append([]string{"--target=" + target}, append(flags, "-fuse-ld=lld")...)
	default:
		return "", fmt.Errorf("lab: unknown compiler %q", c.Compiler)
	}
	if c.GCSections {
		flags = append(flags, "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections")
	}
	p.Flags = append(flags, c.Extra...)
	return Build(ctx, p)
}

// Clang is the lab program built by clang with sections per function,
// garbage-collected at link: the clang image most comparisons include.
func Clang(ctx context.Context) (string, error) {
	return Lab(ctx, LabConfig{Compiler: "clang", GCSections: true})
}

// Discarded builds src/discarded with gcc -O2, sections per function and
// --gc-sections, flash at 0 behind a vector table (data): dropped.c's
// dropped_outer is thrown away, and its inlined call of scale keeps a range
// list relative to the dropped section, so it reads as small addresses
// that lie in kept_loop. The lab's linker script.
func Discarded(ctx context.Context) (string, error) {
	return Build(ctx, Program{
		Name: "discarded",
		CC:   "arm-none-eabi-gcc",
		Srcs: map[string][]byte{
			"kept.c":    mustRead("src/discarded/kept.c"),
			"dropped.c": mustRead("src/discarded/dropped.c"),
		},
		Flags: []string{"-g", "-O2", "-mcpu=cortex-m3", "-mthumb", "-ffreestanding", "-nostdlib",
			"-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"},
		LinkerScript: mustRead("src/lab/link.ld"),
	})
}

// Qualified builds src/qualified with arm-none-eabi-g++ -O2: template
// instances over function-local types, which gcc describes without
// DW_AT_linkage_name, inlined into qualified_main. The lab's linker script.
func Qualified(ctx context.Context) (string, error) {
	return Build(ctx, Program{
		Name:         "qualified",
		CC:           "arm-none-eabi-g++",
		Srcs:         map[string][]byte{"qualified.cpp": mustRead("src/qualified/qualified.cpp")},
		Flags:        []string{"-g", "-O2", "-mcpu=cortex-m3", "-mthumb", "-ffreestanding", "-nostdlib", "-fno-exceptions", "-fno-rtti"},
		LinkerScript: mustRead("src/lab/link.ld"),
	})
}

// QualifiedClang is src/qualified built by clang -O2 and ld.lld, which
// write an out-of-line copy of an inlined function before its abstract
// DIE.
func QualifiedClang(ctx context.Context) (string, error) {
	return Build(ctx, Program{
		Name:         "qualified-clang",
		CC:           "clang",
		Srcs:         map[string][]byte{"qualified.cpp": mustRead("src/qualified/qualified.cpp")},
		Flags:        []string{"--target=" + clangTargets["cortex-m3"], "-g", "-O2", "-mcpu=cortex-m3", "-ffreestanding", "-nostdlib", "-fno-exceptions", "-fno-rtti", "-fuse-ld=lld"},
		LinkerScript: mustRead("src/lab/link.ld"),
	})
}
