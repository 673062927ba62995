package capture

import (
	"fmt"
	"path/filepath"
)

// FileName is the name Save gives s: "crash-YYYYMMDD-HHMMSS.mmm.core" from
// its capture time, so the files of a directory sort by time.
func FileName(s *Snapshot) string {
	return fmt.Sprintf("crash-%s.core", s.Meta.CapturedAt.Format("20060102-150405.000"))
}

// Save writes s into dir under FileName (atomically, as Write) and returns
// the path. capture, attach, demo and soak all save through it, so every
// command names its files the same way.
func Save(dir string, s *Snapshot) (string, error) {
	if s == nil {
		return "", fmt.Errorf("save capture in %s: nil snapshot", dir)
	}
	path := filepath.Join(dir, FileName(s))
	if err := Write(path, s); err != nil {
		return "", err
	}
	return path, nil
}
