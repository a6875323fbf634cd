// SPDX-License-Identifier: MIT
/*
 * PSCI, from both sides: corevisor calls the firmware (QEMU's, through SMC)
 * to start its own CPUs, and proxies the host's PSCI calls, which trap here
 * (HCR_EL2.TSC). A host CPU_ON becomes a CPU_ON at corevisor's own EL2
 * entry: the new CPU sets up EL2 (vectors, MMU, host stage 2) and only
 * then drops to the host's entry point at EL1.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/panic.h>
#include <arch/sysreg.h>

#include "el2.h"

/* Where each CPU goes once its EL2 is up: the host entry and its x0. */
static struct {
	u64 entry;
	u64 ctx;
} boot_target[EL2_MAX_CPUS];

u64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;

	if (!plat.psci_smc)
		el2_fatal("psci: firmware conduit is not SMC");
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return x0;
}

void psci_system_off(void)
{
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	el2_fatal("psci: SYSTEM_OFF returned");
}

u32 cpu_index_of_mpidr(u64 mpidr)
{
	mpidr &= 0xff00ffffffULL; /* affinity fields only */
	for (u32 i = 0; i < plat.ncpus; i++)
		if ((plat.mpidr[i] & 0xff00ffffffULL) == mpidr)
			return i;
	return INVALID;
}

s64 el2_cpu_on(u32 cpu, u64 entry, u64 ctx)
{
	s64 ret;

	if (cpu >= plat.ncpus)
		return PSCI_RET_INVALID_PARAMS;
	__atomic_store_n(&boot_target[cpu].entry, entry, __ATOMIC_RELAXED);
	__atomic_store_n(&boot_target[cpu].ctx, ctx, __ATOMIC_RELAXED);
	/* The new CPU starts with its MMU off: make the targets visible. */
	dcache_clean_range(&boot_target[cpu], sizeof(boot_target[cpu]));
	el2_cpu_online(); /* a halt from now on waits for it too */
	ret = (s64)psci_call(PSCI_CPU_ON, plat.mpidr[cpu],
			     (u64)el2_secondary_entry, cpu);
	if (ret != 0)
		el2_cpu_offline();
	return ret;
}

/*
 * C side of el2_secondary_entry: EL2 set up, then the host at EL1 (or,
 * when the core halted meanwhile, parked like the others).
 */
void el2_secondary_main(u64 cpu);
void el2_secondary_main(u64 cpu)
{
	mmu_secondary_enable();
	if (halted())
		el2_park();
	host_enter((u32)cpu, boot_target[cpu].entry, boot_target[cpu].ctx);
}

/*
 * What the firmware offers beyond PSCI, asked once at boot (smccc_probe):
 * its SMCCC version (0 = none beyond 1.0) and ARCH_FEATURES of each
 * ARCH_WORKAROUND (index 1..3; NOT_SUPPORTED when unknown).
 */
static struct {
	u32 version;
	s64 workaround[4];
} fw_smccc;

static const u32 workaround_fn[4] = {0, SMCCC_ARCH_WORKAROUND_1,
				     SMCCC_ARCH_WORKAROUND_2,
				     SMCCC_ARCH_WORKAROUND_3};

void smccc_probe(void)
{
	s64 r;

	for (u32 i = 1; i < 4; i++)
		fw_smccc.workaround[i] = PSCI_RET_NOT_SUPPORTED;
	/* PSCI 1.0 says whether SMCCC_VERSION exists (as Linux asks). */
	r = (s64)psci_call(PSCI_FEATURES, SMCCC_VERSION, 0, 0);
	if (r < 0)
		return;
	r = (s64)psci_call(SMCCC_VERSION, 0, 0, 0);
	if (r < (s64)SMCCC_VERSION_1_1)
		return;
	fw_smccc.version = (u32)r;
	for (u32 i = 1; i < 4; i++)
		fw_smccc.workaround[i] = (s64)psci_call(SMCCC_ARCH_FEATURES,
							workaround_fn[i], 0, 0);
}

void smccc_print(void);
void smccc_print(void)
{
	cv_printf("corevisor: firmware PSCI 0x%llx, SMCCC %s, "
		  "ARCH_WORKAROUND_1/2/3 %lld/%lld/%lld, SYSTEM_SUSPEND %s\n",
		  (unsigned long long)psci_call(PSCI_VERSION, 0, 0, 0),
		  fw_smccc.version ? "1.1+" : "1.0",
		  (long long)fw_smccc.workaround[1],
		  (long long)fw_smccc.workaround[2],
		  (long long)fw_smccc.workaround[3],
		  (s64)psci_call(PSCI_FEATURES, PSCI_SYSTEM_SUSPEND, 0, 0) >= 0
			  ? "yes"
			  : "no");
}

static s64 workaround_index(u32 fn)
{
	for (u32 i = 1; i < 4; i++)
		if (workaround_fn[i] == fn)
			return i;
	return 0;
}

/*
 * SMCCC_ARCH_FEATURES from the host: the SMCCC calls corevisor serves
 * itself are there; a workaround is there when the firmware has it (its
 * answer, which for WORKAROUND_2 also says whether it is needed).
 */
