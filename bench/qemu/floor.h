/* SPDX-License-Identifier: MIT */
/*
 * The like-for-like world-switch floor's data (el2_bare.S), filled by
 * el2_bench.c when the bench host installs the floor. Plain numbers: read
 * by the assembler and by C. The two contexts are laid out as struct
 * cv_ctxt (arch/aarch64/switch.h's CTXT_* offsets), so that the floor
 * moves them with the real switch's own macros (switch_ctxt.h).
 */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#define FL_VM_CTL 0	 /* vttbr, hcr, mdcr, cptr, cnthctl, cntvoff */
#define FL_HOST_CTL 48	 /* the same, for the host */
#define FL_LAST 96	 /* the vCPU that ran last: vmid, vcpuid (u32) */
#define FL_BELL 104	 /* the EL2 doorbell timer is armed */
#define FL_GIC_HOST 112	 /* the host's ICH_VMCR_EL2, ICH_HCR_EL2 */
#define FL_GIC_VM 128	 /* ICH_LR0..3, ICH_AP0R0, ICH_AP1R0, VMCR, HCR */
#define FL_HOST_CTXT 192 /* struct cv_ctxt */
#define FL_VM_CTXT (FL_HOST_CTXT + 1384)
#define FL_HOST_FP (FL_VM_CTXT + 1384) /* V0..V31, FPSR, FPCR */
#define FL_SIZE (FL_HOST_FP + 528)

/* The GICv3 virtual interface the floor moves: QEMU's (ICH_VTR_EL2). */
#define FL_NR_LRS 4
#define FL_NR_APRS 1

#endif
