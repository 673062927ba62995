package symbolize

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/internal/lazyre"
	"github.com/faultline-dev/faultline/srcpath"
)

// parseAddr accepts 0x-prefixed or bare hex.
func ParseAddr(s string) (uint64, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil || h == "" {
		return 0, fmt.Errorf("bad address %q: want hex like 0x08000a12 or 08000a12", s)
	}
	return v, nil
}

// A Symbolizer formats elfsym answers for people.
type Symbolizer struct {
	im    *elfsym.Image
	dirs  []string          // srcpath.Dirs: the working directory
	shown map[string]string // showPath's answers: a firmware has few files and many addresses
	// recent holds showPath's last answers, looked at before shown: the
	// frames of one address and of the next mostly share files, and a
	// map lookup hashes the whole path (a tenth of answering thousands
	// of addresses).
	recent [4]struct{ file, shown string }
	next   int            // the entry of recent to replace
	frames []elfsym.Frame // appendText's, reused from address to address
}

// New symbolizes against im, showing files relative to the working
// directory when they are under it.
func New(im *elfsym.Image) *Symbolizer {
	return &Symbolizer{im: im, dirs: srcpath.Dirs()}
}

// showPath makes file relative to the working directory when under it
// (srcpath.Rel), remembering the answers: a firmware has few files and many
// addresses.
func (s *Symbolizer) showPath(file string) string {
	if file == "" {
		return "??"
	}
	for _, r := range s.recent {
		if r.file == file {
			return r.shown
		}
	}
	p, ok := s.shown[file]
	if !ok {
		p = s.rel(file)
	}
	s.recent[s.next] = struct{ file, shown string }{file, p}
	s.next = (s.next + 1) % len(s.recent)
	return p
}

// rel is showPath's answer for file, computed once.
func (s *Symbolizer) rel(file string) string {
	p := srcpath.Rel(file, s.dirs...)
	if s.shown == nil {
		s.shown = map[string]string{}
	}
	s.shown[file] = p
	return p
}

func (s *Symbolizer) where(f elfsym.Frame) string {
	return string(s.appendWhere(nil, f))
}

// appendWhere appends "function at file:line".
func (s *Symbolizer) appendWhere(b []byte, f elfsym.Frame) []byte {
	b = append(b, f.Function...)
	b = append(b, " at "...)
	b = append(b, s.showPath(f.File)...)
	b = append(b, ':')
	return strconv.AppendInt(b, int64(f.Line), 10)
}

// hexAddr formats addr as 0x%08x without fmt (symbolize prints thousands).
func hexAddr(addr uint64) string { return string(appendHexAddr(nil, addr)) }

func appendHexAddr(b []byte, addr uint64) []byte {
	const digits = "0123456789abcdef"
	n := 8 // digits: at least 8, more for a wider address
	for n < 16 && addr>>(4*n) != 0 {
		n++
	}
	b = append(b, '0', 'x')
	for i := n - 1; i >= 0; i-- {
		b = append(b, digits[addr>>(4*i)&0xf])
	}
	return b
}

// appendText appends the text answer for addr, a line each: the innermost
// frame first, then one "inlined into" line per enclosing frame. It
// appends to one buffer: with thousands of addresses, allocating strings
// per line was most of the run.
func (s *Symbolizer) appendText(b []byte, addr uint64) []byte {
	frames := s.im.AppendFrames(s.frames[:0], addr)
	s.frames = frames
	b = appendHexAddr(b, addr)
	b = append(b, ' ')
	if len(frames) == 0 {
		b = append(b, "??"...)
		if sym, off, ok := s.im.SymbolAt(addr); ok {
			b = fmt.Appendf(b, " (%s+%#x)", sym.Name, off)
		}
		return append(b, '\n')
	}
	if f := frames[0]; f.File == "" {
		// Symbol table only: say where in the function instead.
		if sym, off, ok := s.im.SymbolAt(addr); ok && sym.Func {
			b = fmt.Appendf(b, "%s+%#x (no line info)", f.Function, off)
		} else {
			b = append(append(b, f.Function...), " (no line info)"...)
		}
		return append(b, '\n')
	}
	b = append(s.appendWhere(b, frames[0]), '\n')
	for _, f := range frames[1:] {
		b = append(s.appendWhere(append(b, "  inlined into "...), f), '\n')
	}
	return b
}

// textBlock is how many addresses a worker of WriteText answers at a time:
// enough to amortise handing blocks around, few enough that their text
// (about 40 KB) fits buffers reused from block to block: fresh memory for
// every block's text cost more in page faults than the lookups.
const textBlock = 128

// textPerAddr is about the most text one address gives, but for deep
// inline chains: what writeTextSeq sizes its buffer by.
const textPerAddr = 256

