#!/usr/bin/env bash
# setup.sh: install what faultline needs to build, test and run its demo.
#
# Idempotent: packages already present at a good version are left alone, so a
# second run does nothing but check. On Debian 12 QEMU 8+ comes from
# bookworm-backports (QEMU 7.2's gdbstub lacks msp/psp); on newer Debian or
# Ubuntu the default qemu-system-arm is recent enough.
set -euo pipefail

need_pkgs=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
           gdb-multiarch tmux binutils-arm-none-eabi clang lld)
min_qemu_major=8
min_go="1.26"

say()  { printf 'setup: %s\n' "$*"; }
fail() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

qemu_major() {
  command -v qemu-system-arm >/dev/null 2>&1 || { echo 0; return; }
  qemu-system-arm --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1
}

missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
qm=$(qemu_major)

if [ ${#missing[@]} -eq 0 ] && [ "${qm:-0}" -ge "$min_qemu_major" ]; then
  say "system packages present (qemu-system-arm $(qemu-system-arm --version | head -1 | awk '{print $4}'))"
else
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "apt-get not found. Install by hand: ${missing[*]} and qemu-system-arm >= $min_qemu_major"
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO="sudo"
    else
      fail "not root and no password-less sudo. Run as root, or install: ${missing[*]} qemu-system-arm(>=$min_qemu_major)"
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  codename=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")
  qemu_target=()
  if [ "$codename" = "bookworm" ]; then
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      say "adding bookworm-backports to apt sources (for QEMU >= $min_qemu_major)"
      echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
    qemu_target=(-t bookworm-backports)
  fi
  say "apt-get update"
  $SUDO apt-get update -q >/dev/null
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ "$(qemu_major)" -lt "$min_qemu_major" ]; then
    say "installing qemu-system-arm ${qemu_target[*]}"
    $SUDO apt-get install -y -q --no-install-recommends "${qemu_target[@]}" qemu-system-arm >/dev/null
  fi
fi

# Verify, and say exactly what is still wrong.
problems=()
for tool in arm-none-eabi-gcc arm-none-eabi-g++ arm-none-eabi-addr2line gdb-multiarch tmux qemu-system-arm clang ld.lld; do
  command -v "$tool" >/dev/null 2>&1 || problems+=("$tool not on PATH")
done
qm=$(qemu_major)
[ "${qm:-0}" -ge "$min_qemu_major" ] || problems+=("qemu-system-arm is version ${qm:-none}, need >= $min_qemu_major")
if ! command -v go >/dev/null 2>&1; then
  problems+=("go not found (need Go >= $min_go; https://go.dev/dl/)")
fi
if [ ${#problems[@]} -gt 0 ]; then
  for p in "${problems[@]}"; do printf 'setup: missing: %s\n' "$p" >&2; done
  exit 1
fi
say "ok: $(arm-none-eabi-gcc --version | head -1); $(qemu-system-arm --version | head -1); $(go version)"
