package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/elfsym"
)

func init() { commands = append(commands, newSymbolizeCmd) }

type symbolizeFlags struct {
	elf     string
	json    bool
	noCache bool
}

func newSymbolizeCmd() *cobra.Command {
	var f symbolizeFlags
	cmd := &cobra.Command{
		Use:   "symbolize --elf FILE [ADDR...]",
		Short: "Turn code addresses into function, file:line and inlined calls",
		Long: `symbolize looks addresses up in the firmware ELF's symbols and DWARF and prints,
for each, the function and source line, innermost first, followed by the
functions it is inlined into (like addr2line -fiC, but in one process with an
index built once).

ADDR is hex, with or without 0x; the Thumb bit (bit 0) is ignored. An address
in no function prints "??", with the covering symbol if there is one.

With no ADDR it reads text on stdin and copies it to stdout line by line,
appending " [function at file:line]" after every word that is a code address:
0x-prefixed hex, or a bare 8-digit hex word, that falls in an executable
section of the ELF. Nothing else is touched, so a serial log or a panic dump
can be piped through it as it arrives.

Files are shown relative to the current directory when they are under it;
--json gives them as recorded in DWARF.

Exit codes: 0 ok, 1 the ELF cannot be read, 2 usage (no --elf, bad address).`,
		Example: `  faultline symbolize --elf build/app.elf 0x08000a12 08000b31
  0x08000a12 net::Server::poll_clients() at src/server.cpp:36
  0x08000b31 leaf() at src/util.h:12
    inlined into run() at src/main.cpp:40

  faultline symbolize --elf build/app.elf --json 0x08000a12
  picocom -b 115200 /dev/ttyUSB0 | faultline symbolize --elf build/app.elf
  faultline symbolize --elf build/app.elf < crash-log.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.elf == "" {
				return usageError("--elf FILE is required (or elf = \"...\" in %s)", configFile)
			}
			addrs := make([]uint64, 0, len(args))
			for _, a := range args {
				v, err := parseAddr(a)
				if err != nil {
					return usageError("%v", err)
				}
				addrs = append(addrs, v)
			}
			if len(args) == 0 && f.json {
				return usageError("--json needs addresses on the command line (stdin mode annotates text)")
			}
			im, err := openImage(f.elf, f.noCache)
			if err != nil {
				return withExit(exitError, err)
			}
			defer im.Close()
			for _, w := range im.Warnings() {
				fmt.Fprintf(cmd.ErrOrStderr(), "faultline: warning: %s: %s\n", f.elf, w)
			}
			im.Prepare(addrs) // a lazy index builds what the addresses need at once
			sym := &symbolizer{im: im, cwd: cwd()}
			out := cmd.OutOrStdout()
			switch {
			case len(args) == 0:
				return sym.annotate(cmd.InOrStdin(), out)
			case f.json:
				return sym.writeJSON(out, addrs)
			default:
				return sym.writeText(out, addrs)
			}
		},
	}
	cmd.Flags().StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with symbols (and DWARF for file:line)")
	cmd.Flags().BoolVar(&f.json, "json", false, `print [{"address","frames":[{"function","file","line","inlined"}],"symbol","offset"}] (symbol+offset for an address in no function)`)
	addNoCacheFlag(cmd.Flags(), &f.noCache)
	return cmd
}

// parseAddr accepts 0x-prefixed or bare hex.
func parseAddr(s string) (uint64, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil || h == "" {
		return 0, fmt.Errorf("bad address %q: want hex like 0x08000a12 or 08000a12", s)
	}
	return v, nil
}

func cwd() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	return d
}

// symbolizer formats elfsym answers for people.
type symbolizer struct {
	im    *elfsym.Image
	cwd   string
	shown map[string]string // showPath's answers: a firmware has few files and many addresses
}

// showPath makes file relative to the working directory when under it.
func (s *symbolizer) showPath(file string) string {
	if file == "" {
		return "??"
	}
	if p, ok := s.shown[file]; ok {
		return p
	}
	p := file
	if s.cwd != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(s.cwd, file); err == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		}
	}
	if s.shown == nil {
		s.shown = map[string]string{}
	}
	s.shown[file] = p
	return p
}

func (s *symbolizer) where(f elfsym.Frame) string {
	return f.Function + " at " + s.showPath(f.File) + ":" + strconv.Itoa(f.Line)
}

// hexAddr formats addr as 0x%08x without fmt (symbolize prints thousands).
func hexAddr(addr uint64) string {
	var b [2 + 16]byte
	h := strconv.AppendUint(b[:0], addr, 16)
	n := len(h)
	out := make([]byte, 0, 2+max(8, n))
	out = append(out, "0x"...)
	for range 8 - n {
		out = append(out, '0')
	}
	return string(append(out, h...))
}

// lines gives the text answer for addr: the innermost frame first, then one
// "inlined into" line per enclosing frame.
func (s *symbolizer) lines(addr uint64) []string {
	frames := s.im.Frames(addr)
	head := hexAddr(addr) + " "
	if len(frames) == 0 {
		head += "??"
		if sym, off, ok := s.im.SymbolAt(addr); ok {
			head += fmt.Sprintf(" (%s+%#x)", sym.Name, off)
		}
		return []string{head}
	}
	if f := frames[0]; f.File == "" {
		// Symbol table only: say where in the function instead.
		if sym, off, ok := s.im.SymbolAt(addr); ok && sym.Func {
			return []string{head + fmt.Sprintf("%s+%#x (no line info)", f.Function, off)}
		}
		return []string{head + f.Function + " (no line info)"}
	}
	out := []string{head + s.where(frames[0])}
	for _, f := range frames[1:] {
		out = append(out, "  inlined into "+s.where(f))
	}
	return out
}

func (s *symbolizer) writeText(w io.Writer, addrs []uint64) error {
	bw := bufio.NewWriter(w)
	for _, a := range addrs {
		for _, l := range s.lines(a) {
			bw.WriteString(l)
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
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

func (s *symbolizer) writeJSON(w io.Writer, addrs []uint64) error {
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
var codeWord = regexp.MustCompile(`\b(?:0[xX][0-9a-fA-F]{1,16}|[0-9a-fA-F]{8})\b`)

// annotate copies r to w line by line, flushing after each line so a live
// serial log keeps flowing, and appends " [...]" after each code address.
func (s *symbolizer) annotate(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	for {
		line, rerr := br.ReadString('\n')
		if line != "" {
			if _, err := bw.WriteString(s.annotateLine(line)); err != nil {
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

func (s *symbolizer) annotateLine(line string) string {
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
		addr, err := parseAddr(word)
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
