// SPDX-License-Identifier: MIT
/*
 * Dropping a CPU to the host at EL1, de-privileged: stage 2 on with the
 * host's table (HOSTVISOR, VMID 0, filled on demand from stage-2 faults),
 * SMCs trapped so PSCI goes through corevisor, the EL1 timer and counter
 * left to the host, and the CPU's identity registers passed through.
 */
#include <cv/lib.h>
#include <cv/pt.h>
#include <arch/sysreg.h>

#include "el2.h"

/* ICC_SRE_EL2 (GICv3 system-register interface). */
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICC_SRE_SRE (1ULL << 0)
#define ICC_SRE_ENABLE (1ULL << 3)

static void host_gic_setup(void)
{
	/* ID_AA64PFR0_EL1.GIC: system registers implemented (GICv3). */
	if (((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xf) == 0)
		return;
	write_sysreg(ICC_SRE_EL2,
		     read_sysreg(ICC_SRE_EL2) | ICC_SRE_SRE | ICC_SRE_ENABLE);
	isb();
}

void host_enter(u32 cpu, u64 entry, u64 x0)
{
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
	write_sysreg(cnthctl_el2, 3); /* EL1PCTEN | EL1PCEN */
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(mdcr_el2, (read_sysreg(pmcr_el0) >> 11) & 0x1f); /* HPMN */
	write_sysreg(cptr_el2, CPTR_EL2_DEFAULT);
	write_sysreg(sctlr_el1, SCTLR_EL1_RESET);
	host_gic_setup();
	el2_gic_cpu_init();
	el2_vgic_cpu_init();
	write_sysreg(vtcr_el2, mmu_vtcr());
	write_sysreg(vttbr_el2, get_pt_vttbr(HOSTVISOR));
	write_sysreg(hcr_el2, HCR_HOST_FLAGS);
	isb();
	__asm__ volatile("tlbi vmalls12e1" ::: "memory");
	dsb(nsh);
	isb();
	el2_vcpu_cpu_init();
	el2_enter_el1(entry, x0);
}

void host_print_config(void)
{
	cv_printf("corevisor: host at EL1: HCR_EL2 0x%llx VTCR_EL2 0x%llx "
		  "(IPA %u bits) VTTBR_EL2 0x%llx\n",
		  (unsigned long long)HCR_HOST_FLAGS,
		  (unsigned long long)mmu_vtcr(), mmu_ipa_bits(),
		  (unsigned long long)get_pt_vttbr(HOSTVISOR));
}