static s64 arch_features(u32 fn)
{
	s64 i = workaround_index(fn);

	if (fn == SMCCC_VERSION || fn == SMCCC_ARCH_FEATURES)
		return 0;
	return i ? fw_smccc.workaround[i] : PSCI_RET_NOT_SUPPORTED;
}

/* PSCI_FEATURES from the host: only what host_smc serves. */
static s64 psci_features(u32 fn)
{
	switch (fn) {
	case SMCCC_VERSION:
		return 0;
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_32:
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case PSCI_SYSTEM_SUSPEND:
	case PSCI_SYSTEM_SUSPEND_32:
		/* Served when the firmware has it (its flags as they are). */
		return (s64)psci_call(PSCI_FEATURES, fn, 0, 0);
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

/*
 * CPU_SUSPEND / SYSTEM_SUSPEND from the host, proxied like CPU_ON: the
 * firmware gets corevisor's EL2 entry, never the host's (a powered-down
 * CPU wakes at EL2, sets EL2 up again and only then resumes the host at
 * its entry point with its context, as PSCI says). A suspend that returns
 * (a standby state, or a wake-up before power-down) returns the
 * firmware's result to the host, whose context never left the CPU.
 */
static s64 host_suspend(u32 fn, u64 power_state, u64 entry, u64 ctx)
{
	u32 cpu = arch_cpu_id();

	__atomic_store_n(&boot_target[cpu].entry, entry, __ATOMIC_RELAXED);
	__atomic_store_n(&boot_target[cpu].ctx, ctx, __ATOMIC_RELAXED);
	dcache_clean_range(&boot_target[cpu], sizeof(boot_target[cpu]));
	if (fn == PSCI_SYSTEM_SUSPEND)
		return (s64)psci_call(PSCI_SYSTEM_SUSPEND,
				      (u64)el2_secondary_entry, cpu, 0);
	return (s64)psci_call(PSCI_CPU_SUSPEND, power_state,
			      (u64)el2_secondary_entry, cpu);
}

/*
 * A host SMC: ELR_EL2 points at the SMC itself, so step over it. PSCI
 * and the SMCCC architecture calls are answered; CPU_ON and the suspends
 * are the ones corevisor rewrites, everything else is NOT_SUPPORTED.
 */
void host_smc(struct el2_frame *f)
{
	u32 fn = (u32)f->x[0];
	u32 cpu;
	s64 i;

	f->elr += 4;
	switch (fn) {
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_32:
		cpu = cpu_index_of_mpidr(f->x[1]);
		if (cpu == INVALID) {
			f->x[0] = (u64)PSCI_RET_INVALID_PARAMS;
			return;
		}
		f->x[0] = (u64)el2_cpu_on(cpu, f->x[2], f->x[3]);
		return;
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND_32:
		f->x[0] = (u64)host_suspend(PSCI_CPU_SUSPEND, f->x[1], f->x[2],
					    f->x[3]);
		return;
	case PSCI_SYSTEM_SUSPEND:
	case PSCI_SYSTEM_SUSPEND_32:
		f->x[0] = (u64)host_suspend(PSCI_SYSTEM_SUSPEND, 0, f->x[1],
					    f->x[2]);
		return;
	case PSCI_FEATURES:
		f->x[0] = (u64)psci_features((u32)f->x[1]);
		return;
	case PSCI_CPU_OFF:
		/* A halt no longer waits for this CPU (back if it failed). */
		el2_cpu_offline();
		f->x[0] = psci_call(fn, f->x[1], f->x[2], f->x[3]);
		el2_cpu_online();
		return;
	case PSCI_VERSION:
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_RESET:
		f->x[0] = psci_call(fn, f->x[1], f->x[2], f->x[3]);
		return;
	case SMCCC_VERSION:
		/* corevisor itself serves 1.1's ARCH_FEATURES. */
		f->x[0] =
			fw_smccc.version ? fw_smccc.version : SMCCC_VERSION_1_1;
		return;
	case SMCCC_ARCH_FEATURES:
		f->x[0] = (u64)arch_features((u32)f->x[1]);
		return;
	case SMCCC_ARCH_WORKAROUND_1:
	case SMCCC_ARCH_WORKAROUND_2:
	case SMCCC_ARCH_WORKAROUND_3:
		/* The mitigation is the firmware's to apply, at EL3. */
		i = workaround_index(fn);
		if (fw_smccc.workaround[i] < 0) {
			f->x[0] = (u64)PSCI_RET_NOT_SUPPORTED;
			return;
		}
		f->x[0] = psci_call(fn, f->x[1], f->x[2], f->x[3]);
		return;
	case PSCI_SYSTEM_OFF:
		/*
		 * The host is done: end the run with a status a test can
		 * check (semihosting, falling back to the firmware's
		 * SYSTEM_OFF when semihosting is absent).
		 */
		arch_console_write("corevisor: host powered the system off\n");
		semihost_exit(0);
	default:
		f->x[0] = (u64)PSCI_RET_NOT_SUPPORTED;
	}
}
