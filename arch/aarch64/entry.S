/* SPDX-License-Identifier: MIT */
/*
 * EL2 entry points: the boot CPU (_start, entered by QEMU at EL2), the
 * secondary CPUs (el2_secondary_entry, started with PSCI CPU_ON), the
 * exception vector table, the drop to EL1 and the semihosting exit.
 */

#include <baremetal/asm.h>

#define STACK_SHIFT 15		/* EL2_STACK_SIZE = 32 KiB per CPU */
#define FRAME_SIZE (34 * 8)	/* struct el2_frame */
#define CPTR_EL2_DEFAULT 0x33ff	/* TFP clear: FP/SIMD usable at EL2 */
#define SCTLR_EL2_MMU_OFF 0x30c51838 /* RES1 | SA | I, MMU and D-cache off */
#define SPSR_EL1H_DAIF 0x3c5

	/* Per-CPU EL2 state: x0 = CPU index. Clobbers x1, x2. */
	.macro	cpu_setup
	msr	tpidr_el2, x0
	percpu_sp x0, __stacks_start, STACK_SHIFT, x1, x2
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	mov	x1, #CPTR_EL2_DEFAULT
	msr	cptr_el2, x1
	ldr	x1, =SCTLR_EL2_MMU_OFF
	msr	sctlr_el2, x1
	msr	hcr_el2, xzr
	isb
	.endm

	.section .text.entry, "ax"
	.globl	_start
_start:
	msr	daifset, #0xf
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	.Lnot_el2
	mov	x19, x0			/* DTB address if the loader gave one */
	clear_bss
	mov	x0, #0
	cpu_setup
	mov	x0, x19
	bl	el2_main
	b	.Lpark

	/* Started by PSCI CPU_ON with context_id = this CPU's index in x0. */
	.globl	el2_secondary_entry
el2_secondary_entry:
	msr	daifset, #0xf
	cpu_setup
	bl	el2_secondary_main
	b	.Lpark

.Lnot_el2:
	/* Not entered at EL2 (missing virtualization=on): nothing to run. */
	mov	x0, #4
	b	semihost_exit
.Lpark:
	wfe
	b	.Lpark

/*
 * el2_enter_el1(entry, x0): eret to EL1h at @entry with x0 set, every other
 * general register cleared (nothing of EL2 leaks to EL1) and this CPU's
 * EL2 stack reset for the next trap. The caller programmed HCR_EL2 etc.
 */
	.globl	el2_enter_el1
el2_enter_el1:
	bl	el2_park_if_halted
	msr	elr_el2, x0
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	mrs	x0, tpidr_el2
	percpu_sp x0, __stacks_start, STACK_SHIFT, x2, x0
	mov	x0, x1
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	mov	x\n, xzr
	.endr
	isb
	eret

/*
 * semihost_exit(code): SYS_EXIT_EXTENDED, QEMU exits with @code. Without
 * semihosting the HLT is undefined at EL2: el2_trap recognises it
 * (semihost_hlt) and powers the machine off through PSCI instead.
 */
	.globl	semihost_exit
	.globl	semihost_hlt
semihost_exit:
	sub	sp, sp, #16
	mov	x1, #0x0026
	movk	x1, #0x2, lsl #16	/* ADP_Stopped_ApplicationExit */
	stp	x1, x0, [sp]
	mov	x1, sp
	mov	x0, #0x18		/* SYS_EXIT_EXTENDED */
semihost_hlt:
	hlt	#0xf000
	b	.Lpark

/*
 * el2_park_if_halted: return if the core runs, else park this CPU at EL2
 * for good (halt.c el2_park). Every path from EL2 back to EL1 calls it
 * last: once halted no CPU returns to a host or a guest. Clobbers x16,
 * x17 and x30, which each caller restores or clears afterwards.
 */
	.globl	el2_park_if_halted
el2_park_if_halted:
	adr_l	x16, cv
	ldr	w16, [x16]		/* cv.halted, at cv + 0 (halt.c) */
	cbnz	w16, 1f
	ret
1:	b	el2_park

