// Package elfsymtest builds the small ARM ELF files that elfsym's tests,
// benchmarks and the symbolize command's tests run against, and (Build)
// other packages' test programs. Sources are
// embedded; outputs go to a cache directory keyed by a hash of sources,
// flags and compiler, so repeated test runs do not recompile and no binary
// is committed. It runs arm-none-eabi-gcc (the host gcc for the x86 case,
// clang and ld.lld for Lab's LLVM builds) and is meant for tests only.
package elfsymtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

//go:embed src
var srcFS embed.FS

// ARMFlags are the flags every ARM test image is compiled with.
var armFlags = []string{"-g", "-O2", "-mcpu=cortex-m3", "-mthumb", "-fno-rtti", "-fno-exceptions"}

// linkFlags link against newlib's nosys stubs with the toolchain's default
// linker script, which is enough for images that are only read, never run.
var linkFlags = []string{"-specs=nosys.specs", "-Wl,--build-id=sha1"}

// buildVersion is part of the cache key: bump it when build() changes how
// it compiles, so stale cached images are not reused.
const buildVersion = "elfsymtest build v3 (unit flags, linker script, libs)"

// buildTimeout bounds one compiler run; the 3000-function benchmark image
// is the slow one.
const buildTimeout = 5 * time.Minute

// Sample builds the sample firmware (inline.c: nested static inlines;
// classes.cpp: namespaces, virtual methods, a template, overloads) and
// returns the ELF path.
func Sample(ctx context.Context) (string, error) {
	return build(ctx, "sample", "arm-none-eabi-g++", map[string][]byte{
		"inline.c":    mustRead("src/inline.c"),
		"classes.cpp": mustRead("src/classes.cpp"),
	}, append(append([]string{}, armFlags...), linkFlags...))
}

// GCSections builds the sample with -ffunction-sections and --gc-sections,
// which leaves DWARF of discarded functions relocated to address 0.
func GCSections(ctx context.Context) (string, error) {
	flags := append(append([]string{"-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"}, armFlags...), linkFlags...)
	return build(ctx, "gcsections", "arm-none-eabi-g++", map[string][]byte{
		"inline.c":    mustRead("src/inline.c"),
		"classes.cpp": mustRead("src/classes.cpp"),
	}, flags)
}

// DWARF4 builds the sample with -gdwarf-4 (older toolchains' default:
// 1-based file numbers, .debug_ranges instead of .debug_rnglists).
func DWARF4(ctx context.Context) (string, error) {
	flags := append(append([]string{"-gdwarf-4"}, armFlags...), linkFlags...)
	return build(ctx, "dwarf4", "arm-none-eabi-g++", map[string][]byte{
		"inline.c":    mustRead("src/inline.c"),
		"classes.cpp": mustRead("src/classes.cpp"),
	}, flags)
}

// LTO builds the sample with link-time optimisation: GCC then names
// functions and inlined calls through DIEs in other units
// (DW_FORM_ref_addr into the early-debug units).
func LTO(ctx context.Context) (string, error) {
	flags := append(append([]string{"-flto"}, armFlags...), linkFlags...)
	return build(ctx, "lto", "arm-none-eabi-g++", map[string][]byte{
		"inline.c":    mustRead("src/inline.c"),
		"classes.cpp": mustRead("src/classes.cpp"),
	}, flags)
}

// X86 builds a small host (x86-64) ELF, for the "not an ARM ELF" case.
func X86(ctx context.Context) (string, error) {
	return build(ctx, "x86", "gcc", map[string][]byte{
		"host.c": []byte("int main(void) { return 0; }\n"),
	}, []string{"-g", "-O1"})
}

// Big builds the benchmark image: generated C++ with about n out-of-line
// functions, classes and nested inlines (see Generate).
func Big(ctx context.Context, n int) (string, error) {
	return build(ctx, fmt.Sprintf("big%d", n), "arm-none-eabi-g++", map[string][]byte{
		"big.cpp": Generate(n),
	}, append(append([]string{}, armFlags...), linkFlags...))
}

func mustRead(name string) []byte {
	b, err := srcFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	return b
}

// CacheEnv, when set, names the directory CacheDir returns: a test that
// moves XDG_CACHE_HOME away from the user's keeps the generated firmware
// (minutes to build) where earlier runs left it.
const CacheEnv = "FAULTLINE_TEST_CACHE"

// CacheDir is where built images are kept: $FAULTLINE_TEST_CACHE, else
// os.UserCacheDir()/faultline-test/elfsym.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "faultline-test", "elfsym"), nil
}

