package probe

import (
	"fmt"
	"sort"
	"strings"
)

// A Board describes what faultline needs to know about a target: where its
// RAM is (what a capture reads), its LED and its console dialect.
type Board struct {
	Name string
	// RAM lists the ranges a capture reads in full. Empty means "derive from
	// the ELF's writable sections and the stack pointers". Stacks outside
	// it are read all the same.
	RAM []MemRange
	// Extra lists more ranges every capture reads (a second RAM bank, CCM,
	// a DMA buffer), on top of RAM or the derived ranges.
	Extra []MemRange
	// LED is the RGB LED's PWM register profile; nil when the board has none.
	LED *LEDProfile
	// Core is the CPU family, "v7-M" for the Cortex-M3/M4 boards here.
	Core string
	// Doc is one line for --help.
	Doc string
}

// Boards returns the built-in board profiles by name.
func Boards() map[string]Board {
	photonLED := PhotonLEDProfile()
	return map[string]Board{
		"photon": {
			Name: "photon", Core: "v7-M", LED: &photonLED,
			RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 128 << 10}},
			Doc: "Particle Photon (STM32F205, 128 KiB SRAM, RGB LED on TIM2 CH2-4)",
		},
		"netduino2": {
			Name: "netduino2", Core: "v7-M", LED: &photonLED,
			RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 128 << 10}},
			Doc: "QEMU netduino2 (STM32F205, the Photon's MCU; the bundled firmware's LED on TIM2)",
		},
		"mps2-an385": {
			Name: "mps2-an385", Core: "v7-M",
			Doc: "QEMU mps2-an385 (Cortex-M3; memory read: the ELF's writable sections, the malloc heap and each stack up to its top)",
		},
		"generic": {
			Name: "generic", Core: "v7-M",
			Doc: "any Cortex-M: memory read: the ELF's writable sections, the malloc heap and each stack up to its top (add ranges with --mem)",
		},
	}
}

// LookupBoard finds a board profile by name.
func LookupBoard(name string) (Board, error) {
	b, ok := Boards()[strings.ToLower(name)]
	if !ok {
		return Board{}, fmt.Errorf("unknown board %q (known: %s)", name, strings.Join(BoardNames(), ", "))
	}
	return b, nil
}

// BoardNames lists the built-in board names, sorted.
func BoardNames() []string {
	var names []string
	for n := range Boards() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
