/* SPDX-License-Identifier: MIT */
/*
 * The floors of the EL2 benchmarks, measured in the same boot as
 * corevisor's own figures: each does exactly what corevisor's path must
 * do on the same trap, with no checks, no locks and nothing of the bench
 * inside the counted span. Each vector table's lower-EL AArch64
 * synchronous entry is the floor; every other entry, and a synchronous
 * exception of another class (the bench host's SMC that puts corevisor's
 * vectors back, el2_bench.c), goes on to corevisor's vectors, after the
 * same exception-class check corevisor's vector makes.
 *
 * floor_trap_vectors, the floor of a host hypercall round trip: the
 * registers corevisor's HVC entry keeps (the C calling convention's
 * caller-saved x0..x18, x30; entry.S el2_host_hvc) saved on the EL2
 * stack and restored, x0 handed back, eret. 27 instructions: the vector
 * (sub, stp, mrs, ubfx, cmp, b.eq) 6, 8 stp + stp, ldp + 8 ldp + ldp,
 * add, eret.
 *
 * floor_ws_host_vectors / floor_ws_guest_vectors, two like-for-like world
 * switches: the host's HVC switches to "the guest" (floor_ws_in), whose
 * next HVC switches back (floor_ws_out), and the vector table says which
 * way, as corevisor's el2_vectors / el2_guest_vectors do. Each moves what
 * corevisor's switch (arch/aarch64/switch.S, vgic.c) must move:
 *  - all 31 general registers out of one context and into the other;
 *  - the ERET state, SP_EL0, the EL1 system registers and the virtual
 *    timer with corevisor's own macros (switch_ctxt.h), VMPIDR_EL2;
 *  - the EL2 controls: VTTBR, HCR, MDCR, CPTR, CNTHCTL, CNTVOFF;
 *  - VBAR_EL2 (the other table);
 *  - KVM's last-vCPU check (a TLB flush when another vCPU of the VM ran
 *    here last; not taken here);
 *  - the host's virtual timer doorbell check (arm the EL2 timer when the
 *    host's timer is live; not taken here) and its disarm check;
 *  - the GICv3 virtual CPU interface (FL_NR_LRS list registers,
 *    FL_NR_APRS active-priority registers per group, ICH_VMCR_EL2,
 *    ICH_HCR_EL2): the host's kept, the vCPU's loaded; on the way back
 *    the vCPU's saved, the list and priority registers emptied, the
 *    host's back;
 *  - the exit's syndrome: ESR_EL2, FAR_EL2, HPFAR_EL2;
 *  - FP/SIMD lazily, as corevisor: the guest runs with CPTR_EL2.TFP set;
 *    its first FP/SIMD access traps (floor_ws_fp: the host's V0..V31,
 *    FPSR, FPCR saved, the guest's loaded, TFP cleared) and the switch
 *    back saves the guest's and loads the host's only then.
 * Each switch restores the same context it saved (the host must go on
 * with its own registers), which costs what loading another context
 * costs: same instructions, same memory. The round trip without FP is
 * floor_ws_in + floor_ws_out; with FP the trap and the FP/SIMD moves
 * on the way back come in.
 *
 * Every path is straight-line code between the labels named
 * floor_*_s<k> / floor_*_e<k>; bench/qemu_bench.py adds up their lengths
 * from the ELF and checks each measured count against that sum, which
 * validates the PMU method and keeps the floors honest.
 */
#include <baremetal/asm.h>

#include "switch.h"
#include "switch_ctxt.h"
#include "floor.h"

#define FRAME (32 * 8)
#define ESR_EC_SHIFT 26
#define ESR_EC_HVC64 0x16
#define ESR_EC_FP 0x07
#define CPTR_TFP_BIT 10

	.macro	other kind
	.balign	0x80
	b	el2_vectors + \kind * 0x80
	.endm

	.macro	vectors_around name, entry
	.section .text.bench_vectors, "ax"
	.balign	0x800
	.globl	\name
\name:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7
	other	\k
	.endr
	.balign	0x80
	\entry
	.irp	k, 9, 10, 11, 12, 13, 14, 15
	other	\k
	.endr
	.endm

	/* A host's HVC to \body; any other class to corevisor's vector. */
	.macro	host_entry body, s, e
	.globl	\s, \e
\s:
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	mrs	x0, esr_el2
	ubfx	x0, x0, #ESR_EC_SHIFT, #6
	cmp	x0, #ESR_EC_HVC64
	b.eq	\body
\e:
	b	floor_to_corevisor
	.endm

	.macro	trap_entry
	host_entry floor_trap_body, floor_trap_s0, floor_trap_e0
	.endm
	.macro	ws_host_entry
	host_entry floor_ws_in, floor_ws_in_s0, floor_ws_in_e0
	.endm
	/* The guest's exit: its first FP/SIMD access, or the switch back. */
	.macro	ws_guest_entry
	.globl	floor_ws_out_s0, floor_ws_fp_e0, floor_ws_out_e0
