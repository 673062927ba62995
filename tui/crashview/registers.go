package crashview

import (
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/tui/common"
)

// coreOrder and faultOrder put the registers in the order a Cortex-M
// programmer reads them; anything else follows alphabetically.
var (
	coreOrder = []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
		"sp", "lr", "pc", "xpsr", "msp", "psp", "primask", "basepri", "faultmask", "control"}
	faultOrder = []string{"cfsr", "hfsr", "mmfar", "bfar", "afsr", "dfsr", "shcsr", "icsr"}
)

// ScrollUp, ScrollDown scroll the registers page.
func (m *Model) ScrollUp(k int) { m.regTop = max(0, m.regTop-k) }

// ScrollDown scrolls the registers page towards its end.
func (m *Model) ScrollDown(k int) {
	m.regTop = max(0, min(m.regTop+k, len(m.detailLines())-m.height))
}

// DetailsView renders the second page: registers, fault registers, all
// findings in full, notes and where the report came from.
func (m *Model) DetailsView() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.report == nil {
		return m.st.Dim.Render("No crash yet.")
	}
	lines := m.detailLines()
	top := max(0, min(m.regTop, len(lines)-m.height))
	end := min(len(lines), top+m.height)
	return common.Fit(strings.Join(lines[top:end], "\n"), m.width, m.height)
}

func (m *Model) detailLines() []string {
	st, r, w := m.st, m.report, m.width
	if r == nil {
		return nil
	}
	var out []string
	out = append(out, rule(st, "registers", w))
	out = append(out, regGrid(st, r.Registers, coreOrder, w)...)
	out = append(out, rule(st, "fault registers", w))
	fr := regGrid(st, r.Fault.Registers, faultOrder, w)
	if len(fr) == 0 {
		fr = []string{st.Dim.Render("  none read")}
	}
	out = append(out, fr...)
	if len(r.Findings) > 0 {
		out = append(out, rule(st, "findings", w))
		for _, f := range r.Findings {
			s := "! " + f.Kind + ": " + f.Summary
			if where := findingWhere(f); where != "" {
				s += " [" + where + "]"
			}
			out = append(out, indentWrap(s, w)...)
		}
	}
	if len(r.Fault.Causes) > 0 {
		out = append(out, rule(st, "causes", w))
		for i, c := range r.Fault.Causes {
			s := c
			if i < len(r.Fault.Explanations) && r.Fault.Explanations[i] != "" {
				s += ": " + explanation(c, r.Fault.Explanations[i])
			}
			out = append(out, indentWrap(s, w)...)
		}
	}
	if len(r.Notes) > 0 {
		out = append(out, rule(st, "notes", w))
		for _, n := range r.Notes {
			out = append(out, indentWrap("- "+n, w)...)
		}
	}
	out = append(out, rule(st, "report", w))
	out = append(out, indentWrap("trigger: "+strings.TrimSpace(r.Trigger.Kind+" "+r.Trigger.Detail), w)...)
	elf := "elf: " + r.ELF.Path
	if r.ELF.BuildID != "" {
		elf += " (build id " + r.ELF.BuildID + ")"
	}
	if r.ELF.MatchesTarget != nil && !*r.ELF.MatchesTarget {
		elf += " DOES NOT MATCH the target"
	}
	out = append(out, indentWrap(elf, w)...)
	capture := "capture: unsaved (press s)"
	if m.capturePath != "" {
		capture = "capture: " + m.capturePath
	}
	out = append(out, indentWrap(capture, w)...)
	return out
}

// regGrid lays registers out in as many "name value" columns as fit.
func regGrid(st *common.Styles, regs map[string]string, order []string, width int) []string {
	names := orderedNames(regs, order)
	if len(names) == 0 {
		return nil
	}
	nameW, valW := 0, 0
	for _, n := range names {
		nameW = max(nameW, len(n))
		valW = max(valW, len(regs[n]))
	}
	cell := nameW + 1 + valW
	cols := max(1, (width-2+2)/(cell+2))
	var out []string
	for i := 0; i < len(names); i += cols {
		var b strings.Builder
		b.WriteString("  ")
		for j := i; j < min(i+cols, len(names)); j++ {
			if j > i {
				b.WriteString("  ")
			}
			b.WriteString(st.RegName.Render(fmt.Sprintf("%-*s", nameW, names[j])))
			b.WriteString(" ")
			b.WriteString(fmt.Sprintf("%-*s", valW, regs[names[j]]))
		}
		out = append(out, common.Truncate(strings.TrimRight(b.String(), " "), width))
	}
	return out
}

func orderedNames(regs map[string]string, order []string) []string {
	seen := map[string]bool{}
	var names []string
	for _, n := range order {
		if _, ok := regs[n]; ok {
			names = append(names, n)
			seen[n] = true
		}
	}
	var rest []string
	for n := range regs {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

func indentWrap(s string, width int) []string {
	ls := wrap(s, max(1, width-2))
	for i := range ls {
		ls[i] = "  " + ls[i]
	}
	return ls
}
