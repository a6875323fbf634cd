/* SPDX-License-Identifier: MIT */
/*
 * The floors of the EL2 benchmarks, measured in the same boot as
 * corevisor's own figures. Two vector tables whose lower-EL AArch64
 * synchronous entry is a bare path; every other entry goes on to
 * corevisor's. Each is installed by the bench's host_smc wrapper
 * (el2_bench.c) on the host's request; x0 == BENCH_BARE_OFF in the
 * trapping HVC puts corevisor's vectors back (one compare-and-branch).
 *
 * bench_bare_vectors, the floor of a host hypercall round trip: save
 * x0..x30 on the EL2 stack, restore them, eret. 38 instructions (sub, 15
 * stp + str, b to the body as corevisor's vectors do, cmp, b.eq, 15 ldp +
 * ldr, add, eret).
 *
 * bench_ws_vectors, one bare world switch: the trap, then a save of every
 * register corevisor's world switch moves (arch/aarch64/vcpu.c) and a
 * restore of all of them, eret: x0..x30 (EL2 stack); ELR_EL2, SPSR_EL2
 * (the PC and PSTATE), VTTBR_EL2, HCR_EL2; SP_EL0 and the EL1 system
 * registers SP_EL1, ELR_EL1, SPSR_EL1, CSSELR, SCTLR, ACTLR, CPACR,
 * TTBR0, TTBR1, TCR, ESR, AFSR0, AFSR1, FAR, MAIR, VBAR, CONTEXTIDR,
 * TPIDR_EL0, TPIDRRO_EL0, TPIDR_EL1, AMAIR, CNTKCTL, PAR, MDSCR and
 * VMPIDR_EL2; CNTV_CTL_EL0, CNTV_CVAL_EL0; V0..V31, FPSR, FPCR (a
 * static area: the bench runs on one CPU). It restores what it saved
 * (the host's own values, so the host goes on), which costs what
 * restoring another context costs. 175 instructions: the bare trap's
 * 38, the area's address (2), 32 system registers saved and restored in
 * pairs (16 x (2 mrs + stp) and 16 x (ldp + 2 msr) = 96), FP/SIMD (16
 * stp + 16 ldp of Q pairs, FPSR/FPCR 3 + 3, the area's FP offset 1 =
 * 39). A guest exit to the host and back is two world switches (guest
 * -> host, host -> guest): its floor is twice this.
 *
 * bench/qemu_bench.py checks each measured count against these lengths,
 * which validates the PMU method.
 */
#include <baremetal/asm.h>

#define BENCH_BARE_OFF 0x7e
#define FRAME (32 * 8)

	.macro	other kind
	.balign	0x80
	b	el2_vectors + \kind * 0x80
	.endm

	/*
	 * Vector table \name: entry 8 (lower EL, AArch64, synchronous) saves
	 * x0, x1 and goes to \body, every other one to corevisor's.
	 */
	.macro	bench_vectors name, body
	.section .text.bench_vectors, "ax"
	.balign	0x800
	.globl	\name
\name:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7
	other	\k
	.endr
	.balign	0x80
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	b	\body
	.irp	k, 9, 10, 11, 12, 13, 14, 15
	other	\k
	.endr
	.endm

	bench_vectors bench_bare_vectors, bench_bare_body
	bench_vectors bench_ws_vectors, bench_ws_body

	.section .text
