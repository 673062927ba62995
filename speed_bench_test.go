package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/probe"
)

// Whole-process speed against the tools faultline replaces, each measured
// in the same run on the same inputs (medians of several runs; the machine
// is shared, so single runs lie):
//
//	go test -run XXX -bench 'SymbolizeVsAddr2line|AnalyzeVsGDB' -benchtime 1x .
//
// The generated firmware (issue 14's small one, elfsymtest.Big(3000):
// 3,000 C++ functions in one unit, a 3.4 MB ELF; and elfsymtest.Large:
// 8,000 functions in 64 units, about 25 MB of ELF) is compiled on first
// use and cached; that first build takes minutes. -short skips both.

// procStat is one process run: wall time and peak RSS.
type procStat struct {
	wall time.Duration
	rss  int64 // bytes
}

// runProc runs argv with XDG_CACHE_HOME set to cacheHome ("" leaves the
// environment alone) and returns its wall time. With rss it runs under
// /usr/bin/time to read the peak RSS: the rusage a Go parent gets from
// wait4 counts the parent's own RSS, which the child inherits until exec.
func runProc(b *testing.B, cacheHome string, rss bool, argv ...string) procStat {
	b.Helper()
	return runProcIn(b, cacheHome, rss, "", argv...)
}

// runProcIn is runProc with stdin as the process's standard input.
func runProcIn(b *testing.B, cacheHome string, rss bool, stdin string, argv ...string) procStat {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var rssFile string
	if rss {
		tm, err := exec.LookPath("/usr/bin/time")
		if err != nil {
			b.Skip("/usr/bin/time not found (apt-get install time)")
		}
		rssFile = filepath.Join(b.TempDir(), "rss")
		argv = append([]string{tm, "-f", "%M", "-o", rssFile}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// Background index builds on, as outside the tests (TestMain turns
	// them off for the tests' runs).
	cmd.Env = append(os.Environ(), indexcache.BuildEnv+"=")
	if cacheHome != "" {
		cmd.Env = append(cmd.Env, "XDG_CACHE_HOME="+cacheHome)
	}
	// Files, not Go writers, for the output: a writer costs a pipe and a
	// copying goroutine per run, time that is the harness's, not the
	// tool's, and that made every tool look alike.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()
	stderr, err := os.CreateTemp("", "bench-stderr-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = devNull, stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	start := time.Now()
	err = cmd.Run()
	st := procStat{wall: time.Since(start)}
	if err != nil {
		msg, _ := os.ReadFile(stderr.Name())
		b.Fatalf("%s: %v\n%s", strings.Join(argv[:min(len(argv), 6)], " "), err, msg)
	}
	if rss {
		out, err := os.ReadFile(rssFile)
		if err != nil {
			b.Fatal(err)
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			b.Fatalf("/usr/bin/time wrote %q", out)
		}
		st.rss = kb << 10
	}
	return st
}

// outputOf runs argv as runProcIn does and returns its standard output.
func outputOf(b *testing.B, cacheHome, stdin string, argv ...string) []byte {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), indexcache.BuildEnv+"=", "XDG_CACHE_HOME="+cacheHome)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(argv[:min(len(argv), 6)], " "), err, stderr.String())
	}
	return out
}

// median runs f n times for the median wall time, then once more for the
// peak RSS.
func median(n int, f func(rss bool) procStat) procStat { return medians(n, f)[0] }

