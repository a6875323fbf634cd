// SPDX-License-Identifier: MIT
/*
 * The bare-metal host's boot: runs at EL1 under corevisor's stage 2. It
 * checks the basic contract with corevisor (hypercalls answer, its own
 * memory faults in on demand, a second CPU comes up through a trapped
 * PSCI CPU_ON at EL1), then powers the machine off.
 */
#include <host/vmm.h>

/* Host RAM the boot check touches: [0x50400000, 0x80000000), 2 MiB apart. */
#define TOUCH_START 0x50400000ULL
#define TOUCH_END 0x80000000ULL
#define TOUCH_STEP 0x200000ULL
#define SECONDARY_PAGE 0x60001000ULL

static volatile u32 secondary_up[HOST_MAX_CPUS];

void host_secondary_start(u64 ctx);
void host_secondary_main(u64 ctx);

static u64 current_el(void)
{
	u64 v;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(v));
	return (v >> 2) & 3;
}

static u64 touch(u64 start, u64 end, u64 step)
{
	u64 n = 0;

	for (u64 a = start; a < end; a += step, n++)
		*(volatile u64 *)a = a ^ 0x5a5a5a5a5a5a5a5aULL;
	for (u64 a = start; a < end; a += step)
		if (*(volatile u64 *)a != (a ^ 0x5a5a5a5a5a5a5a5aULL))
			host_fail("memory at 0x%llx lost its value",
				  (unsigned long long)a);
	return n;
}

void host_secondary_main(u64 ctx)
{
	u32 cpu = host_cpu();

	if (current_el() != 1)
		host_fail("cpu %u runs at EL%llu", cpu,
			  (unsigned long long)current_el());
	if (vmm_noop() != 0)
		host_fail("cpu %u: HVC_NOOP failed", cpu);
	/* A page no other CPU touched: its stage-2 fault is served here. */
	touch(SECONDARY_PAGE + cpu * HOST_PAGE_SIZE,
	      SECONDARY_PAGE + (cpu + 1) * HOST_PAGE_SIZE, HOST_PAGE_SIZE);
	host_printf("host: cpu %u up at EL1\n", cpu);
	__atomic_store_n(&secondary_up[cpu], 1, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("wfe");
}

static void start_cpu(u32 cpu)
{
	s64 r = psci_cpu_on(cpu, (u64)host_secondary_start, cpu);

	if (r != 0)
		host_fail("PSCI CPU_ON(%u) returned %lld", cpu, (long long)r);
	for (u64 spin = 0;
	     !__atomic_load_n(&secondary_up[cpu], __ATOMIC_ACQUIRE); spin++)
		if (spin > 100000000ULL)
			host_fail("cpu %u did not come up", cpu);
}

void host_main(u64 dtb);
void host_main(u64 dtb)
{
	u64 r;
	u32 vmid;

	host_printf("host: hello from EL1 (EL%llu, dtb 0x%llx)\n",
		    (unsigned long long)current_el(), (unsigned long long)dtb);
	if (current_el() != 1)
		host_fail("host runs at EL%llu",
			  (unsigned long long)current_el());

	r = vmm_noop();
	host_printf("host: HVC_NOOP -> %llu\n", (unsigned long long)r);
	if (r != 0)
		host_fail("HVC_NOOP returned %llu", (unsigned long long)r);

	vmid = vmm_register_vm();
	host_printf("host: REGISTER_KVM -> vmid %u\n", vmid);
	if (vmid != 1)
		host_fail("REGISTER_KVM returned %u, expected 1", vmid);

	r = touch(TOUCH_START, TOUCH_END, TOUCH_STEP);
	host_printf("host: touched %llu pages of its RAM\n",
		    (unsigned long long)r);

	start_cpu(1);
	host_printf("host: powering off\n");
	psci_system_off();
}
