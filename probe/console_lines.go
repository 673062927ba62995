package probe

import (
	"time"
	"unicode/utf8"
)

// A Line is one line of console output.
type Line struct {
	Seq     uint64    // 1, 2, ... in arrival order over the console's life
	Time    time.Time // when its first byte was read
	Text    string    // printable text: terminator removed, binary noise escaped as \xNN
	Partial bool      // ended without a terminator (idle, too long, port lost, Close)
}

// DefaultMaxLine bounds a line's raw length; a longer run without a
// terminator is cut into partial lines so a stream of noise cannot grow
// memory without limit.
const DefaultMaxLine = 4096

// splitter cuts a byte stream into lines. It accepts \n, \r\n, \r and \n\r
// as one terminator each: a CR or LF directly followed by its complement
// is a single line end, even when the pair straddles two reads.
type splitter struct {
	buf      []byte
	first    time.Time // arrival time of buf[0]
	last     time.Time // arrival of the latest byte
	skip     byte      // complement terminator to swallow if it comes next
	maxLine  int
	emitLine func(raw []byte, first time.Time, partial bool)
}

// feed splits p, read at time now.
func (s *splitter) feed(p []byte, now time.Time) {
	for len(p) > 0 {
		if s.skip != 0 {
			if p[0] == s.skip {
				p = p[1:]
			}
			s.skip = 0
			continue
		}
		i := indexTerminator(p)
		if i < 0 {
			s.appendBytes(p, now)
			return
		}
		s.appendBytes(p[:i], now)
		if len(s.buf) == 0 {
			s.first = now
		}
		s.emit(false)
		if p[i] == '\r' {
			s.skip = '\n'
		} else {
			s.skip = '\r'
		}
		p = p[i+1:]
	}
	s.last = now
}

func (s *splitter) appendBytes(p []byte, now time.Time) {
	for len(p) > 0 {
		if len(s.buf) == 0 {
			s.first = now
		}
		room := s.maxLine - len(s.buf)
		if len(p) < room {
			s.buf = append(s.buf, p...)
			break
		}
		s.buf = append(s.buf, p[:room]...)
		p = p[room:]
		s.emit(true)
	}
	s.last = now
}

// flush emits the pending bytes, if any, as a partial line.
func (s *splitter) flush() {
	if len(s.buf) > 0 {
		s.emit(true)
	}
}

func (s *splitter) pending() bool { return len(s.buf) > 0 }

func (s *splitter) emit(partial bool) {
	s.emitLine(s.buf, s.first, partial)
	s.buf = s.buf[:0]
}

func indexTerminator(p []byte) int {
	for i, b := range p {
		if b == '\n' || b == '\r' {
			return i
		}
	}
	return -1
}

// escapeText turns raw console bytes into printable text: valid UTF-8 and
// tab are kept, every other control byte and every invalid UTF-8 byte
// becomes \xNN, so a line never carries terminal escapes or garbage into a
// TUI or a JSON report. The raw log keeps the bytes as they came.
func escapeText(raw []byte) string {
	clean := true
	for _, b := range raw {
		if b < 0x20 && b != '\t' || b >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return string(raw)
	}
	out := make([]byte, 0, len(raw)+16)
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0:
			for _, b := range raw[:size] {
				out = append(out, '\\', 'x', hexDigit(b>>4), hexDigit(b&15))
			}
		default:
			out = append(out, raw[:size]...)
		}
		raw = raw[size:]
	}
	return string(out)
}

func hexDigit(b byte) byte { return "0123456789abcdef"[b] }
