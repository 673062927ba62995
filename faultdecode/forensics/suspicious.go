package forensics

import "fmt"

// isPoison reports the fill patterns and magic words that show up when a
// stack or heap was overwritten (a switch: a map literal is built by
// package init, in every command's start).
func isPoison(v uint32) bool {
	switch v {
	case 0xdeadbeef, 0xbaadf00d, 0xfeedface, 0xcafebabe, 0xdeadc0de, 0xfeeefeee, 0xabababab:
		return true
	}
	return false
}

// Suspicious says why v looks like data rather than an address: four
// printable ASCII bytes, one byte repeated, or a known fill pattern.
func Suspicious(v uint32) string {
	b := [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	if isPoison(v) {
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
