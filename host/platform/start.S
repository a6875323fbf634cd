/* SPDX-License-Identifier: MIT */
/*
 * The host kernel's entry points at EL1 (corevisor erets here): _start on
 * the boot CPU with x0 = the DTB, host_secondary_start on a CPU the host
 * started with PSCI CPU_ON, x0 = that call's context (the CPU index).
 */
#include <baremetal/asm.h>

#define STACK_SHIFT 14	/* 16 KiB per CPU */

	/* CPU \cpu: its index in TPIDR_EL1, stack, vectors. Clobbers x9, x10. */
	.macro	setup cpu
	msr	tpidr_el1, \cpu
	percpu_sp \cpu, host_stacks, STACK_SHIFT, x9, x10
	el1_vbar_fpen host_vectors, x9
	.endm

	.section .text.entry, "ax"
	.globl	_start
_start:
	mov	x19, x0
	clear_bss
	mov	x20, #0
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
	el1_report_vectors host_vectors, host_exception

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
