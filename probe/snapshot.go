package probe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote"
)

// flashSampleSize is how much of each loaded section's start a capture
// reads to check the ELF against the target; small, so capture stays fast.
const flashSampleSize = 256

// Snapshot reads the halted target's registers and memory into a capture
// snapshot. It reads as much as it can: when a read fails it records what is
// missing and goes on; when the connection dies it returns what it has
// together with the error, so the caller can still save it.
func (t *Target) Snapshot(ctx context.Context, trig capture.Trigger, stop string) (*capture.Snapshot, error) {
	return t.SnapshotStaged(ctx, trig, stop, Staging{})
}

// newSnapshot is a snapshot with the metadata known before any read.
func (t *Target) newSnapshot(trig capture.Trigger, stop string) *capture.Snapshot {
	snap := &capture.Snapshot{
		Registers: map[string]uint32{},
		Meta: capture.Meta{
			Schema:     capture.SchemaV1,
			Board:      t.opts.Board.Name,
			Trigger:    trig,
			CapturedAt: time.Now().UTC(),
			Target:     fmt.Sprintf("%s %s", t.StubName(), t.opts.Addr),
			StopReply:  stop,
		},
	}
	if im := t.opts.Image; im != nil {
		snap.Meta.ELF = capture.ELFRef{Path: im.Path(), BuildID: im.BuildID(), SHA256: im.SHA256()}
	}
	return snap
}

// liftMPU turns QEMU's MPU off for the memory reads and returns what turns
// it back on. QEMU checks its gdbstub's reads against the MPU a 1 KiB page
// at a time, so a 256-byte stack guard hides a whole page of live stack;
// a real core's debug port is not held back that way.
func (t *Target) liftMPU(ctx context.Context) func() {
	if t.c.Stub() != gdbremote.StubQEMU {
		return func() {}
	}
	ctrl, err := t.readWord(ctx, addrMPUCtrl)
	if err != nil || ctrl&1 == 0 {
		return func() {}
	}
	if err := t.writeWord(ctx, addrMPUCtrl, ctrl&^1); err != nil {
		return func() {}
	}
	return func() {
		// A fresh context: the capture's may have run out, and the
		// firmware must get its MPU back all the same.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.opts.Timeout)
		defer cancel()
		if err := t.writeWord(rctx, addrMPUCtrl, ctrl); err != nil {
			t.event(EventTargetState, fmt.Sprintf("could not restore MPU_CTRL 0x%08x after the capture: %v", ctrl, err), nil)
		}
	}
}

// fatal reports whether err means the connection is gone, so further reads
// are pointless.
func fatal(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isClosed(err)
}

// keepRegisters copies the 32-bit registers the server gave (not the FP
// d registers) into dst. On ARMv8-M with the Security Extension, a server
// that names only the banked stack pointers (msp_s, msp_ns, ...) has its
// current bank's ones copied to msp, psp, msplim and psplim.
func keepRegisters(dst map[string]uint32, regs map[string]uint64, desc *gdbremote.TargetDesc) {
	wide := map[string]bool{}
	if desc != nil {
		for _, r := range desc.Registers {
			if r.Bytes() > 4 {
				wide[r.Name] = true
			}
		}
	}
	for name, v := range regs {
		if !wide[name] && (v>>32 == 0 || name == "pc") {
			dst[strings.ToLower(name)] = uint32(v)
		}
	}
	if _, ok := dst["msp"]; ok {
		return
	}
	bank := "_s" // the reset state is Secure
	sp := dst["sp"]
	for _, b := range []string{"_s", "_ns"} {
		if m, ok := dst["msp"+b]; ok && m == sp {
			bank = b
		} else if p, ok := dst["psp"+b]; ok && p == sp {
			bank = b
		}
	}
	for _, n := range []string{"msp", "psp", "msplim", "psplim", "control", "primask", "basepri", "faultmask"} {
		if v, ok := dst[n+bank]; ok {
			if _, have := dst[n]; !have {
				dst[n] = v
			}
		}
	}
}