// WriteText prints the text answer for each address. Many addresses are
// answered in blocks on every core (the image is safe for concurrent
// use), written in order as they are done.
func (s *Symbolizer) WriteText(w io.Writer, addrs []uint64) error {
	nblocks := (len(addrs) + textBlock - 1) / textBlock
	workers := min(runtime.GOMAXPROCS(0), nblocks)
	if workers <= 1 {
		return s.writeTextSeq(w, addrs)
	}
	type block struct {
		buf  []byte
		done chan struct{}
	}
	blocks := make([]block, nblocks)
	for i := range blocks {
		blocks[i].done = make(chan struct{})
	}
	// A worker takes a free buffer before it claims a block, so the block
	// the writer waits for always has one; a slow reader of the output
	// holds the workers back instead of making them keep it all.
	free := make(chan []byte, 2*workers)
	for range cap(free) {
		free <- make([]byte, 0, 64<<10)
	}
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		ws := &Symbolizer{im: s.im, dirs: s.dirs}
		wg.Go(func() {
			for {
				var buf []byte
				select {
				case buf = <-free:
				case <-stop:
					return
				}
				i := int(next.Add(1)) - 1
				if i >= nblocks {
					return
				}
				for _, a := range addrs[i*textBlock : min((i+1)*textBlock, len(addrs))] {
					buf = ws.appendText(buf, a)
				}
				blocks[i].buf = buf
				close(blocks[i].done)
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	for i := range blocks {
		<-blocks[i].done
		if _, err := w.Write(blocks[i].buf); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		free <- blocks[i].buf[:0]
		blocks[i].buf = nil
	}
	return nil
}

// writeTextSeq is WriteText on this goroutine. Its buffer is sized for
// the addresses, up to 64 KiB: 64 KiB for a command line's ten addresses
// was a large allocation, fresh pages from the heap, where a few hundred
// bytes do (0.3% of a warm symbolize on small firmware).
func (s *Symbolizer) writeTextSeq(w io.Writer, addrs []uint64) error {
	buf := make([]byte, 0, min(64<<10, textPerAddr*len(addrs)))
	for _, a := range addrs {
		if buf = s.appendText(buf, a); len(buf) >= 48<<10 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

type jsonFrame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Inlined  bool   `json:"inlined"`
}

type jsonAddr struct {
	Address string      `json:"address"`
	Frames  []jsonFrame `json:"frames"`
	// Symbol and Offset name the object covering an address in no function
	// (a table placed in .text, a global), as the text output's "?? (sym+off)".
	Symbol string `json:"symbol,omitempty"`
	Offset string `json:"offset,omitempty"`
}

// WriteJSON prints the answers as one JSON array.
func (s *Symbolizer) WriteJSON(w io.Writer, addrs []uint64) error {
	out := make([]jsonAddr, 0, len(addrs))
	for _, a := range addrs {
		ja := jsonAddr{Address: fmt.Sprintf("0x%08x", a), Frames: []jsonFrame{}}
		for _, f := range s.im.Frames(a) {
			ja.Frames = append(ja.Frames, jsonFrame{Function: f.Function, File: f.File, Line: f.Line, Inlined: f.Inlined})
		}
		if len(ja.Frames) == 0 {
			if sym, off, ok := s.im.SymbolAt(a); ok {
				ja.Symbol, ja.Offset = sym.Name, fmt.Sprintf("%#x", off)
			}
		}
		out = append(out, ja)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// codeWord finds candidate addresses in free text: 0x-prefixed hex, or a
// bare word of exactly 8 hex digits (how most fault dumps print registers).
var codeWord = lazyre.New(`\b(?:0[xX][0-9a-fA-F]{1,16}|[0-9a-fA-F]{8})\b`)

// AnnotateStream copies r to w line by line, flushing after each line so a live
// serial log keeps flowing, and appends " [...]" after each code address.
func (s *Symbolizer) AnnotateStream(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	for {
		line, rerr := br.ReadString('\n')
		if line != "" {
			if _, err := bw.WriteString(s.Annotate(line)); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("read stdin: %w", rerr)
		}
	}
}

// Annotate appends " [function at file:line]" after each code address in
// line; it is cheap enough for a console reader (probe.Symbolizer).
func (s *Symbolizer) Annotate(line string) string {
	locs := codeWord.FindAllStringIndex(line, -1)
	if locs == nil {
		return line
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		word := line[l[0]:l[1]]
		b.WriteString(line[last:l[1]])
		last = l[1]
		addr, err := ParseAddr(word)
		if err != nil || !s.im.IsCode(addr) {
			continue
		}
		frames := s.im.Frames(addr)
		if len(frames) == 0 {
			continue
		}
		b.WriteString(" [")
		for i, f := range frames {
			if i > 0 {
				b.WriteString(", inlined into ")
			}
			if f.File == "" {
				b.WriteString(f.Function)
			} else {
				b.WriteString(s.where(f))
			}
		}
		b.WriteString("]")
	}
	b.WriteString(line[last:])
	return b.String()
}
