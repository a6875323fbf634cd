// SPDX-License-Identifier: MIT
/*
 * The world switch (the spec's CtxtSwitch: save_host, restore_vm, save_vm,
 * restore_host): the hardware half, arch_vcpu_run (cv/arch.h), on this
 * CPU. The host entered corevisor by HVC (VCPU_RUN): its general registers
 * are in the trap frame on the EL2 stack and its FP/SIMD registers saved
 * by host_hvc (trap.c) around the whole hypercall; what the VM would
 * overwrite is the host's EL1 state, kept in a per-CPU area meanwhile.
 *
 * A VM runs with its own stage 2 (VTTBR_EL2 = its table, its VMID), traps
 * as HCR_VM_FLAGS says, its virtual timer and EL1 registers loaded, and
 * nothing of the host's or corevisor's in a register it can read.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/pt.h>
#include <cv/state.h>
#include <arch/sysreg.h>

#include "el2.h"

_Static_assert(__builtin_offsetof(struct cv_ctxt, regs) == 0,
	       "entry.S reads X0..X30 at the start of struct cv_ctxt");

/* CNTHCTL_EL2 (non-VHE): EL1PCTEN, EL1PCEN. */
#define CNTHCTL_EL1PCTEN (1ULL << 0)
#define CNTHCTL_EL1PCEN (1ULL << 1)
/* A VM reads the counter; the EL1 physical timer is the host's (traps). */
#define CNTHCTL_VM CNTHCTL_EL1PCTEN
#define CNTHCTL_HOST (CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN)

/*
 * MDCR_EL2 for a VM: the PMU (TPM, TPMCR) and the debug registers (TDA,
 * TDOSA, TDRA) trap, as SYS64 exits the core answers RAZ/WI: a VM neither
 * reads the host's counters nor programs breakpoints. HPMN as the host's.
 */
#define MDCR_HPMN_MASK 0x1fULL
#define MDCR_TPMCR (1ULL << 5)
#define MDCR_TPM (1ULL << 6)
#define MDCR_TDA (1ULL << 9)
#define MDCR_TDOSA (1ULL << 10)
#define MDCR_TDRA (1ULL << 11)
#define MDCR_VM_TRAPS \
	(MDCR_TPMCR | MDCR_TPM | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA)
/* CPTR_EL2 for a VM: FP/SIMD free (TFP clear), trace registers trap. */
#define CPTR_TTA (1ULL << 20)
#define CPTR_EL2_VM (CPTR_EL2_DEFAULT | CPTR_TTA)

/*
 * The EL1 registers of a context (host or VM), named as the spec's
 * sysregs: saved on the way out, loaded on the way in. SPSR_ABT..FIQ are
 * AArch32 state (HCR_EL2.RW keeps EL1 in AArch64): not switched;
 * MDCCINT_EL1 is unused (arch.h). MPIDR_EL1 is VMPIDR_EL2, what EL1 reads.
 */
static void sysregs_save(struct cv_ctxt *c)
{
	u64 *r = c->regs;

	r[SP] = read_sysreg(sp_el0);
	r[SP_EL1] = read_sysreg(sp_el1);
	r[ELR_EL1] = read_sysreg(elr_el1);
	r[SPSR_EL1] = read_sysreg(spsr_el1);
	r[CSSELR_EL1] = read_sysreg(csselr_el1);
	r[SCTLR_EL1] = read_sysreg(sctlr_el1);
	r[ACTLR_EL1] = read_sysreg(actlr_el1);
	r[CPACR_EL1] = read_sysreg(cpacr_el1);
	r[TTBR0_EL1] = read_sysreg(ttbr0_el1);
	r[TTBR1_EL1] = read_sysreg(ttbr1_el1);
	r[TCR_EL1] = read_sysreg(tcr_el1);
	r[ESR_EL1] = read_sysreg(esr_el1);
	r[AFSR0_EL1] = read_sysreg(afsr0_el1);
	r[AFSR1_EL1] = read_sysreg(afsr1_el1);
	r[FAR_EL1] = read_sysreg(far_el1);
	r[MAIR_EL1] = read_sysreg(mair_el1);
	r[VBAR_EL1] = read_sysreg(vbar_el1);
	r[CONTEXTIDR_EL1] = read_sysreg(contextidr_el1);
	r[TPIDR_EL0] = read_sysreg(tpidr_el0);
	r[TPIDRRO_EL0] = read_sysreg(tpidrro_el0);
	r[TPIDR_EL1] = read_sysreg(tpidr_el1);
	r[AMAIR_EL1] = read_sysreg(amair_el1);
	r[CNTKCTL_EL1] = read_sysreg(cntkctl_el1);
	r[PAR_EL1] = read_sysreg(par_el1);
	r[MDSCR_EL1] = read_sysreg(mdscr_el1);
	r[MPIDR_EL1] = read_sysreg(vmpidr_el2);
}

