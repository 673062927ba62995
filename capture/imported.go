package capture

import (
	"fmt"
	"strings"
)

// What importers of other tools' dumps (capture/crashcatcher,
// capture/probers, capture/zephyrdump) share, so every format names and
// checks its memory the same way.

// RegionName names a dumped memory range by the Armv7-M/Armv8-M memory
// map: the Code region is flash (or boot ROM), SRAM is RAM, and 0xE0000000
// up is the System Control Space.
func RegionName(addr uint32) string {
	switch {
	case addr >= 0xE0000000:
		return "scb"
	case addr >= 0x40000000:
		return "peripheral"
	case addr >= 0x20000000:
		return "ram"
	}
	return "flash-sample"
}

// maxDumpedRegion bounds one dumped range: a Cortex-M has no more RAM than
// this, and a damaged length must not make an importer allocate without
// limit.
const maxDumpedRegion = 64 << 20

// AddDumpedRegion adds the range [start, end) of a dump that stores memory
// as (start, end, bytes), its bytes at the head of rest, named by
// RegionName. what names the range in the problems it returns ("memory
// region 2"). It returns how many bytes of rest the range took (fewer than
// end-start when the dump ends early: what is there is kept), and ok false
// when start and end make no range (empty, backwards or too large to be
// Cortex-M memory), after which the dump cannot be read on.
func (s *Snapshot) AddDumpedRegion(what string, start, end uint32, rest []byte) (taken int, problems []string, ok bool) {
	if end <= start || end-start > maxDumpedRegion {
		return 0, []string{fmt.Sprintf("%s: 0x%08x-0x%08x is not a range", what, start, end)}, false
	}
	size := int(end - start)
	if len(rest) < size {
		problems = append(problems, fmt.Sprintf("%s 0x%08x-0x%08x: %d of %d bytes", what, start, end, len(rest), size))
		size = len(rest) // keep what is there
	}
	r := Region{Addr: start, Data: append([]byte(nil), rest[:size]...), Name: RegionName(start)}
	if err := s.AddRegion(r); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v; left out", what, err))
	}
	return size, problems, true
}

// FinishImport ends an import: s as read and, when there were problems,
// the importer's error for a damaged dump (damaged makes it), whose words
// also go in s.Meta.Missing so a saved capture keeps them.
func FinishImport[E error](s *Snapshot, problems []string, damaged func([]string) E) (*Snapshot, error) {
	if len(problems) == 0 {
		return s, nil
	}
	err := damaged(problems)
	s.Meta.Missing = append(s.Meta.Missing, err.Error())
	return s, err
}

// NoteCutShort records, for a dump read from console text that stops
// before its end line, what was cut (msg) in s.Meta.Missing, and returns
// the import's error saying it too: damaged(msg) when the dump read
// cleanly so far, else err with msg added.
func NoteCutShort[E error](s *Snapshot, err error, msg string, damaged func([]string) E) error {
	s.Meta.Missing = append(s.Meta.Missing, msg)
	if err == nil {
		return damaged([]string{msg})
	}
	return fmt.Errorf("%w; %s", err, msg)
}

// A DumpFormat names an importer's format ("CrashCatcher dump") and makes
// its errors, so every importer words them the same way.
type DumpFormat string

// NotADump says data is not a dump of f; msg says what gave it away.
func (f DumpFormat) NotADump(msg string) *NotADumpError {
	return &NotADumpError{Format: string(f), Msg: msg}
}

// Damaged says a dump of f ends early or holds nonsense.
func (f DumpFormat) Damaged(problems []string) *DamagedDumpError {
	return &DamagedDumpError{Format: string(f), Problems: problems}
}

// A NotADumpError says data is not a dump of Format that faultline reads;
// an importer returns it with a nil Snapshot.
type NotADumpError struct{ Format, Msg string }

func (e *NotADumpError) Error() string { return "not a " + e.Format + ": " + e.Msg }

// A DamagedDumpError says a dump of Format ends early or holds nonsense; an
// importer returns it with a Snapshot of what came before, and the same
// words are in the Snapshot's Meta.Missing.
type DamagedDumpError struct {
	Format   string
	Problems []string
}

func (e *DamagedDumpError) Error() string {
	return e.Format + " damaged: " + strings.Join(e.Problems, "; ")
}
