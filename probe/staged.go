package probe

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/rtos"
	"github.com/faultline-dev/faultline/gdbremote"
)

// A staged capture reads what the explanation needs first (registers, the
// fault registers, the top of each stack, the vector table) and the rest of
// RAM after. Over a slow debug link (an SWD probe: 100-500 KB/s, milliseconds
// per round trip) the rest takes most of a second for 128 KiB, while the
// first part takes a few dozen milliseconds: a first report can be on screen
// long before the capture file is complete.

// CaptureProgress is how far a capture has read.
type CaptureProgress struct {
	Active bool   // a capture is reading memory
	Done   uint64 // bytes of memory read (or given up on)
	Total  uint64 // bytes of memory the capture reads
}

// Staging configures a staged capture.
type Staging struct {
	// First, when set, is given a snapshot made from the registers, the
	// fault registers and the stacks before the rest of memory is read,
	// when the rest is expected to take longer than FirstAfter. Its
	// Meta.Missing names what was still to be read. It runs on the
	// capturing goroutine: it must return quickly.
	First func(first *capture.Snapshot)
	// FirstAfter is how slow the rest must be for First to be called:
	// 0 means DefaultFirstAfter; negative means always.
	FirstAfter time.Duration
	// Progress, when set, is called as memory is read (on the capturing
	// goroutine; it must return quickly).
	Progress func(CaptureProgress)
}

// DefaultFirstAfter: a rest of memory expected to take longer than this
// earns a first report (each report costs an analysis, so a fast link
// gives one report, from the complete capture).
const DefaultFirstAfter = 100 * time.Millisecond

// firstStackAbove bounds the first look at a stack: the frames near SP
// are what the first report unwinds; the whole stack comes with the rest.
const firstStackAbove = 4 << 10

// PendingMemoryNote ends the Missing entries of a first-look snapshot for
// memory the capture was still reading.
const PendingMemoryNote = "still being read when this report was made"

// SnapshotStaged is Snapshot in two stages (see Staging). The snapshot it
// returns is complete, with the same regions Snapshot reads; when the
// reading stops early (ctx ends, the connection dies) it returns what was
// read with the error, and Meta.Missing names every range left unread.
func (t *Target) SnapshotStaged(ctx context.Context, trig capture.Trigger, stop string, st Staging) (*capture.Snapshot, error) {
	start := time.Now()
	snap := t.newSnapshot(trig, stop)
	// The d registers of an FPU are dropped below (keepRegisters): do not
	// spend a round trip on each.
	regs, err := t.c.ReadRegistersWhere(ctx, func(r gdbremote.Register) bool { return r.Bytes() <= 4 })
	if err != nil {
		snap.Meta.Missing = append(snap.Meta.Missing, "registers: "+err.Error())
		if fatal(err) {
			return snap, fmt.Errorf("read registers: %w", err)
		}
	}
	keepRegisters(snap.Registers, regs, t.c.TargetDesc())
	rp := t.regionPlan(ctx)
	plan, notes := t.ranges(ctx, rp, snap.Registers)
	snap.Meta.Missing = append(snap.Meta.Missing, notes...)

	f := &stagedFill{t: t, plan: plan, got: make([][]capture.Region, len(plan)),
		read: make([]coverage, len(plan)), progress: st.Progress}
	for _, r := range plan {
		f.total += r.Size
	}
	restore := func() {}
	defer func() { restore() }()
	// Stage one: the system registers, then (the MPU's registers read as
	// the firmware left them) the stacks near SP and the vector table.
	for i := range systemRegions {
		if err := f.readPart(ctx, i, plan[i]); err != nil {
			return f.finish(snap, err)
		}
	}
	restore = t.liftMPU(ctx)
	// Without a First to hand a look to, memory is read in plan order.
	var look []MemRange
	if st.First != nil {
		look = rp.firstLook(snap.Registers)
	}
	for _, w := range look {
		for i, r := range plan {
			if part, ok := intersect(r, w); ok {
				if err := f.readPart(ctx, i, part); err != nil {
					return f.finish(snap, err)
				}
			}
		}
	}
	staged := st.First != nil && f.restSlow(st.FirstAfter)
	if staged {
		st.First(f.firstLook(snap))
		t.event(EventCapture, fmt.Sprintf("first look at the crash read in %v; reading the other %d KiB of memory",
			time.Since(start).Round(time.Millisecond), (f.total-f.done)>>10), nil)
	}
	// Stage two: everything else, in the order planned.
	for i, r := range plan {
		for _, part := range f.read[i].uncovered(r) {
			if err := f.readPart(ctx, i, part); err != nil {
				return f.finish(snap, err)
			}
		}
	}
	// Stage three: RTOS task control blocks and stacks the plan left out.
	if err := f.readTasks(ctx); err != nil {
		return f.finish(snap, err)
	}
	if staged {
		t.event(EventCapture, fmt.Sprintf("capture complete: %d KiB of memory read in %v", f.done>>10, time.Since(start).Round(time.Millisecond)), nil)
	}
	return f.finish(snap, nil)
}

