// Package deviceos holds Particle Device OS conventions that both the
// console reader (probe) and the crash analysis (faultdecode) need: the
// panic codes.
package deviceos

import "strings"

// panicNames are Device OS's panic codes (services/inc/panic.h, ePanicCode;
// FACTS.md section 4 spells code 6 InvalidLength), index = code.
var panicNames = [...]string{1: "HardFault", 2: "NMIFault", 3: "MemManage", 4: "BusFault",
	5: "UsageFault", 6: "InvalidLength", 7: "Exit", 8: "OutOfHeap", 9: "SPIOverRun",
	10: "AssertionFailure", 11: "InvalidCase", 12: "PureVirtualCall", 13: "StackOverflow", 14: "HeapError"}

// PanicName returns the Device OS name of a panic code ("" if unknown).
func PanicName(code int) string {
	if code > 0 && code < len(panicNames) {
		return panicNames[code]
	}
	return ""
}

// PanicCode returns the Device OS code of a panic name (case-insensitive), 0 if unknown.
func PanicCode(name string) int {
	for code, n := range panicNames {
		if n != "" && strings.EqualFold(n, name) {
			return code
		}
	}
	return 0
}
