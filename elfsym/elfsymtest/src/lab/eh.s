/* eh.s: one function whose CFI is only in .eh_frame (zR, pc-relative
 * pointers), as clang -funwind-tables and Rust write it elsewhere. */
	.syntax unified
	.thumb
	.cfi_sections .eh_frame
	.text
	.global eh_func
	.type eh_func, %function
	.thumb_func
eh_func:
	.cfi_startproc
	push {r4, r5, lr}
	.cfi_def_cfa_offset 12
	.cfi_offset lr, -4
	.cfi_offset r5, -8
	.cfi_offset r4, -12
	sub sp, sp, #20
	.cfi_def_cfa_offset 32
	bl leaf
	add sp, sp, #20
	.cfi_def_cfa_offset 12
	pop {r4, r5, pc}
	.cfi_endproc
	.size eh_func, .-eh_func