static void sysregs_restore(const struct cv_ctxt *c)
{
	const u64 *r = c->regs;

	write_sysreg(vmpidr_el2, r[MPIDR_EL1]);
	write_sysreg(sp_el0, r[SP]);
	write_sysreg(sp_el1, r[SP_EL1]);
	write_sysreg(elr_el1, r[ELR_EL1]);
	write_sysreg(spsr_el1, r[SPSR_EL1]);
	write_sysreg(csselr_el1, r[CSSELR_EL1]);
	write_sysreg(sctlr_el1, r[SCTLR_EL1]);
	write_sysreg(actlr_el1, r[ACTLR_EL1]);
	write_sysreg(cpacr_el1, r[CPACR_EL1]);
	write_sysreg(ttbr0_el1, r[TTBR0_EL1]);
	write_sysreg(ttbr1_el1, r[TTBR1_EL1]);
	write_sysreg(tcr_el1, r[TCR_EL1]);
	write_sysreg(esr_el1, r[ESR_EL1]);
	write_sysreg(afsr0_el1, r[AFSR0_EL1]);
	write_sysreg(afsr1_el1, r[AFSR1_EL1]);
	write_sysreg(far_el1, r[FAR_EL1]);
	write_sysreg(mair_el1, r[MAIR_EL1]);
	write_sysreg(vbar_el1, r[VBAR_EL1]);
	write_sysreg(contextidr_el1, r[CONTEXTIDR_EL1]);
	write_sysreg(tpidr_el0, r[TPIDR_EL0]);
	write_sysreg(tpidrro_el0, r[TPIDRRO_EL0]);
	write_sysreg(tpidr_el1, r[TPIDR_EL1]);
	write_sysreg(amair_el1, r[AMAIR_EL1]);
	write_sysreg(cntkctl_el1, r[CNTKCTL_EL1]);
	write_sysreg(par_el1, r[PAR_EL1]);
	write_sysreg(mdscr_el1, r[MDSCR_EL1]);
}

