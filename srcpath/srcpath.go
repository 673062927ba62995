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
	clean := isClean(file)
	for _, d := range dirs {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		if clean && d != "/" && isClean(d) {
			// Both clean: file is under d exactly when d and a slash
			// start it, and the rest is what filepath.Rel would say.
			// Rel cleans both paths and walks their elements, which was
			// a seventh of a warm symbolize's own instructions for ten
			// addresses (one call per file and directory).
			if file == d {
				return "."
			}
			if len(file) > len(d) && file[len(d)] == '/' && strings.HasPrefix(file, d) {
				return file[len(d)+1:]
			}
			continue
		}
		if rel, err := filepath.Rel(d, file); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return rel
		}
	}
	return file
}

// isClean reports whether the absolute path p is certainly what
// filepath.Clean makes of it: no empty, "." or ".." element and no
// trailing slash. A name starting with a dot (.git) fails the test too,
// and takes filepath.Rel's way.
func isClean(p string) bool {
	return filepath.Separator == '/' && len(p) > 1 && p[len(p)-1] != '/' &&
		!strings.Contains(p, "//") && !strings.Contains(p, "/.")
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
