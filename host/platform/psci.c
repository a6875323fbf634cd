// SPDX-License-Identifier: MIT
/* PSCI from EL1: SMC #0, which corevisor traps (HCR_EL2.TSC) and proxies. */
#include <host/platform.h>

#define PSCI_CPU_OFF 0x84000002ULL
#define PSCI_CPU_ON 0xc4000003ULL
#define PSCI_AFFINITY_INFO 0xc4000004ULL
#define PSCI_SYSTEM_OFF 0x84000008ULL

u64 host_smc(u64 fn, u64 a1, u64 a2, u64 a3);

s64 psci_cpu_on(u64 mpidr, u64 entry, u64 ctx)
{
	return (s64)host_smc(PSCI_CPU_ON, mpidr, entry, ctx);
}

void psci_system_off(void)
{
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfe");
}

void psci_cpu_off(void)
{
	host_smc(PSCI_CPU_OFF, 0, 0, 0);
	host_fail("PSCI CPU_OFF returned");
}

s64 psci_affinity_info(u64 mpidr)
{
	return (s64)host_smc(PSCI_AFFINITY_INFO, mpidr, 0, 0);
}
