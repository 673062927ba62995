package gdbremote

import (
	"context"
	"errors"
	"fmt"
)

// Packet size arithmetic. PacketSize (qSupported, hex) is read here as the
// largest frame either side may send, counting the four framing bytes
// "$", "#" and the two checksum digits: the strictest reading, which every
// stub accepts (GDB itself subtracts a little for its terminating NUL).
//
//   - 'm' reply: 2 hex digits per byte, so one 'm' reads
//     (PacketSize-4)/2 bytes, rounded down to a multiple of 4 so word-sized
//     peripheral registers are never split across requests.
//     OpenOCD (0x4000): 8188 bytes; QEMU (0x1000): 2044 bytes.
//   - 'M' request: "M" + address (up to 16 hex digits) + "," + length (up to
//     8 hex digits) + ":" = at most 27 bytes of header, then 2 hex digits
//     per byte: (PacketSize-4-27)/2 rounded down to a multiple of 4.
//     OpenOCD: 8176 bytes; QEMU: 2032 bytes.
//
// Requests are not pipelined: the RSP has one request outstanding at a
// time (every stub answers in order, but none promises to read ahead, and
// QEMU drops bytes sent while its guest runs), and behind OpenOCD the time
// goes to the probe's own round trips, which a request sent early would
// not overlap. Fewer, larger requests and reading what matters first
// (probe's staged capture) are what a slow link rewards.
const (
	frameOverhead = 4
	mHeaderMax    = 27
)

// ReadChunk is the number of bytes one 'm' request asks for.
func (cl *Client) ReadChunk() int { return readChunk(cl.packetSize) }

// WriteChunk is the number of bytes one 'M' request carries.
func (cl *Client) WriteChunk() int { return writeChunk(cl.packetSize) }

func readChunk(packetSize int) int {
	return max(((packetSize-frameOverhead)/2)&^3, 4)
}

func writeChunk(packetSize int) int {
	return max(((packetSize-frameOverhead-mHeaderMax)/2)&^3, 4)
}

// ReadMemory reads n bytes at addr with 'm', in chunks that fit PacketSize.
// A short reply continues from where it stopped; on error the bytes read so
// far are returned with it. OpenOCD returns zeros for memory it could not
// read unless "gdb report_data_abort enable" is set (then E0E).
func (cl *Client) ReadMemory(ctx context.Context, addr uint64, n int) ([]byte, error) {
	return cl.readMemory(ctx, addr, n, cl.exchange)
}

// CanReadRunning reports whether the server reads memory without stopping
// a running target: OpenOCD does, through the debug port; QEMU stops on
// any byte (FACTS.md sections 2 and 3).
func (cl *Client) CanReadRunning() bool { return cl.stub == StubOpenOCD }

// ReadMemoryRunning is ReadMemory that leaves a running target running,
// where the server can (CanReadRunning; otherwise ErrUnsupported, and
// nothing is sent). If the target stops meanwhile, its stop reply is kept
// for WaitStop.
func (cl *Client) ReadMemoryRunning(ctx context.Context, addr uint64, n int) ([]byte, error) {
	if !cl.CanReadRunning() {
		return nil, fmt.Errorf("read memory 0x%08x without halting: %w (%s stops the target to read)", addr, ErrUnsupported, cl.stub)
	}
	return cl.readMemory(ctx, addr, n, cl.exchangeAnyState)
}

func (cl *Client) readMemory(ctx context.Context, addr uint64, n int,
	exchange func(ctx context.Context, op string, req []byte) ([]byte, error)) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("read memory 0x%x: negative length %d", addr, n)
	}
	out := make([]byte, 0, n)
	chunk := cl.ReadChunk()
	for len(out) < n {
		want := min(chunk, n-len(out))
		a := addr + uint64(len(out))
		op := fmt.Sprintf("read memory 0x%08x+%d", a, want)
		reply, err := exchange(ctx, op, fmt.Appendf(nil, "m%x,%x", a, want))
		if err != nil {
			if cl.stub == StubSTUtil && errors.Is(err, ErrUnsupported) {
				// st-util answers a failed read with an empty packet.
				err = fmt.Errorf("%w (st-util could not read it)", err)
			}
			return out, err
		}
		b, err := DecodeHex(reply)
		if err != nil {
			return out, fmt.Errorf("%s: %w", op, err)
		}
		if len(b) == 0 {
			return out, fmt.Errorf("%s: stub returned no bytes", op)
		}
		if len(b) > want {
			b = b[:want]
		}
		out = append(out, b...)
	}
	return out, nil
}

// WriteMemory writes data at addr with 'M', in chunks that fit PacketSize.
func (cl *Client) WriteMemory(ctx context.Context, addr uint64, data []byte) error {
	chunk := cl.WriteChunk()
	for off := 0; off < len(data); off += chunk {
		part := data[off:min(off+chunk, len(data))]
		a := addr + uint64(off)
		op := fmt.Sprintf("write memory 0x%08x+%d", a, len(part))
		req := fmt.Appendf(nil, "M%x,%x:%s", a, len(part), EncodeHex(part))
		reply, err := cl.exchange(ctx, op, req)
		if err != nil {
			return err
		}
		if string(reply) != "OK" {
			return fmt.Errorf("%s: unexpected reply %q", op, truncate(reply))
		}
	}
	return nil
}

// BreakKind is the Z/z packet type.
type BreakKind int

const (
	BreakSoftware BreakKind = 0
	BreakHardware BreakKind = 1
	WatchWrite    BreakKind = 2
	WatchRead     BreakKind = 3
	WatchAccess   BreakKind = 4
)

func (k BreakKind) String() string {
	switch k {
	case BreakSoftware:
		return "software breakpoint"
	case BreakHardware:
		return "hardware breakpoint"
	case WatchWrite:
		return "write watchpoint"
	case WatchRead:
		return "read watchpoint"
	case WatchAccess:
		return "access watchpoint"
	}
	return fmt.Sprintf("BreakKind(%d)", int(k))
}

// SetBreakpoint inserts a breakpoint or watchpoint (Z0-Z4). size is the
// Thumb instruction size (2 or 4) for breakpoints, the watched length for
// watchpoints. Kinds outside 0-4 are refused here: OpenOCD drops the
// connection on them.
func (cl *Client) SetBreakpoint(ctx context.Context, k BreakKind, addr uint64, size int) error {
	return cl.breakpoint(ctx, 'Z', "set", k, addr, size)
}

// ClearBreakpoint removes what SetBreakpoint inserted (z0-z4).
func (cl *Client) ClearBreakpoint(ctx context.Context, k BreakKind, addr uint64, size int) error {
	return cl.breakpoint(ctx, 'z', "clear", k, addr, size)
}

func (cl *Client) breakpoint(ctx context.Context, z byte, verb string, k BreakKind, addr uint64, size int) error {
	op := fmt.Sprintf("%s %s at 0x%08x", verb, k, addr)
	if k < BreakSoftware || k > WatchAccess {
		return fmt.Errorf("%s: kind must be 0-4", op)
	}
	if size <= 0 {
		return fmt.Errorf("%s: size %d", op, size)
	}
	reply, err := cl.exchange(ctx, op, fmt.Appendf(nil, "%c%d,%x,%x", z, int(k), addr, size))
	if err != nil {
		return err
	}
	if string(reply) != "OK" {
		return fmt.Errorf("%s: unexpected reply %q", op, truncate(reply))
	}
	return nil
}