floor_ws_out_s0:
	stp	x0, x1, [sp, #-16]!
	mrs	x0, esr_el2
	ubfx	x0, x0, #ESR_EC_SHIFT, #6
	cmp	x0, #ESR_EC_FP
	b.eq	floor_ws_fp
floor_ws_fp_e0:
	b	floor_ws_out
floor_ws_out_e0:
	.endm

	vectors_around floor_trap_vectors, trap_entry
	vectors_around floor_ws_host_vectors, ws_host_entry
	vectors_around floor_ws_guest_vectors, ws_guest_entry

	.section .text
	/* Not a counted path: corevisor's vector takes the exception. */
floor_to_corevisor:
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME
	b	el2_vectors + 8 * 0x80

	.globl	floor_trap_s1, floor_trap_e1
floor_trap_body:
floor_trap_s1:
	xregs	stp, sp, 17
	stp	x18, x30, [sp, #144]
	ldp	x0, x1, [sp, #0]
	xregs	ldp, sp, 17
	ldp	x18, x30, [sp, #144]
	add	sp, sp, #FRAME
	eret
floor_trap_e1:

	/* Host -> guest. */
	.globl	floor_ws_in_s1, floor_ws_in_e1, floor_ws_in_s2, floor_ws_in_e2
floor_ws_in:
floor_ws_in_s1:
	/* the host's general registers stay on the EL2 stack meanwhile */
	xregs	stp, sp, 29
	str	x30, [sp, #240]
	adr_l	x19, floor_area
	/* save_host: ERET state, SP_EL0, EL1, timer */
	add	x21, x19, #FL_HOST_CTXT
	ctxt_save x21, x4, x5, x6
	/* the host's timer live (enabled, not masked): the EL2 doorbell */
	and	x6, x4, #3
	cmp	x6, #1
	b.eq	floor_bell_on
.Lbell_on_done:
	/* restore_vm: stage 2 and the EL2 controls */
	ldp	x4, x5, [x19, #FL_VM_CTL]
	msr	vttbr_el2, x4
	msr	hcr_el2, x5
	ldp	x4, x5, [x19, #FL_VM_CTL + 16]
	msr	mdcr_el2, x4
	msr	cptr_el2, x5			/* TFP set: FP/SIMD lazily */
	ldp	x4, x5, [x19, #FL_VM_CTL + 32]
	msr	cnthctl_el2, x4
	msr	cntvoff_el2, x5
	/* another vCPU of the VM (x1, x2: VCPU_RUN's) ran here last */
	ldp	w4, w5, [x19, #FL_LAST]
	stp	w1, w2, [x19, #FL_LAST]
	cmp	w4, w1
	ccmp	w5, w2, #4, eq
	b.eq	1f
floor_ws_in_e1:
	isb
	tlbi	vmalle1
	dsb	nsh
1:
floor_ws_in_s2:
	/* the GIC virtual CPU interface: the host's kept, the vCPU's loaded */
	mrs	x4, ich_vmcr_el2
	mrs	x5, ich_hcr_el2
	stp	x4, x5, [x19, #FL_GIC_HOST]
	ldp	x4, x5, [x19, #FL_GIC_VM]
	msr	ich_lr0_el2, x4
	msr	ich_lr1_el2, x5
	ldp	x4, x5, [x19, #FL_GIC_VM + 16]
	msr	ich_lr2_el2, x4
	msr	ich_lr3_el2, x5
	ldp	x4, x5, [x19, #FL_GIC_VM + 32]
	msr	ich_ap0r0_el2, x4
	msr	ich_ap1r0_el2, x5
	ldp	x4, x5, [x19, #FL_GIC_VM + 48]
	msr	ich_vmcr_el2, x4
	msr	ich_hcr_el2, x5
	/* restore_vm: ERET state, SP_EL0, EL1, timer, VMPIDR */
	ctxt_restore x21, x4, x5, x6
	/* the guest's vectors */
	adr_l	x4, floor_ws_guest_vectors
	msr	vbar_el2, x4
	/* the guest's general registers */
	mov	x0, sp
	xregs	ldp, x0, 29
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	eret
floor_ws_in_e2:

floor_bell_on:
	msr	cnthp_cval_el2, x5
	mov	x6, #1
	msr	cnthp_ctl_el2, x6
	str	x6, [x19, #FL_BELL]
	b	.Lbell_on_done

	/*
	 * The guest's first FP/SIMD access this run: TFP off, the host's
	 * registers saved, the guest's loaded, back to the same instruction.
	 */
	.globl	floor_ws_fp_s1, floor_ws_fp_e1
floor_ws_fp:
floor_ws_fp_s1:
	mrs	x0, cptr_el2
	bic	x0, x0, #(1 << CPTR_TFP_BIT)
	msr	cptr_el2, x0			/* TFP traps EL2's accesses too */
	isb
	adr_l	x0, floor_area + FL_HOST_FP
	qregs	stp, x0
	mrs	x1, fpsr
	str	x1, [x0, #512]
	mrs	x1, fpcr
	str	x1, [x0, #520]
	qregs	ldp, x0
	ldr	x1, [x0, #512]
	msr	fpsr, x1
	ldr	x1, [x0, #520]
	msr	fpcr, x1
	ldp	x0, x1, [sp], #16
	eret
floor_ws_fp_e1:

	/* Guest -> host. */
	.globl	floor_ws_out_s1, floor_ws_out_e1, floor_ws_out_s2
	.globl	floor_ws_out_e2, floor_ws_out_s3, floor_ws_out_e3
floor_ws_out:
floor_ws_out_s1:
	/* the guest's general registers */
	adr_l	x1, floor_area + FL_VM_CTXT
	xregs	stp, x1, 29
	str	x30, [x1, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x1, #0]
	mov	x20, x1
	sub	x19, x1, #FL_VM_CTXT
	/* the host's vectors */
	adr_l	x4, floor_ws_host_vectors
	msr	vbar_el2, x4
	/* save_vm: the syndrome, ERET state, SP_EL0, EL1, timer */
	mrs	x4, esr_el2
	mrs	x5, far_el2
	mrs	x6, hpfar_el2
	str	x4, [x20, #CTXT_ESR_EL2]
	stp	x5, x6, [x20, #CTXT_FAR_EL2]
	ctxt_save x20, x4, x5, x7
	/* its FP/SIMD registers if it loaded them; the host's back */
	mrs	x4, cptr_el2
	tbnz	x4, #CPTR_TFP_BIT, 2f
floor_ws_out_e1:
	add	x0, x20, #CTXT_VREGS
	qregs	stp, x0
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x3, x0, #512
	stp	x1, x2, [x3]
	add	x0, x19, #FL_HOST_FP
	qregs	ldp, x0
	add	x3, x0, #512
	ldp	x1, x2, [x3]
	msr	fpsr, x1
	msr	fpcr, x2
floor_ws_out_e2:
2:
floor_ws_out_s3:
	/* the GIC: the vCPU's saved, its registers emptied, the host's back */
	mrs	x4, ich_lr0_el2
	mrs	x5, ich_lr1_el2
	stp	x4, x5, [x19, #FL_GIC_VM]
	mrs	x4, ich_lr2_el2
	mrs	x5, ich_lr3_el2
	stp	x4, x5, [x19, #FL_GIC_VM + 16]
	mrs	x4, ich_ap0r0_el2
	mrs	x5, ich_ap1r0_el2
	stp	x4, x5, [x19, #FL_GIC_VM + 32]
	mrs	x4, ich_vmcr_el2
	str	x4, [x19, #FL_GIC_VM + 48]
	msr	ich_lr0_el2, xzr
	msr	ich_lr1_el2, xzr
	msr	ich_lr2_el2, xzr
	msr	ich_lr3_el2, xzr
	msr	ich_ap0r0_el2, xzr
	msr	ich_ap1r0_el2, xzr
	ldp	x4, x5, [x19, #FL_GIC_HOST]
	msr	ich_vmcr_el2, x4
	msr	ich_hcr_el2, x5
	/* restore_host: stage 2 and the EL2 controls */
	ldp	x4, x5, [x19, #FL_HOST_CTL]
	msr	vttbr_el2, x4
	msr	hcr_el2, x5
	ldp	x4, x5, [x19, #FL_HOST_CTL + 16]
	msr	mdcr_el2, x4
	msr	cptr_el2, x5
	ldp	x4, x5, [x19, #FL_HOST_CTL + 32]
	msr	cnthctl_el2, x4
	msr	cntvoff_el2, x5
	/* the EL2 doorbell off if it was armed */
	ldr	x4, [x19, #FL_BELL]
	cbnz	x4, floor_bell_off
.Lbell_off_done:
	/* restore_host: ERET state, SP_EL0, EL1, timer, VMPIDR */
	ctxt_restore x20, x4, x5, x6
	/* the host's general registers; its frame leaves the EL2 stack */
	mov	x0, x20
	xregs	ldp, x0, 29
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	add	sp, sp, #FRAME
	eret
floor_ws_out_e3:

floor_bell_off:
	msr	cnthp_ctl_el2, xzr
	str	xzr, [x19, #FL_BELL]
	b	.Lbell_off_done

	.bss
	.balign	16
	.globl	floor_area
floor_area:
	.space	FL_SIZE
