/* SPDX-License-Identifier: MIT */
/*
 * The world switch (the spec's CtxtSwitch, hardware half): arch_vcpu_run
 * (cv/arch.h), called by the core with the host's general registers in
 * the HVC trap frame (x0..x18, x30) and in callee-saved registers
 * (x19..x29, pushed here).
 *
 * u64 el2_world_switch(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt)
 * (called by arch_vcpu_run, vgic.c, around which the GIC's virtual CPU
 * interface and the timer doorbell are switched)
 *  save_host	the host's ERET state (ELR/SPSR_EL2), SP_EL0, EL1 system
 *		registers and virtual timer into this CPU's el2_percpu
 *  restore_vm	VTTBR_EL2 = @vttbr and the VM's HCR, MDCR, CPTR (TFP set:
 *		its FP/SIMD registers are loaded lazily), CNTHCTL, the VM's CNTVOFF;
 *		tlbi vmalle1 if another vCPU of the same VM ran here last;
 *		@ctxt's EL1 state, timer, PC and PSTATE; the guest vectors;
 *		@ctxt's X0..X30; eret
 *  exit	(el2_guest_vectors -> el2_guest_exit) X0..X30 into @ctxt,
 *		the host's vectors back. A first FP/SIMD access (EC 0x07):
 *		the host's V0-V31/FPSR/FPCR saved, the VM's loaded, TFP
 *		cleared, and back into the VM at the same instruction.
 *  save_vm	regs[EC], ESR_EL2, FAR_EL2, HPFAR_EL2 (0 for an interrupt),
 *		@ctxt's ERET, EL1 and timer state, the timer stopped, its
 *		FP/SIMD registers if it loaded them (the host's back)
 *  restore_host its stage 2 and traps, its ERET, EL1 and timer state
 * and returns the ARM_EXCEPTION_* kind of exit. Nothing of the host's or
 * corevisor's is in a register the VM can read: its general registers are
 * all loaded from @ctxt, its FP/SIMD registers trap until they are its.
 *
 * System registers move in pairs (ctxt_save, ctxt_restore: one context's
 * SP_EL0, ELR/SPSR_EL2 as regs[PC]/[PSTATE], SP/ELR/SPSR_EL1,
 * regs[CSSELR_EL1 .. MDSCR_EL1], CNTV_CTL/CVAL; restore also writes
 * VMPIDR_EL2 = regs[MPIDR_EL1], which the context cannot change). Offsets
 * in switch.h, checked by vcpu.c.
 */
#include <baremetal/asm.h>

#include "switch.h"
#include "switch_ctxt.h"

#define ARM_EXCEPTION_IRQ	0
#define ARM_EXCEPTION_EL1_SERROR 1
#define ARM_EXCEPTION_TRAP	2
#define ARM_EXCEPTION_IL	3
#define ESR_EC_FP		0x07
#define ESR_EC_ILLEGAL		0x0e
#define CPTR_TFP_BIT		10

	/* xregs moves a context's x<n> at [ctxt, #8 * n]. */
	.if	CTXT_X(2) != 16
	.error	"struct cv_ctxt's regs[] must start at offset 0"
	.endif

	.section .text
	.globl	el2_world_switch