// Bounds of the task pass: what it may add to a capture in all.
const maxTaskRead = 1 << 20

// maxTaskPasses bounds the passes: each reads the TCBs the lists led to
// so far, whose list items lead to the next ones.
const maxTaskPasses = 16

// readTasks reads what the RTOS's task list needs and the plan did not
// cover (TCBs and stacks in a heap_5 region or a static stack outside the
// ELF's sections): the list is read from the memory read so far, again
// after each read, since a TCB read names its stack and the next TCB.
func (f *stagedFill) readTasks(ctx context.Context) error {
	img := f.t.opts.Image
	if img == nil {
		return nil
	}
	budget := uint64(maxTaskRead)
	for pass := 0; pass < maxTaskPasses; pass++ {
		sys, err := rtos.Read(img, &capture.Snapshot{Memory: f.regions()}, rtos.Options{})
		if err != nil {
			return nil // not FreeRTOS, or no types to read it with
		}
		var cov coverage
		for _, r := range f.plan {
			cov.add(r)
		}
		added := false
		for _, sp := range sys.Spans() {
			r := MemRange{Name: "rtos " + sp.What, Addr: uint64(sp.Addr), Size: uint64(sp.Size)}
			if !readable(r.Addr) {
				continue
			}
			for _, piece := range cov.uncovered(r) {
				if piece.Size > budget {
					return nil
				}
				budget -= piece.Size
				cov.add(piece)
				f.plan = append(f.plan, piece)
				f.got = append(f.got, nil)
				f.read = append(f.read, coverage{})
				f.total += piece.Size
				if err := f.readPart(ctx, len(f.plan)-1, piece); err != nil {
					return err
				}
				added = true
			}
		}
		if !added {
			return nil
		}
	}
	return nil
}

// stagedFill is one staged capture's memory: per planned range, the pieces
// read so far and what they cover.
type stagedFill struct {
	t        *Target
	plan     []MemRange
	got      [][]capture.Region // per plan index
	read     []coverage         // per plan index: tried (read or a hole)
	holes    []hole             // pieces that failed, in the order tried
	done     uint64
	total    uint64
	progress func(CaptureProgress)
	// The link as measured by the reads: the quickest request, and the
	// largest one's bytes and time.
	quickest time.Duration
	bigBytes uint64
	bigTook  time.Duration
}

// readPart reads part (inside plan[i]) in progress-sized steps. It returns
// an error only when the connection is unusable.
func (f *stagedFill) readPart(ctx context.Context, i int, part MemRange) error {
	step := uint64(f.t.c.ReadChunk())
	if f.progress == nil {
		step = part.Size
	}
	for a := part.Addr; a < part.End(); a += step {
		piece := MemRange{Name: f.plan[i].Name, Addr: a, Size: min(step, part.End()-a)}
		began := time.Now()
		got, holes, err := f.t.readRange(ctx, piece)
		f.measure(piece.Size, time.Since(began))
		f.got[i] = append(f.got[i], got...)
		for _, h := range holes {
			f.addHole(h)
		}
		if err != nil {
			f.addHole(hole{piece, err})
			f.read[i].add(piece)
			return fmt.Errorf("read %s at 0x%08x: %w", piece.Name, piece.Addr, err)
		}
		f.read[i].add(piece)
		f.done += piece.Size
		if f.progress != nil {
			f.progress(CaptureProgress{Active: true, Done: f.done, Total: f.total})
		}
	}
	return nil
}

// addHole records a failed piece; one that continues the last hole (a
// window read in steps) extends it, so Missing names one range.
func (f *stagedFill) addHole(h hole) {
	if n := len(f.holes); n > 0 && f.holes[n-1].Name == h.Name && f.holes[n-1].End() == h.Addr {
		f.holes[n-1].Size += h.Size
		return
	}
	f.holes = append(f.holes, h)
}

// holeNotes are the Missing entries for the holes.
func (f *stagedFill) holeNotes() []string {
	var out []string
	for _, h := range f.holes {
		out = append(out, fmt.Sprintf("%s 0x%08x..0x%08x: %v", h.Name, h.Addr, h.End(), h.err))
	}
	return out
}

func (f *stagedFill) measure(n uint64, took time.Duration) {
	if f.quickest == 0 || took < f.quickest {
		f.quickest = took
	}
	if n >= f.bigBytes {
		f.bigBytes, f.bigTook = n, took
	}
}

