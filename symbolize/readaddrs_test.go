package symbolize

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// ReadAddrs reads stdin a buffer at a time: words the end of a buffer or
// of a short read cuts in two are read whole, whatever the reads' sizes,
// and give what the whole input parsed at once gives.
func TestReadAddrsJoinsWordsCutBetweenReads(t *testing.T) {
	var in strings.Builder
	var want []uint64
	for i := range 40000 { // about 400 KB: several buffers
		a := uint64(i)*0x1357 + 0x08000000
		want = append(want, a)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&in, "%#x\n", a)
		case 1:
			fmt.Fprintf(&in, "%08X ", a)
		case 2:
			fmt.Fprintf(&in, "0X%x\r\n\t", a)
		default:
			fmt.Fprintf(&in, "%017x  ", a)
		}
	}
	text := in.String()
	readers := map[string]func() io.Reader{
		"whole":      func() io.Reader { return strings.NewReader(text) },
		"one byte":   func() io.Reader { return iotest.OneByteReader(strings.NewReader(text)) },
		"half reads": func() io.Reader { return iotest.HalfReader(strings.NewReader(text)) },
		"no final newline": func() io.Reader {
			return strings.NewReader(strings.TrimRight(text, " \r\n\t"))
		},
		"eof with data": func() io.Reader { return iotest.DataErrReader(strings.NewReader(text)) },
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			got, err := ReadAddrs(r())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d addresses read, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A bad word is a BadAddrError naming it, wherever it falls; a word longer
// than the read buffer is one too, and a failing read is not.
func TestReadAddrsRejectsBadInput(t *testing.T) {
	long := strings.Repeat("0", 70<<10)
	for name, in := range map[string]string{
		"bad word after a buffer":   strings.Repeat("0x1234\n", 20000) + "0xzz\n",
		"word longer than a buffer": "0x10 " + long + " 0x20",
	} {
		_, err := ReadAddrs(strings.NewReader(in))
		var bad *BadAddrError
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), "bad address") {
			t.Errorf("%s: err = %v, want a BadAddrError for the bad address", name, err)
		}
	}
	boom := errors.New("boom")
	_, err := ReadAddrs(iotest.ErrReader(boom))
	var bad *BadAddrError
	if !errors.Is(err, boom) || errors.As(err, &bad) {
		t.Errorf("failing read: err = %v, want the read's error, not a BadAddrError", err)
	}
}