// medians is median for several commands, run in turns (one run of each
// per round), so a change in the shared machine's load between one tool's
// runs and the next's does not decide the comparison.
func medians(n int, fs ...func(rss bool) procStat) []procStat {
	walls := make([][]time.Duration, len(fs))
	for range n {
		for i, f := range fs {
			walls[i] = append(walls[i], f(false).wall)
		}
	}
	out := make([]procStat, len(fs))
	for i, f := range fs {
		slices.Sort(walls[i])
		out[i] = procStat{wall: walls[i][len(walls[i])/2], rss: f(true).rss}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// waitIndex waits until the index of the ELF x is saved under cacheHome
// and no builder runs for it, and returns how long that took: a run's
// background build must not take the CPU from the next measured run.
func waitIndex(b *testing.B, cacheHome string, x elfIndex) time.Duration {
	b.Helper()
	c := &indexcache.Dir{Path: filepath.Join(cacheHome, "faultline", "index")}
	start := time.Now()
	for {
		_, err := os.Stat(c.File(x.key))
		if err == nil && !c.Building(x.id) {
			return time.Since(start)
		}
		if time.Since(start) > 2*time.Minute {
			b.Fatalf("no index under %s two minutes after the second run", cacheHome)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// spreadAddrs picks n code addresses spread over the functions DWARF
// describes, a few bytes into each (so inlined code is hit too).
func spreadAddrs(b *testing.B, elf string, n int) []string {
	b.Helper()
	im, err := elfsym.Open(elf)
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	var funcs []elfsym.Symbol
	for _, s := range im.Symbols() {
		if s.Func && s.Size >= 8 && im.HasDWARFFunction(s.Addr) {
			funcs = append(funcs, s)
		}
	}
	if len(funcs) == 0 {
		b.Fatalf("%s: no functions with DWARF", elf)
	}
	out := make([]string, 0, n)
	if n <= len(funcs) {
		for i := range n {
			out = append(out, fmt.Sprintf("%#x", funcs[i*len(funcs)/n].Addr))
		}
		return out
	}
	// More addresses than functions: every function, then every function
	// again a halfword further in, and so on, so the addresses are distinct
	// (but for the odd short function) and no answer repeats the one before;
	// shuffled with a fixed seed, as a log's addresses come in no order.
	for i := range n {
		s := funcs[i%len(funcs)]
		off := uint64(i/len(funcs)*2) % s.Size
		out = append(out, fmt.Sprintf("%#x", s.Addr+off))
	}
	rand.New(rand.NewPCG(14, 50000)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// indexKey is the key elf's main index is saved under, and its identity.
func indexKey(b *testing.B, elf string) elfIndex {
	b.Helper()
	im, err := elfsym.Open(elf)
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	st, err := os.Stat(elf)
	if err != nil {
		b.Fatal(err)
	}
	return elfIndex{im.IndexKey(), elfsym.FileIdentityOf(st)}
}

// elfIndex names an ELF's saved index and its builder's lock.
type elfIndex struct {
	key elfsym.IndexKey
	id  elfsym.FileIdentity
}

// addr2lineTool returns arm-none-eabi-addr2line or skips.
func addr2lineTool(b *testing.B) string {
	b.Helper()
	p, err := exec.LookPath("arm-none-eabi-addr2line")
	if err != nil {
		b.Skip("arm-none-eabi-addr2line not found: run scripts/setup.sh")
	}
	return p
}

// helloWorld builds a Go program that prints one line and exits, into a
// temporary directory: the floor under any Go command's wall time (runtime
// start, page faults of a static binary, exit), measured by the same
// harness as faultline so the notes can say how much of faultline's time
// is its own.
func helloWorld(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "hello")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, src)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build hello world: %v\n%s", err, out)
	}
	return bin
}

// staticFaultline builds faultline with CGO_ENABLED=0 into a temporary
// directory. The default build links the C library for the net and
// os/user packages (their cgo resolvers), which makes the binary dynamic:
// the loader, libc's start and a thread more cost every run about 0.6 ms,
// all of it start. The benchmark reports both builds, so the gap is seen.
func staticFaultline(b *testing.B) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(b.TempDir(), "faultline-static")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build faultline with CGO_ENABLED=0: %v\n%s", err, out)
	}
	return bin
}

// symbolizeOnly builds symbolize/testdata/symbolizeonly with
// CGO_ENABLED=0 into a temporary directory: `faultline symbolize` with
// only what it needs linked (its flags, the config file, indexcache and
// symbolize.Run, the command's own entry point), no cobra and no other
// command. Between the hello world and faultline it splits a warm run's
// time into Go's start, symbolize's own work (this binary) and what the
// rest of faultline adds to every start (faultline --help).
func symbolizeOnly(b *testing.B) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(b.TempDir(), "symbolize-only")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./symbolize/testdata/symbolizeonly")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build symbolize-only with CGO_ENABLED=0: %v\n%s", err, out)
	}
	return bin
}

