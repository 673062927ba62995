package unwindlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/faultline-dev/faultline/firmware/internal/armbuild"
	"github.com/faultline-dev/faultline/firmware/internal/srcdir"
)

// A Program is one crash program of expected.json: where it runs, how it
// crashes, and the true call chain.
type Program struct {
	// Machine is QEMU's -M.
	Machine string `json:"machine"`
	// Board is faultline's --board; "" means generic (a stranger's board).
	Board string `json:"board,omitempty"`
	// Exception, Forced, Causes and FaultAddress are what the fault
	// registers say (FACTS.md names; FaultAddress only when MMFAR/BFAR is
	// valid). ARMv6-M has no CFSR: Causes is empty there.
	Exception    string   `json:"exception"`
	Forced       bool     `json:"forced"`
	Causes       []string `json:"causes"`
	FaultAddress string   `json:"fault_address,omitempty"`
	// Frames is the true call chain, innermost first, without the fault
	// handler: function names as gdb prints them, inlined functions where
	// DWARF has them, tail-called functions included, "??" for a wild PC.
	// Nothing may follow the last frame (main, the task entry), except the
	// reset handler after main.
	Frames []string `json:"frames"`
	// Gaps means the chain cannot be read frame by frame (a smashed or
	// unstacked frame): Frames must appear in order, others may come
	// between, and the last one must still end the chain.
	Gaps bool `json:"gaps,omitempty"`
	// Headline is the function the summary must name; "" means Frames[0].
	Headline string `json:"headline,omitempty"`
	// FrameHow names frames (by function, as in Frames) that must be
	// found a certain way, e.g. "exidx" where the EHABI index is the only
	// unwind information: prologue analysis getting the same frames must
	// not hide a broken index reader.
	FrameHow map[string]string `json:"frame_how,omitempty"`
	// SummaryHas lists text the fault summary must contain, where the
	// program's point is what the analysis says (a heap block it can
	// only name from memory the capture had to find).
	SummaryHas []string `json:"summary_has,omitempty"`
	// Serve says the test also serves faultline's capture (`faultline
	// serve`) to stock gdb, whose bt from it must be gdb's live bt.
	Serve bool `json:"serve,omitempty"`
	// StopAt names handlers outside the ELF's vector table (a RAM table's).
	StopAt []string `json:"stop_at,omitempty"`
	// Variants lists the builds (toolchain-opt, as in the Makefile), each
	// with optional overrides.
	Variants map[string]Variant `json:"variants"`
	// Note says what is peculiar, for people.
	Note string `json:"note,omitempty"`
}

// A Variant may override a program's Frames where one build's truth
// differs (say why in Note).
type Variant struct {
	Frames []string `json:"frames,omitempty"`
	Note   string   `json:"note,omitempty"`
	// Headline overrides the program's Headline where the build leaves
	// no evidence of it (say why in Note).
	Headline string `json:"headline,omitempty"`
	// FrameHow overrides the program's FrameHow for this build.
	FrameHow map[string]string `json:"frame_how,omitempty"`
}

// HowWanted is how the named frames of one variant must be found.
func (p Program) HowWanted(variant string) map[string]string {
	if v := p.Variants[variant]; v.FrameHow != nil {
		return v.FrameHow
	}
	return p.FrameHow
}

// Chain returns the expected frames of one variant.
func (p Program) Chain(variant string) []string {
	if v, ok := p.Variants[variant]; ok && len(v.Frames) > 0 {
		return v.Frames
	}
	return p.Frames
}

// HeadlineFunc is the function the report's summary must name.
func (p Program) HeadlineFunc(variant string) string {
	if v := p.Variants[variant]; v.Headline != "" {
		return v.Headline
	}
	if p.Headline != "" {
		return p.Headline
	}
	return p.Chain(variant)[0]
}

// VariantNames lists the variants, sorted.
func (p Program) VariantNames() []string {
	var vs []string
	for v := range p.Variants {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs
}

const expectedSchema = "unwindlab.expected/v1"

// Dir returns the absolute path of firmware/unwindlab.
func Dir() (string, error) {
	return srcdir.Find("firmware/unwindlab", "Makefile", "expected.json", "programs")
}

// Expected reads expected.json, indexed by program.
func Expected() (map[string]Program, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return srcdir.ReadExpected(dir, parseExpected)
}

// parseExpected decodes and checks expected.json's contents.
func parseExpected(data []byte) (map[string]Program, error) {
	var f struct {
		Schema   string             `json:"schema"`
		Programs map[string]Program `json:"programs"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Schema != expectedSchema {
		return nil, fmt.Errorf("schema %q, want %q", f.Schema, expectedSchema)
	}
	for name, p := range f.Programs {
		if p.Machine == "" || p.Exception == "" || len(p.Frames) == 0 || len(p.Variants) == 0 {
			return nil, fmt.Errorf("%s: machine, exception, frames and variants are required", name)
		}
	}
	if len(f.Programs) == 0 {
		return nil, errors.New("no programs")
	}
	return f.Programs, nil
}

// builder runs make once per process ("once per process" is ELF's
// contract, and a test binary calls ELF from many tests).
var builder = &armbuild.Builder{}

// ELF builds the lab if needed and returns the path of one variant, e.g.
// ELF(ctx, "tailcall", "clang-lto").
func ELF(ctx context.Context, program, variant string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return builder.Output(ctx, dir, "unwindlab", program+"/"+variant+".elf")
}
