package elfsymtest

import (
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// Gunzip writes the gzip file src (a real firmware's ELF kept compressed
// in a testdata folder) uncompressed to dst and returns dst; tb fails if
// that cannot be done.
func Gunzip(tb testing.TB, src, dst string) string {
	tb.Helper()
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	return dst
}
