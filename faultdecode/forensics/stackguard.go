package forensics

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// guardSlack is how far from SP a faulting data address may be and still
// be the stack's own push or local: a frame's locals rarely span more.
const guardSlack = 1024

// stackGuard reports a data fault next to the stack pointer as a stack
// overflow into a guard (an MPU no-access region, or memory that is not
// there), names the stack by the variable that holds it, and, since the
// frames there are often lost, lists the return addresses a scan of the
// stack from SP finds.
func (rc *rootCtx) stackGuard() {
	if !rc.Fault.HasAddress {
		return
	}
	data := false
	for _, n := range []string{"DACCVIOL", "MSTKERR", "STKERR", "PRECISERR"} {
		if _, ok := rc.Fault.Cause(n); ok {
			data = true
		}
	}
	if !data {
		return
	}
	sp, ok := rc.FaultSP, rc.HaveFaultSP
	if !ok {
		return
	}
	fa := rc.Fault.FaultAddress
	if fa+guardSlack < sp || fa > sp+guardSlack {
		return
	}
	which := "main stack (MSP)"
	if rc.OnPSP {
		which = "process stack (PSP)"
	}
	s := fmt.Sprintf("the %s overflowed into a guard: the fault address 0x%08x", which, fa)
	if n := rc.name(fa); n != "" {
		s += " (" + n + ")"
	}
	if fa >= sp {
		s += fmt.Sprintf(" is %d bytes above SP 0x%08x", fa-sp, sp)
	} else {
		s += fmt.Sprintf(" is %d bytes below SP 0x%08x", sp-fa, sp)
	}
	stack := ""
	if _, v, ok := rc.di.DataAt(uint64(fa)); ok && v.Type != nil && v.Size >= 64 {
		stack = v.Name
		if uint64(fa)-v.Addr < 256 {
			s += fmt.Sprintf(", in the lowest %d bytes of %s (0x%08x..0x%08x), where a guard region sits", uint64(fa)-v.Addr+1, v.Name, v.Addr, v.Addr+v.Size)
		}
		if uint64(sp) < v.Addr {
			s += fmt.Sprintf("; SP is %d bytes below the start of %s", v.Addr-uint64(sp), v.Name)
		}
	}
	if g := rc.mpuRegionAt(fa); g != "" {
		s += "; it is inside " + g
	}
	if rc.Fault.StackingError {
		s += "; stacking the exception frame failed, so the interrupted registers are lost"
	}
	if chain := rc.scanStack(sp, 2048); chain != "" {
		s += "; a scan of the stack from SP finds return addresses into " + chain
	}
	rc.add(report.FindStackOverflow, s, fa, true, stack)
	l := "Stack overflow: the " + which
	if stack != "" {
		l += " (" + stack + ")"
	}
	l += fmt.Sprintf(" ran into its guard at 0x%08x", fa)
	if c := rc.culprit(); c != "" {
		l += " in " + c
	}
	rc.addLead(2, l+".")
}

