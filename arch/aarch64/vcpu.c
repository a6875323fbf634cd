// SPDX-License-Identifier: MIT
/*
 * The world switch (the spec's CtxtSwitch: save_host, restore_vm, save_vm,
 * restore_host): the hardware half, arch_vcpu_run (cv/arch.h), on this
 * CPU. The host entered corevisor by HVC (VCPU_RUN): its caller-saved
 * general registers are in the trap frame on the EL2 stack, its
 * callee-saved ones pushed by el2_guest_enter; what the VM would
 * overwrite besides is the host's ERET, EL1, timer and (only once the VM
 * uses its own) FP/SIMD state, kept in a per-CPU area meanwhile. The
 * system registers move in pairs (switch.S).
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

/* CPTR_EL2.TFP: FP/SIMD accesses below EL2 trap (lazy FP/SIMD switch). */
#define CPTR_TFP (1ULL << 10)
#define CPTR_EL2_VM_LAZY (CPTR_EL2_VM | CPTR_TFP)

/* switch.S: a context's EL1, ERET and timer state (see there). */
void el2_ctxt_save(struct cv_ctxt *c);
void el2_ctxt_restore(const struct cv_ctxt *c);
_Static_assert(
	__builtin_offsetof(struct cv_ctxt, regs[SP]) == 31 * 8 &&
		PC == SP + 1 && PSTATE == SP + 2 && SP_EL1 == SP + 3 &&
		ELR_EL1 == SP + 4 && SPSR_EL1 == SP + 5,
	"switch.S: SP_EL0, ELR/SPSR_EL2, SP/ELR/SPSR_EL1 at regs[31..36]");
_Static_assert(MPIDR_EL1 == 47 && CSSELR_EL1 == 48 && SCTLR_EL1 == 49 &&
		       ACTLR_EL1 == 50 && CPACR_EL1 == 51 && TTBR0_EL1 == 52 &&
		       TTBR1_EL1 == 53 && TCR_EL1 == 54 && ESR_EL1 == 55 &&
		       AFSR0_EL1 == 56 && AFSR1_EL1 == 57 && FAR_EL1 == 58 &&
		       MAIR_EL1 == 59 && VBAR_EL1 == 60 &&
		       CONTEXTIDR_EL1 == 61 && TPIDR_EL0 == 62 &&
		       TPIDRRO_EL0 == 63 && TPIDR_EL1 == 64 &&
		       AMAIR_EL1 == 65 && CNTKCTL_EL1 == 66 && PAR_EL1 == 67 &&
		       MDSCR_EL1 == 68,
	       "switch.S: the EL1 system registers' order");
_Static_assert(__builtin_offsetof(struct cv_ctxt, cntv_ctl) == 1112 &&
		       __builtin_offsetof(struct cv_ctxt, cntv_cval) == 1120,
	       "switch.S: CTXT_TIMER");

/*
 * Per CPU: the host's state while a VM runs (EL1, ERET and timer state in
 * a context: its general registers are in the VCPU_RUN trap frame and on
 * the EL2 stack; its FP/SIMD registers only once a VM uses its own), what
 * the host's EL2 controls are (set once, at host_enter), CNTVOFF_EL2 for
 * VMs (arch_timer_set_cntvoff), and the vCPU that last ran here.
 */
static struct el2_percpu {
	struct cv_ctxt host;
	struct el2_fpsimd host_fp;
	u64 host_vttbr;
	u64 host_mdcr;
	u64 vm_mdcr;
	u64 cntvoff;
	u32 last_vmid;
	u32 last_vcpuid;
} percpu[EL2_MAX_CPUS];

/* entry.S */
u64 el2_guest_enter(struct cv_ctxt *ctxt);
void el2_vregs_save(u64 *vregs);
void el2_vregs_restore(const u64 *vregs);

void el2_vcpu_cpu_init(void)
{
	struct el2_percpu *pc = &percpu[read_sysreg(tpidr_el2)];

	pc->host.regs[MPIDR_EL1] = read_sysreg(vmpidr_el2);
	pc->host_vttbr = read_sysreg(vttbr_el2);
	pc->host_mdcr = read_sysreg(mdcr_el2);
	pc->vm_mdcr = (pc->host_mdcr & MDCR_HPMN_MASK) | MDCR_VM_TRAPS;
}

