package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestTextAndMarkdownListTheTasks(t *testing.T) {
	hw := uint32(420)
	rep := &Report{
		Fault: Fault{Exception: "UsageFault", Summary: "UsageFault in task 'net': ..."},
		Tasks: []Task{
			{Name: "net", State: "running", Priority: 4, Current: true,
				Stack:  Stack{Base: "0x200005c0", Size: 1024, Overflowed: true, Why: []string{"SP below the base"}},
				Frames: []Frame{{Function: "link_up"}, {Function: "net_task"}}},
			{Name: "IDLE", State: "ready", Stack: Stack{Base: "0x20001918", Size: 512, HighWater: &hw},
				Frames: []Frame{{Function: "prvIdleTask"}}, Problems: []string{"something odd"}},
		},
	}
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  []string
	}{
		{"text", func(b *bytes.Buffer) error { return rep.WriteText(b, Sources{}) }, []string{
			"* net", "running", "stack 0x200005c0, 1024 bytes, OVERFLOWED", "link_up <- net_task",
			"  IDLE", "stack 0x20001918, 512 bytes, 420 never used", "prvIdleTask", "problem: something odd"}},
		{"markdown", func(b *bytes.Buffer) error { return rep.WriteMarkdown(b, Sources{}) }, []string{
			"### Tasks", "| **net** (running) | running | 4 |", "link\\_up <- net\\_task", "| IDLE | ready | 0 |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
	var b bytes.Buffer
	if err := (&Report{Fault: Fault{Summary: "bare metal"}}).WriteText(&b, Sources{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Tasks") {
		t.Errorf("a report without tasks has a Tasks section:\n%s", b.String())
	}
}
