package forensics

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// provenance looks for where a bad PC or fault address came from: the
// memory words and registers that hold it, and for a code pointer the
// objects whose vtable slot would yield it.
func (rc *rootCtx) provenance() {
	if pc, ok := rc.faultPC(); ok && rc.BadPC && !fault.IsLockupPC(rc.Core, pc) {
		if src := rc.smashSource(pc | 1); src != "" {
			s := fmt.Sprintf("the bad PC 0x%08x is the bytes %s, found in the image at %s: a copy of that data overran a buffer (on the stack, if the value came from a return)", pc, Suspicious(pc|1), src)
			if c := rc.culprit(); c != "" {
				s += "; the last good code is " + c
			}
			sym, _, _ := strings.Cut(src, " (")
			rc.add(report.FindStackCorruption, s, pc, true, sym)
			l := fmt.Sprintf("Buffer overrun: the bad PC 0x%08x is %s, bytes of %s", pc, Suspicious(pc|1), src)
			if c := rc.culprit(); c != "" {
				l += "; " + c + " was running"
			}
			rc.addLead(1, l+".")
		}
	}
	if pc, ok := rc.faultPC(); ok && rc.BadPC && !fault.IsLockupPC(rc.Core, pc) && pc >= 0x100 {
		// Small values (null) are everywhere in memory: no use searching.
		what := fmt.Sprintf("the bad PC 0x%08x", pc)
		if n := rc.name(pc); n != "" {
			what += " (itself the address of " + n + ")"
		}
		rc.trace(what, []uint32{pc, pc | 1}, true)
	}
	if rc.Fault.HasAddress {
		fa := rc.Fault.FaultAddress
		if fa >= 0x100 && (!rc.inRAM(fa) || Suspicious(fa) != "") {
			rc.trace(fmt.Sprintf("the bad address 0x%08x", fa), []uint32{fa}, false)
		}
	}
}

// trace reports up to a few places holding one of vals.
func (rc *rootCtx) trace(what string, vals []uint32, code bool) {
	locs := rc.findWords(vals, 4)
	var parts []string
	for _, at := range locs {
		n := rc.name(at)
		if n == "" {
			n = "unnamed memory"
		}
		s := fmt.Sprintf("0x%08x (%s)", at, n)
		// The first place is enough to trace; a task's stack holds no
		// vtables (and its TCB's first word points into it, which looks
		// like one).
		if code && len(parts) == 0 && (rc.Tasks == nil || rc.Tasks.TaskAt(at) == nil) {
			// A virtual call loads vptr, then vptr[k]: objects whose vptr
			// is at-k are what made the call.
			for k := uint32(0); k <= 64; k += 4 {
				objs := rc.findWords([]uint32{at - k}, 8)
				if len(objs) == 0 {
					continue
				}
				// Prefer an object a typed pointer refers to: that is
				// the one the program used.
				o, on := objs[0], ""
				for _, c := range objs {
					if p := rc.referrer(c); p != "" {
						o, on = c, "the object "+p+" points to"
						break
					}
				}
				if on == "" {
					on = rc.name(o)
				}
				if on == "" {
					on = "unnamed memory"
				}
				s += fmt.Sprintf(", which is *(*0x%08x + %d): 0x%08x is %s (a call through its vptr, or through a function pointer in the object it points to)", o, k, o, on)
				break
			}
		}
		parts = append(parts, s)
	}
	var regs []string
	for _, v := range vals {
		regs = append(regs, rc.holders(v, v+1)...)
	}
	// Only a named place (a global, a typed heap object, a heap block)
	// says more than the registers and the frames already do.
	named := false
	for _, at := range locs {
		if rc.name(at) != "" {
			named = true
		}
	}
	if !named {
		return
	}
	s := what
	s += " is stored at " + strings.Join(parts, "; and at ")
	if len(regs) > 0 {
		s += "; registers holding it: " + strings.Join(regs, ", ")
	}
	addr := uint32(0)
	if len(locs) > 0 {
		addr = locs[0]
		// This finding names the places symbolically: it replaces the
		// plainer pointer-source findings for the same value.
		kept := rc.rep.Findings[:0]
		for _, f := range rc.rep.Findings {
			if f.Kind != report.FindPointerSource {
				kept = append(kept, f)
			}
		}
		rc.rep.Findings = kept
	}
	sym := ""
	if len(locs) > 0 {
		sym = rc.name(locs[0])
	}
	rc.add(report.FindPointerSource, s, addr, len(locs) > 0, sym)
	if len(locs) == 0 {
		return
	}
	g := rc.globalName(locs)
	if g == "" {
		return
	}
	reuse := rc.reusedBlock(locs)
	// A bad data pointer read from a block two structs share is as much a
	// use after free as a bad code pointer (a stale slot whose block now
	// holds another object's fields); without that, a data pointer found in
	// a global says no more than the finding does.
	if (!code || rc.Returned) && reuse == "" {
		return
	}
	l := fmt.Sprintf("Corrupt code pointer: %s was loaded from %s", what, g)
	score := 1
	if reuse != "" {
		l = fmt.Sprintf("Use after free: %s was loaded from %s, in %s", what, g, reuse)
		score = 3
	}
	if c := rc.culprit(); c != "" {
		if code {
			l += "; " + c + " made the call"
		} else {
			l += "; " + c + " made the access"
		}
	}
	rc.addLead(score, l+".")
}