// restSlow says whether reading what is left is expected to take longer
// than after (0: DefaultFirstAfter; negative: always true), from the link
// as the first stage measured it: a round trip per request and the bytes
// at the bandwidth the largest read showed.
func (f *stagedFill) restSlow(after time.Duration) bool {
	if after < 0 {
		return true
	}
	if after == 0 {
		after = DefaultFirstAfter
	}
	rest := f.total - f.done
	if rest == 0 {
		return false
	}
	chunk := uint64(f.t.c.ReadChunk())
	est := time.Duration((rest+chunk-1)/chunk) * f.quickest
	if transfer := f.bigTook - f.quickest; transfer > 0 && f.bigBytes > 0 {
		est += time.Duration(float64(transfer) * float64(rest) / float64(f.bigBytes))
	}
	return est > after
}

// regions returns what was read, one region per run of adjacent pieces of
// a planned range (the layout an unstaged read gives), sorted, without
// overlaps. The data is copied: a first look keeps its own.
func (f *stagedFill) regions() []capture.Region {
	var out []capture.Region
	for _, pieces := range f.got {
		ps := append([]capture.Region(nil), pieces...)
		sort.SliceStable(ps, func(a, b int) bool { return ps[a].Addr < ps[b].Addr })
		start := len(out)
		for _, p := range ps {
			if n := len(out); n > start && out[n-1].End() == uint64(p.Addr) {
				out[n-1].Data = append(out[n-1].Data, p.Data...)
				continue
			}
			out = append(out, capture.Region{Addr: p.Addr, Name: p.Name, Data: append([]byte(nil), p.Data...)})
		}
	}
	return normalise(out)
}

// unread lists the parts of the plan not yet tried.
func (f *stagedFill) unread() []MemRange {
	var out []MemRange
	for i, r := range f.plan {
		out = append(out, f.read[i].uncovered(r)...)
	}
	return out
}

// firstLook is a copy of snap with the memory read so far; its Missing
// names what the capture was still reading.
func (f *stagedFill) firstLook(snap *capture.Snapshot) *capture.Snapshot {
	first := &capture.Snapshot{Registers: make(map[string]uint32, len(snap.Registers)), Meta: snap.Meta}
	for k, v := range snap.Registers {
		first.Registers[k] = v
	}
	first.Memory = f.regions()
	first.Meta.Missing = append(append([]string(nil), snap.Meta.Missing...), f.holeNotes()...)
	for _, r := range f.unread() {
		first.Meta.Missing = append(first.Meta.Missing, fmt.Sprintf("%s 0x%08x..0x%08x: %s", r.Name, r.Addr, r.End(), PendingMemoryNote))
	}
	return first
}

// finish fills snap's memory and Missing and ends the progress.
func (f *stagedFill) finish(snap *capture.Snapshot, err error) (*capture.Snapshot, error) {
	snap.Memory = f.regions()
	snap.Meta.Missing = append(snap.Meta.Missing, f.holeNotes()...)
	if err != nil {
		for _, r := range f.unread() {
			snap.Meta.Missing = append(snap.Meta.Missing, fmt.Sprintf("%s 0x%08x..0x%08x: not read, the capture stopped first (%v)", r.Name, r.Addr, r.End(), err))
		}
	}
	if f.progress != nil {
		f.progress(CaptureProgress{Done: f.done, Total: f.total})
	}
	return snap, err
}

// intersect is the part of r inside w, named as r.
func intersect(r, w MemRange) (MemRange, bool) {
	lo, hi := max(r.Addr, w.Addr), min(r.End(), w.End())
	if lo >= hi {
		return MemRange{}, false
	}
	return MemRange{Name: r.Name, Addr: lo, Size: hi - lo}, true
}

// firstLook lists what a first report needs beyond the system registers:
// each stack (MSP, PSP) from just below SP to its top or firstStackAbove
// above SP, whichever is nearer, and the start of the vector table (the
// check that the ELF is what the target runs).
func (p *regionPlan) firstLook(regs map[string]uint32) []MemRange {
	var out []MemRange
	for _, reg := range []string{"msp", "psp"} {
		v, ok := regs[reg]
		if !ok && reg == "msp" {
			v, ok = regs["sp"]
		}
		if !ok || v == 0 || !readable(uint64(v)) {
			continue
		}
		w, _ := p.stackWindow(uint64(v), reg == "msp")
		if limit := uint64(v) + firstStackAbove; w.End() > limit {
			w.Size = limit - w.Addr
		}
		out = append(out, w)
	}
	if p.img != nil {
		lowest := MemRange{}
		for _, s := range p.img.Sections() {
			if s.Loaded && !s.Write && s.Size > 0 && (lowest.Size == 0 || s.Addr < lowest.Addr) {
				lowest = MemRange{Addr: s.Addr, Size: min(s.Size, flashSampleSize)}
			}
		}
		if lowest.Size > 0 {
			out = append(out, lowest)
		}
	}
	return out
}
