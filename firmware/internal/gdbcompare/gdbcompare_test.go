package gdbcompare

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// isrPSP is gdb-multiarch 13.1's output for crashlab's isr_psp on
// mps2-an385 (QEMU 10.0.2): two exception frames, the fault's on MSP and
// SysTick's on PSP.
const isrPSP = `Reset_Handler () at common/startup.c:58
58	{
Breakpoint 1 at 0x3e8: file common/default_hardfault.c, line 6.
Breakpoint 2 at 0x264: file common/startup.c, line 43.

Breakpoint 2, UsageFault_Handler () at common/startup.c:43
43	FAULT_HANDLER(UsageFault_Handler)
#0  UsageFault_Handler () at common/startup.c:43
#1  <signal handler called>
#2  0x000000e8 in isr_divide (v=v@entry=1000) at programs/isr_psp.c:17
#3  0x000000fe in isr_sample () at programs/isr_psp.c:21
#4  0x0000011a in SysTick_Handler () at programs/isr_psp.c:30
#5  <signal handler called>
#6  0x00000126 in thread_spin () at programs/isr_psp.c:36
#7  0x0000013a in thread_main () at programs/isr_psp.c:42
#8  0x00000184 in main () at programs/isr_psp.c:60
FAULTREGS CFSR=02000000 HFSR=00000000
[Inferior 1 (process 1) detached]`

func TestParseBTDropsHandlerAndSignalFrames(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []string
	}{
		{"two exception frames", isrPSP, []string{"isr_divide", "isr_sample", "SysTick_Handler", "thread_spin", "thread_main", "main"}},
		{"handler without debug info, wild pc, C++ and inlined", `#0  0x000003e8 in HardFault_Handler ()
#1  <signal handler called>
#2  0xae094710 in ?? ()
#3  0x00000200 in average (a=<optimized out>) at x.c:3
#4  process_sample (s=0x20000000 <buf>) at x.c:9
#5  0x00000300 in net::Server::close_all (this=0x20000010 <g>) at s.cpp:4
#6  0x00000310 in (anonymous namespace)::Poller::operator() (this=0x0) at s.cpp:9
#7  0x00000320 in std::function<void (bus::Event const&)>::operator()(bus::Event const&) const (this=0x1, __args#0=...) at std_function.h:591
Backtrace stopped: previous frame identical to this frame (corrupt stack?)`,
			[]string{"??", "average", "process_sample", "net::Server::close_all", "(anonymous namespace)::Poller::operator()",
				"std::function<void (bus::Event const&)>::operator()(bus::Event const&) const"}},
		{"no bt at all", "Remote connection closed", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseBT(tc.out); !slices.Equal(got, tc.want) {
				t.Errorf("parseBT = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBareNameMatchesGDBsSpelling(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main", "main"},
		{"", "??"},
		{"??", "??"},
		{"net::Server::poll_clients()", "net::Server::poll_clients"},
		{"net::Server::close(int) const", "net::Server::close"},
		{"f(void (*)(int))", "f"},
		{"(anonymous namespace)::g()", "(anonymous namespace)::g"},
		{"Poller::operator()()", "Poller::operator()"},
		{"std::vector<int>::push_back(int&&)", "std::vector<int>::push_back"},
		{"operator()", "operator()"},
		{"bool __gnu_cxx::__ops::_Iter_comp_iter<f()::$_0>::operator()<T*, T*>(T*, T*)", "__gnu_cxx::__ops::_Iter_comp_iter<f()::$_0>::operator()<T*, T*>"},
		{"sched::Task* std::__unguarded_partition<sched::Task*, C<std::pair<int, int> > >(sched::Task*, sched::Task*)", "std::__unguarded_partition<sched::Task*, C<std::pair<int, int> > >"},
		{"unsigned int f<int>(int)", "f<int>"},
		{"s::Task::operator unsigned int() const", "s::Task::operator unsigned int"},
		{"f()::{lambda(int const&)#1}::operator()(int const&) const", "f()::{lambda(int const&)#1}::operator()"},
	}
	for _, tc := range tests {
		if got := BareName(tc.in); got != tc.want {
			t.Errorf("BareName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNamesKeepsEveryFrameInOrder(t *testing.T) {
	rep := &report.Report{Frames: []report.Frame{
		{Function: ""}, {Function: "average", Inlined: true}, {Function: "run()"}, {Function: "main"},
	}}
	if got, want := Names(rep), []string{"??", "average", "run", "main"}; !slices.Equal(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	if Names(nil) != nil {
		t.Error("Names(nil) is not nil")
	}
}

func TestStopsAreTheVectorTablesFaultHandlers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elf, err := crashlab.ELF(ctx, "mps2-an385", "divzero")
	if err != nil {
		t.Fatal(err)
	}
	st, err := stops(elf, []string{"main"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, s.name)
	}
	slices.Sort(got)
	want := []string{"BusFault_Handler", "HardFault_Handler", "MemManage_Handler", "NMI_Handler", "UsageFault_Handler", "main"}
	if !slices.Equal(got, want) {
		t.Errorf("stops = %q, want %q", got, want)
	}
	if _, err := stops(elf, []string{"no_such_function"}); err == nil {
		t.Error("an unknown StopAt symbol was accepted")
	}
}

// crashlab's isr_psp is the one program whose chain gdb is known to get
// right across two exception frames (crashlab/README.md).
func TestGDBAndFaultlineOnCrashlab(t *testing.T) {
	NeedTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel) // the subtests run after this function returns
	elf, err := crashlab.ELF(ctx, "mps2-an385", "isr_psp")
	if err != nil {
		t.Fatal(err)
	}
	p := Program{Machine: "mps2-an385", ELF: elf, Board: "mps2-an385"}
	want := []string{"isr_divide", "isr_sample", "SysTick_Handler", "thread_spin", "thread_main", "main"}
	t.Run("gdb", func(t *testing.T) {
		t.Parallel()
		r, err := RunGDB(ctx, p)
		if err != nil {
			t.Fatalf("%v\n%s", err, rawOf(r))
		}
		if !slices.Equal(r.Frames, want) {
			t.Errorf("gdb frames %q, want %q\n%s", r.Frames, want, r.Raw)
		}
		if r.Handler != "UsageFault_Handler" || !r.FaultRegs || r.CFSR != 1<<25 {
			t.Errorf("stopped in %s with CFSR %#x (read %v), want UsageFault_Handler, DIVBYZERO", r.Handler, r.CFSR, r.FaultRegs)
		}
	})
	t.Run("faultline", func(t *testing.T) {
		t.Parallel()
		rep, stderr, err := Faultline(ctx, p)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if got := Names(rep); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Errorf("faultline frames %q, want prefix %q", got, want)
		}
		if rep.Fault.Exception != "UsageFault" {
			t.Errorf("exception %q, want UsageFault", rep.Fault.Exception)
		}
	})
}

func rawOf(r *GDBResult) string {
	if r == nil {
		return ""
	}
	return r.Raw
}