// ranges decides what memory a capture reads: the system registers, the
// board's RAM or, without a map, each writable section of the ELF, the
// malloc heap, a window on each stack (MSP, PSP) up to its top, the --mem
// ranges, and
// samples of the flash image for the ELF check. The notes say what the
// bounds left out.
func (t *Target) ranges(ctx context.Context, p *regionPlan, regs map[string]uint32) ([]MemRange, []string) {
	out := append([]MemRange(nil), systemRegions...)
	mem, notes := p.plan(regs)
	out = append(out, mem...)
	if im := t.opts.Image; im != nil {
		for _, s := range im.Sections() {
			if !s.Loaded || s.Write || s.Size == 0 {
				continue
			}
			n := min(s.Size, flashSampleSize)
			out = append(out, MemRange{Name: "flash-sample", Addr: s.Addr, Size: n})
			// A second sample from the middle catches images that only
			// share a vector table.
			if s.Size > 4*flashSampleSize {
				mid := (s.Addr + s.Size/2) &^ 3
				out = append(out, MemRange{Name: "flash-sample", Addr: mid, Size: flashSampleSize})
			}
		}
	}
	return out, notes
}

// regionPlan is the planner for this target's captures; its live reads
// go through ctx.
func (t *Target) regionPlan(ctx context.Context) *regionPlan {
	p := &regionPlan{
		board: t.opts.Board,
		extra: t.opts.Extra,
		read:  func(a uint64) (uint32, error) { return t.readWord(ctx, a) },
		write: func(a uint64, v uint32) error { return t.writeWord(ctx, a, v) },
		readBlock: func(a uint64, n int) ([]byte, error) {
			return t.c.ReadMemory(ctx, a, n)
		},
	}
	if t.opts.Image != nil {
		p.img = t.opts.Image
	}
	return p
}

// normalise sorts regions and drops overlaps, keeping the earlier one, so the
// capture file's PT_LOAD segments never overlap.
func normalise(rs []capture.Region) []capture.Region {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Addr < rs[j].Addr })
	var out []capture.Region
	for _, r := range rs {
		if n := len(out); n > 0 {
			prev := out[n-1]
			end := uint64(prev.Addr) + uint64(len(prev.Data))
			if uint64(r.Addr) < end {
				skip := end - uint64(r.Addr)
				if skip >= uint64(len(r.Data)) {
					continue
				}
				r.Data = r.Data[skip:]
				r.Addr = uint32(end)
			}
		}
		out = append(out, r)
	}
	return out
}

func isClosed(err error) bool { return errors.Is(err, gdbremote.ErrClosed) }

// A hole is a piece of a range the server would not read.
type hole struct {
	MemRange
	err error
}

// holeGrain is the size of the pieces a failed chunk is read again in, so
// a small unreadable area (an MPU no-access guard below a stack) costs
// that area, not the whole chunk around it.
const holeGrain = 64

// readRange reads r in the largest chunks the server allows. A chunk the
// server refuses (E14 from QEMU behind an MPU guard, E0E from OpenOCD with
// report_data_abort) is read again in small pieces and only the pieces that
// fail become holes; the rest of the range is still read. It returns an
// error only when the connection is unusable.
func (t *Target) readRange(ctx context.Context, r MemRange) ([]capture.Region, []hole, error) {
	var out []capture.Region
	var holes []hole
	add := func(addr uint64, data []byte) {
		if len(data) == 0 {
			return
		}
		if n := len(out); n > 0 && uint64(out[n-1].Addr)+uint64(len(out[n-1].Data)) == addr {
			out[n-1].Data = append(out[n-1].Data, data...)
			return
		}
		out = append(out, capture.Region{Addr: uint32(addr), Data: data, Name: r.Name})
	}
	chunk := uint64(t.c.ReadChunk())
	for addr := r.Addr; addr < r.End(); {
		data, err := t.c.ReadMemory(ctx, addr, int(r.End()-addr))
		add(addr, data)
		addr += uint64(len(data))
		if err == nil {
			continue
		}
		if fatal(err) {
			return out, holes, err
		}
		// Retry the chunk that failed piece by piece.
		end := min(addr+chunk, r.End())
		for p := addr; p < end; p += holeGrain {
			n := min(uint64(holeGrain), end-p)
			piece, perr := t.c.ReadMemory(ctx, p, int(n))
			add(p, piece)
			if perr != nil {
				if fatal(perr) {
					return out, holes, perr
				}
				bad := p + uint64(len(piece))
				if k := len(holes); k > 0 && holes[k-1].End() == bad {
					holes[k-1].Size += p + n - bad
				} else {
					holes = append(holes, hole{MemRange{Name: r.Name, Addr: bad, Size: p + n - bad}, perr})
				}
			}
		}
		addr = end
	}
	return out, holes, nil
}