// scanStack looks for return addresses on the stack from sp upwards (a
// word that is an odd code address right after a BL or BLX), for when the
// frames cannot be unwound. Runs of the same function are folded:
// "recurse() x5, thread_main(), main()".
func (rc *rootCtx) scanStack(sp uint32, limit uint32) string {
	var names []string
	for off := uint32(0); off < limit; off += 4 {
		w, err := fault.Read32(rc.Snap, uint64(sp+off))
		if err != nil {
			continue // a guard region may be missing from the capture
		}
		if w&1 == 0 || !rc.Image.IsCode(uint64(w&^1)) || fault.CallKind(rc.Image, w&^1) == fault.CallNone {
			continue
		}
		n := rc.codeName((w &^ 1) - 2)
		if n == "" {
			continue
		}
		if i := strings.Index(n, " at "); i >= 0 {
			n = n[:i]
		}
		names = append(names, n)
		if len(names) >= 64 {
			break
		}
	}
	var out []string
	for i := 0; i < len(names); {
		j := i
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s x%d", names[i], j-i))
		} else {
			out = append(out, names[i])
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// MPU registers (ARMv7-M PMSA). A capture holds only the region RNR
// selects, which is usually the last one configured: often the guard.
const (
	addrMPUCtrl = 0xE000ED94
	addrMPURNR  = 0xE000ED98
	addrMPURBAR = 0xE000ED9C
	addrMPURASR = 0xE000EDA0
)

// mpuRegionAt describes the captured MPU region covering addr, "" when
// the MPU is off, not captured, or the selected region does not cover it.
func (rc *rootCtx) mpuRegionAt(addr uint32) string {
	ctrl, err1 := fault.Read32(rc.Snap, addrMPUCtrl)
	rnr, err2 := fault.Read32(rc.Snap, addrMPURNR)
	rbar, err3 := fault.Read32(rc.Snap, addrMPURBAR)
	rasr, err4 := fault.Read32(rc.Snap, addrMPURASR)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || ctrl&1 == 0 || rasr&1 == 0 {
		return ""
	}
	sizeBits := (rasr >> 1) & 0x1f
	if sizeBits < 4 {
		return ""
	}
	size := uint64(1) << (sizeBits + 1)
	base := uint64(rbar &^ 0x1f)
	if uint64(addr) < base || uint64(addr) >= base+size {
		return ""
	}
	ap := (rasr >> 24) & 7
	access := map[uint32]string{0: "no access", 1: "privileged read/write only", 2: "unprivileged read-only", 3: "full access", 5: "privileged read-only", 6: "read-only", 7: "read-only"}[ap]
	return fmt.Sprintf("MPU region %d (0x%08x, %d bytes, %s)", rnr&0xff, base, size, access)
}

// stackingScan runs when the exception frame could not be stacked and no
// guard explained it: the frames are lost, so a scan of the stack from SP
// for return addresses is the best call chain there is.
func (rc *rootCtx) stackingScan() {
	if !rc.Fault.StackingError || rc.Fault.HasAddress {
		return
	}
	sp, ok := rc.Stop.Get(fault.RegSP)
	if rc.HaveStackAt {
		sp, ok = rc.StackAt, true
	}
	if !ok {
		return
	}
	chain := rc.scanStack(sp, 2048)
	if chain == "" {
		return
	}
	rc.add(report.FindStackCorruption, fmt.Sprintf("the exception frame was not stacked, so the frames are lost; a scan of the stack from SP 0x%08x finds return addresses into %s (the likely call chain, innermost first)", sp, chain), sp, true, "")
}

// smashSource looks for where the bytes of a data-like return address
// came from: the same four bytes in the image's constants or in RAM
// outside the stack are what a copy overran with.
func (rc *rootCtx) smashSource(v uint32) string {
	if Suspicious(v) == "" {
		return ""
	}
	pat := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	for _, sec := range rc.Image.Sections() {
		if !sec.Loaded || sec.Exec && !sec.Write && sec.Size > 1<<20 {
			continue
		}
		if sec.Size == 0 || sec.Size > 4<<20 {
			continue
		}
		buf := make([]byte, sec.Size)
		n, _ := rc.Image.ReadMemory(buf, sec.Addr)
		if i := indexBytes(buf[:n], pat); i >= 0 {
			at := sec.Addr + uint64(i)
			if s, off, ok := rc.Image.SymbolAt(at); ok && !s.Func {
				return fmt.Sprintf("%s+%d (0x%08x)", s.Name, off, at)
			}
		}
	}
	return ""
}

func indexBytes(b, pat []byte) int {
	for i := 0; i+len(pat) <= len(b); i++ {
		if b[i] == pat[0] && b[i+1] == pat[1] && b[i+2] == pat[2] && b[i+3] == pat[3] {
			return i
		}
	}
	return -1
}

// stackBounds reports an SP outside its stack when no fault address
// said so: a main-stack SP below top - size, or a process-stack SP just
// below the array that holds that stack (an RTOS task's stack).
func (rc *rootCtx) stackBounds() {
	sp, ok := rc.FaultSP, rc.HaveFaultSP
	if !ok || rc.reported(report.FindStackOverflow) {
		return
	}
	if !rc.OnPSP {
		for _, n := range elfsym.StackBottomSymbols {
			if _, found := rc.Image.LookupSymbol(n); found {
				return // stackLimitFinding checks against it
			}
		}
		top, size, tn, sn := uint32(0), uint32(0), "", ""
		for _, n := range elfsym.StackTopSymbols {
			if s, found := rc.Image.LookupSymbol(n); found && s.Addr != 0 {
				top, tn = uint32(s.Addr), n
				break
			}
		}
		for _, n := range elfsym.StackSizeSymbols {
			if s, found := rc.Image.LookupSymbol(n); found && s.Addr != 0 {
				size, sn = uint32(s.Addr), n
				break
			}
		}
		if top == 0 || size == 0 || size > top {
			return
		}
		if limit := top - size; sp < limit && limit-sp < 0x10000 {
			rc.add(report.FindStackOverflow, fmt.Sprintf("SP 0x%08x is %d bytes below the main stack's limit 0x%08x (%s - %s): the stack overflowed into the memory below it (heap or globals)", sp, limit-sp, limit, tn, sn), sp, true, tn)
			rc.addLead(1, fmt.Sprintf("Stack overflow: SP 0x%08x is %d bytes below the main stack's limit.", sp, limit-sp))
		}
		return
	}
	if _, _, ok := rc.di.DataAt(uint64(sp)); ok {
		return
	}
	if _, v, ok := rc.di.DataAt(uint64(sp) + 256); ok && v.Size >= 256 && uint64(sp) < v.Addr {
		rc.add(report.FindStackOverflow, fmt.Sprintf("PSP 0x%08x is %d bytes below %s (0x%08x..0x%08x), the array that holds this stack: the task's stack overflowed", sp, v.Addr-uint64(sp), v.Name, v.Addr, v.Addr+v.Size), sp, true, v.Name)
		rc.addLead(2, fmt.Sprintf("Stack overflow: PSP is %d bytes below %s, the task's stack.", v.Addr-uint64(sp), v.Name))
	}
}

// reported says whether a finding of kind is already in the report.
func (rc *rootCtx) reported(kind string) bool {
	for _, f := range rc.rep.Findings {
		if f.Kind == kind {
			return true
		}
	}
	return false
}