// settleIndex waits until the index files the warm-up runs saved are
// older than the cache's racy window (3 s: indexcache remembers a file's
// checksum as verified only once the file is that old, so a write in the
// same timestamp tick cannot hide), then runs warm once more, which
// verifies them and remembers it. The timed warm runs are then what a
// user's are, with an index saved seconds or days before: without this,
// every one of them, all within 3 s of the save, checksummed the whole
// index again (2-3% of a warm run on the web server firmware; 11% of its
// instructions).
func settleIndex(b *testing.B, warm func()) {
	b.Helper()
	time.Sleep(3100 * time.Millisecond)
	warm()
}

// BenchmarkSymbolizeVsAddr2line runs `faultline symbolize` and
// `arm-none-eabi-addr2line -fiC` as whole processes over the same
// addresses: 10 on a crash-lab program (20 KB: where the two processes'
// starts are most of their time), on the bundled web server firmware
// (0.6 MB), on issue 14's small firmware (3.4 MB) and on the large one
// (25 MB), and 50,000 on the small and the large one. faultline runs
// warm (the index saved by earlier runs), cold (an empty cache: the first
// run on an ELF, which indexes lazily, unit by unit; its mark makes the
// cache's two directories too, so it runs once more with them made
// before, ms-faultline-cold-dir, as for a user who has run faultline
// before), second (the run after a cold one, which
// answers lazily and hands the whole index to a background builder; the
// builder is waited for, untimed, before the next run, and how long it
// took after the run ended is ms-index-ready) and with --no-cache (lazy
// too). Metrics
// are median milliseconds and peak RSS in MB. With 10 addresses a Go hello
// world runs too (ms-hello): no Go program starts faster, so it is the
// floor under faultline's time; faultline --help (ms-faultline-help), the
// floor of this binary (its runtime start and package inits); and
// faultline built with CGO_ENABLED=0 (ms-faultline-static, warm), a
// static binary without the C library; and symbolize-only
// (ms-symbolize-only, warm), a binary linking only what symbolize needs
// (symbolizeOnly), which answers byte for byte as faultline: hello,
// symbolize-only, --help and warm say how much of a run is Go's start,
// symbolize's own work, and the other commands' packages.
func BenchmarkSymbolizeVsAddr2line(b *testing.B) {
	a2l := addr2lineTool(b)
	hello := helloWorld(b)
	static := staticFaultline(b)
	symOnly := symbolizeOnly(b)
	ctx := context.Background()
	type fw struct {
		name string
		elf  func(context.Context) (string, error)
		n    int  // addresses
		runs int  // per tool
		slow bool // generated: minutes to build the first time
		skip bool // skipped, not failed, when it cannot be built
	}
	webserver := func(ctx context.Context) (string, error) { return firmware.ELF(ctx, "webserver") }
	// The "small firmware": 3,000 generated functions, 3.4 MB.
	small := func(ctx context.Context) (string, error) { return elfsymtest.Big(ctx, 3000) }
	// A crash-lab program, as the tests build it: a few functions,
	// inlined ones among them, and newlib's start-up code.
	tiny := func(ctx context.Context) (string, error) { return crashlab.ELF(ctx, "netduino2", "inlined") }
	cases := []fw{
		{"tiny20KB/10", tiny, 10, 21, false, true},
		{"webserver/10", webserver, 10, 21, false, false},
		{"small3MB/10", small, 10, 21, true, false},
		{"small3MB/50000", small, 50000, 3, true, false},
		{"large25MB/10", elfsymtest.Large, 10, 11, true, false},
		{"large25MB/50000", elfsymtest.Large, 50000, 3, true, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if c.slow && testing.Short() {
				b.Skip("-short: the generated firmware takes minutes to build the first time")
			}
			elf, err := c.elf(ctx)
			if err != nil && c.skip {
				b.Skip(err)
			}
			if err != nil {
				b.Fatal(err)
			}
			addrs := spreadAddrs(b, elf, c.n)
			key := indexKey(b, elf)
			ours := append([]string{faultlineBin, "symbolize", "--elf", elf}, addrs...)
			theirArgv := append([]string{a2l, "-fiC", "-e", elf}, addrs...)
			stdin := ""
			if c.n > 1000 {
				// More addresses than a command line is meant for go on
				// stdin, to both tools (addr2line reads it when given
				// none, faultline when given "-").
				stdin = strings.Join(addrs, "\n") + "\n"
				ours = []string{faultlineBin, "symbolize", "--elf", elf, "-"}
				theirArgv = []string{a2l, "-fiC", "-e", elf}
			}
			runProc := func(b *testing.B, home string, rss bool, argv ...string) procStat {
				return runProcIn(b, home, rss, stdin, argv...)
			}
			warmHome := b.TempDir()
			// The first run answers lazily and marks the ELF as seen, the
			// second has the whole index saved: later runs load it. Each
			// answers as --no-cache does, byte for byte.
			plain := outputOf(b, warmHome, stdin, append(ours, "--no-cache")...)
			for i, how := range []string{"first run (lazy)", "second run (index handed to a builder)", "run loading the saved index"} {
				if i == 2 {
					waitIndex(b, warmHome, key)
				}
				if got := outputOf(b, warmHome, stdin, ours...); !bytes.Equal(got, plain) {
					b.Fatalf("%s: %d bytes of answers differ from --no-cache's %d", how, len(got), len(plain))
				}
			}
			// symbolize-only takes the command's arguments after its name
			// and reads the same saved index.
			symOnlyArgv := append([]string{symOnly}, ours[2:]...)
			if got := outputOf(b, warmHome, stdin, symOnlyArgv...); !bytes.Equal(got, plain) {
				b.Fatalf("symbolize-only: %d bytes of answers differ from faultline --no-cache's %d", len(got), len(plain))
			}
			settleIndex(b, func() { runProc(b, warmHome, false, ours...) })
			var warm, cold, coldSeen, second, noCache, theirs, floor, warmStatic, start, symbolizeOnly procStat
			var ready []time.Duration
			secondRun := func(rss bool) procStat {
				home := b.TempDir()
				runProc(b, home, false, ours...)
				st := runProc(b, home, rss, ours...)
				ready = append(ready, waitIndex(b, home, key))
				return st
			}
			for b.Loop() {
				warmRun := func(rss bool) procStat { return runProc(b, warmHome, rss, ours...) }
				theirRun := func(rss bool) procStat { return runProc(b, "", rss, theirArgv...) }
				if c.n > 10 {
					m := medians(c.runs, warmRun, theirRun)
					warm, theirs = m[0], m[1]
					continue
				}
				staticArgv := append([]string{static}, ours[1:]...)
				m := medians(c.runs, warmRun, theirRun,
					func(rss bool) procStat { return runProc(b, b.TempDir(), rss, ours...) },
					func(rss bool) procStat { return runProc(b, warmHome, rss, append(ours, "--no-cache")...) },
					func(rss bool) procStat { return runProc(b, "", rss, hello) },
					func(rss bool) procStat { return runProc(b, warmHome, rss, staticArgv...) },
					secondRun,
					// A first run on this ELF by a user who has run
					// faultline before: the cache directory is there, and
					// the run's mark is one new file, not two directories
					// and a file.
					func(rss bool) procStat {
						home := b.TempDir()
						if err := os.MkdirAll(filepath.Join(home, "faultline", "index"), 0o755); err != nil {
							b.Fatal(err)
						}
						return runProc(b, home, rss, ours...)
					},
					func(rss bool) procStat { return runProc(b, warmHome, rss, faultlineBin, "--help") },
					func(rss bool) procStat { return runProc(b, warmHome, rss, symOnlyArgv...) })
				warm, theirs, cold, noCache, floor, warmStatic, second, coldSeen, start, symbolizeOnly = m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]
			}
			st, _ := os.Stat(elf)
			b.ReportMetric(ms(warm.wall), "ms-faultline")
			b.ReportMetric(ms(theirs.wall), "ms-addr2line")
			b.ReportMetric(float64(theirs.wall)/float64(warm.wall), "x-faster")
			b.ReportMetric(float64(warm.rss)/(1<<20), "MB-rss-faultline")
			b.ReportMetric(float64(theirs.rss)/(1<<20), "MB-rss-addr2line")
			size := fmt.Sprintf("%.1f MB", float64(st.Size())/(1<<20))
			if st.Size() < 1<<20 {
				size = fmt.Sprintf("%.0f KB", float64(st.Size())/(1<<10))
			}
			b.Logf("%s (%s), %d addresses, median of %d runs:", filepath.Base(elf), size, c.n, c.runs)
			b.Logf("  addr2line -fiC       %8.1f ms  rss %6.1f MB", ms(theirs.wall), float64(theirs.rss)/(1<<20))
			b.Logf("  faultline (cached)   %8.1f ms  rss %6.1f MB  %.2fx addr2line's time", ms(warm.wall), float64(warm.rss)/(1<<20), float64(warm.wall)/float64(theirs.wall))
			if c.n <= 10 {
				b.ReportMetric(ms(floor.wall), "ms-hello")
				b.ReportMetric(ms(warmStatic.wall), "ms-faultline-static")
				b.Logf("  faultline static     %8.1f ms  rss %6.1f MB  %.2fx (CGO_ENABLED=0, cached)", ms(warmStatic.wall), float64(warmStatic.rss)/(1<<20), float64(warmStatic.wall)/float64(theirs.wall))
				b.Logf("  Go hello world       %8.1f ms  rss %6.1f MB  %.2fx (the floor)", ms(floor.wall), float64(floor.rss)/(1<<20), float64(floor.wall)/float64(theirs.wall))
				// faultline --help is the binary's own floor: the runtime's
				// start, every package's init and exit, and next to nothing
				// else. What symbolize adds is the warm time above it.
				// symbolize-only is symbolize's own work on top of Go's
				// start: what is left of warm above it is the price of
				// the rest of faultline being linked.
				b.ReportMetric(ms(symbolizeOnly.wall), "ms-symbolize-only")
				b.Logf("  symbolize-only       %8.1f ms  rss %6.1f MB  %.2fx (only symbolize linked, cached)", ms(symbolizeOnly.wall), float64(symbolizeOnly.rss)/(1<<20), float64(symbolizeOnly.wall)/float64(theirs.wall))
				b.ReportMetric(ms(start.wall), "ms-faultline-help")
				b.Logf("  faultline --help     %8.1f ms  rss %6.1f MB  %.2fx (this binary's floor: start, inits, exit)", ms(start.wall), float64(start.rss)/(1<<20), float64(start.wall)/float64(theirs.wall))
				b.ReportMetric(ms(cold.wall), "ms-faultline-cold")
				b.ReportMetric(float64(cold.rss)/(1<<20), "MB-rss-cold")
				b.Logf("  faultline (cold)     %8.1f ms  rss %6.1f MB  %.2fx", ms(cold.wall), float64(cold.rss)/(1<<20), float64(cold.wall)/float64(theirs.wall))
				b.ReportMetric(ms(coldSeen.wall), "ms-faultline-cold-dir")
				b.Logf("  faultline (cold, dir)%8.1f ms  rss %6.1f MB  %.2fx (first run on this ELF, the cache directory made before)", ms(coldSeen.wall), float64(coldSeen.rss)/(1<<20), float64(coldSeen.wall)/float64(theirs.wall))
				slices.Sort(ready)
				b.ReportMetric(ms(second.wall), "ms-faultline-second")
				b.ReportMetric(ms(ready[len(ready)/2]), "ms-index-ready")
				b.Logf("  faultline (2nd run)  %8.1f ms  rss %6.1f MB  %.2fx (index saved in the background %.0f ms after it ended)", ms(second.wall), float64(second.rss)/(1<<20), float64(second.wall)/float64(theirs.wall), ms(ready[len(ready)/2]))
				b.Logf("  faultline --no-cache %8.1f ms  rss %6.1f MB  %.2fx", ms(noCache.wall), float64(noCache.rss)/(1<<20), float64(noCache.wall)/float64(theirs.wall))
			}
		})
	}
}

