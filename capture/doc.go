// Package capture writes and reads faultline's capture file: everything
// taken from a crashed Cortex-M target (registers, memory, and what was
// seen around the crash) in one file that stock gdb can also open.
//
// The package does file I/O only. It must not talk to a target, know about
// faults, or interpret memory: probe fills a Snapshot, faultdecode explains
// one.
//
// # The file format
//
// A capture file is an ELF core file: ELFCLASS32, ELFDATA2LSB, EV_CURRENT,
// EI_OSABI 0 (ELFOSABI_NONE), e_type ET_CORE (4), e_machine EM_ARM (40),
// e_flags 0, e_entry 0, no section headers (e_shoff, e_shnum 0). All
// numbers are little-endian. Laid out in this order:
//
//	offset 0    ELF header, 52 bytes
//	offset 52   program headers, 32 bytes each: first one PT_NOTE, then one
//	            PT_LOAD per memory region in ascending address order
//	            the notes (PT_NOTE's p_offset, p_filesz bytes)
//	            each region's bytes (PT_LOAD's p_offset, p_filesz bytes),
//	            every segment starting at a 4-byte aligned offset; no
//	            padding after the last one, so the file ends with data
//
// The notes come first so that a file cut short still has its registers and
// metadata.
//
// A PT_LOAD has p_vaddr = p_paddr = the region's address, p_filesz =
// p_memsz = its length (never 0), p_align 4, and p_flags PF_R|PF_X for a
// flash sample and PF_R|PF_W for every other region (RAM wherever it lies,
// CCM at 0x10000000 too; peripherals; the System Control Space). Regions
// do not overlap and lie below 2^32.
//
// The PT_NOTE segment holds three notes, each the usual ELF note (namesz,
// descsz, type as 32-bit words; the name with its NUL; the descriptor; name
// and descriptor each padded to 4 bytes), in this order:
//
//  1. name "CORE", type NT_PRSTATUS (1), 148 bytes: 32-bit ARM Linux's
//     struct elf_prstatus, which BFD and gdb recognise by that size. Offset
//     0 si_signo = 11 (SIGSEGV), 12 pr_cursig = 11 (16 bits), 24 pr_pid = 1,
//     72 pr_reg: 18 words r0..r12, sp (r13), lr (r14), pc (r15), xPSR in
//     the cpsr slot, orig_r0 = 0; 144 pr_fpvalid = 0. Everything else 0.
//     A register the snapshot lacks is written as 0.
//
//  2. name "FAULTLINE", type NoteTypeFaultline (0x464c0001), a JSON object
//     (UTF-8, no NUL): Meta's fields plus "registers" and "regions".
//
//  3. name "GDB", type NT_GDB_TDESC (0xff000000, binutils'
//     include/elf/common.h), a NUL-terminated gdb target description XML
//     with architecture "arm" and one feature, org.gnu.gdb.arm.m-profile
//     (r0..r12, sp, lr, pc regnum 0..15, xpsr regnum 25).
//
// The FAULTLINE note's JSON, with every field present:
//
//	{
//	  "schema": "faultline.capture/v1",
//	  "elf": {"path": "...", "build_id": "hex", "sha256": "hex"},
//	  "board": "netduino2",
//	  "trigger": {"kind": "fault-handler", "detail": "..."},
//	  "captured_at": "2026-11-26T03:30:00.123456789Z",
//	  "target": "openocd 127.0.0.1:3333",
//	  "stop_reply": "T05",
//	  "missing": ["what could not be read, in words"],
//	  "serial": [{"time": "2026-11-26T03:29:59Z", "text": "console line"}],
//	  "led": [{"time": "...", "r": 1, "g": 0, "b": 0.5, "pattern": "sos"}],
//	  "timeline": [{"time": "...", "kind": "wifi-drop", "detail": "..."}],
//	  "extra": {"key": "value"},
//	  "registers": {"r0": 0, "pc": 134220306, "xpsr": 553648131, "msp": 537001936},
//	  "regions": [{"name": "ram", "addr": 536870912, "size": 131072}]
//	}
//
// Times are RFC 3339 with nanoseconds. // Empty fields are left out. Register values and region addresses are JSON
// numbers (unsigned 32-bit). "registers" is the whole register set as read
// (the system registers msp, psp, primask, basepri, faultmask, control have
// no slot in NT_PRSTATUS); "regions" names the PT_LOAD segments (matched by
// address) and lets a reader see which ones a truncated file lost. Text
// that is not valid UTF-8 (serial noise) is stored with U+FFFD in place of
// the bad bytes, as encoding/json does.
//
// # Reading
//
// Decode takes the registers from the FAULTLINE note and falls back to
// NT_PRSTATUS when the note is absent or not JSON, so a core written by
// gdb's gcore also decodes (with no metadata). It ignores section headers
// and any notes it does not know.
//
// A damaged file is read as far as it goes: Decode returns a Snapshot with
// every complete note and every region (a region cut short keeps the bytes
// that are there) together with a *TruncatedError (the file ends early) or
// a *CorruptError (parts make no sense), and writes the same problems into
// Meta.Missing so a report made from the Snapshot says what is gone. Only a
// file that is not a 32-bit little-endian ARM ELF core gives a nil
// Snapshot and a *FormatError ("not a faultline capture: ...").
//
// # Writing
//
// Write is atomic: it writes ".<name>.tmp-*" in the destination directory,
// fsyncs it, renames it over the final name and fsyncs the directory; on
// any error the temporary file is removed, so the final name holds either
// the previous file or the whole new one.
//
// # gdb
//
// Checked with gdb-multiarch 13.1 (see gdb_test.go):
//
//	gdb-multiarch -batch -nx app.elf -ex 'core-file crash.core' -ex bt
//	gdb-multiarch -batch -nx -ex 'core-file crash.core' -ex 'info registers'
//
// Both load the core with no "set architecture". gdb reports "Program
// terminated with signal SIGSEGV", shows r0..pc and xpsr, and reads the
// captured memory (memory outside the regions reads from app.elf when it
// is loaded, otherwise "Cannot access memory"). The NT_GDB_TDESC note is
// what makes gdb treat the core as M-profile: without it gdb names the
// status register cpsr and, without the ELF, does not unwind exception
// frames. The tdesc deliberately omits org.gnu.gdb.arm.m-system (msp,
// psp, ...): gdb 13 cannot take those values from a core, and when the
// tdesc declares them bt stops with "Register 91 is not available".
//
// bt walks from the pc through the callers (by the ELF's CFI) and through
// exception frames stacked on the main stack (EXC_RETURN 0xFFFFFFF1 or
// 0xFFFFFFF9): stopped in HardFault_Handler it shows the handler,
// "<signal handler called>", the faulting function and its callers. A
// frame stacked on the process stack (EXC_RETURN 0xFFFFFFFD, an RTOS
// thread) cannot be unwound by gdb from a core, because it needs psp:
// bt stops after "<signal handler called>" with "Could not fetch required
// XPSR content". faultline analyze reads psp from the FAULTLINE note
// and unwinds it, and `faultline serve CAPTURE` (gdbremote/coreserver)
// gives gdb psp over the remote protocol: there `target remote` and bt
// walk both stacks. The root package's cmd_gdb_test.go and
// cmd_serve_test.go check both ways on crash-lab captures: bt names the
// report's functions.
package capture
