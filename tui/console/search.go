package console

import (
	"strings"
	"unicode"
)

// SetQuery sets the search text and clears the current match.
// Matching is smart-case: case-insensitive unless the query has an upper-case
// letter.
func (m *Model) SetQuery(q string) {
	m.query = q
	m.match = -1
}

// Query is the current search text.
func (m *Model) Query() string { return m.query }

// Match is the logical index of the current match, or -1.
func (m *Model) Match() int { return m.match }

// Search finds the newest match at or above the bottom of the view, the
// way a person looks back through a log for what just happened; it wraps
// around. It reports whether anything matched.
func (m *Model) Search() bool {
	if m.n == 0 {
		return false
	}
	from := min(m.n, m.Top()+m.height) - 1
	return m.find(from, -1)
}

// Next continues the search in the same (older) direction; Prev goes back
// towards newer lines. Both wrap.
func (m *Model) Next() bool { return m.step(-1) }

// Prev moves to the next newer match.
func (m *Model) Prev() bool { return m.step(+1) }

func (m *Model) step(dir int) bool {
	if m.query == "" || m.n == 0 {
		return false
	}
	from := m.match
	if from < 0 {
		return m.Search()
	}
	return m.find(from+dir, dir)
}

// find scans from index from in direction dir (wrapping once) and scrolls
// the first match into view. Linear in Len; it runs once per key press.
func (m *Model) find(from, dir int) bool {
	if m.query == "" {
		return false
	}
	for k := 0; k < m.n; k++ {
		i := ((from+dir*k)%m.n + m.n) % m.n
		if contains(m.Line(i).Text, m.query) {
			m.match = i
			m.reveal(i)
			return true
		}
	}
	m.match = -1
	return false
}

// reveal scrolls so line i is visible, centring it when it was not.
func (m *Model) reveal(i int) {
	top := m.Top()
	if i >= top && i < top+m.height {
		return
	}
	m.follow = false
	m.top = max(0, i-m.height/2)
	m.clampTop()
}

// contains is smart-case substring search.
func contains(text, q string) bool {
	if hasUpper(q) {
		return strings.Contains(text, q)
	}
	return indexFold(text, q) >= 0
}

func hasUpper(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// indexFold finds lower-case q in text ignoring case, without allocating
// for ASCII text (the common case on a serial console).
func indexFold(text, q string) int {
	if isASCII(text) && isASCII(q) {
		n := len(q)
		for i := 0; i+n <= len(text); i++ {
			j := 0
			for ; j < n; j++ {
				c := text[i+j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				if c != q[j] {
					break
				}
			}
			if j == n {
				return i
			}
		}
		return -1
	}
	return strings.Index(strings.ToLower(text), q)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
