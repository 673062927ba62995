package report

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/faultline-dev/faultline/internal/lazyre"
)

// fingerprintFrames is how many frames a fingerprint names: enough to tell
// two crash sites in one function apart by their callers, few enough that
// a different way into the same bug (a deeper caller) still groups.
const fingerprintFrames = 3

// numberish matches what differs between runs of the same bug inside names
// and messages: hex addresses, decimal numbers (timestamps, counters).
var numberish = lazyre.New(`0[xX][0-9a-fA-F]+|[0-9]+`)

// Signature is the readable text a fingerprint hashes: the exception (with
// forced and lockup), the causes sorted, and the functions of the top frames
// (no addresses, no lines: a rebuild moves them). Frames found by scanning
// the stack are left out: they are guesses and change with stack garbage.
// A report with neither causes nor frames (a panic line on the console, a
// target that vanished) is told apart by its trigger, numbers removed.
//
// Example: "UsageFault | DIVBYZERO | crash_divide < run_test < main".
func Signature(r *Report) string {
	if r == nil {
		return ""
	}
	exc := r.Fault.Exception
	if exc == "" {
		exc = "None"
	}
	if r.Fault.Forced {
		exc += " (forced)"
	}
	if r.Fault.Lockup && exc != "Lockup" {
		exc += " (lockup)"
	}
	causes := slices.Clone(r.Fault.Causes)
	slices.Sort(causes)
	causes = slices.Compact(causes)
	var funcs []string
	for _, f := range r.Frames {
		if f.How == "stack-scan" || f.Confidence == "guess" {
			continue
		}
		name := f.Function
		if name == "" {
			name = "??"
		}
		funcs = append(funcs, numberish.ReplaceAllString(name, "#"))
		if len(funcs) == fingerprintFrames {
			break
		}
	}
	parts := []string{exc, strings.Join(causes, ",")}
	if len(funcs) > 0 {
		parts = append(parts, strings.Join(funcs, " < "))
	}
	if len(funcs) == 0 && len(causes) == 0 {
		parts = append(parts, r.Trigger.Kind+": "+strings.TrimSpace(numberish.ReplaceAllString(r.Trigger.Detail, "#")))
	}
	return strings.Join(parts, " | ")
}

// Fingerprint names a crash so that captures of the same bug share it
// across runs, seeds and rebuilds: 12 hex digits of the SHA-256 of
// Signature. Two different bugs that fault the same way in the same three
// functions share one too; that is the price of stability.
func Fingerprint(r *Report) string {
	sum := sha256.Sum256([]byte(Signature(r)))
	return hex.EncodeToString(sum[:6])
}
