// Package srcdir finds a firmware source directory of this module (the
// sources, the Makefile and expected.json of a crash lab) at run time, for
// test binaries that build firmware from a checkout, and reads its
// expected.json.
package srcdir

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Find returns the absolute path of the directory rel (relative to the
// module root, e.g. "firmware/freertos") that holds every one of markers.
// It tries the directory of the calling source file first (right for every
// test binary built from a checkout, whatever directory it runs in), then,
// for binaries built with -trimpath or moved, the working directory and its
// parents, each as itself and joined with rel.
func Find(rel string, markers ...string) (string, error) {
	if _, file, _, ok := runtime.Caller(1); ok && filepath.IsAbs(file) {
		if dir := filepath.Dir(file); has(dir, markers) {
			return dir, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", rel, err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, cand := range []string{d, filepath.Join(d, filepath.FromSlash(rel))} {
			if has(cand, markers) {
				return cand, nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("find %s: not found from %s or the caller's source path", rel, wd)
}

func has(dir string, markers []string) bool {
	for _, name := range markers {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// ReadExpected reads dir/expected.json, a lab's record of what each crash
// must produce, and decodes it with parse; errors name the file.
func ReadExpected[T any](dir string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return zero, fmt.Errorf("read expected.json: %w", err)
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("expected.json: %w", err)
	}
	return v, nil
}
