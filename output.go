package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// The ELF and the report as every command opens and prints them.

// openELF opens the firmware ELF when one is named and prints what it lacks.
func openELF(path string, noCache bool, stderr io.Writer) (*elfsym.Image, error) {
	if path == "" {
		return nil, nil
	}
	img, err := indexcache.Open(path, noCache)
	if err != nil {
		return nil, fmt.Errorf("open ELF: %w", err)
	}
	for _, w := range img.Warnings() {
		fmt.Fprintf(stderr, "faultline: warning: %s\n", w)
	}
	return img, nil
}

// openCaptureELF opens the ELF named by the flag or, failing that, the one
// the capture recorded. A recorded path that is gone is a warning, not an
// error: the report still has registers and fault decoding.
func openCaptureELF(flag string, noCache bool, snap *capture.Snapshot, stderr io.Writer) (*elfsym.Image, error) {
	path := flag
	if path == "" {
		path = snap.Meta.ELF.Path
		if path == "" {
			fmt.Fprintf(stderr, "faultline: warning: no ELF given or recorded; frames will have no names (use --elf)\n")
			return nil, nil
		}
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "faultline: warning: recorded ELF %s is not readable (%v); use --elf\n", path, err)
			return nil, nil
		}
	}
	img, err := indexcache.Open(path, noCache)
	if err != nil {
		return nil, fmt.Errorf("open ELF: %w", err)
	}
	if want := snap.Meta.ELF.SHA256; want != "" && want != img.SHA256() {
		fmt.Fprintf(stderr, "faultline: WARNING: %s is not the ELF recorded at capture time (SHA-256 differs); symbols may lie\n", path)
	}
	for _, w := range img.Warnings() {
		fmt.Fprintf(stderr, "faultline: warning: %s\n", w)
	}
	return img, nil
}

// writeJSON prints v as indented JSON, "<" and ">" as they are (C++
// signatures have them).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
