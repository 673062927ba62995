package probe

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzSplitter(f *testing.F) {
	f.Add([]byte("a\r\nb\n\rc\rd\n\ne"), uint8(3))
	f.Add([]byte("\x00\xff\x1b[0m\r"), uint8(0))
	f.Add([]byte("0000123456 [hal] PANIC: HardFault\r\n"), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		var pieces [][]byte
		s := &splitter{maxLine: 8, emitLine: func(raw []byte, _ time.Time, partial bool) {
			if len(raw) > 8 {
				t.Errorf("line of %d bytes > maxLine", len(raw))
			}
			if bytes.ContainsAny(raw, "\r\n") {
				t.Errorf("line %q holds a terminator", raw)
			}
			text := escapeText(raw)
			if !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
				t.Errorf("escapeText(%q) = %q: not printable", raw, text)
			}
			pieces = append(pieces, bytes.Clone(raw))
		}}
		c := min(int(cut), len(in))
		now := time.Now()
		s.feed(in[:c], now)
		s.feed(in[c:], now)
		s.flush()
		// No byte other than terminators is lost or invented.
		if got := bytes.Join(pieces, nil); !bytes.Equal(got, stripTerms(in)) {
			t.Errorf("pieces %q do not add up to %q", pieces, in)
		}
	})
}

// stripTerms removes CR and LF bytewise (bytes.Map works on runes and
// would rewrite invalid UTF-8).
func stripTerms(in []byte) []byte {
	var out []byte
	for _, b := range in {
		if b != '\r' && b != '\n' {
			out = append(out, b)
		}
	}
	return out
}

func TestEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"tab\there", "tab\there"},
		{"\x00\x07\x1b[1m", `\x00\x07\x1b[1m`},
		{"caf\xc3\xa9 \xe2\x9c\x93", "café ✓"},
		{"bad \xc3 utf8 \xff", `bad \xc3 utf8 \xff`},
		{"c1 \xc2\x85 control", `c1 \xc2\x85 control`},
	}
	for _, tt := range tests {
		if got := escapeText([]byte(tt.in)); got != tt.want {
			t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
