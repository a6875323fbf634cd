/* SPDX-License-Identifier: MIT */
/*
 * A sample guest's entry points at EL1: _start (vCPU 0, where the host
 * sets the first PC: the image's first byte) and secondary_entry (a vCPU
 * started by the guest's PSCI CPU_ON, x0 = the call's context). Each vCPU
 * takes the stack of its MPIDR affinity-0 number; vCPU 0 clears .bss.
 */
#define STACK_SHIFT 14	/* 16 KiB per vCPU */
#define MAX_VCPUS 4

	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	/* x1 = this vCPU's index; clobbers x9, x10. */
	.macro	cpu_setup
	msr	daifset, #0xf
	mrs	x1, mpidr_el1
	and	x1, x1, #0xff
	cmp	x1, #MAX_VCPUS
	b.hs	.Lpark
	adr_l	x9, __stacks_start
	add	x10, x1, #1
	add	x9, x9, x10, lsl #STACK_SHIFT
	mov	sp, x9
	adr_l	x9, guest_vectors
	msr	vbar_el1, x9
	mov	x9, #(3 << 20)		/* CPACR_EL1.FPEN: FP/SIMD at EL1 */
	msr	cpacr_el1, x9
	isb
	.endm

	.section .text.entry, "ax"
	.globl	_start
_start:
	cpu_setup
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	bl	guest_main
	b	.Lpark

	.globl	secondary_entry
secondary_entry:
	mov	x19, x0
	cpu_setup
	mov	x0, x19
	bl	guest_secondary_main
.Lpark:
	wfi
	b	.Lpark

/* Any exception at EL1 is a guest bug: report it and power off. */
	.macro	vec kind
	.balign	0x80
	mov	x0, #\kind
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	b	guest_exception
	.endm

	.balign	0x800
guest_vectors:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vec	\k
	.endr

/* u64 guest_hvc(fn, a1, a2, a3): SMCCC through HVC #0, result in x0. */
	.text
	.globl	guest_hvc
guest_hvc:
	hvc	#0
	ret

/* u64 guest_smc(fn, a1, a2, a3): the same through SMC #0 (it traps). */
	.globl	guest_smc
guest_smc:
	smc	#0
	ret