// globalName names the first of locs that a global reaches (a global, or
// an object found through typed pointers from one), skipping copies in
// stacks and in an allocator's arena; "" when none is.
func (rc *rootCtx) globalName(locs []uint32) string {
	for _, at := range locs {
		if p, ok := rc.typedName(at); ok {
			return p
		}
	}
	return ""
}

// reusedBlock describes the heap block holding the first of locs that
// typed pointers reach as two different structs ("a heap block that holds
// both a struct session (sessions[1]) and a struct chunk (bulk[0]): ..."):
// one of them was freed and its memory handed out again. "" otherwise.
func (rc *rootCtx) reusedBlock(locs []uint32) string {
	for _, at := range locs {
		b, ok := rc.heap.blockAt(at)
		if !ok || b.Free {
			continue
		}
		var seen []heapObject
		for _, o := range rc.g.Objects {
			if o.Addr != b.Mem || o.Type == nil || o.Type.Kind != elfsym.KindStruct || o.Type.Name == "" {
				continue
			}
			dup := false
			for _, x := range seen {
				dup = dup || x.Type.Name == o.Type.Name
			}
			if !dup {
				seen = append(seen, o)
			}
		}
		if len(seen) < 2 {
			continue
		}
		return fmt.Sprintf("heap block 0x%08x (%d bytes), which holds both a struct %s (%s) and a struct %s (%s): one was freed and its memory reused for the other",
			b.Mem, b.End-b.Mem, seen[0].Type.Name, seen[0].Path, seen[1].Type.Name, seen[1].Path)
	}
	return ""
}

// referrer is the path of a typed pointer holding v, "" if none.
func (rc *rootCtx) referrer(v uint32) string {
	for _, s := range rc.g.Slots {
		if s.Value == v && !s.Union {
			return s.Path
		}
	}
	return ""
}

// findWords returns up to limit aligned RAM addresses holding one of vals,
// outside the live part of the current stack (where copies are spills).
func (rc *rootCtx) findWords(vals []uint32, limit int) []uint32 {
	spLo, spHi := rc.liveStack()
	var out []uint32
	for _, r := range rc.Snap.Memory {
		// RAM as the analysis counts it (a heap or stack in low block
		// RAM too, a dump's RAM whatever its importer named it), not
		// flash samples or the system registers.
		if r.Addr >= 0xE0000000 || !rc.inRAM(r.Addr) {
			continue
		}
		for i := (4 - r.Addr&3) & 3; int(i)+4 <= len(r.Data); i += 4 {
			w := binary.LittleEndian.Uint32(r.Data[i:])
			for _, v := range vals {
				if w != v {
					continue
				}
				at := r.Addr + i
				if at >= spLo && at < spHi {
					break
				}
				if b, ok := rc.heap.blockAt(at); ok && b.Top {
					break // leftovers in never-allocated memory
				}
				out = append(out, at)
				if len(out) >= limit {
					return out
				}
				break
			}
		}
	}
	return out
}

// liveStack is SP up to the outermost unwound frame's SP.
func (rc *rootCtx) liveStack() (lo, hi uint32) {
	sp, ok := rc.Stop.Get(fault.RegSP)
	if !ok {
		return 0, 0
	}
	lo, hi = sp, sp
	for _, f := range rc.Frames {
		if f.SP > hi && f.SP-sp < 1<<16 {
			hi = f.SP
		}
	}
	return lo, hi + 0x40
}
