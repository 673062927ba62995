package gdbremote

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// RegisterNames lists the registers of target.xml, lower-case, in regnum order.
func (cl *Client) RegisterNames() []string {
	names := make([]string, len(cl.desc.Registers))
	for i, r := range cl.desc.Registers {
		names[i] = r.Name
	}
	return names
}

// HasRegister reports whether target.xml lists the register (any case).
// QEMU 7.2, for one, has no msp/psp.
func (cl *Client) HasRegister(name string) bool {
	_, ok := cl.desc.Lookup(name)
	return ok
}

// decodeRegister reads a little-endian hex register value. 'x' digits mean
// the stub cannot tell the value.
func decodeRegister(hex []byte) (uint64, error) {
	if len(hex) > 16 {
		return 0, fmt.Errorf("%d-byte register does not fit 64 bits", len(hex)/2)
	}
	if strings.ContainsAny(string(hex), "xX") {
		return 0, errors.New("value unavailable")
	}
	b, err := DecodeHex(hex)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func encodeRegister(v uint64, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		if i < 8 {
			b[i] = byte(v >> (8 * i))
		}
	}
	return EncodeHex(b)
}

// ReadRegisters reads every register of target.xml that fits 64 bits: the
// 'g' packet first, laid out in regnum order until the reply runs out
// (OpenOCD and QEMU 10 send 17 registers), then 'p' for the rest. 'p' is
// only ever sent for a regnum target.xml lists: OpenOCD drops the
// connection on any other. Registers the stub reports as unavailable are
// left out. Only connection-level failures are errors.
func (cl *Client) ReadRegisters(ctx context.Context) (map[string]uint64, error) {
	return cl.ReadRegistersWhere(ctx, nil)
}

// ReadRegistersWhere is ReadRegisters that asks with 'p' only for the
// registers keep accepts (nil: all): each 'p' is a round trip, which a
// slow debug link makes milliseconds, so a caller that drops the FP
// registers should not ask for them. What 'g' brings is kept whole.
func (cl *Client) ReadRegistersWhere(ctx context.Context, keep func(Register) bool) (map[string]uint64, error) {
	reply, err := cl.exchange(ctx, "read registers (g)", []byte("g"))
	if err != nil {
		return nil, err
	}
	vals, covered := cl.parseG(reply)
	for _, r := range cl.desc.Registers[covered:] {
		if r.Bytes() > 8 || (keep != nil && !keep(r)) {
			continue
		}
		v, err := cl.readP(ctx, r)
		if err != nil {
			var re *RemoteError
			if errors.As(err, &re) || errors.Is(err, ErrUnsupported) || strings.Contains(err.Error(), "value unavailable") {
				continue
			}
			return vals, err
		}
		vals[r.Name] = v
	}
	return vals, nil
}

// parseG splits a 'g' reply along the register map. covered is how many
// registers (in regnum order) the reply held.
func (cl *Client) parseG(reply []byte) (map[string]uint64, int) {
	vals := map[string]uint64{}
	off, covered := 0, 0
	for _, r := range cl.desc.Registers {
		n := 2 * r.Bytes()
		if off+n > len(reply) {
			break
		}
		if r.Bytes() <= 8 {
			if v, err := decodeRegister(reply[off : off+n]); err == nil {
				vals[r.Name] = v
			}
		}
		off += n
		covered++
	}
	return vals, covered
}

func (cl *Client) readP(ctx context.Context, r Register) (uint64, error) {
	op := fmt.Sprintf("read register %s (p%x)", r.Name, r.Regnum)
	reply, err := cl.exchange(ctx, op, fmt.Appendf(nil, "p%x", r.Regnum))
	if err != nil {
		return 0, err
	}
	if len(reply) < 2*r.Bytes() {
		return 0, fmt.Errorf("%s: reply %q shorter than %d bits", op, truncate(reply), r.Bitsize)
	}
	v, err := decodeRegister(reply[:2*r.Bytes()])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// ReadRegister reads one register by name with 'p', falling back to 'g'
// when the stub does not support 'p'.
func (cl *Client) ReadRegister(ctx context.Context, name string) (uint64, error) {
	r, ok := cl.desc.Lookup(name)
	if !ok {
		return 0, fmt.Errorf("read register %s: %w", name, ErrNoRegister)
	}
	v, err := cl.readP(ctx, r)
	if errors.Is(err, ErrUnsupported) {
		vals, gerr := cl.ReadRegisters(ctx)
		if gerr != nil {
			return 0, gerr
		}
		if v, ok := vals[r.Name]; ok {
			return v, nil
		}
	}
	return v, err
}

// WriteRegister writes one register with 'P n=value'.
func (cl *Client) WriteRegister(ctx context.Context, name string, v uint64) error {
	r, ok := cl.desc.Lookup(name)
	if !ok {
		return fmt.Errorf("write register %s: %w", name, ErrNoRegister)
	}
	op := fmt.Sprintf("write register %s (P%x)", r.Name, r.Regnum)
	req := fmt.Appendf(nil, "P%x=%s", r.Regnum, encodeRegister(v, r.Bytes()))
	reply, err := cl.exchange(ctx, op, req)
	if err != nil {
		return err
	}
	if string(reply) != "OK" {
		return fmt.Errorf("%s: unexpected reply %q", op, truncate(reply))
	}
	return nil
}