el2_world_switch:
	stp	x3, x30, [sp, #-RUN_FRAME]!	/* [sp] = ctxt: see el2_guest_exit */
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x4, tpidr_el2
	adr_l	x5, el2_percpu
	mov	x6, #PC_SIZE
	madd	x19, x4, x6, x5			/* this CPU's el2_percpu */
	stp	x29, x19, [sp, #96]
	mov	x20, x3

	/* save_host */
	add	x21, x19, #PC_HOST
	ctxt_save x21, x4, x5, x6

	/* restore_vm: stage 2 and traps */
	msr	vttbr_el2, x2
	ldp	x4, x5, [x19, #PC_VM_HCR]
	msr	hcr_el2, x4
	msr	mdcr_el2, x5
	ldp	x4, x5, [x19, #PC_VM_CPTR]
	msr	cptr_el2, x4
	msr	cnthctl_el2, x5
	ldr	x4, [x20, #CTXT_CNTVOFF]	/* the VM's, not the CPU's */
	msr	cntvoff_el2, x4
	/* KVM's last_vcpu_ran: another vCPU of the same VM ran here last. */
	ldp	w4, w5, [x19, #PC_LAST]
	stp	w0, w1, [x19, #PC_LAST]
	cmp	w4, w0
	ccmp	w5, w1, #4, eq			/* other VM: Z set, no flush */
	b.eq	1f
	isb
	tlbi	vmalle1
	dsb	nsh
1:	ctxt_restore x20, x4, x5, x6

.Lenter:
	bl	el2_park_if_halted		/* never into a guest once halted */
	adr_l	x4, el2_guest_vectors
	msr	vbar_el2, x4
	mov	x0, x20
	xregs	ldp, x0, 29
	ldr	x30, [x0, #CTXT_X(30)]
	ldp	x0, x1, [x0, #CTXT_X(0)]
	eret
	dsb	nsh				/* no speculation past the eret */
	isb

/*
 * From the guest vectors (entry.S vector_guest): the guest's x0, x1 at
 * [sp], arch_vcpu_run's frame above; x0 = the vector kind, x1 = ctxt.
 */
	.globl	el2_guest_exit
el2_guest_exit:
	xregs	stp, x1, 29
	str	x30, [x1, #CTXT_X(30)]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x1, #CTXT_X(0)]
	adr_l	x2, el2_vectors
	msr	vbar_el2, x2
	ldr	x19, [sp, #RUN_PERCPU]
	mov	x20, x1
	mov	x22, x0
	mrs	x23, esr_el2

	/* The VM's first FP/SIMD access of this run: load its registers. */
	cmp	x22, #8
	b.ne	2f
	ubfx	x4, x23, #26, #6
	cmp	x4, #ESR_EC_FP
	b.ne	3f
	mrs	x5, cptr_el2
	tbz	x5, #CPTR_TFP_BIT, 3f		/* not ours: the core refuses it */
	bic	x5, x5, #(1 << CPTR_TFP_BIT)
	msr	cptr_el2, x5			/* TFP traps EL2's accesses too */
	isb
	add	x0, x19, #PC_HOST_FP
	bl	el2_fpsimd_save
	add	x0, x20, #CTXT_VREGS
	bl	el2_fpsimd_restore
	b	.Lenter

	/* save_vm: the kind of exit and its syndrome */
2:	mov	x24, #ARM_EXCEPTION_IRQ
	sub	x4, x22, #9			/* IRQ, FIQ */
	cmp	x4, #1
	b.ls	5f
	mov	x24, #ARM_EXCEPTION_EL1_SERROR	/* SError; AArch32 cannot be */
	b	4f
3:	cmp	x4, #ESR_EC_ILLEGAL
	mov	x24, #ARM_EXCEPTION_TRAP
	cinc	x24, x24, eq			/* illegal exception return */
4:	mrs	x4, far_el2
	mrs	x5, hpfar_el2
	stp	x4, x5, [x20, #CTXT_FAR_EL2]
	str	x23, [x20, #CTXT_ESR_EL2]
	b	6f
5:	stp	xzr, xzr, [x20, #CTXT_FAR_EL2]
	str	xzr, [x20, #CTXT_ESR_EL2]
6:	str	x24, [x20, #CTXT_EC]
	ctxt_save x20, x4, x5, x6
	msr	cntv_ctl_el0, xzr		/* its timer stays quiet */
	mrs	x4, cptr_el2
	tbnz	x4, #CPTR_TFP_BIT, 7f
	add	x0, x20, #CTXT_VREGS
	bl	el2_fpsimd_save
	add	x0, x19, #PC_HOST_FP
	bl	el2_fpsimd_restore

	/* restore_host */
7:	ldp	x4, x5, [x19, #PC_HOST_VTTBR]
	msr	vttbr_el2, x4
	msr	hcr_el2, x5
	ldp	x4, x5, [x19, #PC_HOST_MDCR]
	msr	mdcr_el2, x4
	msr	cptr_el2, x5
	ldr	x4, [x19, #PC_HOST_CNTHCTL]
	msr	cnthctl_el2, x4
	msr	cntvoff_el2, xzr
	add	x21, x19, #PC_HOST
	ctxt_restore x21, x4, x5, x6
	mov	x0, x24
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldr	x29, [sp, #96]
	ldr	x30, [sp, #8]
	add	sp, sp, #RUN_FRAME
	ret
