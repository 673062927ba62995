// Package unwindlab is the second crash lab: small firmware written the way
// other teams write it (CMSIS register structs, assembly startup, static
// helpers the compiler inlines or tail-calls, a command shell, a driver
// table, a state machine), built with gcc and with clang/LLVM at -O0, -Os,
// -O2, -O3 and with LTO, for QEMU's mps2-an385 (Cortex-M3), mps2-an505
// (Cortex-M33) and microbit (Cortex-M0).
//
// expected.json holds the true call chain of each crash, from the source;
// the test (unwindlab_test.go) crashes every variant under stock gdb and
// under `faultline capture` through firmware/internal/gdbcompare and holds
// both against it. README.md has one line per program.
package unwindlab
