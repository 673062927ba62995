// Package emu runs the emulated bench: QEMU (qemu-system-arm, machines
// netduino2 and mps2-an385) with its gdbstub on a free loopback port and the
// board's UARTs on ptys or other chardevs, and the emulated WiFi
// co-processor of the bundled firmware, and the schedule on which a
// device's network link is dropped and restored (Flap, for the demo and
// soak).
//
// What it must not do: speak GDB's protocol beyond what tests need (that is
// gdbremote), analyse crashes, or leave an emulator running: everything it
// starts it stops (Stop, the context passed to StartQEMU, and on Linux the
// kernel's parent-death signal when the Go process itself dies).
//
// Quirks of QEMU it handles:
//   - StartQEMU must not connect to find out whether the gdb port is up: a
//     connection stops a running guest, and it stays stopped after the probe
//     disconnects (observed with QEMU 10.0; a halted guest stays halted). On
//     Linux it looks for QEMU's listening socket in /proc/net/tcp and
//     /proc/PID/fd instead; other systems fall back to a connect probe and
//     so should start the guest Halted.
//   - The free port is found by binding port 0 and closing it, so another
//     process can take it before QEMU binds: QEMU then exits with "Failed to
//     find an available port: Address already in use", and StartQEMU retries
//     with a new port.
//   - "-serial pty" paths are only announced on QEMU's stdout ("char device
//     redirected to /dev/pts/N (label serialK)"); K is the index of the
//     -serial option, which maps them back to QEMUConfig.Serials.
//   - -nodefaults keeps QEMU from adding serial, monitor and network
//     backends of its own; mps2-an385 then warns that its NIC has no peer.
//   - QEMU does not model lockup: a fault in a fault handler aborts it
//     ("qemu: fatal: Lockup: can't escalate 3 to HardFault", SIGABRT) and it
//     dumps registers after that line; ExitErr reports the "qemu...:" line,
//     not the dump.
//   - QEMU runs in its own process group, and Stop kills the group.
package emu