/*
 * Stage-1 TLB entries of a VMID are shared by all its vCPUs but belong to
 * one vCPU's page tables: a different vCPU of the same VM on this CPU
 * must not see them (KVM's last_vcpu_ran). Called with VTTBR_EL2 written.
 */
static void flush_if_other_vcpu(struct el2_percpu *pc, u32 vmid, u32 vcpuid)
{
	if (pc->last_vmid == vmid && pc->last_vcpuid != vcpuid) {
		isb();
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

/*
 * The VM's FP/SIMD registers are loaded lazily: it runs with CPTR_EL2.TFP
 * set and the host's registers in place (which it cannot read: any access
 * traps), and its first FP/SIMD instruction traps here (EC 0x07): the
 * host's registers are saved, the vCPU's loaded, TFP cleared, and the
 * instruction runs again, without leaving arch_vcpu_run. An exit that
 * needs no FP/SIMD (most MMIO, HVC and WFx exits) moves none of them.
 */
u64 arch_vcpu_run(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt)
{
	struct el2_percpu *pc = &percpu[read_sysreg(tpidr_el2)];
	bool fp = false;
	u64 vector, esr, kind;

	/* save_host: its ERET state, EL1 state and timer. */
	el2_ctxt_save(&pc->host);

	/* restore_vm: stage 2, traps, EL1 state, timer, PC and PSTATE. */
	write_sysreg(vttbr_el2, vttbr);
	write_sysreg(hcr_el2, HCR_VM_FLAGS);
	write_sysreg(mdcr_el2, pc->vm_mdcr);
	write_sysreg(cptr_el2, CPTR_EL2_VM_LAZY);
	write_sysreg(cnthctl_el2, CNTHCTL_VM);
	write_sysreg(cntvoff_el2, pc->cntvoff);
	flush_if_other_vcpu(pc, vmid, vcpuid);
	el2_ctxt_restore(ctxt);

	for (;;) {
		vector = el2_guest_enter(ctxt);
		esr = read_sysreg(esr_el2);
		if (vector != 8 || esr_ec(esr) != ESR_EC_FP || fp)
			break;
		/*
		 * The first FP/SIMD access of this run (see above). TFP traps
		 * EL2's own accesses too: clear it first.
		 */
		write_sysreg(cptr_el2, CPTR_EL2_VM);
		isb();
		el2_fpsimd_save(&pc->host_fp);
		el2_vregs_restore(ctxt->vregs);
		fp = true;
	}

	/* save_vm: why it stopped, its EL1, ERET, timer and FP/SIMD state. */
	kind = exit_kind(vector, esr);
	ctxt->regs[EC] = kind;
	if (kind == ARM_EXCEPTION_IRQ) {
		ctxt->regs[ESR_EL2] = 0;
		ctxt->regs[FAR_EL2] = 0;
		ctxt->regs[HPFAR_EL2] = 0;
	} else {
		ctxt->regs[ESR_EL2] = esr;
		ctxt->regs[FAR_EL2] = read_sysreg(far_el2);
		ctxt->regs[HPFAR_EL2] = read_sysreg(hpfar_el2);
	}
	el2_ctxt_save(ctxt);
	/* A VM's timer must not fire while the host runs. */
	write_sysreg(cntv_ctl_el0, 0);
	if (fp) {
		el2_vregs_save(ctxt->vregs);
		el2_fpsimd_restore(&pc->host_fp);
	}

	/* restore_host: its stage 2 and traps, then its EL1 state. */
	write_sysreg(vttbr_el2, pc->host_vttbr);
	write_sysreg(hcr_el2, HCR_HOST_FLAGS);
	write_sysreg(mdcr_el2, pc->host_mdcr);
	write_sysreg(cptr_el2, CPTR_EL2_DEFAULT);
	write_sysreg(cnthctl_el2, CNTHCTL_HOST);
	write_sysreg(cntvoff_el2, 0);
	el2_ctxt_restore(&pc->host);
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
