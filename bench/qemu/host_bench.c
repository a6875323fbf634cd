// SPDX-License-Identifier: MIT
/*
 * The bench host (EL1), in place of host/platform/main.c: counts the EL2
 * instructions of host hypercall round trips with the PMU, which QEMU
 * runs with -icount (instruction-exact). Counters are filtered to EL2
 * (PMCCFILTR/PMEVTYPER: P and U set = not EL1/EL0, NSH set = EL2), so
 * the host's own instructions around the HVC are not counted; event
 * counter 0 counts INST_RETIRED (0x08), the cycle counter runs at one
 * cycle per instruction under -icount shift=0. Prints one line per
 * series: "bench: NAME calls N inst MIN MAX cycles MIN MAX".
 */
#include <corevisor/abi.h>
#include <host/platform.h>

#define BENCH_SMC_BARE_ON 0x86000b01ULL /* el2_bench.c */
#define BENCH_BARE_OFF 0x7eULL		/* el2_bare.S */
#define ROUNDS 64

#define PMCR_E (1ULL << 0)
#define PMCR_P (1ULL << 1)
#define PMCR_C (1ULL << 2)
#define PMCR_LC (1ULL << 6)
#define FILTER_P (1ULL << 31)
#define FILTER_U (1ULL << 30)
#define FILTER_NSH (1ULL << 27)
#define EV_INST_RETIRED 0x08ULL

void host_secondary_main(u64 ctx);
void host_main(u64 dtb);

#define mrs(r)                                               \
	({                                                   \
		u64 __v;                                     \
		__asm__ volatile("mrs %0, " #r : "=r"(__v)); \
		__v;                                         \
	})
#define msr(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((u64)(v)))

static void pmu_setup(void)
{
	msr(pmccfiltr_el0, FILTER_P | FILTER_U | FILTER_NSH);
	msr(pmevtyper0_el0, EV_INST_RETIRED | FILTER_P | FILTER_U | FILTER_NSH);
	msr(pmcntenset_el0, (1ULL << 31) | 1);
	msr(pmcr_el0, PMCR_E | PMCR_P | PMCR_C | PMCR_LC);
	__asm__ volatile("isb");
}

static inline u64 hvc6(u64 x0, u64 x1)
{
	register u64 r0 __asm__("x0") = x0;
	register u64 r1 __asm__("x1") = x1;

	__asm__ volatile("hvc #0"
			 : "+r"(r0), "+r"(r1)
			 :
			 : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
			   "x10", "x11", "x12", "x13", "x14", "x15", "x16",
			   "x17", "memory");
	return r0;
}

static inline u64 smc1(u64 x0)
{
	register u64 r0 __asm__("x0") = x0;

	__asm__ volatile("smc #0"
			 : "+r"(r0)
			 :
			 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
			   "x10", "x11", "x12", "x13", "x14", "x15", "x16",
			   "x17", "memory");
	return r0;
}

/* ROUNDS round trips of hvc(@x0, @x1); the EL2 instructions of each. */
static void series(const char *name, u64 x0, u64 x1, u64 expect)
{
	u64 imin = ~0ULL, imax = 0, cmin = ~0ULL, cmax = 0;

	for (int i = 0; i < ROUNDS; i++) {
		u64 i0, c0, i1, c1, r;

		__asm__ volatile("isb");
		i0 = mrs(pmevcntr0_el0);
		c0 = mrs(pmccntr_el0);
		r = hvc6(x0, x1);
		i1 = mrs(pmevcntr0_el0);
		c1 = mrs(pmccntr_el0);
		if (r != expect)
			host_fail("bench: %s returned 0x%llx", name,
				  (unsigned long long)r);
		i1 = (i1 - i0) & 0xffffffffULL;
		c1 -= c0;
		imin = i1 < imin ? i1 : imin;
		imax = i1 > imax ? i1 : imax;
		cmin = c1 < cmin ? c1 : cmin;
		cmax = c1 > cmax ? c1 : cmax;
	}
	host_printf("bench: %s calls %d inst %llu %llu cycles %llu %llu\n",
		    name, ROUNDS, (unsigned long long)imin,
		    (unsigned long long)imax, (unsigned long long)cmin,
		    (unsigned long long)cmax);
}

void host_secondary_main(u64 ctx)
{
	for (;;)
		__asm__ volatile("wfe");
}

void host_main(u64 dtb)
{
	u64 vmid;

	host_printf("bench: host at EL1, PMCR_EL0 0x%llx\n",
		    (unsigned long long)mrs(pmcr_el0));
	pmu_setup();
	series("hvc_noop", HVC_NOOP, 0, 0);
	vmid = hvc6(HVC_REGISTER_KVM, 0);
	series("hvc_is_inc_exe", HVC_IS_INC_EXE, vmid, 0);
	if (smc1(BENCH_SMC_BARE_ON) != 0)
		host_fail("bench: bare vectors refused");
	/* The bare trap hands x0 back unchanged. */
	series("bare_trap", 0x1234, 0, 0x1234);
	hvc6(BENCH_BARE_OFF, 0);
	series("hvc_noop_again", HVC_NOOP, 0, 0);
	host_printf("bench: done\n");
	psci_system_off();
}
