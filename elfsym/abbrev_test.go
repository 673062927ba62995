package elfsym

import (
	"context"
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"reflect"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// abbrevFixture is two abbreviation tables: the first with a multi-byte
// code and a DW_FORM_implicit_const, the second naming a DIE in another
// unit (DW_FORM_ref_addr).
var abbrevFixture = []byte{
	0x01, 0x11, 0x01, // code 1: compile unit, children
	0x03, 0x08, // name, string
	0x11, 0x01, // low_pc, addr
	0x12, 0x06, // high_pc, data4
	0x00, 0x00,
	0x81, 0x01, 0x2e, 0x00, // code 129: subprogram, no children
	0x03, 0x21, 0x7d, // name, implicit_const -3
	0x3a, 0x0b, // decl_file, data1
	0x00, 0x00,
	0x00,             // end of the first table (offset 23)
	0x01, 0x1d, 0x00, // code 1: inlined subroutine
	0x31, 0x10, // abstract_origin, ref_addr
	0x00, 0x00,
	0x00,
}

// parseAbbrevsRef and crossUnitRefsRef read abbreviations one checked
// byte at a time, as parseAbbrevs and crossUnitRefs did before they
// decoded in place: the tests hold the fast ones to their answers.
func parseAbbrevsRef(b []byte, off uint64) (map[uint64]skimAbbrev, error) {
	if off >= uint64(len(b)) {
		return nil, fmt.Errorf("past the end")
	}
	r := &cfiReader{b: b, pos: int(off)}
	out := map[uint64]skimAbbrev{}
	for r.err == nil {
		code := r.uleb()
		if code == 0 {
			break
		}
		a := skimAbbrev{tag: dwarf.Tag(r.uleb()), children: r.u8() != 0}
		for r.err == nil {
			attr, form := r.uleb(), r.uleb()
			if attr == 0 && form == 0 {
				break
			}
			sa := skimAttr{attr: dwarf.Attr(attr), form: uint32(form)}
			if form == formImplicitConst {
				sa.imm = r.sleb()
			}
			a.attrs = append(a.attrs, sa)
		}
		out[code] = a
	}
	return out, r.err
}

func crossUnitRefsRef(abbrev []byte) bool {
	r := &cfiReader{b: abbrev}
	for r.pos < len(r.b) && r.err == nil {
		if r.uleb() == 0 {
			continue
		}
		r.uleb()
		r.u8()
		for r.err == nil {
			attr, form := r.uleb(), r.uleb()
			if attr == 0 && form == 0 {
				break
			}
			switch {
			case form == 0x10, form == 0x1f20:
				return true
			case form == 0x20: // ref_sig8: only a type unit's type attributes stay in the unit
				if attr != 0x1d && attr != 0x49 && attr != 0x69 {
					return true
				}
			case form == formImplicitConst:
				r.sleb()
			}
		}
	}
	return r.err != nil
}

// tableAsMap lists t's abbreviations by code.
func tableAsMap(t *abbrevTable) map[uint64]skimAbbrev {
	out := map[uint64]skimAbbrev{}
	for code, a := range t.dense {
		if a != nil {
			out[uint64(code)] = skimAbbrev{tag: a.tag, children: a.children, attrs: append([]skimAttr(nil), a.attrs...)}
		}
	}
	for code, a := range t.sparse {
		out[code] = skimAbbrev{tag: a.tag, children: a.children, attrs: append([]skimAttr(nil), a.attrs...)}
	}
	return out
}

// checkAbbrevs compares parseAbbrevs and crossUnitRefs with the reference
// readers on b, at offset off.
func checkAbbrevs(t *testing.T, what string, b []byte, off uint64) {
	t.Helper()
	want, werr := parseAbbrevsRef(b, off)
	got, gerr := parseAbbrevs(b, off)
	switch {
	case (werr != nil) != (gerr != nil):
		t.Errorf("%s: parseAbbrevs error %v, reference %v", what, gerr, werr)
	case gerr == nil && !reflect.DeepEqual(tableAsMap(got), want):
		t.Errorf("%s: parseAbbrevs %+v, reference %+v", what, tableAsMap(got), want)
	}
	if got, want := crossUnitRefs(b[off:]), crossUnitRefsRef(b[off:]); got != want {
		t.Errorf("%s: crossUnitRefs %v, reference %v", what, got, want)
	}
}

// Abbreviations decoded in place read as the checked reader reads them,
// in whole tables, in every table of real firmware and in tables cut
// short anywhere (an error, never a panic).
func TestAbbrevsDecodeAsTheCheckedReader(t *testing.T) {
	tab, err := parseAbbrevs(abbrevFixture, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]skimAbbrev{
		1:   {tag: dwarf.TagCompileUnit, children: true, attrs: []skimAttr{{dwarf.AttrName, 0x08, 0}, {dwarf.AttrLowpc, 0x01, 0}, {dwarf.AttrHighpc, 0x06, 0}}},
		129: {tag: dwarf.TagSubprogram, attrs: []skimAttr{{dwarf.AttrName, formImplicitConst, -3}, {dwarf.AttrDeclFile, 0x0b, 0}}},
	}
	if got := tableAsMap(tab); !reflect.DeepEqual(got, want) {
		t.Fatalf("fixture: %+v, want %+v", got, want)
	}
	if crossUnitRefs(abbrevFixture[:23]) {
		t.Error("first table: a cross-unit reference found")
	}
	if !crossUnitRefs(abbrevFixture) {
		t.Error("second table's DW_FORM_ref_addr not found")
	}
	// -fdebug-types-section: a DIE's type, a declaration's signature and a
	// member pointer's class live in type units, which the lazy path never
	// needs; anything else through a signature is a reference out.
	typeSigs := []byte{
		0x01, 0x34, 0x00, // code 1: variable
		0x49, 0x20, // type, ref_sig8
		0x00, 0x00,
		0x02, 0x02, 0x00, // code 2: class type
		0x69, 0x20, // signature, ref_sig8
		0x00, 0x00,
		0x03, 0x1f, 0x00, // code 3: pointer to member type
		0x1d, 0x20, // containing_type, ref_sig8
		0x00, 0x00,
		0x00,
	}
	if crossUnitRefs(typeSigs) || crossUnitRefsRef(typeSigs) {
		t.Error("type-unit signatures of a type, a class and a member pointer counted as cross-unit references")
	}
	specSig := []byte{0x01, 0x2e, 0x00, 0x47, 0x20, 0x00, 0x00, 0x00} // subprogram: specification, ref_sig8
	if !crossUnitRefs(specSig) || !crossUnitRefsRef(specSig) {
		t.Error("a DW_AT_specification through a signature not counted as a cross-unit reference")
	}
	for n := range len(abbrevFixture) {
		checkAbbrevs(t, fmt.Sprintf("fixture cut to %d bytes", n), abbrevFixture[:n+1], 0)
		if n < 22 {
			if _, err := parseAbbrevs(abbrevFixture[:n+1], 0); err == nil {
				t.Errorf("first table cut to %d bytes: no error", n+1)
			}
		}
	}
	checkAbbrevs(t, "second table", abbrevFixture, 23)

	for _, build := range []func(context.Context) (string, error){elfsymtest.Sample, elfsymtest.DWARF4} {
		path, err := build(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Section(".debug_abbrev").Data()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Every table: each starts after the 0 that ends the one before.
		tables := 0
		for off := 0; off < len(b); {
			checkAbbrevs(t, fmt.Sprintf("%s table at %#x", path, off), b, uint64(off))
			tables++
			next, _, _, ok := countAbbrevs(b, off)
			if !ok || next == 0 {
				break
			}
			r := &cfiReader{b: b, pos: off}
			for r.uleb() != 0 && r.err == nil {
				r.uleb()
				r.u8()
				for a, f := r.uleb(), r.uleb(); (a != 0 || f != 0) && r.err == nil; a, f = r.uleb(), r.uleb() {
					if f == formImplicitConst {
						r.sleb()
					}
				}
			}
			off = r.pos
		}
		if tables < 2 {
			t.Errorf("%s: %d abbreviation tables read", path, tables)
		}
	}
}

// crossUnitRefs reads one-byte attribute and form pairs without a LEB128
// loop: on every slice of tables that mix one-byte and longer codes,
// attributes and forms (GNU attributes such as DW_AT_GNU_locviews are two
// bytes, as is DW_FORM_GNU_ref_alt), and of a real firmware's tables, it
// answers as the checked reader does, including on the damage a slice
// starting or ending mid-table makes.
func TestCrossUnitRefsAsTheReferenceOnEverySlice(t *testing.T) {
	long := []byte{
		0x01, 0x11, 0x01, // code 1: compile unit, children
		0xb7, 0x42, 0x17, // GNU_locviews (0x2137), sec_offset
		0x03, 0x08, // name, string
		0x00, 0x00,
		0x82, 0x01, 0x2e, 0x01, // code 130: subprogram, children
		0x03, 0xa1, 0x3e, // name, GNU_strp_alt (0x1f21): not a reference out
		0x3a, 0x21, 0xff, 0x7f, // decl_file, implicit_const -1 (two bytes)
		0x00, 0x00,
		0x00,             // end of the table
		0x01, 0x1d, 0x00, // code 1: inlined subroutine
		0x31, 0xa0, 0x3e, // abstract_origin, GNU_ref_alt (0x1f20)
		0x00, 0x00,
		0x00,
	}
	check := func(what string, b []byte) {
		t.Helper()
		for lo := range len(b) {
			for hi := lo; hi <= len(b); hi++ {
				if got, want := crossUnitRefs(b[lo:hi]), crossUnitRefsRef(b[lo:hi]); got != want {
					t.Fatalf("%s[%d:%d]: crossUnitRefs %v, reference %v", what, lo, hi, got, want)
				}
			}
		}
	}
	if crossUnitRefs(long[:24]) {
		t.Error("first table: DW_FORM_GNU_strp_alt taken for a reference out")
	}
	if !crossUnitRefs(long) {
		t.Error("second table's DW_FORM_GNU_ref_alt not found")
	}
	check("two-byte fixture", long)
	check("fixture", abbrevFixture)
	path, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := f.Section(".debug_abbrev").Data()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := crossUnitRefs(b), crossUnitRefsRef(b); got != want {
		t.Errorf("%s: crossUnitRefs %v, reference %v", path, got, want)
	}
	check("sample's first 300 bytes", b[:min(len(b), 300)])
}
