package probe

import "github.com/faultline-dev/faultline/probe/memrange"

// A MemRange is a range of target addresses.
type MemRange = memrange.Range

// MemRangeSyntax is the form ParseMemRange accepts, for usage messages.
const MemRangeSyntax = memrange.Syntax

// ParseMemRange parses a --mem value "ADDR:SIZE" (memrange.Parse).
func ParseMemRange(s string) (MemRange, error) { return memrange.Parse(s) }
