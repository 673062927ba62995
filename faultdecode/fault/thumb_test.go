package fault

import (
	"bufio"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// objdumpLine matches "8000222:\tf7ff ff60 \tbl\t80000e6 <a>".
var objdumpLine = regexp.MustCompile(`^\s*([0-9a-f]+):\s+([0-9a-f]{4})(?: ([0-9a-f]{4}))?\s+\t?(\S+)\s*(\S*)`)

// TestThumbDecodingMatchesObjdump checks the hand-written BL/BLX decoding
// against arm-none-eabi-objdump on every instruction of the test firmware.
func TestThumbDecodingMatchesObjdump(t *testing.T) {
	elf := fdtest.UnwindELF(t, "../testdata")
	objdump := fdtest.NeedTool(t, "arm-none-eabi-objdump")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, objdump, "-d", elf).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	var bls, blxs, checked int
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		m := objdumpLine.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(m[4], ".") {
			continue
		}
		addr, _ := strconv.ParseUint(m[1], 16, 32)
		hw1, _ := strconv.ParseUint(m[2], 16, 16)
		mn := m[4]
		checked++
		if m[3] != "" {
			hw2, _ := strconv.ParseUint(m[3], 16, 16)
			got := isBL(uint16(hw1), uint16(hw2))
			if got != (mn == "bl") {
				t.Errorf("0x%x %s %s: isBL = %v for %q", addr, m[2], m[3], got, mn)
			}
			if mn == "bl" {
				bls++
				want, _ := strconv.ParseUint(m[5], 16, 32)
				if tgt := blTarget(uint32(addr), uint16(hw1), uint16(hw2)); uint64(tgt) != want {
					t.Errorf("0x%x: blTarget 0x%08x, objdump says 0x%x", addr, tgt, want)
				}
			}
			continue
		}
		got := isBLXReg(uint16(hw1))
		if got != (mn == "blx") {
			t.Errorf("0x%x %s: isBLXReg = %v for %q", addr, m[2], got, mn)
		}
		if mn == "blx" {
			blxs++
		}
	}
	t.Logf("%d instructions, %d bl, %d blx", checked, bls, blxs)
	if bls == 0 || blxs == 0 || checked < 100 {
		t.Fatalf("too little checked: %d instructions, %d bl, %d blx", checked, bls, blxs)
	}
}
