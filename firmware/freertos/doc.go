// Package freertos builds and describes the FreeRTOS sensor gateway in this
// directory: a small product-style application (tasks "net", "logger",
// "crunch" and a "dhcp" client, queues between them, a software timer, a
// sensor interrupt on CMSDK TIMER0) for QEMU's mps2-an385, on the vendored
// FreeRTOS-Kernel (firmware/third_party) with the GCC/ARM_CM3 port and
// heap_4. Tasks run on PSP; interrupts and the kernel's context switch run
// on the main stack at the top of the 4 MiB RAM (0x20400000).
//
// Each crash variant is one latent bug compiled in (-DCRASH=...), built at
// -O0, -Os and -O2: ELF(ctx, "isr-O2"). expected.json holds each variant's
// true call chain, checked against the source and, where it is right,
// against stock gdb's bt; freertos_test.go holds faultline to it.
//
// It is test machinery: it runs make and never ships in the tool.
package freertos