/*
 * Exception vectors. Two tables: el2_vectors while the host runs (and
 * while corevisor runs on its behalf), el2_guest_vectors while a VM runs
 * (arch_vcpu_run installs it before its eret, el2_guest_exit puts
 * el2_vectors back), so neither path asks which one it is in.
 *
 * Every entry but two saves x0/x1, puts its kind (0..15: current EL SP0,
 * current EL SPx, lower EL AArch64, lower EL AArch32; each sync, irq, fiq,
 * serror) in x1 and joins el2_trap_common, which saves the rest of struct
 * el2_frame and calls el2_trap(frame, kind): a host SMC, a host stage-2
 * fault, or a fatal exception.
 *
 * The host's HVC (lower EL AArch64 synchronous, ESR_EL2.EC == HVC64) takes
 * el2_host_hvc: only the registers the C calling convention lets the
 * dispatcher clobber (x0..x18, x30) are saved; x19..x29 are callee-saved,
 * so C code keeps them, and so does the world switch (arch_vcpu_run
 * saves them before it loads a guest's). ELR_EL2 and SPSR_EL2 stay in
 * their registers: nothing in a hypercall changes them but the world
 * switch, which keeps the host's (arch_vcpu_run). The host's FP/SIMD
 * registers are kept by whoever uses them: arch_fpsimd_begin/end around
 * libsodium (crypto/), the world switch around a VM's.
 *
 * A VM's exceptions (el2_guest_vectors, lower EL) leave through
 * el2_guest_exit (switch.S) with the kind in x0, never through el2_trap;
 * arch_vcpu_run installs that table while a VM runs.
 */
	.macro	vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x1, #\kind
	b	el2_trap_common
	.endm

#define ESR_EC_SHIFT 26
#define ESR_EC_HVC64 0x16
#define HVC_NOOP 34		/* include/corevisor/abi.h */

	.section .text.vectors, "ax"
	.balign	0x800
	.globl	el2_vectors
el2_vectors:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7
	vector	\k
	.endr
	/* 8: lower EL, AArch64, synchronous: the host's HVC, or the rest. */
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mrs	x1, esr_el2
	ubfx	x1, x1, #ESR_EC_SHIFT, #6
	cmp	x1, #ESR_EC_HVC64
	b.eq	el2_host_hvc
	mov	x1, #8
	b	el2_trap_common
	.irp	k, 9, 10, 11, 12, 13, 14, 15
	vector	\k
	.endr

	/* A VM's exit: x0 = the kind, x1 = its context (switch.S). */
	.macro	vector_guest kind
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	ldr	x1, [sp, #16]
	mov	x0, #\kind
	b	el2_guest_exit
	.endm

	.balign	0x800
	.globl	el2_guest_vectors
el2_guest_vectors:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7
	vector	\k
	.endr
	.irp	k, 8, 9, 10, 11, 12, 13, 14, 15
	vector_guest \k
	.endr

/*
 * The host's hypercall: x0..x5 are the call and its arguments, the
 * result goes back in x0 (TrapDispatcher, host_hvc_dispatch(frame)). The
 * frame keeps x0..x17 at their struct el2_frame offsets (the dispatcher
 * reads x0..x5 there), x18 and x30 after them.
 */
el2_host_hvc:
	cmp	x0, #HVC_NOOP
	b.eq	el2_host_noop
	xregs	stp, sp, 17
	stp	x18, x30, [sp, #144]
	mov	x0, sp
	bl	host_hvc_dispatch
	bl	el2_park_if_halted
	ldr	x1, [sp, #8]
	xregs	ldp, sp, 17
	ldp	x18, x30, [sp, #144]
	add	sp, sp, #FRAME_SIZE
	eret
	dsb	nsh			/* no speculation past the eret */
	isb

/*
 * HVC_NOOP (abi.h: returns 0, the bare round trip) runs no C, so it
 * needs none of the registers saved: the halted check every entry point
 * makes (a halted core parks this CPU), x0 = 0, x1 back, eret.
 */
el2_host_noop:
	adr_l	x1, cv
	ldr	w1, [x1]		/* cv.halted, at cv + 0 (halt.c) */
	cbnz	w1, el2_park
	mov	x0, #0
	ldr	x1, [sp, #8]
	add	sp, sp, #FRAME_SIZE
	eret
	dsb	nsh
	isb

el2_trap_common:
	xregs	stp, sp, 29
	stp	x30, xzr, [sp, #240]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #256]
	mov	x0, sp
	bl	el2_trap
	bl	el2_park_if_halted
	ldp	x2, x3, [sp, #256]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	xregs	ldp, sp, 29
	ldr	x30, [sp, #240]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret
	dsb	nsh
	isb

/*
 * el2_fpsimd_save(st) / el2_fpsimd_restore(st): V0-V31, FPSR, FPCR
 * (struct el2_fpsimd, or struct cv_ctxt's vregs, fpsr, fpcr). corevisor's
 * own C code never touches them (-mgeneral-regs-only) but libsodium does
 * (arch_fpsimd_begin/end) and VMs do (the world switch).
 */
	.section .text
	.globl	el2_fpsimd_save
	.globl	el2_vregs_save		/* struct cv_ctxt's vregs, fpsr, fpcr */
el2_fpsimd_save:
el2_vregs_save:
	qregs	stp, x0
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512
	stp	x1, x2, [x0]
	ret

	.globl	el2_fpsimd_restore
	.globl	el2_vregs_restore
el2_fpsimd_restore:
el2_vregs_restore:
	qregs	ldp, x0
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
