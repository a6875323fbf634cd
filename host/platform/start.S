/* SPDX-License-Identifier: MIT */
/*
 * The host kernel's entry points at EL1 (corevisor erets here): _start on
 * the boot CPU with x0 = the DTB, host_secondary_start on a CPU the host
 * started with PSCI CPU_ON, x0 = that call's context (the CPU index).
 */
#define STACK_SHIFT 14	/* 16 KiB per CPU */

	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	.macro	setup cpu
	msr	tpidr_el1, \cpu
	adr_l	x9, host_stacks
	add	x10, \cpu, #1
	add	x9, x9, x10, lsl #STACK_SHIFT
	mov	sp, x9
	adr_l	x9, host_vectors
	msr	vbar_el1, x9
	mov	x9, #(3 << 20)		/* CPACR_EL1.FPEN: no FP traps */
	msr	cpacr_el1, x9
	isb
	.endm

	.section .text.entry, "ax"
	.globl	_start
_start:
	mov	x19, x0
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x20, #0
	setup	x20
	mov	x0, x19
	bl	host_main
	b	.

	.globl	host_secondary_start
host_secondary_start:
	setup	x0
	bl	host_secondary_main
	b	.

/* Any exception at EL1 is a host bug: report it. */
	.macro	vec kind
	.balign	0x80
	mov	x0, #\kind
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	b	host_exception
	.endm

	.balign	0x800
host_vectors:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vec	\k
	.endr

	.globl	hvc
hvc:
	hvc	#0
	ret

	.globl	host_smc
host_smc:
	smc	#0
	ret

	.bss
	.balign	4096
	.globl	host_stacks
host_stacks:
	.space	8 << STACK_SHIFT
