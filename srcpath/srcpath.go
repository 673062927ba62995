// Package srcpath shows source file paths for people: relative to the
// working directory, or to the directory the firmware was compiled in, when
// under one of them, so a report made on one machine does not carry that
// machine's absolute paths. The TUI, the text and Markdown reports and
// symbolize all show paths through Rel.
//
// It is a leaf: it imports nothing of faultline, so the report renderers
// can use it without depending on the ELF reader.
package srcpath

import (
	"os"
	"path/filepath"
	"strings"
)

// Rel shows a source path for people: relative to the first of dirs it is
// under, else as recorded. Relative paths and dirs are left alone: they
// anchor nothing.
func Rel(file string, dirs ...string) string {
	if !filepath.IsAbs(file) {
		return file
	}
	for _, d := range dirs {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		if rel, err := filepath.Rel(d, file); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return rel
		}
	}
	return file
}

// Dirs is the directories Rel should try, in order: the working directory
// (left out when unknown), then compDirs, the ELF's compile directories
// (elfsym.Image.CompDirs).
func Dirs(compDirs ...string) []string {
	dirs := make([]string, 0, 1+len(compDirs))
	if cwd, err := os.Getwd(); err == nil {
		dirs = append(dirs, cwd)
	}
	return append(dirs, compDirs...)
}
