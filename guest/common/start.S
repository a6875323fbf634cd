/* SPDX-License-Identifier: MIT */
/*
 * A sample guest's entry points at EL1: _start (vCPU 0, where the host
 * sets the first PC: the image's first byte) and secondary_entry (a vCPU
 * started by the guest's PSCI CPU_ON, x0 = the call's context). Each vCPU
 * takes the stack of its MPIDR affinity-0 number; vCPU 0 clears .bss.
 */
#include <baremetal/asm.h>

#define STACK_SHIFT 14	/* 16 KiB per vCPU */
#define MAX_VCPUS 4

	/* x1 = this vCPU's index; clobbers x9, x10. */
	.macro	cpu_setup
	msr	daifset, #0xf
	mrs	x1, mpidr_el1
	and	x1, x1, #0xff
	cmp	x1, #MAX_VCPUS
	b.hs	.Lpark
	percpu_sp x1, __stacks_start, STACK_SHIFT, x9, x10
	el1_vbar_fpen guest_vectors, x9
	.endm

	.section .text.entry, "ax"
	.globl	_start
_start:
	cpu_setup
	clear_bss
	bl	guest_main
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
	el1_report_vectors guest_vectors, guest_exception

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
