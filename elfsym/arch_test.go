package elfsym_test

import (
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// TestCPUArchFromBuildAttributes reads Tag_CPU_arch as gcc and clang
// write it for each Cortex-M family.
func TestCPUArchFromBuildAttributes(t *testing.T) {
	tests := []struct {
		cfg  elfsymtest.LabConfig
		want string
	}{
		{elfsymtest.LabConfig{Compiler: "gcc", CPU: "cortex-m0"}, "v6-M"},
		{elfsymtest.LabConfig{Compiler: "gcc", CPU: "cortex-m3"}, "v7-M"},
		{elfsymtest.LabConfig{Compiler: "gcc", CPU: "cortex-m4"}, "v7E-M"},
		{elfsymtest.LabConfig{Compiler: "gcc", CPU: "cortex-m23"}, "v8-M.base"},
		{elfsymtest.LabConfig{Compiler: "gcc", CPU: "cortex-m33"}, "v8-M.main"},
		{elfsymtest.LabConfig{Compiler: "gcc", CPU: "cortex-m55"}, "v8.1-M.main"},
		{elfsymtest.LabConfig{Compiler: "clang", CPU: "cortex-m0"}, "v6-M"},
		{elfsymtest.LabConfig{Compiler: "clang", CPU: "cortex-m3"}, "v7-M"},
		{elfsymtest.LabConfig{Compiler: "clang", CPU: "cortex-m4"}, "v7E-M"},
		{elfsymtest.LabConfig{Compiler: "clang", CPU: "cortex-m33"}, "v8-M.main"},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.Name(), func(t *testing.T) {
			im, _ := openLab(t, tc.cfg)
			if got := im.CPUArch(); got != tc.want {
				t.Errorf("CPUArch() = %q, want %q", got, tc.want)
			}
		})
	}
	// The sample is linked with newlib by gcc for -mcpu=cortex-m3.
	im, _ := openSample(t)
	if got := im.CPUArch(); got != "v7-M" {
		t.Errorf("sample: CPUArch() = %q, want v7-M", got)
	}
}
