// Package deadendlab is firmware that dies without faulting, written the
// way others write it: newlib's real assert (__assert_func -> abort ->
// _exit spinning in while (1), as a CubeIDE-generated syscalls.c has it),
// a CubeMX-style Error_Handler() after a failed HAL init, and a plain hang
// (a flag its interrupt never sets). It builds on the unwind lab's
// mps2-an385 board support; the FreeRTOS stack-overflow hook that loops
// is firmware/freertos's "-loop" build.
//
// capture's dead-end breakpoints, its "found halted in a dead end" check
// and --halt are tested against it (deadendlab_test.go).
package deadendlab

import (
	"context"
	"fmt"

	"github.com/faultline-dev/faultline/firmware/internal/armbuild"
	"github.com/faultline-dev/faultline/firmware/internal/srcdir"
)

// Machine is the QEMU machine (-M) every program runs on, and Board
// faultline's --board for it.
const (
	Machine = "mps2-an385"
	Board   = "mps2-an385"
)

// Variants lists each program's builds, as the Makefile names them.
var Variants = map[string][]string{
	"nl_assert":  {"gcc-O0", "gcc-O2"},
	"nl_abort":   {"gcc-O2"},
	"cube_error": {"gcc-O0", "gcc-O2"},
	"hang":       {"gcc-O2"},
}

// Dir returns the absolute path of firmware/deadendlab.
func Dir() (string, error) {
	return srcdir.Find("firmware/deadendlab", "Makefile", "programs", "lib")
}

// builder runs make once per process.
var builder = &armbuild.Builder{}

// ELF builds the lab if needed and returns the path of one build, e.g.
// ELF(ctx, "nl_assert", "gcc-O2").
func ELF(ctx context.Context, program, variant string) (string, error) {
	known := false
	for _, v := range Variants[program] {
		known = known || v == variant
	}
	if !known {
		return "", fmt.Errorf("deadendlab: no build %s/%s", program, variant)
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return builder.Output(ctx, dir, "deadendlab", program+"/"+variant+".elf")
}
