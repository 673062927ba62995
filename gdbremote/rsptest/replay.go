package rsptest

import (
	"fmt"
	"slices"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
)

// A Replay serves a recorded crash through a fake: Before is the target
// running normally (PC at entry, fault registers clear), Crash the run that
// ends in the recorded stop with the recorded registers and memory.
type Replay struct {
	Before State
	Crash  Run
}

// ReplayCrash builds a Replay from a capture and the firmware image: flash
// comes from the image's loaded read-only sections (vector table, code),
// RAM and system registers from the capture (its flash samples are left
// out). Callers may edit the result, e.g. to turn the stop into a lockup.
func ReplayCrash(snap *capture.Snapshot, img *elfsym.Image, entry uint64) (Replay, error) {
	var rp Replay
	var flash []Region
	for _, s := range img.Sections() {
		if !s.Loaded || s.Write || s.Size == 0 {
			continue
		}
		b := make([]byte, s.Size)
		if _, err := img.ReadMemory(b, s.Addr); err != nil {
			return rp, fmt.Errorf("replay: read %s: %w", s.Name, err)
		}
		flash = append(flash, Region{Addr: s.Addr, Data: b})
	}
	regs := map[string]uint64{}
	for k, v := range snap.Registers {
		regs[k] = uint64(v)
	}
	rp.Crash = Run{Delay: 50 * time.Millisecond, Stop: "T05", Regs: regs}
	rp.Before.Regs = map[string]uint64{"pc": entry, "xpsr": 0x01000000, "sp": regs["msp"], "msp": regs["msp"]}
	for _, r := range snap.Memory {
		if r.Name == "flash-sample" {
			continue
		}
		rp.Crash.Memory = append(rp.Crash.Memory, Region{Addr: uint64(r.Addr), Data: slices.Clone(r.Data)})
		d := slices.Clone(r.Data)
		if r.Addr == 0xE000ED00 && len(d) >= 0x3C {
			clear(d[0x28:0x3C]) // CFSR, HFSR, DFSR, MMFAR, BFAR: no fault yet
		}
		rp.Before.Memory = append(rp.Before.Memory, Region{Addr: uint64(r.Addr), Data: d})
	}
	rp.Before.Memory = append(rp.Before.Memory, flash...)
	return rp, nil
}
