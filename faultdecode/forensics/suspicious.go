package forensics

import "fmt"

// poisonValues are fill patterns and magic words that show up when a stack
// or heap was overwritten.
var poisonValues = map[uint32]bool{
	0xdeadbeef: true, 0xbaadf00d: true, 0xfeedface: true, 0xcafebabe: true,
	0xdeadc0de: true, 0xfeeefeee: true, 0xabababab: true,
}

// Suspicious says why v looks like data rather than an address: four
// printable ASCII bytes, one byte repeated, or a known fill pattern.
func Suspicious(v uint32) string {
	b := [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	if poisonValues[v] {
		return "a fill pattern"
	}
	ascii := true
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			ascii = false
		}
	}
	if ascii {
		return fmt.Sprintf("ASCII %q", string(b[:]))
	}
	if b[0] == b[1] && b[1] == b[2] && b[2] == b[3] && b[0] != 0 && b[0] != 0xff {
		return "one byte repeated"
	}
	return ""
}