// A Program is a test ELF: sources compiled one by one (each by the driver
// for its language), then linked by CC. Build caches it.
type Program struct {
	Name         string
	CC           string              // e.g. "arm-none-eabi-gcc"
	Srcs         map[string][]byte   // file name -> content, compiled in name order
	Flags        []string            // every compile (less link-only flags) and the link
	UnitFlags    map[string][]string // added to one source's compile, e.g. "-g0"
	LinkerScript []byte              // nil: the toolchain's default
	Libs         []string            // after the objects, e.g. "-lgcc"
}

func build(ctx context.Context, name, cc string, srcs map[string][]byte, flags []string) (string, error) {
	return Build(ctx, Program{Name: name, CC: cc, Srcs: srcs, Flags: flags})
}

// Build returns the program's ELF from the cache, building it first if
// needed. The key is a hash of everything in p and the compiler's
// version, so a changed source or flag never reuses a stale image.
func Build(ctx context.Context, p Program) (string, error) {
	name, cc, srcs, flags := p.Name, p.CC, p.Srcs, p.Flags
	ccPath, err := exec.LookPath(cc)
	if err != nil {
		return "", fmt.Errorf("%s not found: run scripts/setup.sh to install the toolchain", cc)
	}
	ver, err := exec.CommandContext(ctx, ccPath, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", cc, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%q\n%q\n", buildVersion, ccPath, ver, flags, p.Libs)
	names := sortedKeys(srcs)
	for _, n := range names {
		fmt.Fprintf(h, "%s %d %q\n", n, len(srcs[n]), p.UnitFlags[n])
		h.Write(srcs[n])
	}
	fmt.Fprintf(h, "link.ld %d\n", len(p.LinkerScript))
	h.Write(p.LinkerScript)
	root, _ := CacheDir()
	dir := filepath.Join(root, name+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	out := filepath.Join(dir, name+".elf")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	// Sources live in dir/src (kept, so DWARF paths point at real files);
	// compiling from dir with relative names gives DWARF a comp dir plus a
	// relative file name, as firmware builds do. Each source is compiled by
	// the driver for its language, then linked with cc.
	var objs []string
	for i, n := range names {
		rel := filepath.Join("src", n)
		if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, rel), srcs[n], 0o644); err != nil {
			return "", err
		}
		obj := filepath.Join(tmp, fmt.Sprintf("%d.o", i))
		compiler := cc
		if strings.HasSuffix(n, ".c") && strings.HasSuffix(cc, "g++") {
			compiler = strings.TrimSuffix(cc, "g++") + "gcc"
		}
		args := append(append(append([]string{"-c"}, compileOnly(flags)...), p.UnitFlags[n]...), rel, "-o", obj)
		if err := run(ctx, dir, compiler, args...); err != nil {
			return "", fmt.Errorf("build %s: %w", name, err)
		}
		objs = append(objs, obj)
	}
	tmpOut := filepath.Join(tmp, "out.elf")
	link := append([]string{}, flags...)
	if p.LinkerScript != nil {
		ld := filepath.Join(tmp, "link.ld")
		if err := os.WriteFile(ld, p.LinkerScript, 0o644); err != nil {
			return "", err
		}
		link = append(link, "-T", ld)
	}
	link = append(append(append(link, objs...), p.Libs...), "-o", tmpOut)
	if err := run(ctx, dir, ccPath, link...); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	// Rename is atomic, so parallel test binaries never see a half file.
	if err := os.Rename(tmpOut, out); err != nil {
		return "", err
	}
	return out, nil
}

// compileOnly drops link-only flags.
func compileOnly(flags []string) []string {
	var out []string
	for _, f := range flags {
		if strings.HasPrefix(f, "-Wl,") || strings.HasPrefix(f, "-specs=") || strings.HasPrefix(f, "-fuse-ld=") {
			continue
		}
		out = append(out, f)
	}
	return out
}

func run(ctx context.Context, dir, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// Builder builds one test image, or finds it cached, and returns its path:
// Sample, GCSections, DWARF4, LTO, Clang.
type Builder func(context.Context) (string, error)

// OnEach runs f as a parallel subtest for each image, named by its key,
// with the built image's path.
func OnEach(t *testing.T, images map[string]Builder, f func(t *testing.T, elf string)) {
	t.Helper()
	for name, build := range images {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			elf, err := build(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f(t, elf)
		})
	}
}

// SampleCopy writes a copy of the Sample image into a temporary directory
// of the test (a file the test may change or cut short) and returns its
// path and its bytes.
func SampleCopy(t *testing.T) (string, []byte) {
	t.Helper()
	src, err := Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.elf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}
