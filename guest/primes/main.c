// SPDX-License-Identifier: MIT
/*
 * The primes guest (2 vCPUs). vCPU 0 counts and sums the primes below one
 * million with a sieve in 1 MB of RAM beyond its image, and sums 1/k^2 in
 * floating point while storing partial sums to fresh pages (so FP/SIMD
 * state is live across stage-2 fault exits). vCPU 1, started with PSCI
 * CPU_ON, fills and checksums 512 KiB of RAM of its own, then turns
 * itself off (CPU_OFF); vCPU 0 then starts it again (CPU_ON after
 * CPU_OFF, another context) and waits for it to say so. Every line it
 * prints has a known right answer (tests check them).
 */
#include "guest.h"

const char guest_name[] = "primes";

#define SIEVE ((volatile u8 *)0x40200000UL)
#define SIEVE_N 1000000UL
#define PARTIALS ((volatile u8 *)0x40400000UL) /* 100 pages */
#define ZETA_N 100000UL
#define ZETA_STEP 1000UL
#define CHECK_BUF ((volatile u64 *)0x40500000UL)
#define CHECK_WORDS (512UL * 1024 / 8)

#define FIRST_CTX 0x5eedULL
#define RESTART_CTX 0x5eed0002ULL

static volatile u64 checksum;
static volatile u32 checksum_done, restarted;

static void sieve(void)
{
	u64 count = 0, sum = 0;

	for (u64 i = 0; i < SIEVE_N; i++)
		SIEVE[i] = i >= 2;
	for (u64 i = 2; i * i < SIEVE_N; i++)
		if (SIEVE[i])
			for (u64 j = i * i; j < SIEVE_N; j += i)
				SIEVE[j] = 0;
	for (u64 i = 0; i < SIEVE_N; i++)
		if (SIEVE[i]) {
			count++;
			sum += i;
		}
	guest_printf("primes: %llu primes below %lu, sum %llu\n",
		     (unsigned long long)count, SIEVE_N,
		     (unsigned long long)sum);
}

/*
 * sqrt(6 * sum 1/k^2) tends to pi. Every ZETA_STEP terms the running sum
 * goes to a page not touched before: a stage-2 fault while the sum sits in
 * an FP register.
 */
static void zeta2(void)
{
	double s = 0.0;

	for (u64 k = 1; k <= ZETA_N; k++) {
		s += 1.0 / ((double)k * (double)k);
		if (k % ZETA_STEP == 0)
			*(volatile double *)(PARTIALS + (k / ZETA_STEP - 1) *
								PAGE_SIZE) = s;
	}
	for (u64 i = 0; i < ZETA_N / ZETA_STEP; i++)
		if (*(volatile double *)(PARTIALS + i * PAGE_SIZE) <= 0.0)
			guest_fail("partial sum %lu lost", (unsigned long)i);
	guest_printf("primes: sqrt(6 * sum 1/k^2, k <= %lu) = %llu e-9\n",
		     ZETA_N,
		     (unsigned long long)(__builtin_sqrt(6.0 * s) * 1e9));
}

void guest_secondary_main(u64 ctx)
{
	u64 x = ctx, sum = 0;

	guest_mmu_enable();
	if (ctx == RESTART_CTX) {
		/* A fresh start: nothing of the first run is left. */
		guest_printf("primes: vcpu %u restarted (ctx 0x%llx)\n",
			     guest_cpu(), (unsigned long long)ctx);
		__atomic_store_n(&restarted, 1, __ATOMIC_RELEASE);
		sev();
		psci_cpu_off();
	}
	guest_printf("primes: vcpu %u up (ctx 0x%llx)\n", guest_cpu(),
		     (unsigned long long)ctx);
	for (u64 i = 0; i < CHECK_WORDS; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		CHECK_BUF[i] = x;
	}
	for (u64 i = 0; i < CHECK_WORDS; i++) {
		u64 w = CHECK_BUF[i];

		sum += (w ^ (w >> 29)) * (i | 1);
	}
	checksum = sum;
	__atomic_store_n(&checksum_done, 1, __ATOMIC_RELEASE);
	sev();
	psci_cpu_off();
}

void guest_main(void)
{
	s64 r;

	guest_printf("primes: hello from vcpu %u at EL%llu\n", guest_cpu(),
		     (unsigned long long)({
			     u64 el;
			     __asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
			     el >> 2;
		     }));
	if (guest_testdev_id() != TESTDEV_ID_VALUE)
		guest_fail("test device id 0x%x", guest_testdev_id());
	guest_mmu_enable();
	r = psci_cpu_on(1, (u64)secondary_entry, FIRST_CTX);
	if (r != 0)
		guest_fail("PSCI CPU_ON(1) returned %lld", (long long)r);
	zeta2();
	sieve();
	while (!__atomic_load_n(&checksum_done, __ATOMIC_ACQUIRE))
		wfe();
	guest_printf("primes: vcpu 1 checksum 0x%llx\n",
		     (unsigned long long)checksum);
	/*
	 * vCPU 1 calls CPU_OFF after its checksum: start it once more. The
	 * waits poll with PSCI calls, which exit to the host (so it can run
	 * vCPU 1 on this CPU too; a WFE does not trap under QEMU's TCG).
	 */
	while (psci_affinity_info(1) != 1)
		;
	r = psci_cpu_on(1, (u64)secondary_entry, RESTART_CTX);
	if (r != 0)
		guest_fail("PSCI CPU_ON(1) after its CPU_OFF returned %lld",
			   (long long)r);
	while (!__atomic_load_n(&restarted, __ATOMIC_ACQUIRE))
		psci_affinity_info(1);
	guest_printf("primes: vcpu 1 started again after CPU_OFF\n");
	guest_printf("primes: done, powering off\n");
	psci_system_off();
}
