package report

import "testing"

func fpReport(exc string, causes []string, frames ...Frame) *Report {
	return &Report{Fault: Fault{Exception: exc, Causes: causes}, Frames: frames}
}

func fr(fn, pc string, line int) Frame {
	return Frame{Function: fn, PC: pc, Line: line, How: "cfi", Confidence: "certain"}
}

func TestFingerprintGroupsTheSameBug(t *testing.T) {
	base := fpReport("HardFault", []string{"FORCED", "IACCVIOL"}, fr("??", "0xae094710", 0), fr("poll_clients", "0x08000a12", 36), fr("loop", "0x08000b00", 80), fr("main", "0x08000c00", 90))
	tests := []struct {
		name string
		r    *Report
		same bool
	}{
		{"other addresses and lines (a rebuild)", fpReport("HardFault", []string{"IACCVIOL", "FORCED"}, fr("??", "0x1234", 0), fr("poll_clients", "0x08000a40", 38), fr("loop", "0x08000b20", 81), fr("main", "0x08000c10", 91)), true},
		{"a different outer caller", fpReport("HardFault", []string{"FORCED", "IACCVIOL"}, fr("??", "0x1", 0), fr("poll_clients", "0x2", 1), fr("loop", "0x3", 2), fr("other_main", "0x4", 3)), true},
		{"a stack-scan guess in between", fpReport("HardFault", []string{"FORCED", "IACCVIOL"}, fr("??", "0x1", 0), Frame{Function: "junk", How: "stack-scan", Confidence: "guess"}, fr("poll_clients", "0x2", 1), fr("loop", "0x3", 2)), true},
		{"another cause", fpReport("HardFault", []string{"FORCED", "INVSTATE"}, fr("??", "0x1", 0), fr("poll_clients", "0x2", 1), fr("loop", "0x3", 2)), false},
		{"another exception", fpReport("MemManage", []string{"IACCVIOL"}, fr("??", "0x1", 0), fr("poll_clients", "0x2", 1), fr("loop", "0x3", 2)), false},
		{"another function", fpReport("HardFault", []string{"FORCED", "IACCVIOL"}, fr("??", "0x1", 0), fr("accept_clients", "0x2", 1), fr("loop", "0x3", 2)), false},
	}
	want := Fingerprint(base)
	if len(want) != 12 {
		t.Fatalf("fingerprint %q is not 12 hex digits", want)
	}
	for _, tc := range tests {
		got := Fingerprint(tc.r)
		if (got == want) != tc.same {
			t.Errorf("%s: fingerprint %s vs %s (signatures %q, %q), want same=%v", tc.name, got, want, Signature(tc.r), Signature(base), tc.same)
		}
	}
}

func TestSignatureReadsLikeTheCrash(t *testing.T) {
	tests := []struct {
		r    *Report
		want string
	}{
		{fpReport("UsageFault", []string{"DIVBYZERO"}, fr("crash_divide", "0x1", 1), fr("run_test", "0x2", 2), fr("main", "0x3", 3), fr("Reset_Handler", "0x4", 4)),
			"UsageFault | DIVBYZERO | crash_divide < run_test < main"},
		{&Report{Fault: Fault{Exception: "HardFault", Forced: true, Causes: []string{"FORCED", "PRECISERR"}}},
			"HardFault (forced) | FORCED,PRECISERR"},
		{&Report{Trigger: Trigger{Kind: "serial-panic", Detail: "0000012345 [panic] hard fault at 0x0800abcd"}},
			"None |  | serial-panic: # [panic] hard fault at #"},
		{fpReport("BusFault", nil, fr("tmpl<16>::f()", "0x1", 1)), "BusFault |  | tmpl<#>::f()"},
	}
	for _, tc := range tests {
		if got := Signature(tc.r); got != tc.want {
			t.Errorf("Signature = %q, want %q", got, tc.want)
		}
	}
	if Fingerprint(nil) == "" {
		t.Error("nil report has no fingerprint")
	}
}
