#!/bin/sh
# Builds the faultline Zephyr coredump test app and records its console.
# Usage: build.sh NAME [EXTRA_CFLAGS]   (run from /work/zephyr-src)
set -e
name=$1; shift
export PATH=/usr/bin:$PATH ZEPHYR_BASE=$PWD/zephyr ZEPHYR_TOOLCHAIN_VARIANT=gnuarmemb GNUARMEMB_TOOLCHAIN_PATH=/usr
rm -rf build-$name
cmake -GNinja -B build-$name -S app -DBOARD=qemu_cortex_m3 \
	-DPython3_EXECUTABLE=/usr/bin/python3 \
	-DZEPHYR_MODULES=$PWD/modules/hal/cmsis \
	-DEXTRA_CFLAGS="$*" -Wno-dev > build-$name.cmake.log
ninja -C build-$name > build-$name.ninja.log
timeout 5 qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic -vga none \
	-monitor none -serial file:console-$name.log \
	-kernel build-$name/zephyr/zephyr.elf || true
