package elfsym

import (
	"fmt"
	"maps"

	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// DWARF call frame instructions (DWARF 5 section 6.4.2).
const (
	cfaAdvanceLoc        = 0x40 // high two bits
	cfaOffset            = 0x80
	cfaRestore           = 0xc0
	cfaNop               = 0x00
	cfaSetLoc            = 0x01
	cfaAdvanceLoc1       = 0x02
	cfaAdvanceLoc2       = 0x03
	cfaAdvanceLoc4       = 0x04
	cfaOffsetExtended    = 0x05
	cfaRestoreExtended   = 0x06
	cfaUndefined         = 0x07
	cfaSameValue         = 0x08
	cfaRegister          = 0x09
	cfaRememberState     = 0x0a
	cfaRestoreState      = 0x0b
	cfaDefCFA            = 0x0c
	cfaDefCFARegister    = 0x0d
	cfaDefCFAOffset      = 0x0e
	cfaDefCFAExpression  = 0x0f
	cfaExpression        = 0x10
	cfaOffsetExtendedSF  = 0x11
	cfaDefCFASF          = 0x12
	cfaDefCFAOffsetSF    = 0x13
	cfaValOffset         = 0x14
	cfaValOffsetSF       = 0x15
	cfaValExpression     = 0x16
	cfaGNUArgsSize       = 0x2e
	cfaGNUNegOffsetExtnd = 0x2f
)

// maxRememberDepth bounds DW_CFA_remember_state nesting; real compilers
// nest one or two deep.
const maxRememberDepth = 64

// A cfiRow is the rule set in effect at one address.
type cfiRow struct {
	cfa  frame.DWRule
	regs map[uint64]frame.DWRule
}

func (r cfiRow) clone() cfiRow {
	return cfiRow{cfa: r.cfa, regs: maps.Clone(r.regs)}
}

// rowAt runs the CIE's initial instructions and then the FDE's program up
// to pc and returns the row in effect at pc. Every malformed program is an
// error (never a panic, never a half-run row): an unknown opcode, an
// operand past the end, a restore_state without a remember_state, or no
// CFA rule at all.
func (f *fde) rowAt(pc uint64) (*frame.FrameContext, error) {
	return f.rowAtWith(pc, cfaQuirks{})
}

// rowAtWith is rowAt for a program with quirks q (realview.go).
func (f *fde) rowAtWith(pc uint64, q cfaQuirks) (*frame.FrameContext, error) {
	c := f.cie
	row := cfiRow{regs: map[uint64]frame.DWRule{}}
	if _, err := run(c, c.initial, &row, nil, 0, ^uint64(0), q); err != nil {
		return nil, fmt.Errorf("CIE at %#x: initial instructions: %w", c.off, err)
	}
	initial := row.clone()
	if _, err := run(c, f.insns, &row, &initial, f.begin, pc, q); err != nil {
		return nil, fmt.Errorf("FDE at %#x: %w", f.off, err)
	}
	switch row.cfa.Rule {
	case frame.RuleCFA:
		if row.cfa.Reg > 15 {
			return nil, fmt.Errorf("FDE at %#x: CFA based on r%d, not a core register", f.off, row.cfa.Reg)
		}
		if q.reversed {
			row.cfa.Offset = -row.cfa.Offset // the CFA is the register minus the offset
		}
	case frame.RuleExpression:
	default:
		return nil, fmt.Errorf("FDE at %#x: no CFA rule at %#x", f.off, pc)
	}
	return &frame.FrameContext{CFA: row.cfa, Regs: row.regs, RetAddrReg: c.raReg}, nil
}

// run executes insns on row until the location passes pc. initial is the
// CIE's row for DW_CFA_restore (nil while running the CIE itself). It
// returns the location reached.
func run(c *cie, insns []byte, row *cfiRow, initial *cfiRow, loc, pc uint64, q cfaQuirks) (uint64, error) {
	r := &cfiReader{b: insns}
	var stack []cfiRow
	setRule := func(reg uint64, rule frame.DWRule) { row.regs[reg] = rule }
	restore := func(reg uint64) {
		if initial == nil {
			delete(row.regs, reg)
			return
		}
		if rule, ok := initial.regs[reg]; ok {
			row.regs[reg] = rule
		} else {
			// Not in the CIE: the architecture's default, which on ARM
			// is "same value" (absent from the map).
			delete(row.regs, reg)
		}
	}
	advance := func(delta uint64) bool {
		next := loc + delta*c.codeAlign
		if next > pc {
			return false // the current row covers pc
		}
		loc = next
		return true
	}
	for r.pos < len(r.b) && r.err == nil {
		op := r.u8()
		switch op & 0xc0 {
		case cfaAdvanceLoc:
			if !advance(uint64(op & 0x3f)) {
				return loc, nil
			}
			continue
		case cfaOffset:
			setRule(uint64(op&0x3f), frame.DWRule{Rule: frame.RuleOffset, Offset: int64(r.uleb()) * c.dataAlign})
			continue
		case cfaRestore:
			if initial == nil {
				return loc, fmt.Errorf("DW_CFA_restore in a CIE")
			}
			restore(uint64(op & 0x3f))
			continue
		}
		switch op {
		case cfaNop:
		case cfaSetLoc:
			next := r.uint(c.addrSize)
			if r.err == nil && next > pc {
				return loc, nil
			}
			if next < loc {
				return loc, fmt.Errorf("DW_CFA_set_loc moves back from %#x to %#x", loc, next)
			}
			loc = next
		case cfaAdvanceLoc1, cfaAdvanceLoc2, cfaAdvanceLoc4:
			d := r.uint(1 << (op - cfaAdvanceLoc1)) // 1, 2 or 4 bytes
			if r.err == nil && !advance(d) {
				return loc, nil
			}
		case cfaOffsetExtended:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleOffset, Offset: int64(r.uleb()) * c.dataAlign})
		case cfaOffsetExtendedSF:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleOffset, Offset: r.sleb() * c.dataAlign})
		case cfaGNUNegOffsetExtnd:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleOffset, Offset: -int64(r.uleb()) * c.dataAlign})
		case cfaValOffset:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleValOffset, Offset: int64(r.uleb()) * c.dataAlign})
		case cfaValOffsetSF:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleValOffset, Offset: r.sleb() * c.dataAlign})
		case cfaRestoreExtended:
			if initial == nil {
				return loc, fmt.Errorf("DW_CFA_restore_extended in a CIE")
			}
			restore(r.uleb())
		case cfaUndefined:
			setRule(r.uleb(), frame.DWRule{Rule: frame.RuleUndefined})
		case cfaSameValue:
			delete(row.regs, r.uleb())
		case cfaRegister:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleRegister, Reg: r.uleb()})
		case cfaRememberState:
			if len(stack) >= maxRememberDepth {
				return loc, fmt.Errorf("DW_CFA_remember_state nested deeper than %d", maxRememberDepth)
			}
			stack = append(stack, row.clone())
		case cfaRestoreState:
			if len(stack) == 0 {
				return loc, fmt.Errorf("DW_CFA_restore_state without DW_CFA_remember_state")
			}
			*row = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case cfaDefCFA:
			reg := r.uleb()
			row.cfa = frame.DWRule{Rule: frame.RuleCFA, Reg: reg, Offset: q.offset(c, r.uleb())}
		case cfaDefCFASF:
			reg := r.uleb()
			row.cfa = frame.DWRule{Rule: frame.RuleCFA, Reg: reg, Offset: r.sleb() * c.dataAlign}
		case cfaDefCFARegister:
			reg := r.uleb()
			if row.cfa.Rule != frame.RuleCFA {
				return loc, fmt.Errorf("DW_CFA_def_cfa_register without a register CFA rule")
			}
			row.cfa.Reg = reg
		case cfaDefCFAOffset:
			off := q.offset(c, r.uleb())
			if row.cfa.Rule != frame.RuleCFA {
				return loc, fmt.Errorf("DW_CFA_def_cfa_offset without a register CFA rule")
			}
			row.cfa.Offset = off
		case cfaDefCFAOffsetSF:
			off := r.sleb() * c.dataAlign
			if row.cfa.Rule != frame.RuleCFA {
				return loc, fmt.Errorf("DW_CFA_def_cfa_offset_sf without a register CFA rule")
			}
			row.cfa.Offset = off
		case cfaDefCFAExpression:
			row.cfa = frame.DWRule{Rule: frame.RuleExpression, Expression: block(r)}
		case cfaExpression:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleExpression, Expression: block(r)})
		case cfaValExpression:
			reg := r.uleb()
			setRule(reg, frame.DWRule{Rule: frame.RuleValExpression, Expression: block(r)})
		case cfaGNUArgsSize:
			r.uleb()
		default:
			return loc, fmt.Errorf("unknown CFA instruction %#x at offset %d", op, r.pos-1)
		}
	}
	if r.err != nil {
		return loc, fmt.Errorf("CFA program: %w", r.err)
	}
	return loc, nil
}

// block reads a ULEB128 length and that many bytes.
func block(r *cfiReader) []byte {
	n := r.uleb()
	if r.err != nil || n > uint64(len(r.b)-r.pos) {
		r.fail("expression block runs past the program")
		return nil
	}
	b := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b
}
