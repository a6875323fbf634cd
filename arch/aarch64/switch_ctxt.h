/* SPDX-License-Identifier: MIT */
/*
 * ctxt_save / ctxt_restore: one context's ERET state, SP_EL0, EL1 system
 * registers and virtual timer, moved in pairs (switch.S's save_host,
 * restore_vm, save_vm, restore_host). Shared with the EL2 bench's
 * like-for-like world-switch floor (bench/qemu/el2_bare.S), so that the
 * floor moves exactly the registers the real switch moves. Read by the
 * assembler only; offsets in switch.h.
 */
#ifndef ARCH_SWITCH_CTXT_H
#define ARCH_SWITCH_CTXT_H

/* clang-format off */

	.macro	ctxt_save base, t0, t1, t2
	mrs	\t0, sp_el0
	mrs	\t1, elr_el2
	stp	\t0, \t1, [\base, #CTXT_SP]
	mrs	\t0, spsr_el2
	mrs	\t1, sp_el1
	stp	\t0, \t1, [\base, #CTXT_SP + 16]
	mrs	\t0, elr_el1
	mrs	\t1, spsr_el1
	stp	\t0, \t1, [\base, #CTXT_SP + 32]
	add	\t2, \base, #CTXT_MPIDR
	mrs	\t0, csselr_el1
	mrs	\t1, sctlr_el1
	stp	\t0, \t1, [\t2, #8]
	mrs	\t0, actlr_el1
	mrs	\t1, cpacr_el1
	stp	\t0, \t1, [\t2, #24]
	mrs	\t0, ttbr0_el1
	mrs	\t1, ttbr1_el1
	stp	\t0, \t1, [\t2, #40]
	mrs	\t0, tcr_el1
	mrs	\t1, esr_el1
	stp	\t0, \t1, [\t2, #56]
	mrs	\t0, afsr0_el1
	mrs	\t1, afsr1_el1
	stp	\t0, \t1, [\t2, #72]
	mrs	\t0, far_el1
	mrs	\t1, mair_el1
	stp	\t0, \t1, [\t2, #88]
	mrs	\t0, vbar_el1
	mrs	\t1, contextidr_el1
	stp	\t0, \t1, [\t2, #104]
	mrs	\t0, tpidr_el0
	mrs	\t1, tpidrro_el0
	stp	\t0, \t1, [\t2, #120]
	mrs	\t0, tpidr_el1
	mrs	\t1, amair_el1
	stp	\t0, \t1, [\t2, #136]
	mrs	\t0, cntkctl_el1
	mrs	\t1, par_el1
	stp	\t0, \t1, [\t2, #152]
	mrs	\t0, mdscr_el1
	str	\t0, [\t2, #168]
	add	\t2, \base, #CTXT_TIMER
	mrs	\t0, cntv_ctl_el0
	mrs	\t1, cntv_cval_el0
	stp	\t0, \t1, [\t2]
	.endm

	.macro	ctxt_restore base, t0, t1, t2
	ldp	\t0, \t1, [\base, #CTXT_SP]
	msr	sp_el0, \t0
	msr	elr_el2, \t1
	ldp	\t0, \t1, [\base, #CTXT_SP + 16]
	msr	spsr_el2, \t0
	msr	sp_el1, \t1
	ldp	\t0, \t1, [\base, #CTXT_SP + 32]
	msr	elr_el1, \t0
	msr	spsr_el1, \t1
	add	\t2, \base, #CTXT_MPIDR
	ldp	\t0, \t1, [\t2, #0]
	msr	vmpidr_el2, \t0
	msr	csselr_el1, \t1
	ldp	\t0, \t1, [\t2, #16]
	msr	sctlr_el1, \t0
	msr	actlr_el1, \t1
	ldp	\t0, \t1, [\t2, #32]
	msr	cpacr_el1, \t0
	msr	ttbr0_el1, \t1
	ldp	\t0, \t1, [\t2, #48]
	msr	ttbr1_el1, \t0
	msr	tcr_el1, \t1
	ldp	\t0, \t1, [\t2, #64]
	msr	esr_el1, \t0
	msr	afsr0_el1, \t1
	ldp	\t0, \t1, [\t2, #80]
	msr	afsr1_el1, \t0
	msr	far_el1, \t1
	ldp	\t0, \t1, [\t2, #96]
	msr	mair_el1, \t0
	msr	vbar_el1, \t1
	ldp	\t0, \t1, [\t2, #112]
	msr	contextidr_el1, \t0
	msr	tpidr_el0, \t1
	ldp	\t0, \t1, [\t2, #128]
	msr	tpidrro_el0, \t0
	msr	tpidr_el1, \t1
	ldp	\t0, \t1, [\t2, #144]
	msr	amair_el1, \t0
	msr	cntkctl_el1, \t1
	ldp	\t0, \t1, [\t2, #160]
	msr	par_el1, \t0
	msr	mdscr_el1, \t1
	add	\t2, \base, #CTXT_TIMER
	ldp	\t0, \t1, [\t2]
	msr	cntv_cval_el0, \t1
	msr	cntv_ctl_el0, \t0
	.endm

#endif
