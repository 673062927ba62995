package watch

import (
	"testing"

	"github.com/faultline-dev/faultline/probe"
)

// TestReportChangedIgnoresOnlyThePendingNotes: the second report is
// printed when the rest of memory changed the report, not for the notes
// that said it was still being read.
func TestReportChangedIgnoresOnlyThePendingNotes(t *testing.T) {
	type rep struct {
		Frames []string `json:"frames"`
		Notes  []string `json:"notes,omitempty"`
	}
	pending := "not in the capture: ram 0x20000000..0x2001fec0: " + probe.PendingMemoryNote
	tests := []struct {
		name        string
		first, full rep
		want        bool
	}{
		{"only pending notes gone", rep{[]string{"f"}, []string{pending, "x"}}, rep{[]string{"f"}, []string{"x"}}, false},
		{"a frame more", rep{[]string{"f"}, []string{pending}}, rep{[]string{"f", "g"}, nil}, true},
		{"another note", rep{[]string{"f"}, []string{pending}}, rep{[]string{"f"}, []string{"heap corrupt"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reportChanged(tc.first, tc.full); got != tc.want {
				t.Errorf("reportChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
