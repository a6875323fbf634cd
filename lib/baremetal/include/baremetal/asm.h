/* SPDX-License-Identifier: MIT */
/*
 * Assembler macros the bare-metal images share: corevisor at EL2
 * (arch/aarch64, and the bench's EL2 floors), the host kernel and the
 * sample guests at EL1. Read by the assembler only.
 */
#ifndef BAREMETAL_ASM_H
#define BAREMETAL_ASM_H

/* Assembler, not C: */
/* clang-format off */

/* \reg = the address of \sym (PC-relative, within 4 GiB). */
	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

/*
 * Zero [__bss_start, __bss_end), both 8-byte aligned by the linker
 * script. Clobbers x1, x2.
 */
	.macro	clear_bss
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
.Lclear_bss\@:
	cmp	x1, x2
	b.hs	.Lclear_bss_done\@
	str	xzr, [x1], #8
	b	.Lclear_bss\@
.Lclear_bss_done\@:
	.endm

/*
 * sp = the top of CPU \idx's stack in an array of (1 << \shift)-byte
 * stacks at \base: \base + ((\idx + 1) << \shift). \idx may be \t1 (it is
 * then incremented). Clobbers \t0, \t1.
 */
	.macro	percpu_sp idx, base, shift, t0, t1
	adr_l	\t0, \base
	add	\t1, \idx, #1
	add	\t0, \t0, \t1, lsl #\shift
	mov	sp, \t0
	.endm

/*
 * EL1: exceptions to \vectors, FP/SIMD not trapped (CPACR_EL1.FPEN = 3).
 * Clobbers \t.
 */
	.macro	el1_vbar_fpen vectors, t
	adr_l	\t, \vectors
	msr	vbar_el1, \t
	mov	\t, #(3 << 20)
	msr	cpacr_el1, \t
	isb
	.endm

/*
 * A VBAR_EL1 table \name whose 16 entries each report to
 * \handler(kind, ESR_EL1, ELR_EL1, FAR_EL1), kind the entry's index
 * (current EL SP0, current EL SPx, lower EL AArch64, lower EL AArch32;
 * each sync, irq, fiq, serror).
 */
	.macro	el1_report_vectors name, handler
	.balign	0x800
\name:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	0x80
	mov	x0, #\k
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	b	\handler
	.endr
	.endm

/*
 * \op (stp or ldp) the general registers x2..\last (\last: 17 or 29) in
 * pairs at [\base, #8 * n] for xn: a frame or context laid out as x0..x30.
 */
	.macro	xregs op, base, last
	.if	\last != 17 && \last != 29
	.error	"xregs: the last register is 17 or 29"
	.endif
	\op	x2, x3, [\base, #16]
	\op	x4, x5, [\base, #32]
	\op	x6, x7, [\base, #48]
	\op	x8, x9, [\base, #64]
	\op	x10, x11, [\base, #80]
	\op	x12, x13, [\base, #96]
	\op	x14, x15, [\base, #112]
	\op	x16, x17, [\base, #128]
	.if	\last == 29
	\op	x18, x19, [\base, #144]
	\op	x20, x21, [\base, #160]
	\op	x22, x23, [\base, #176]
	\op	x24, x25, [\base, #192]
	\op	x26, x27, [\base, #208]
	\op	x28, x29, [\base, #224]
	.endif
	.endm

/* \op (stp or ldp) V0..V31 as Q pairs at [\base, #16 * n] for Vn. */
	.macro	qregs op, base
	\op	q0, q1, [\base, #0]
	\op	q2, q3, [\base, #32]
	\op	q4, q5, [\base, #64]
	\op	q6, q7, [\base, #96]
	\op	q8, q9, [\base, #128]
	\op	q10, q11, [\base, #160]
	\op	q12, q13, [\base, #192]
	\op	q14, q15, [\base, #224]
	\op	q16, q17, [\base, #256]
	\op	q18, q19, [\base, #288]
	\op	q20, q21, [\base, #320]
	\op	q22, q23, [\base, #352]
	\op	q24, q25, [\base, #384]
	\op	q26, q27, [\base, #416]
	\op	q28, q29, [\base, #448]
	\op	q30, q31, [\base, #480]
	.endm

#endif
