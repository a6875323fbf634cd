// SPDX-License-Identifier: MIT
/*
 * The world switch (the spec's CtxtSwitch: save_host, restore_vm, save_vm,
 * restore_host): the hardware half, arch_vcpu_run (cv/arch.h), on this
 * CPU. The host entered corevisor by HVC (VCPU_RUN): its caller-saved
 * general registers are in the trap frame on the EL2 stack, its
 * callee-saved ones pushed by el2_guest_enter; what the VM would
 * overwrite besides is the host's ERET, EL1, timer and (only once the VM
 * uses its own) FP/SIMD state, kept in a per-CPU area meanwhile. The
 * switch itself is switch.S; this file holds its per-CPU data.
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
#include "switch.h"

_Static_assert(__builtin_offsetof(struct cv_ctxt, regs) == 0,
	       "switch.S reads X0..X30 at the start of struct cv_ctxt");

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

/*
 * Per CPU, for switch.S: the host's state while a VM runs (its ERET, EL1
 * and timer state in a context; its general registers are in the
 * VCPU_RUN trap frame and on the EL2 stack; its FP/SIMD registers only
 * once a VM loads its own), the EL2 controls of a VM and of the host on
 * this CPU (set at host_enter), CNTVOFF_EL2 for VMs
 * (arch_timer_set_cntvoff), and the vCPU that last ran here.
 */
struct el2_percpu {
	u64 vm_hcr, vm_mdcr, vm_cptr, vm_cnthctl, cntvoff;
	u64 host_vttbr, host_hcr, host_mdcr, host_cptr, host_cnthctl;
	u32 last_vmid, last_vcpuid;
	struct cv_ctxt host __attribute__((aligned(16)));
	struct el2_fpsimd host_fp;
} __attribute__((aligned(16)));
struct el2_percpu el2_percpu[EL2_MAX_CPUS];

#define CHECK_OFFSET(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), #field)
CHECK_OFFSET(struct cv_ctxt, regs[SP], CTXT_SP);
_Static_assert(PC == SP + 1 && PSTATE == SP + 2 && SP_EL1 == SP + 3 &&
		       ELR_EL1 == SP + 4 && SPSR_EL1 == SP + 5,
	       "switch.S: SP_EL0, ELR/SPSR_EL2, SP/ELR/SPSR_EL1 in a row");
CHECK_OFFSET(struct cv_ctxt, regs[FAR_EL2], CTXT_FAR_EL2);
_Static_assert(HPFAR_EL2 == FAR_EL2 + 1, "switch.S: FAR/HPFAR_EL2 pair");
CHECK_OFFSET(struct cv_ctxt, regs[EC], CTXT_EC);
CHECK_OFFSET(struct cv_ctxt, regs[MPIDR_EL1], CTXT_MPIDR);
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
CHECK_OFFSET(struct cv_ctxt, regs[ESR_EL2], CTXT_ESR_EL2);
CHECK_OFFSET(struct cv_ctxt, vregs, CTXT_VREGS);
CHECK_OFFSET(struct cv_ctxt, cntv_ctl, CTXT_TIMER);
CHECK_OFFSET(struct cv_ctxt, cntv_cval, CTXT_TIMER + 8);
CHECK_OFFSET(struct cv_ctxt, vgic.cntvoff, CTXT_CNTVOFF);
_Static_assert(sizeof(struct cv_ctxt) == CTXT_SIZE, "switch.h CTXT_SIZE");
CHECK_OFFSET(struct el2_percpu, host, PC_HOST);
CHECK_OFFSET(struct el2_percpu, vm_hcr, PC_VM_HCR);
CHECK_OFFSET(struct el2_percpu, vm_mdcr, PC_VM_HCR + 8);
CHECK_OFFSET(struct el2_percpu, vm_cptr, PC_VM_CPTR);
CHECK_OFFSET(struct el2_percpu, vm_cnthctl, PC_VM_CPTR + 8);
CHECK_OFFSET(struct el2_percpu, cntvoff, PC_CNTVOFF);
CHECK_OFFSET(struct el2_percpu, host_vttbr, PC_HOST_VTTBR);
CHECK_OFFSET(struct el2_percpu, host_hcr, PC_HOST_VTTBR + 8);
CHECK_OFFSET(struct el2_percpu, host_mdcr, PC_HOST_MDCR);
CHECK_OFFSET(struct el2_percpu, host_cptr, PC_HOST_MDCR + 8);
CHECK_OFFSET(struct el2_percpu, host_cnthctl, PC_HOST_CNTHCTL);
CHECK_OFFSET(struct el2_percpu, last_vmid, PC_LAST);
CHECK_OFFSET(struct el2_percpu, last_vcpuid, PC_LAST + 4);
CHECK_OFFSET(struct el2_percpu, host_fp, PC_HOST_FP);
_Static_assert(sizeof(struct el2_percpu) == PC_SIZE, "switch.h PC_SIZE");
_Static_assert(ARM_EXCEPTION_IRQ == 0 && ARM_EXCEPTION_EL1_SERROR == 1 &&
		       ARM_EXCEPTION_TRAP == 2 && ARM_EXCEPTION_IL == 3,
	       "switch.S: the exit kinds");
