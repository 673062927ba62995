package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SourceFromDirs returns a Crash.Source that reads a file named in the
// report: first at its own path (DWARF paths are usually absolute), then,
// for a build made elsewhere, under each of dirs with the longest trailing
// part of the path that exists (src/net/server.cpp, then net/server.cpp,
// then server.cpp). It does I/O, so the TUI only calls it from a command.
func SourceFromDirs(dirs ...string) func(file string) ([]byte, error) {
	return func(file string) ([]byte, error) {
		if file == "" {
			return nil, errors.New("no file name")
		}
		if data, err := os.ReadFile(file); err == nil {
			return data, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read source: %w", err)
		}
		parts := strings.Split(filepath.ToSlash(filepath.Clean(file)), "/")
		for i := range parts {
			rel := filepath.Join(parts[i:]...)
			if rel == "" || rel == "." {
				continue
			}
			for _, d := range dirs {
				data, err := os.ReadFile(filepath.Join(d, rel))
				if err == nil {
					return data, nil
				}
			}
		}
		return nil, fmt.Errorf("read source %s: not found (looked in %s)", file, strings.Join(dirs, ", "))
	}
}
