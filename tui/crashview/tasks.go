package crashview

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/tui/common"
)

// HasTasks reports whether the report lists RTOS tasks (the tasks page
// exists only then).
func (m *Model) HasTasks() bool { return m.report != nil && len(m.report.Tasks) > 0 }

// SelectedTask is the index of the selected task.
func (m *Model) SelectedTask() int { return m.taskSel }

// SelectTaskUp and SelectTaskDown move the task selection.
func (m *Model) SelectTaskUp() {
	if m.taskSel > 0 {
		m.taskSel--
	}
}

// SelectTaskDown selects the next task in the list.
func (m *Model) SelectTaskDown() {
	if m.report != nil && m.taskSel < len(m.report.Tasks)-1 {
		m.taskSel++
	}
}

// firstTask is where the selection starts: the running task.
func firstTask(r *report.Report) int {
	if r == nil {
		return 0
	}
	for i, t := range r.Tasks {
		if t.Current {
			return i
		}
	}
	return 0
}

// TasksView renders the tasks page: one line per task (the running one
// marked '*'), then the selected task's frames and what is wrong with it.
func (m *Model) TasksView() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st, r, w, h := m.st, m.report, m.width, m.height
	if !m.HasTasks() {
		return st.Dim.Render("No tasks: the firmware runs no RTOS faultline knows (FreeRTOS), or the crash came before it started.")
	}
	sel := max(0, min(m.taskSel, len(r.Tasks)-1))
	t := r.Tasks[sel]
	detail := m.taskDetail(t)
	// The list gets what the selected task's frames leave, at least 3 rows.
	listRows := min(len(r.Tasks), max(3, h-1-1-len(detail)))
	out := make([]string, 0, h)
	out = append(out, rule(st, fmt.Sprintf("tasks: %d (↑/↓ select, * running)", len(r.Tasks)), w))
	top := max(0, sel-listRows+1)
	for i := top; i < len(r.Tasks) && i < top+listRows; i++ {
		out = append(out, m.taskLine(i, i == sel))
	}
	out = append(out, rule(st, fmt.Sprintf("task '%s': %s", t.Name, t.Stack.Describe()), w))
	out = append(out, detail...)
	return common.Fit(strings.Join(out, "\n"), w, h)
}

func (m *Model) taskLine(i int, selected bool) string {
	t := m.report.Tasks[i]
	mark := " "
	if t.Current {
		mark = "*"
	}
	left := fmt.Sprintf("%s %-12s %-9s prio %-2d", mark, common.Sanitize(t.Name), t.State, t.Priority)
	right := fmt.Sprintf("%d bytes", t.Stack.Size)
	if t.Stack.HighWater != nil {
		right += fmt.Sprintf(", %d never used", *t.Stack.HighWater)
	}
	if t.Stack.Overflowed {
		right = "OVERFLOWED " + right
	}
	line := common.JoinLR(left, right, m.width-2)
	switch {
	case selected:
		return m.st.Selected.Render("> " + line)
	case t.Stack.Overflowed || len(t.Problems) > 0:
		return "  " + m.st.Finding.Render(line)
	}
	return "  " + line
}

// taskDetail is the selected task's frames, then why its stack is judged
// overflowed and what is wrong with its TCB.
func (m *Model) taskDetail(t report.Task) []string {
	st := m.st
	var out []string
	for i, f := range t.Frames {
		fn := f.Function
		if fn == "" {
			fn = "??"
		}
		if f.Inlined {
			fn += " [inlined]"
		}
		left := fmt.Sprintf("  #%-2d %s %s", i, f.PC, fn)
		if f.File != "" {
			left += fmt.Sprintf("  %s:%d", shortFile(f.File), f.Line)
		}
		out = append(out, common.Truncate(left, m.width))
	}
	if len(t.Frames) == 0 {
		out = append(out, st.Dim.Render("  no frames (a deleted task, or its saved context was not readable)"))
	}
	for _, why := range t.Stack.Why {
		out = append(out, common.Truncate("  "+st.Finding.Render("! overflow")+": "+why, m.width))
	}
	for _, p := range t.Problems {
		out = append(out, common.Truncate("  "+st.Finding.Render("! problem")+": "+p, m.width))
	}
	return out
}