/* The EL1 virtual timer: CNTV_CTL_EL0, CNTV_CVAL_EL0. */
static void timer_save(struct cv_ctxt *c)
{
	c->cntv_ctl = read_sysreg(cntv_ctl_el0);
	c->cntv_cval = read_sysreg(cntv_cval_el0);
	/* A VM's timer must not fire while the host runs. */
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

static void timer_restore(const struct cv_ctxt *c)
{
	write_sysreg(cntv_cval_el0, c->cntv_cval);
	write_sysreg(cntv_ctl_el0, c->cntv_ctl);
}

/*
 * Per CPU: the host's EL1 state while a VM runs (its general registers are
 * in the VCPU_RUN trap frame, its FP/SIMD registers saved by host_hvc),
 * CNTVOFF_EL2 for VMs (arch_timer_set_cntvoff), and the vCPU that last
 * ran here.
 */
static struct el2_percpu {
	struct cv_ctxt host;
	u64 host_mdcr;
	u64 cntvoff;
	u32 last_vmid;
	u32 last_vcpuid;
} percpu[EL2_MAX_CPUS];

/* entry.S */
u64 el2_guest_enter(struct cv_ctxt *ctxt);
void el2_vregs_save(u64 *vregs);
void el2_vregs_restore(const u64 *vregs);

/*
 * Stage-1 TLB entries of a VMID are shared by all its vCPUs but belong to
 * one vCPU's page tables: a different vCPU of the same VM on this CPU
 * must not see them (KVM's last_vcpu_ran). Called with VTTBR_EL2 loaded.
 */
static void flush_if_other_vcpu(struct el2_percpu *pc, u32 vmid, u32 vcpuid)
{
	if (pc->last_vmid == vmid && pc->last_vcpuid != vcpuid) {
		__asm__ volatile("tlbi vmalle1" ::: "memory");
		dsb(nsh);
	}
	pc->last_vmid = vmid;
	pc->last_vcpuid = vcpuid;
}

/* ESR_EL2.EC of an illegal exception return. */
#define ESR_EC_ILLEGAL 0x0e

/* The kind of exit, from the vector (entry.S) and the syndrome. */
static u64 exit_kind(u64 vector, u64 esr)
{
	switch (vector) {
	case 8: /* lower EL AArch64, synchronous */
		return esr_ec(esr) == ESR_EC_ILLEGAL ? ARM_EXCEPTION_IL
						     : ARM_EXCEPTION_TRAP;
	case 9:	 /* IRQ */
	case 10: /* FIQ */
		return ARM_EXCEPTION_IRQ;
	default: /* SError; AArch32 EL1 cannot happen with HCR_EL2.RW */
		return ARM_EXCEPTION_EL1_SERROR;
	}
}

u64 arch_vcpu_run(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt)
{
	struct el2_percpu *pc = &percpu[read_sysreg(tpidr_el2)];
	u64 vector, kind;

	/* save_host: its ERET state, EL1 state, timer and FP/SIMD. */
	pc->host.regs[PC] = read_sysreg(elr_el2);
	pc->host.regs[PSTATE] = read_sysreg(spsr_el2);
	sysregs_save(&pc->host);
	timer_save(&pc->host);
	el2_vregs_save(pc->host.vregs);
	pc->host_mdcr = read_sysreg(mdcr_el2);

	/* restore_vm: stage 2, traps, EL1 state, FP/SIMD, PC and PSTATE. */
	write_sysreg(vttbr_el2, vttbr);
	write_sysreg(hcr_el2, HCR_VM_FLAGS);
	write_sysreg(mdcr_el2,
		     (pc->host_mdcr & MDCR_HPMN_MASK) | MDCR_VM_TRAPS);
	write_sysreg(cptr_el2, CPTR_EL2_VM);
	write_sysreg(cnthctl_el2, CNTHCTL_VM);
	write_sysreg(cntvoff_el2, pc->cntvoff);
	isb();
	flush_if_other_vcpu(pc, vmid, vcpuid);
	sysregs_restore(ctxt);
	timer_restore(ctxt);
	el2_vregs_restore(ctxt->vregs);
	write_sysreg(elr_el2, ctxt->regs[PC]);
	write_sysreg(spsr_el2, ctxt->regs[PSTATE]);

	vector = el2_guest_enter(ctxt);

	/* save_vm: where it stopped, why, its EL1 and FP/SIMD state. */
	ctxt->regs[PC] = read_sysreg(elr_el2);
	ctxt->regs[PSTATE] = read_sysreg(spsr_el2);
	ctxt->regs[ESR_EL2] = read_sysreg(esr_el2);
	kind = exit_kind(vector, ctxt->regs[ESR_EL2]);
	if (kind == ARM_EXCEPTION_IRQ) {
		ctxt->regs[ESR_EL2] = 0;
		ctxt->regs[FAR_EL2] = 0;
		ctxt->regs[HPFAR_EL2] = 0;
	} else {
		ctxt->regs[FAR_EL2] = read_sysreg(far_el2);
		ctxt->regs[HPFAR_EL2] = read_sysreg(hpfar_el2);
	}
	ctxt->regs[EC] = kind;
	sysregs_save(ctxt);
	timer_save(ctxt);
	el2_vregs_save(ctxt->vregs);

	/* restore_host: its stage 2 and traps, then its EL1 state. */
	write_sysreg(vttbr_el2, get_pt_vttbr(HOSTVISOR));
	write_sysreg(hcr_el2, HCR_HOST_FLAGS);
	write_sysreg(mdcr_el2, pc->host_mdcr);
	write_sysreg(cptr_el2, CPTR_EL2_DEFAULT);
	write_sysreg(cnthctl_el2, CNTHCTL_HOST);
	write_sysreg(cntvoff_el2, 0);
	sysregs_restore(&pc->host);
	timer_restore(&pc->host);
	el2_vregs_restore(pc->host.vregs);
	write_sysreg(elr_el2, pc->host.regs[PC]);
	write_sysreg(spsr_el2, pc->host.regs[PSTATE]);
	isb();
	return kind;
}

void arch_timer_set_cntvoff(u64 cntvoff)
{
	percpu[read_sysreg(tpidr_el2)].cntvoff = cntvoff;
}

u64 arch_read_actlr_el1(void)
{
	return read_sysreg(actlr_el1);
}
