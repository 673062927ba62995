package symbolize

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// BadAddrError is a word of the input that is no address (ReadAddrs): the
// user's mistake, not a failing read.
type BadAddrError struct{ Err error }

func (e *BadAddrError) Error() string { return e.Err.Error() }
func (e *BadAddrError) Unwrap() error { return e.Err }

// ReadAddrs reads the addresses of `symbolize -` from r, separated by
// white space. Words are parsed in place (tens of thousands of them):
// plain hex of up to 16 digits directly, anything else by
// ParseAddr, which gives the same answers and the errors. The
// input is read a buffer at a time, not whole, and the addresses grow by
// doubling: fresh memory faults in page by page, and reading 50,000
// addresses whole cost more than a tenth of answering them.
func ReadAddrs(r io.Reader) ([]uint64, error) {
	addrs := make([]uint64, 0, 1024)
	buf := make([]byte, 64<<10)
	n := 0 // bytes at the start of buf: a word the last read cut short
	for {
		m, err := r.Read(buf[n:])
		n += m
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			return nil, fmt.Errorf("read addresses from stdin: %w", err)
		}
		end := n // words complete in buf[:end]
		if !eof {
			for end > 0 && !isSpace(buf[end-1]) {
				end--
			}
			if end == 0 && n == len(buf) {
				// A word longer than the buffer is no address.
				_, err := ParseAddr(string(buf[:32]) + "...")
				return nil, &BadAddrError{err}
			}
		}
		if addrs, err = parseAddrWords(addrs, buf[:end]); err != nil {
			return nil, err
		}
		n = copy(buf, buf[end:n])
		if eof {
			return addrs, nil
		}
	}
}

// parseAddrWords appends the addresses in the white-space separated words
// of in to addrs.
func parseAddrWords(addrs []uint64, in []byte) ([]uint64, error) {
	for len(in) > 0 {
		i := 0
		for i < len(in) && isSpace(in[i]) {
			i++
		}
		in = in[i:]
		j := 0
		for j < len(in) && !isSpace(in[j]) {
			j++
		}
		if j == 0 {
			break
		}
		word := in[:j]
		in = in[j:]
		v, ok := parseHexWord(word)
		if !ok {
			var err error
			if v, err = ParseAddr(string(word)); err != nil {
				return nil, &BadAddrError{err}
			}
		}
		if len(addrs) == cap(addrs) {
			addrs = slices.Grow(addrs, len(addrs))
		}
		addrs = append(addrs, v)
	}
	return addrs, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// parseHexWord parses 1 to 16 hex digits after an optional 0x or 0X;
// false for anything else.
func parseHexWord(w []byte) (uint64, bool) {
	if len(w) > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X') {
		w = w[2:]
	}
	if len(w) == 0 || len(w) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range w {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}