bench_bare_body:
	xregs	stp, sp, 29
	str	x30, [sp, #240]
	cmp	x0, #BENCH_BARE_OFF
	b.eq	bench_bare_off
bench_bare_restore:
	ldp	x0, x1, [sp, #0]
	xregs	ldp, sp, 29
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME
	eret

bench_bare_off:
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	isb
	b	bench_bare_restore

bench_ws_body:
	xregs	stp, sp, 29
	str	x30, [sp, #240]
	cmp	x0, #BENCH_BARE_OFF
	b.eq	bench_bare_off
	adr_l	x0, bench_ws_area
	/* save: EL2 return state, stage 2 and traps, EL1, timer */
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [x0, #0]
	mrs	x1, vttbr_el2
	mrs	x2, hcr_el2
	stp	x1, x2, [x0, #16]
	mrs	x1, sp_el0
	mrs	x2, sp_el1
	stp	x1, x2, [x0, #32]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [x0, #48]
	mrs	x1, csselr_el1
	mrs	x2, sctlr_el1
	stp	x1, x2, [x0, #64]
	mrs	x1, actlr_el1
	mrs	x2, cpacr_el1
	stp	x1, x2, [x0, #80]
	mrs	x1, ttbr0_el1
	mrs	x2, ttbr1_el1
	stp	x1, x2, [x0, #96]
	mrs	x1, tcr_el1
	mrs	x2, esr_el1
	stp	x1, x2, [x0, #112]
	mrs	x1, afsr0_el1
	mrs	x2, afsr1_el1
	stp	x1, x2, [x0, #128]
	mrs	x1, far_el1
	mrs	x2, mair_el1
	stp	x1, x2, [x0, #144]
	mrs	x1, vbar_el1
	mrs	x2, contextidr_el1
	stp	x1, x2, [x0, #160]
	mrs	x1, tpidr_el0
	mrs	x2, tpidrro_el0
	stp	x1, x2, [x0, #176]
	mrs	x1, tpidr_el1
	mrs	x2, amair_el1
	stp	x1, x2, [x0, #192]
	mrs	x1, cntkctl_el1
	mrs	x2, par_el1
	stp	x1, x2, [x0, #208]
	mrs	x1, mdscr_el1
	mrs	x2, vmpidr_el2
	stp	x1, x2, [x0, #224]
	mrs	x1, cntv_ctl_el0
	mrs	x2, cntv_cval_el0
	stp	x1, x2, [x0, #240]
	/* save: FP/SIMD */
	add	x3, x0, #272
	qregs	stp, x3
	mrs	x1, fpsr
	mrs	x2, fpcr
	stp	x1, x2, [x0, #256]
	/* restore: FP/SIMD */
	qregs	ldp, x3
	ldp	x1, x2, [x0, #256]
	msr	fpsr, x1
	msr	fpcr, x2
	/* restore: timer, EL1, stage 2 and traps, EL2 return state */
	ldp	x1, x2, [x0, #240]
	msr	cntv_cval_el0, x2
	msr	cntv_ctl_el0, x1
	ldp	x1, x2, [x0, #224]
	msr	mdscr_el1, x1
	msr	vmpidr_el2, x2
	ldp	x1, x2, [x0, #208]
	msr	cntkctl_el1, x1
	msr	par_el1, x2
	ldp	x1, x2, [x0, #192]
	msr	tpidr_el1, x1
	msr	amair_el1, x2
	ldp	x1, x2, [x0, #176]
	msr	tpidr_el0, x1
	msr	tpidrro_el0, x2
	ldp	x1, x2, [x0, #160]
	msr	vbar_el1, x1
	msr	contextidr_el1, x2
	ldp	x1, x2, [x0, #144]
	msr	far_el1, x1
	msr	mair_el1, x2
	ldp	x1, x2, [x0, #128]
	msr	afsr0_el1, x1
	msr	afsr1_el1, x2
	ldp	x1, x2, [x0, #112]
	msr	tcr_el1, x1
	msr	esr_el1, x2
	ldp	x1, x2, [x0, #96]
	msr	ttbr0_el1, x1
	msr	ttbr1_el1, x2
	ldp	x1, x2, [x0, #80]
	msr	actlr_el1, x1
	msr	cpacr_el1, x2
	ldp	x1, x2, [x0, #64]
	msr	csselr_el1, x1
	msr	sctlr_el1, x2
	ldp	x1, x2, [x0, #48]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x1, x2, [x0, #32]
	msr	sp_el0, x1
	msr	sp_el1, x2
	ldp	x1, x2, [x0, #16]
	msr	vttbr_el2, x1
	msr	hcr_el2, x2
	ldp	x1, x2, [x0, #0]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldp	x0, x1, [sp, #0]
	xregs	ldp, sp, 29
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME
	eret

	.bss
	.balign	16
bench_ws_area:
	.space	784
