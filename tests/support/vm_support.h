/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the vCPU and trap tests (tests/unit/test_vcpu.c,
 * test_trap.c): a booted machine with a verified VM whose image sits at
 * guest IPA VS_IMAGE_IPA (one 2 MiB block of guest RAM), the host's view of
 * a vCPU's shared run structure (found through HVC_GET_SHARED_BASE and
 * accessed through the host's stage 2, as a real host does), VCPU_RUN, and
 * a check of every security invariant.
 */
#ifndef VM_SUPPORT_H
#define VM_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <corevisor/vcpu_abi.h>

/* Where the test VM's image is loaded (guest) and kept (host RAM). */
#define VS_IMAGE_IPA 0x80000000ULL
#define VS_IMAGE_BYTES 0x3000ULL
/* Guest RAM beyond the image's 2 MiB block: faults until the host answers. */
#define VS_RAM_IPA 0x80400000ULL
/* An MMIO address (below CV_MMIO_LIMIT), e.g. a UART. */
#define VS_MMIO_IPA 0x09000000ULL
/* A PSTATE to start in: EL1h, DAIF masked. */
#define VS_PSTATE 0x3c5ULL

/* Host RAM of image @n (2 MiB aligned, like VS_IMAGE_IPA). */
uint64_t vs_image_pa(uint32_t n);

/* Boot the machine (bs_boot). */
void vs_boot(void);
/*
 * A VM with @nvcpus vCPUs and one signed image at VS_IMAGE_IPA (host copy
 * at vs_image_pa(@n)), not verified yet / verified. Returns its vmid.
 */
uint32_t vs_new_vm_unverified(uint32_t nvcpus, uint32_t n);
uint32_t vs_new_vm(uint32_t nvcpus, uint32_t n);

/* Physical address of vCPU (@vmid, @vcpuid)'s struct cv_vcpu_run. */
uint64_t vs_run_pa(uint32_t vmid, uint32_t vcpuid);
/* The host reads / writes it (through its stage 2). */
void vs_get_run(uint32_t vmid, uint32_t vcpuid, struct cv_vcpu_run *run);
void vs_put_run(uint32_t vmid, uint32_t vcpuid, const struct cv_vcpu_run *run);
/*
 * Where vCPU @vcpuid starts at its next run, as its guest's PSCI CPU_ON
 * (vcpu_power_on) would set it: @pc, x0 = @x0, PSTATE EL1h with DAIF
 * masked (@pstate must be VS_PSTATE). Ignored for a vCPU that is on,
 * like a CPU_ON. (vCPU 0 of a new VM starts at its image's entry,
 * VS_PC(0), without it.)
 */
void vs_set_entry(uint32_t vmid, uint32_t vcpuid, uint64_t pc, uint64_t pstate,
		  uint64_t x0);
/* Answer a RAM fault at @ipa with host page @pa (level 3) or block. */
void vs_answer_fault(uint32_t vmid, uint32_t vcpuid, uint64_t ipa, uint64_t pa,
		     uint32_t level);

/* HVC_VCPU_RUN; returns x0 (the exit reason). */
uint64_t vs_run(uint32_t vmid, uint32_t vcpuid);

/* Criterion-assert that every security invariant holds. */
void vs_inv(void);

/* The shadow register @index of a vCPU (the core's own copy). */
uint64_t vs_shadow(uint32_t vmid, uint32_t vcpuid, uint32_t index);

/*
 * A scripted guest: op i is the instruction at VS_IMAGE_IPA + 4 * i. The
 * program fetches each instruction (cv_guest_fetch) and plays it with the
 * cv_guest_* helpers until one traps; an empty op (or a PC off the
 * script) idles: the run ends as an interrupt would end it.
 */
enum vs_op_kind {
	OP_NONE,  /* idle here */
	OP_MOV,	  /* x[rt] = a */
	OP_LOAD,  /* x[rt] = len bytes at IPA a */
	OP_LOADS, /* the same, sign-extended */
	OP_STORE, /* len bytes of x[rt] to IPA a */
	OP_LDP,	  /* x[rt], x[rt2] = 16 bytes at IPA a (no syndrome) */
	OP_HVC,	  /* HVC #a */
	OP_SMC,	  /* SMC #a */
	OP_WFI,
	OP_WFE,
	OP_SYSREG, /* MRS (len = 1) / MSR (len = 0) ACTLR_EL1, x[rt] */
	OP_TRAP,   /* any trap with ESR a */
	OP_EXC,	   /* end with ARM_EXCEPTION_a */
	OP_SNAP,   /* snaps[a] = the vCPU's state */
	OP_JUMP,   /* pc = a */
	OP_VBAR,   /* VBAR_EL1 = a */
	OP_YIELD,  /* step, then be preempted (interrupt) */
	OP_PSTATE, /* PSTATE = a (as an ERET to that mode would make it) */
	OP_MSR,	   /* MRS (len = 1) / MSR (len = 0) of VS_SYSREG(...) a, x[rt] */
	OP_ACK,	   /* x[rt] = ICC_IAR1_EL1: the best pending LR -> active */
	OP_EOI,	   /* ICC_EOIR1_EL1 x[rt]: its active LR deactivated */
	OP_CNTV,   /* CNTV_CTL_EL0 = len, CNTV_CVAL_EL0 = a */
};
#define VS_SYSREG(op0, op1, crn, crm, op2) \
	((uint64_t)(op0) << 16 | (op1) << 12 | (crn) << 8 | (crm) << 4 | (op2))
struct vs_op {
	enum vs_op_kind k;
	uint64_t a;
	uint32_t len, rt, rt2;
};
#define VS_NOPS 1024U
#define VS_NSNAPS 8U
#include <corevisor/hosted.h>
struct vs_script {
	struct vs_op ops[VS_NOPS];
	struct cv_hosted_guest snaps[VS_NSNAPS];
	uint32_t nsnaps;
};
/* The IPA of op @i. */
#define VS_PC(i) (VS_IMAGE_IPA + 4ULL * (i))
/* Make @s the program of VM @vmid (all its vCPUs). */
void vs_set_script(uint32_t vmid, struct vs_script *s);

#endif
