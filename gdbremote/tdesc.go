package gdbremote

// Target descriptions (target.xml): the register map every register access
// is built on. Parsed with encoding/xml; xi:include is followed through a
// fetch function so the parser itself does no I/O.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A Register is one <reg> of the target description.
type Register struct {
	Name    string // lower-cased: OpenOCD 0.12 says "xPSR", current master "xpsr"
	Regnum  int    // explicit regnum attribute, else previous+1
	Bitsize int
	Type    string
	Group   string
	Feature string // name of the enclosing <feature>
}

// Bytes is the register's size on the wire: sub-byte registers (primask,
// control) still take whole bytes.
func (r Register) Bytes() int { return (r.Bitsize + 7) / 8 }

// A TargetDesc is a parsed target description.
type TargetDesc struct {
	Architecture string
	Features     []string   // feature names in document order
	Registers    []Register // sorted by Regnum
	Includes     []string   // annexes pulled in by xi:include
}

// Lookup finds a register by (case-insensitive) name.
func (d *TargetDesc) Lookup(name string) (Register, bool) {
	name = strings.ToLower(name)
	for _, r := range d.Registers {
		if r.Name == name {
			return r, true
		}
	}
	return Register{}, false
}

// ByRegnum finds a register by number.
func (d *TargetDesc) ByRegnum(n int) (Register, bool) {
	for _, r := range d.Registers {
		if r.Regnum == n {
			return r, true
		}
	}
	return Register{}, false
}

// maxIncludeDepth bounds xi:include nesting (a stub could include itself).
const maxIncludeDepth = 4

// ParseTargetXML parses a target description. fetch returns the content of
// an annex named by xi:include; it may be nil when there are none.
func ParseTargetXML(data []byte, fetch func(annex string) ([]byte, error)) (*TargetDesc, error) {
	p := &tdescParser{desc: &TargetDesc{}, fetch: fetch}
	if err := p.parse(data, "target.xml", 0); err != nil {
		return nil, err
	}
	if len(p.desc.Registers) == 0 {
		return nil, errors.New("target.xml lists no registers")
	}
	slices.SortStableFunc(p.desc.Registers, func(a, b Register) int { return a.Regnum - b.Regnum })
	for i := 1; i < len(p.desc.Registers); i++ {
		if p.desc.Registers[i].Regnum == p.desc.Registers[i-1].Regnum {
			return nil, fmt.Errorf("target.xml: registers %q and %q share regnum %d",
				p.desc.Registers[i-1].Name, p.desc.Registers[i].Name, p.desc.Registers[i].Regnum)
		}
	}
	return p.desc, nil
}

type tdescParser struct {
	desc    *TargetDesc
	fetch   func(string) ([]byte, error)
	next    int // regnum for a <reg> without one
	feature string
}

func (p *tdescParser) parse(data []byte, annex string, depth int) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	// Target descriptions declare a DTD gdb ships; nothing to resolve.
	d.Entity = xml.HTMLEntity
	inArch := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("parse %s: %w", annex, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "architecture":
				inArch = true
			case "feature":
				p.feature = attr(t, "name")
				p.desc.Features = append(p.desc.Features, p.feature)
			case "reg":
				r, err := p.reg(t)
				if err != nil {
					return fmt.Errorf("parse %s: %w", annex, err)
				}
				p.desc.Registers = append(p.desc.Registers, r)
			case "include":
				href := attr(t, "href")
				if href == "" {
					return fmt.Errorf("parse %s: xi:include without href", annex)
				}
				if depth >= maxIncludeDepth {
					return fmt.Errorf("parse %s: xi:include of %s nested too deep", annex, href)
				}
				if p.fetch == nil {
					return fmt.Errorf("parse %s: xi:include of %s but no way to fetch it", annex, href)
				}
				sub, err := p.fetch(href)
				if err != nil {
					return fmt.Errorf("fetch %s (included from %s): %w", href, annex, err)
				}
				p.desc.Includes = append(p.desc.Includes, href)
				if err := p.parse(sub, href, depth+1); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if t.Name.Local == "architecture" {
				inArch = false
			}
		case xml.CharData:
			if inArch {
				p.desc.Architecture += strings.TrimSpace(string(t))
			}
		}
	}
}

func (p *tdescParser) reg(t xml.StartElement) (Register, error) {
	r := Register{
		Name:    strings.ToLower(attr(t, "name")),
		Type:    attr(t, "type"),
		Group:   attr(t, "group"),
		Feature: p.feature,
		Regnum:  p.next,
	}
	if r.Name == "" {
		return r, errors.New("<reg> without a name")
	}
	bs, err := strconv.Atoi(attr(t, "bitsize"))
	if err != nil || bs <= 0 || bs > 4096 {
		return r, fmt.Errorf("register %s: bad bitsize %q", r.Name, attr(t, "bitsize"))
	}
	r.Bitsize = bs
	if s := attr(t, "regnum"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1<<16 {
			return r, fmt.Errorf("register %s: bad regnum %q", r.Name, s)
		}
		r.Regnum = n
	}
	p.next = r.Regnum + 1
	return r, nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
