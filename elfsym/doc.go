// Package elfsym indexes an ARM Cortex-M firmware ELF once and answers
// questions about code addresses in process: the covering symbol, the
// function and file:line, the chain of inlined calls (innermost first, like
// addr2line -fi), the CFI row for a pc (.debug_frame or .eh_frame), the
// ARM EHABI unwind rule for a pc (.ARM.exidx/.ARM.extab, read on first use
// and not saved with the index: ExidxRule), DWARF
// call sites (tail calls), the CPU architecture, sections, segments, the
// build id and the file's SHA-256, and the bytes the image puts in memory.
//
// It is a sibling of debug/elf and debug/dwarf: Open/NewImage build every
// index once (sorted slices searched by binary search), after which an Image
// is immutable and safe for concurrent use. Lookups allocate only the frames
// they return.
//
// OpenWith adds two ways to pay less than the whole index (answers are the
// same): Options.Lazy reads DWARF one compile unit at a time as lookups need
// it (unit ranges from .debug_aranges or the unit DIEs, Prepare builds the
// units a list of addresses needs in parallel, only their functions; an
// ELF whose units refer into each other, as LTO's do, is indexed whole), and
// Options.Cache loads the index saved by an earlier run (IndexCache;
// package indexcache keeps them on disk) instead of building it; the data
// and call-site indexes, built on first use, are saved the same way. The
// whole index a lazy image's second open has saved can be built away from
// the run (Options.Builder; SaveIndex is the work handed over).
//
// What it must not do: any I/O beyond reading the ELF, running external tools
// (addr2line is used only by tests and benchmarks), or panicking on bad input.
// A damaged or partial ELF gives either a one-line error saying where it is
// damaged (a *FormatError) or an Image that answers what it can and says what
// is missing in Warnings.
//
// Quirks it handles:
//   - Thumb: function symbols and code pointers carry bit 0; it is cleared on
//     STT_FUNC symbol values and on every lookup address.
//   - gcc 12 emits DWARF 5 (debug/dwarf reads it, including rnglists).
//   - C++ names come from DW_AT_linkage_name (followed through
//     DW_AT_abstract_origin and DW_AT_specification) and are demangled with
//     parameter lists, as addr2line -C prints them. Without one anywhere
//     on the chain (gcc's template instances over local types and
//     lambdas, extern "C" functions in a namespace) DW_AT_name is
//     qualified by the namespaces and classes enclosing the chain's last
//     DIE, as gdb prints it ("std::__sort<...>"; addr2line prints the bare
//     name); an anonymous class or a function ends the qualifier.
//   - EHABI index (exidx.go): found by section type SHT_ARM_EXIDX, not
//     name (STM32CubeIDE's scripts name it .ARM; gdb misses it), or
//     between __exidx_start and __exidx_end when a script put it inside
//     another section. Entries: inline and .ARM.extab compact models 0-2
//     and GNU personality routines' data (as gdb reads them); an extab
//     entry that starts before the function symbol holding pc is taken
//     for another's (no EXIDX_CANTUNWIND after assembly code), while
//     identical inline entries of adjacent functions, which the linker
//     merges, stay valid for all of them.
//   - CFI (cfi*.go) is parsed here, not by delve's pkg/dwarf/frame, which
//     misreads version 4 CIEs (clang, armclang, Rust) and panics on damaged
//     programs; rows are still returned as delve's *frame.FrameContext.
//     .debug_frame wins, .eh_frame ('zR', pc-relative pointers) fills in.
//     FDEs are sorted by start (gcc emits them per compilation unit). Every
//     CFA program is run once at Open: a damaged one is a warning and its
//     lookups fail instead of returning a wrong row.
//   - FDEs of functions the linker discarded sit at address 0 with their
//     original length; where flash starts at 0 they overlap real code. An
//     FDE at 0 is dropped unless a function starts there, and among FDEs
//     covering pc one that starts at a function symbol wins; one starting
//     before the function holding pc never does.
//   - clang's DWARF 5 places globals with DW_OP_addrx, which debug/dwarf
//     does not evaluate: it is resolved through .debug_addr and the unit's
//     DW_AT_addr_base (dwarf5.go). clang writes the abstract DIE of an
//     inlined function after its out-of-line copy, so static locals there
//     are named through a look-ahead.
//   - Call sites (callsites.go, built on first use): DWARF 5
//     DW_TAG_call_site and GNU DW_TAG_GNU_call_site; clang gives tail calls
//     only DW_AT_call_pc, so ReturnPC is the branch's address plus its
//     length. Sites inside discarded functions are dropped.
//   - CPUArch reads Tag_CPU_arch from .ARM.attributes (arch.go).
//   - With --gc-sections, DWARF and line sequences of discarded functions are
//     relocated to address 0; a range starting at 0 is kept only if a function
//     symbol really starts there. A function whose ranges all start there is
//     dropped with everything inside it: range lists of calls inlined into it
//     are relative to its section, so they read as small addresses of real
//     code (newlib's reent.o under gcc -O2).
//   - An inlined frame's Entry is its function's out-of-line copy's entry
//     (a kept copy: a discarded one's ranges are dropped), or, without one,
//     the inlined copy's own lowest address, so the function is a frame
//     there (the unwinder reads its first line at Entry).
//   - Inlined calls chain by DIE nesting, not by ranges: gcc's DWARF 4 can
//     give an inlined call a range list that reads as empty while calls
//     inlined into it have code (binutils chains the same way).
//   - Names of C++ frames without DW_AT_linkage_name (static initialisers)
//     stay the DWARF name; addr2line would substitute a symbol that starts
//     at the same address (see addr2line_test.go for every documented
//     difference from addr2line).
//   - Function symbols without .size (assembly) cover up to the next
//     function symbol in their section.
//   - ReadMemory serves both run addresses (sections) and load addresses
//     (PT_LOAD Paddr, e.g. .data's initial values in flash).
//   - debug/dwarf can return null entries forever on a damaged unit
//     header; the walk stops after more entries than .debug_info has bytes.
//   - An ELF without DWARF still answers Frames from the symbol table (File ""
//     and Line 0) and says so in Warnings.
//   - A lazily built unit decodes its line program in the mapped .debug_line
//     (linefast.go) and, built for a few addresses, keeps only the rows a
//     lookup at them finds, picked as they are read (linepick.go): a
//     firmware of one large unit has hundreds of thousands of rows. Line
//     programs it does not read plainly (DW_LNE_define_file, VLIW op
//     indexes, damage) go to debug/dwarf's LineReader as before.
//
// Data symbolization (globals.go, types.go, values.go): the first call to
// Variables, LookupVariable, LookupType or DataAt builds, once and under a
// sync.Once, an index of global and static variables (DW_TAG_variable with
// a DW_OP_addr location, C++ static members through DW_AT_specification,
// static locals named "function::name") and their types (structs, unions,
// arrays of any rank, pointers, enums, C++ classes with base classes and
// vtable pointers; typedefs and qualifiers resolved away; a declaration
// resolved to the complete type of the same name). DataAt names any address
// as a C expression ("g_server.clients[2]", "table[1].pos[1].y+1");
// FormatValue prints a typed object from any MemReader as gdb's print does.
// Objects DWARF does not describe fall back to the symbol table (untyped).
//
// Test images are built by the elfsymtest subpackage from embedded C/C++
// sources with arm-none-eabi-gcc (and, for the lab program, clang with
// ld.lld) and cached outside the tree.
package elfsym
