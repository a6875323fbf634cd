/* SPDX-License-Identifier: MIT */
/*
 * The floor of a host hypercall round trip, measured in the same boot as
 * corevisor's own: a vector table whose lower-EL AArch64 synchronous entry
 * saves x0..x30 on the EL2 stack, restores them and returns (one
 * compare-and-branch in between: x0 == BENCH_BARE_OFF puts corevisor's
 * vectors back). Every other entry goes on to corevisor's. Installed by
 * the bench's host_smc wrapper (el2_bench.c) on the host's request.
 *
 * The bare path is 38 instructions (sub, 15 stp + str, b to the body as
 * corevisor's vectors do, cmp, b.eq, 15 ldp + ldr, add, eret):
 * bench/qemu_bench.py checks the measured count against this, which
 * validates the PMU method.
 */
#define BENCH_BARE_OFF 0x7e
#define FRAME (32 * 8)

	.macro	other kind
	.balign	0x80
	b	el2_vectors + \kind * 0x80
	.endm

	.section .text.bench_vectors, "ax"
	.balign	0x800
	.globl	bench_bare_vectors
bench_bare_vectors:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7
	other	\k
	.endr
	/* 8: lower EL, AArch64, synchronous (body below: 0x80 bytes) */
	.balign	0x80
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	b	bench_bare_body
	.irp	k, 9, 10, 11, 12, 13, 14, 15
	other	\k
	.endr

	.section .text
bench_bare_body:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	cmp	x0, #BENCH_BARE_OFF
	b.eq	bench_bare_off
bench_bare_restore:
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME
	eret

bench_bare_off:
	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	isb
	b	bench_bare_restore
