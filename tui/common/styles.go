package common

import (
	"fmt"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles are every style the TUI uses, all made from one renderer. Only
// plain (non-adaptive) colours are used: an adaptive colour makes lipgloss
// query the terminal's background, which can stall over a slow ssh link.
type Styles struct {
	r *lipgloss.Renderer

	// status bar
	StatusBar    lipgloss.Style
	TargetOK     lipgloss.Style // running
	TargetWarn   lipgloss.Style // halted, reconnecting
	TargetBad    lipgloss.Style // crashed, locked up, disconnected
	Label        lipgloss.Style
	Value        lipgloss.Style
	Mismatch     lipgloss.Style
	Dim          lipgloss.Style
	TabActive    lipgloss.Style
	TabInactive  lipgloss.Style
	TabAlert     lipgloss.Style
	Title        lipgloss.Style
	ErrorText    lipgloss.Style
	InfoText     lipgloss.Style
	Prompt       lipgloss.Style
	Help         help.Styles
	SectionTitle lipgloss.Style

	// console
	Time       lipgloss.Style
	EventPanic lipgloss.Style
	EventReset lipgloss.Style
	EventOther lipgloss.Style
	Match      lipgloss.Style
	MatchOther lipgloss.Style

	// crash view
	Exception    lipgloss.Style
	Cause        lipgloss.Style
	Finding      lipgloss.Style
	Selected     lipgloss.Style
	CulpritLine  lipgloss.Style
	LineNumber   lipgloss.Style
	RegName      lipgloss.Style
	Confidence   map[string]lipgloss.Style
	UnsavedBadge lipgloss.Style

	// Paints of the styles the console applies to every visible row.
	P struct {
		Time, EventPanic, EventReset, EventOther, Match, MatchOther Paint
	}
}

// Palette: ANSI 256 colours that read on dark and light backgrounds alike.
const (
	colRed    = lipgloss.Color("196")
	colYellow = lipgloss.Color("214")
	colGreen  = lipgloss.Color("42")
	colCyan   = lipgloss.Color("44")
	colGrey   = lipgloss.Color("245")
	colBlue   = lipgloss.Color("33")
	colBarBg  = lipgloss.Color("236")
	colBarFg  = lipgloss.Color("252")
)

// NewStyles makes the styles with r (one renderer per terminal session).
func NewStyles(r *lipgloss.Renderer) *Styles {
	s := &Styles{r: r}
	ns := r.NewStyle
	s.StatusBar = ns().Foreground(colBarFg).Background(colBarBg)
	s.TargetOK = ns().Bold(true).Foreground(lipgloss.Color("16")).Background(colGreen).Padding(0, 1)
	s.TargetWarn = ns().Bold(true).Foreground(lipgloss.Color("16")).Background(colYellow).Padding(0, 1)
	s.TargetBad = ns().Bold(true).Foreground(lipgloss.Color("231")).Background(colRed).Padding(0, 1)
	s.Label = ns().Foreground(colGrey)
	s.Value = ns()
	s.Mismatch = ns().Bold(true).Foreground(colRed)
	s.Dim = ns().Foreground(colGrey)
	s.TabActive = ns().Bold(true).Reverse(true)
	s.TabInactive = ns().Foreground(colGrey)
	s.TabAlert = ns().Bold(true).Foreground(colRed)
	s.Title = ns().Bold(true).Foreground(colCyan)
	s.ErrorText = ns().Foreground(colRed)
	s.InfoText = ns().Foreground(colGreen)
	s.Prompt = ns().Bold(true).Foreground(colYellow)
	s.SectionTitle = ns().Bold(true).Underline(true)
	key := ns().Foreground(colBlue)
	desc := ns().Foreground(colGrey)
	sep := ns().Foreground(lipgloss.Color("240"))
	s.Help = help.Styles{
		Ellipsis:       sep,
		ShortKey:       key,
		ShortDesc:      desc,
		ShortSeparator: sep,
		FullKey:        key,
		FullDesc:       desc,
		FullSeparator:  sep,
	}

	s.Time = ns().Foreground(colGrey)
	s.EventPanic = ns().Bold(true).Foreground(colRed)
	s.EventReset = ns().Foreground(colYellow)
	s.EventOther = ns().Foreground(colCyan)
	s.Match = ns().Reverse(true)
	s.MatchOther = ns().Underline(true)

	s.Exception = ns().Bold(true).Foreground(colRed)
	s.Cause = ns().Foreground(colYellow)
	s.Finding = ns().Foreground(colYellow)
	s.Selected = ns().Reverse(true)
	s.CulpritLine = ns().Bold(true).Foreground(colRed)
	s.LineNumber = ns().Foreground(colGrey)
	s.RegName = ns().Foreground(colGrey)
	s.Confidence = map[string]lipgloss.Style{
		"certain": ns().Foreground(colGreen),
		"likely":  ns().Foreground(colYellow),
		"guess":   ns().Foreground(colRed),
	}
	s.UnsavedBadge = ns().Bold(true).Foreground(colYellow)

	s.P.Time = NewPaint(s.Time)
	s.P.EventPanic = NewPaint(s.EventPanic)
	s.P.EventReset = NewPaint(s.EventReset)
	s.P.EventOther = NewPaint(s.EventOther)
	s.P.Match = NewPaint(s.Match)
	s.P.MatchOther = NewPaint(s.MatchOther)
	return s
}

// Swatch renders text in the LED's colour (foreground and background, so
// the block shows as a solid swatch in colour and as the glyphs without).
func (s *Styles) Swatch(rgb [3]float64, text string) string {
	c := lipgloss.Color(HexColor(rgb))
	return s.r.NewStyle().Foreground(c).Background(c).Render(text)
}

// HexColor turns r,g,b in 0..1 (clamped) into "#rrggbb".
func HexColor(rgb [3]float64) string {
	var v [3]int
	for i, f := range rgb {
		switch {
		case f != f || f < 0: // NaN or negative
			f = 0
		case f > 1:
			f = 1
		}
		v[i] = int(f*255 + 0.5)
	}
	return fmt.Sprintf("#%02x%02x%02x", v[0], v[1], v[2])
}