// webserverCapture boots the bundled web server firmware in QEMU, lets it
// run, halts it and writes a capture of it (as `faultline capture` would
// on a manual trigger) to a file under b's temporary directory.
func webserverCapture(b *testing.B, ctx context.Context, elf string) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	img, err := elfsym.Open(elf)
	if err != nil {
		b.Fatal(err)
	}
	defer img.Close()
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: "netduino2", Kernel: elf, Halted: true, Serials: []string{"null", "null"}})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Stop()
	board, _ := probe.LookupBoard("netduino2")
	tgt, err := probe.ConnectTarget(ctx, probe.TargetOptions{Addr: q.GDBAddr, Board: board, Image: img})
	if err != nil {
		b.Fatal(err)
	}
	defer tgt.Close()
	if err := tgt.Resume(ctx); err != nil {
		b.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // into the main loop
	stop, err := tgt.Halt(ctx)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "manual", Detail: "benchmark"}, stop.Raw)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "webserver.core")
	if err := capture.Write(path, snap); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkAnalyzeVsGDB runs `faultline analyze` of a capture of the
// bundled firmware and `gdb-multiarch -batch` loading the same ELF and core
// and printing bt, as whole processes. Metrics are median milliseconds.
func BenchmarkAnalyzeVsGDB(b *testing.B) {
	gdb, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		b.Skip("gdb-multiarch not found: run scripts/setup.sh")
	}
	ctx := context.Background()
	elf, err := firmware.ELF(ctx, "webserver")
	if err != nil {
		b.Fatal(err)
	}
	core := webserverCapture(b, ctx, elf)
	ours := []string{faultlineBin, "analyze", "--elf", elf, core}
	theirs := []string{gdb, "-batch", "-nx", "-ex", "bt", elf, core}
	home := b.TempDir()
	runProc(b, home, false, ours...) // lazy, marks the ELF as seen
	runProc(b, home, false, ours...) // hands the whole index to a background builder
	waitIndex(b, home, indexKey(b, elf))
	settleIndex(b, func() { runProc(b, home, false, ours...) })
	const runs = 15
	var warm, noCache, gdbStat procStat
	for b.Loop() {
		warm = median(runs, func(rss bool) procStat { return runProc(b, home, rss, ours...) })
		noCache = median(runs, func(rss bool) procStat { return runProc(b, home, rss, append(ours, "--no-cache")...) })
		gdbStat = median(runs, func(rss bool) procStat { return runProc(b, "", rss, theirs...) })
	}
	b.ReportMetric(ms(warm.wall), "ms-faultline")
	b.ReportMetric(ms(gdbStat.wall), "ms-gdb")
	b.ReportMetric(float64(gdbStat.wall)/float64(warm.wall), "x-faster")
	b.Logf("analyze of %s, median of %d runs:", filepath.Base(core), runs)
	b.Logf("  gdb-multiarch -batch bt %8.1f ms  rss %6.1f MB", ms(gdbStat.wall), float64(gdbStat.rss)/(1<<20))
	b.Logf("  faultline (cached)      %8.1f ms  rss %6.1f MB  %.2fx gdb's time", ms(warm.wall), float64(warm.rss)/(1<<20), float64(warm.wall)/float64(gdbStat.wall))
	b.Logf("  faultline --no-cache    %8.1f ms  rss %6.1f MB  %.2fx", ms(noCache.wall), float64(noCache.rss)/(1<<20), float64(noCache.wall)/float64(gdbStat.wall))
}
