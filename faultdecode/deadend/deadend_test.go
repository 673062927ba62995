package deadend

import (
	"fmt"
	"testing"
)

func TestCatchableTakesWhatTheImageDefinesInPriorityOrder(t *testing.T) {
	tests := []struct {
		name    string
		defined []string
		want    []string
	}{
		{"newlib assert path", []string{"_exit", "abort", "__assert_func", "main"}, []string{"__assert_func", "abort", "_exit"}},
		{"CubeMX", []string{"Error_Handler", "HAL_Init"}, []string{"Error_Handler"}},
		// Device OS: panic_ has its console line and SOS; its abort and
		// _exit lead there.
		{"Device OS", []string{"panic_", "abort", "_exit", "__cxa_pure_virtual"}, []string{"__cxa_pure_virtual"}},
		{"FreeRTOS hooks", []string{"vApplicationMallocFailedHook", "vApplicationStackOverflowHook", "vAssertCalled"},
			[]string{"vAssertCalled", "vApplicationStackOverflowHook", "vApplicationMallocFailedHook"}},
		{"the bundled firmware", []string{"panic", "abort", "_exit", "__assert_func"}, []string{"__assert_func"}},
		{"nothing", []string{"main"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := map[string]bool{}
			for _, n := range tc.defined {
				def[n] = true
			}
			var got []string
			for _, f := range Catchable(func(n string) bool { return def[n] }) {
				got = append(got, f.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Catchable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLookupKnowsEveryFunctionOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range All() {
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		if g, ok := Lookup(f.Name); !ok || g.Name != f.Name {
			t.Errorf("Lookup(%q) = %v, %v", f.Name, g, ok)
		}
		if f.Lead != "" && !f.Explained {
			if n := len(fmt.Sprintf(f.Lead, "X")); n == 0 || fmt.Sprintf(f.Lead, "X") == f.Lead {
				t.Errorf("%s: lead %q does not place the caller", f.Name, f.Lead)
			}
		}
	}
	if _, ok := Lookup("main"); ok {
		t.Error("main is a dead end")
	}
}

func TestTrapsFindsAnUndefinedInstructionOnly(t *testing.T) {
	tests := []struct {
		name string
		code []byte
		want bool
	}{
		{"cpsid i; b .", []byte{0x72, 0xb6, 0xfe, 0xe7}, false},
		{"push; bl; udf #254", []byte{0x08, 0xb5, 0x00, 0xf0, 0x01, 0xf8, 0xfe, 0xde}, true},
		{"udf.w", []byte{0xf7, 0xf7, 0x00, 0xa0}, true},
		// 0xdefe as the second half of a bl is not a udf.
		{"bl whose second half reads 0xdefe", []byte{0x00, 0xf0, 0xfe, 0xde, 0xfe, 0xe7}, false},
		{"bkpt; b .", []byte{0x00, 0xbe, 0xfe, 0xe7}, false},
	}
	for _, tc := range tests {
		if got := Traps(tc.code, 0x100); got != tc.want {
			t.Errorf("%s: Traps = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMaskedLoopsAreLoopsAfterAMask(t *testing.T) {
	tests := []struct {
		name string
		code []byte
		want []uint32
	}{
		// CubeMX's Error_Handler inlined at -O2: bl HAL_UART_Init; cbz;
		// cpsid i; b .
		{"cpsid i; b .", []byte{0xff, 0xf7, 0xda, 0xff, 0x08, 0xb1, 0x72, 0xb6, 0xfe, 0xe7}, []uint32{0x108}},
		// taskDISABLE_INTERRUPTS: mov r3, #80; msr basepri, r3; isb; dsb; b .
		{"msr basepri; isb; dsb; b .", []byte{0x4f, 0xf0, 0x50, 0x03, 0x83, 0xf3, 0x11, 0x88, 0xbf, 0xf3, 0x6f, 0x8f, 0xbf, 0xf3, 0x4f, 0x8f, 0xfe, 0xe7}, []uint32{0x110}},
		{"b.w . after cpsid f", []byte{0x71, 0xb6, 0xff, 0xf7, 0xfe, 0xbf}, []uint32{0x102}},
		// An idle "while (1);" with interrupts on, and one after cpsie.
		{"b . alone", []byte{0x00, 0xbf, 0xfe, 0xe7}, nil},
		{"cpsie i; b .", []byte{0x62, 0xb6, 0xfe, 0xe7}, nil},
		// A mask long before the loop: other code ran in between.
		{"mask far before", []byte{0x72, 0xb6, 0x00, 0xbf, 0x00, 0xbf, 0x00, 0xbf, 0x00, 0xbf, 0x00, 0xbf, 0xfe, 0xe7}, nil},
	}
	for _, tc := range tests {
		if got := MaskedLoops(tc.code, 0x100); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: MaskedLoops = %x, want %x", tc.name, got, tc.want)
		}
	}
}

func TestBranchToSelf(t *testing.T) {
	tests := []struct {
		b    []byte
		want bool
	}{
		{[]byte{0xfe, 0xe7}, true},             // b.n .
		{[]byte{0xff, 0xf7, 0xfe, 0xbf}, true}, // b.w .
		{[]byte{0xfd, 0xe7}, false},            // b.n .-2
		{[]byte{0xff, 0xf7, 0xfc, 0xbf}, false},
		{[]byte{0x00, 0xbf, 0xfe, 0xe7}, false}, // nop first
		{[]byte{0xff, 0xf7}, false},             // half of a b.w
	}
	for _, tc := range tests {
		if got := BranchToSelf(tc.b); got != tc.want {
			t.Errorf("BranchToSelf(% x) = %v, want %v", tc.b, got, tc.want)
		}
	}
}
