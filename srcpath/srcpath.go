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
	if isWindowsAbs(file) {
		return relWindows(file, dirs)
	}
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

// Firmware built on Windows (Keil MDK, IAR EWARM) records paths such as
// C:\Users\me\proj\Sources\main.c, with backslashes, a drive letter and
// often both separators (D:\proj\MDK-ARM\../Drivers/x.c). Shown relative
// to its compile directory as gdb shows the unit's name (Sources\main.c),
// and looked for under the working directory, such a path reaches a copy
// of the project on this machine.

// Base is the last element of a source path as DWARF recorded it: after
// the last slash, or, in a path a Windows build recorded (C:\proj\main.c,
// Sources\main.c), after the last slash or backslash. path.Base keeps a
// Windows path whole, so a summary read "at C:\Users\me\lab4\main.c:12".
func Base(p string) string {
	seps := "/"
	if strings.Contains(p, `\`) {
		seps = `/\`
	}
	if i := strings.LastIndexAny(p, seps); i >= 0 && i < len(p)-1 {
		return p[i+1:]
	}
	return p
}

// isWindowsAbs reports whether p is a Windows absolute path: a drive
// letter, a colon and a separator, or a UNC \\server\share path.
func isWindowsAbs(p string) bool {
	if len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z'
	}
	return strings.HasPrefix(p, `\\`)
}

// relWindows is Rel for a Windows path: under the first Windows directory
// of dirs that starts it, compared as Windows compares (either separator,
// any case), the rest as recorded; else file.
func relWindows(file string, dirs []string) string {
	norm := func(p string) string { return strings.ToLower(strings.ReplaceAll(p, `\`, "/")) }
	f := norm(file)
	for _, d := range dirs {
		if !isWindowsAbs(d) {
			continue
		}
		nd := strings.TrimRight(norm(d), "/")
		if len(f) > len(nd)+1 && f[len(nd)] == '/' && strings.HasPrefix(f, nd) {
			return file[len(nd)+1:]
		}
	}
	return file
}

// ReadFile reads a source file named as in DWARF. A Windows path that
// cannot be opened here is looked for under the working directory by its
// path relative to the first of compDirs it is under (C:\proj\Sources\main.c
// compiled in C:\proj: ./Sources/main.c), so a checkout of the project is
// found.
func ReadFile(file string, compDirs ...string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err == nil || !isWindowsAbs(file) {
		return data, err
	}
	rel := relWindows(file, compDirs)
	if rel == file {
		return nil, err
	}
	local := filepath.Clean(filepath.FromSlash(strings.ReplaceAll(rel, `\`, "/")))
	if filepath.IsAbs(local) || local == ".." || strings.HasPrefix(local, "../") {
		return nil, err // only below the working directory
	}
	if data, lerr := os.ReadFile(local); lerr == nil {
		return data, nil
	}
	return nil, err
}