_Static_assert(ESR_EC_FP == 0x07, "switch.S: ESR_EC_FP");

void el2_vcpu_cpu_init(void)
{
	struct el2_percpu *pc = &el2_percpu[read_sysreg(tpidr_el2)];

	pc->host.regs[MPIDR_EL1] = read_sysreg(vmpidr_el2);
	pc->host_vttbr = read_sysreg(vttbr_el2);
	pc->host_hcr = HCR_HOST_FLAGS;
	pc->host_mdcr = read_sysreg(mdcr_el2);
	pc->host_cptr = CPTR_EL2_DEFAULT;
	pc->host_cnthctl = CNTHCTL_HOST;
	pc->vm_hcr = HCR_VM_FLAGS;
	pc->vm_mdcr = (pc->host_mdcr & MDCR_HPMN_MASK) | MDCR_VM_TRAPS;
	pc->vm_cptr = CPTR_EL2_VM_LAZY;
	pc->vm_cnthctl = CNTHCTL_VM;
}

void arch_timer_set_cntvoff(u64 cntvoff)
{
	el2_percpu[read_sysreg(tpidr_el2)].cntvoff = cntvoff;
}

/* MRS of ID register S3_0_C0_C<crm>_<op2>. */
#define READ_ID(crm, op2)                                                      \
	case (crm)*8 + (op2):                                                  \
		__asm__ volatile("mrs %0, s3_0_c0_c" #crm "_" #op2 : "=r"(v)); \
		return v

/*
 * cv/arch.h: the registers Armv8.0-8.7 allocate in the ID group 3 space
 * (read by name, so an encoding QEMU or a CPU may leave undefined at EL2
 * is never touched); every other encoding reads as zero, as the
 * architecture has the guest see it.
 */
u64 arch_read_id_reg(u32 crm, u32 op2)
{
	u64 v;

	switch (crm * 8 + op2) {
		READ_ID(1, 0); /* ID_PFR0_EL1 .. ID_MMFR3_EL1 */
		READ_ID(1, 1);
		READ_ID(1, 2);
		READ_ID(1, 4);
		READ_ID(1, 5);
		READ_ID(1, 6);
		READ_ID(1, 7);
		READ_ID(2, 0); /* ID_ISAR0_EL1 .. ID_ISAR6_EL1 */
		READ_ID(2, 1);
		READ_ID(2, 2);
		READ_ID(2, 3);
		READ_ID(2, 4);
		READ_ID(2, 5);
		READ_ID(2, 6);
		READ_ID(2, 7);
		READ_ID(3, 0); /* MVFR0_EL1 .. MVFR2_EL1 */
		READ_ID(3, 1);
		READ_ID(3, 2);
		READ_ID(4, 0); /* ID_AA64PFR0_EL1, PFR1 */
		READ_ID(4, 1);
		READ_ID(6, 0); /* ID_AA64ISAR0_EL1 .. ISAR2 */
		READ_ID(6, 1);
		READ_ID(6, 2);
		READ_ID(7, 0); /* ID_AA64MMFR0_EL1 .. MMFR2 */
		READ_ID(7, 1);
		READ_ID(7, 2);
	default:
		return 0;
	}
}

u64 arch_read_actlr_el1(void)
{
	return read_sysreg(actlr_el1);
}
