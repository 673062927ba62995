package faultdecode

import "testing"

// Without a vector table to name the handler by (no ELF, or none found),
// the exception is named architecturally: a headline read "UsageFault in
// None, which interrupted task 'net'" for a fault in SysTick or an IRQ.
func TestHandlerNameWithoutAVectorTableIsTheException(t *testing.T) {
	a := &analysis{}
	for _, tc := range []struct {
		n    uint32
		want string
	}{
		{3, "HardFault"},
		{6, "UsageFault"},
		{11, "SVCall"},
		{14, "PendSV"},
		{15, "SysTick"},
		{16 + 8, "IRQ 8"},
		{13, "exception 13"},
	} {
		if got := a.handlerName(tc.n); got != tc.want {
			t.Errorf("handlerName(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
