#!/usr/bin/env bash
# verify.sh: boot crash programs in QEMU under gdb-multiarch and print what
# really happens (fault handler, CFSR, HFSR, MMFAR, BFAR, backtrace, console).
# This is how expected.json was checked; rerun it after changing a program.
#   ./verify.sh [board [program...]]
set -euo pipefail
cd "$(dirname "$0")"
make -s
boards=${1:-"netduino2 mps2-an385"}
shift || true
programs=${*:-$(cd programs && ls | sed "s/\.c.*//" | sort)}
port=$((20000 + RANDOM % 20000))
for b in $boards; do
  for p in $programs; do
    elf=build/$b/$p.elf
    out=$(mktemp)
    qemu-system-arm -M "$b" -display none -monitor none -nodefaults \
      -serial "file:$out" -kernel "$elf" -S -gdb "tcp:127.0.0.1:$port" &
    qpid=$!
    sleep 0.3
    echo "=== $p on $b"
    timeout 20 gdb-multiarch -q -nx -batch "$elf" \
      -ex "set pagination off" \
      -ex "target remote 127.0.0.1:$port" \
      -ex "break HardFault_Handler" -ex "break MemManage_Handler" \
      -ex "break BusFault_Handler" -ex "break UsageFault_Handler" \
      -ex "break NMI_Handler" \
      -ex "continue" \
      -ex 'printf "CFSR=%08x HFSR=%08x MMFAR=%08x BFAR=%08x SHCSR=%08x\n", *(unsigned*)0xE000ED28, *(unsigned*)0xE000ED2C, *(unsigned*)0xE000ED34, *(unsigned*)0xE000ED38, *(unsigned*)0xE000ED24' \
      -ex 'printf "lr=%08x msp=%08x psp=%08x xpsr=%08x\n", $lr, $msp, $psp, $xpsr' \
      -ex 'printf "frame: pc=%08x lr=%08x\n", ((unsigned*)(($lr & 4) ? $psp : $msp))[6], ((unsigned*)(($lr & 4) ? $psp : $msp))[5]' \
      -ex "bt" 2>&1 | grep -v "^Breakpoint [0-9] at\|^warning: No executable" || true
    kill "$qpid" 2>/dev/null || true
    wait "$qpid" 2>/dev/null || true
    echo "--- console:"; cat "$out"; rm -f "$out"
    port=$((port + 1))
  done
done
