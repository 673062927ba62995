package fault

// Regs is a register file r0..r15 with a mask of the values that are known.
type Regs struct {
	R     [16]uint32
	Known uint16
}

// Set records a known value.
func (r *Regs) Set(i int, v uint32) { r.R[i] = v; r.Known |= 1 << i }

// Get returns register i and whether it is known.
func (r Regs) Get(i int) (uint32, bool) { return r.R[i], r.Known&(1<<i) != 0 }

// Register numbers with a role.
const (
	RegFP = 7
	RegSP = 13
	RegLR = 14
	RegPC = 15
)

// RegNames are the core registers in r0..r15 order, as the report names them.
var RegNames = [16]string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc"}

// RegsFromFrame is the interrupted context: the stacked registers from ef,
// r4-r11 from outer (callee-saved, unchanged by the entry), SP after the frame.
func RegsFromFrame(outer Regs, ef ExceptionFrame) Regs {
	r := outer
	for i := range 4 {
		r.Set(i, ef.R[i])
	}
	r.Set(12, ef.R12)
	r.Set(RegLR, ef.LR)
	r.Set(RegPC, ef.PC)
	r.Set(RegSP, ef.SPBefore())
	return r
}
