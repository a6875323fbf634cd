/* SPDX-License-Identifier: MIT */
/*
 * Offsets the world switch (switch.S) uses, shared with vcpu.c, which
 * checks each against the C structures (struct cv_ctxt, struct
 * el2_percpu). Plain numbers: this header is read by the assembler.
 */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

/* struct cv_ctxt (core/include/cv/state.h) */
#define CTXT_X(n) ((n)*8)
#define CTXT_SP (31 * 8)      /* SP, PC, PSTATE, SP_EL1, ELR/SPSR_EL1 */
#define CTXT_FAR_EL2 (41 * 8) /* FAR_EL2, HPFAR_EL2 */
#define CTXT_EC (44 * 8)
#define CTXT_MPIDR (47 * 8) /* MPIDR_EL1, CSSELR_EL1 .. MDSCR_EL1 */
#define CTXT_ESR_EL2 (72 * 8)
#define CTXT_VREGS 584	/* vregs[64], fpsr, fpcr */
#define CTXT_TIMER 1112 /* cntv_ctl, cntv_cval */
#define CTXT_CNTVOFF 1376 /* vgic.cntvoff */
#define CTXT_SIZE 1384

/* struct el2_percpu (vcpu.c): small fields first, for ldp/stp offsets */
#define PC_VM_HCR 0   /* vm_hcr, vm_mdcr */
#define PC_VM_CPTR 16 /* vm_cptr, vm_cnthctl */
#define PC_CNTVOFF 32
#define PC_HOST_VTTBR 40 /* host_vttbr, host_hcr */
#define PC_HOST_MDCR 56	 /* host_mdcr, host_cptr */
#define PC_HOST_CNTHCTL 72
#define PC_LAST 80	/* last_vmid, last_vcpuid (u32) */
#define PC_HOST 96	/* struct cv_ctxt */
#define PC_HOST_FP 1488 /* struct el2_fpsimd */
#define PC_SIZE 2016

/* arch_vcpu_run's frame on the EL2 stack: the guest vectors find @ctxt at
 * its bottom. */
#define RUN_FRAME 112 /* ctxt, x30, x19..x29, percpu */
#define RUN_PERCPU 104

#endif
