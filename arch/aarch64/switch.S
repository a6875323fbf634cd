/* SPDX-License-Identifier: MIT */
/*
 * The world switch's system-register half (arch/aarch64/vcpu.c): one
 * context's EL1 state, its ERET state and its virtual timer saved into,
 * or loaded from, a struct cv_ctxt (core/include/cv/state.h), in pairs.
 * The same two routines serve the host (a per-CPU context) and a vCPU
 * (its shadow context).
 *
 * el2_ctxt_save(ctxt) reads
 *   regs[SP] = SP_EL0, regs[PC] = ELR_EL2, regs[PSTATE] = SPSR_EL2,
 *   regs[SP_EL1], regs[ELR_EL1], regs[SPSR_EL1],
 *   regs[CSSELR_EL1 .. MDSCR_EL1] (the registers of those names),
 *   cntv_ctl, cntv_cval = CNTV_CTL_EL0, CNTV_CVAL_EL0;
 * el2_ctxt_restore(ctxt) writes all of them back, and VMPIDR_EL2 =
 * regs[MPIDR_EL1] (what EL1 reads as MPIDR_EL1: never changed by the
 * context itself, so never saved). vcpu.c checks the offsets below
 * against struct cv_ctxt.
 */
#define R(i)		((i) * 8)
#define R_SP		31	/* SP, PC, PSTATE, SP_EL1, ELR_EL1, SPSR_EL1 */
#define R_MPIDR		47	/* MPIDR_EL1, CSSELR_EL1 .. MDSCR_EL1 (68) */
#define CTXT_TIMER	1112	/* cntv_ctl, cntv_cval */
#define S(i)		(((i) - R_MPIDR) * 8)	/* from regs[MPIDR_EL1] */

	.section .text
	.globl	el2_ctxt_save
el2_ctxt_save:
	mrs	x2, sp_el0
	mrs	x3, elr_el2
	stp	x2, x3, [x0, #R(R_SP)]
	mrs	x2, spsr_el2
	mrs	x3, sp_el1
	stp	x2, x3, [x0, #R(R_SP + 2)]
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [x0, #R(R_SP + 4)]
	add	x1, x0, #R(R_MPIDR)
	mrs	x2, csselr_el1
	mrs	x3, sctlr_el1
	stp	x2, x3, [x1, #S(48)]
	mrs	x2, actlr_el1
	mrs	x3, cpacr_el1
	stp	x2, x3, [x1, #S(50)]
	mrs	x2, ttbr0_el1
	mrs	x3, ttbr1_el1
	stp	x2, x3, [x1, #S(52)]
	mrs	x2, tcr_el1
	mrs	x3, esr_el1
	stp	x2, x3, [x1, #S(54)]
	mrs	x2, afsr0_el1
	mrs	x3, afsr1_el1
	stp	x2, x3, [x1, #S(56)]
	mrs	x2, far_el1
	mrs	x3, mair_el1
	stp	x2, x3, [x1, #S(58)]
	mrs	x2, vbar_el1
	mrs	x3, contextidr_el1
	stp	x2, x3, [x1, #S(60)]
	mrs	x2, tpidr_el0
	mrs	x3, tpidrro_el0
	stp	x2, x3, [x1, #S(62)]
	mrs	x2, tpidr_el1
	mrs	x3, amair_el1
	stp	x2, x3, [x1, #S(64)]
	mrs	x2, cntkctl_el1
	mrs	x3, par_el1
	stp	x2, x3, [x1, #S(66)]
	mrs	x2, mdscr_el1
	str	x2, [x1, #S(68)]
	add	x1, x0, #CTXT_TIMER
	mrs	x2, cntv_ctl_el0
	mrs	x3, cntv_cval_el0
	stp	x2, x3, [x1]
	ret

	.globl	el2_ctxt_restore
el2_ctxt_restore:
	ldp	x2, x3, [x0, #R(R_SP)]
	msr	sp_el0, x2
	msr	elr_el2, x3
	ldp	x2, x3, [x0, #R(R_SP + 2)]
	msr	spsr_el2, x2
	msr	sp_el1, x3
	ldp	x2, x3, [x0, #R(R_SP + 4)]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	add	x1, x0, #R(R_MPIDR)
	ldp	x2, x3, [x1, #S(47)]
	msr	vmpidr_el2, x2
	msr	csselr_el1, x3
	ldp	x2, x3, [x1, #S(49)]
	msr	sctlr_el1, x2
	msr	actlr_el1, x3
	ldp	x2, x3, [x1, #S(51)]
	msr	cpacr_el1, x2
	msr	ttbr0_el1, x3
	ldp	x2, x3, [x1, #S(53)]
	msr	ttbr1_el1, x2
	msr	tcr_el1, x3
	ldp	x2, x3, [x1, #S(55)]
	msr	esr_el1, x2
	msr	afsr0_el1, x3
	ldp	x2, x3, [x1, #S(57)]
	msr	afsr1_el1, x2
	msr	far_el1, x3
	ldp	x2, x3, [x1, #S(59)]
	msr	mair_el1, x2
	msr	vbar_el1, x3
	ldp	x2, x3, [x1, #S(61)]
	msr	contextidr_el1, x2
	msr	tpidr_el0, x3
	ldp	x2, x3, [x1, #S(63)]
	msr	tpidrro_el0, x2
	msr	tpidr_el1, x3
	ldp	x2, x3, [x1, #S(65)]
	msr	amair_el1, x2
	msr	cntkctl_el1, x3
	ldp	x2, x3, [x1, #S(67)]
	msr	par_el1, x2
	msr	mdscr_el1, x3
	add	x1, x0, #CTXT_TIMER
	ldp	x2, x3, [x1]
	msr	cntv_cval_el0, x3
	msr	cntv_ctl_el0, x2
	ret
