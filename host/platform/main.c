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

/*
 * Test mode: a word the QEMU runner stores before boot (-device loader,
 * data=N) at HOST_MODE_ADDR, host RAM no program uses. 0 = the boot check;
 * the others try what corevisor must refuse or hide.
 */
#define HOST_MODE_ADDR 0x4fff0000ULL
enum host_mode {
	MODE_BOOT = 0,
	MODE_READ_COREVISOR = 1, /* read corevisor's image: must panic */
	MODE_WRITE_POOL = 2,	 /* write corevisor's table pool: panic */
	MODE_SCAN_DTB = 3,	 /* look for the AEAD key in the DTB */
	MODE_BAD_HVC = 4,	 /* REGISTER_VCPU with vmid 99: panic */
	MODE_CPU_REON = 5,	 /* CPU_ON, CPU_OFF, CPU_ON again */
};
/* corevisor's image and reserved memory on QEMU virt (arch/aarch64). */
#define COREVISOR_IMAGE 0x40200000ULL
#define COREVISOR_POOL 0x40400000ULL
/* MODE_SCAN_DTB: the runner's AEAD key is 32 bytes of 0xa5, its rng-seed
 * 32 bytes of 0x5c. */
#define TEST_KEY_BYTE 0xa5
#define TEST_SEED_BYTE 0x5c

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
	if (*(volatile u32 *)HOST_MODE_ADDR == MODE_CPU_REON)
		psci_cpu_off();
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

/*
 * The host's FP/SIMD registers across a hypercall: corevisor runs
 * libsodium (which uses them) for some calls, and must hand them back.
 */
static void fill_fpsimd(u64 seed)
{
	/* Distinct values in every register: v<n> = seed + n. */
#define SET_V(n) \
	__asm__ volatile("dup v" #n ".2d, %0" : : "r"(seed + n) : "v" #n)
	SET_V(0);
	SET_V(1);
	SET_V(2);
	SET_V(3);
	SET_V(4);
	SET_V(5);
	SET_V(6);
	SET_V(7);
	SET_V(8);
	SET_V(9);
	SET_V(10);
	SET_V(11);
	SET_V(12);
	SET_V(13);
	SET_V(14);
	SET_V(15);
	SET_V(16);
	SET_V(17);
	SET_V(18);
	SET_V(19);
	SET_V(20);
	SET_V(21);
	SET_V(22);
	SET_V(23);
	SET_V(24);
	SET_V(25);
	SET_V(26);
	SET_V(27);
	SET_V(28);
	SET_V(29);
	SET_V(30);
	SET_V(31);
#undef SET_V
}

static u32 check_fpsimd(u64 seed)
{
	u64 lo, hi;
	u32 bad = 0;

#define CHECK_V(n)                                        \
	do {                                              \
		__asm__ volatile("mov %0, v" #n ".d[0]\n" \
				 "mov %1, v" #n ".d[1]"   \
				 : "=r"(lo), "=r"(hi));   \
		bad += lo != seed + n || hi != seed + n;  \
	} while (0)
	CHECK_V(0);
	CHECK_V(1);
	CHECK_V(2);
	CHECK_V(3);
	CHECK_V(4);
	CHECK_V(5);
	CHECK_V(6);
	CHECK_V(7);
	CHECK_V(8);
	CHECK_V(9);
	CHECK_V(10);
	CHECK_V(11);
	CHECK_V(12);
	CHECK_V(13);
	CHECK_V(14);
	CHECK_V(15);
	CHECK_V(16);
	CHECK_V(17);
	CHECK_V(18);
	CHECK_V(19);
	CHECK_V(20);
	CHECK_V(21);
	CHECK_V(22);
	CHECK_V(23);
	CHECK_V(24);
	CHECK_V(25);
	CHECK_V(26);
	CHECK_V(27);
	CHECK_V(28);
	CHECK_V(29);
	CHECK_V(30);
	CHECK_V(31);
#undef CHECK_V
	return bad;
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* Offset of a run of 32 @byte bytes in the DTB blob, or -1. */
static int find_run(u64 dtb, u8 byte)
{
	const u8 *p = (const u8 *)dtb;
	u32 size = be32(p + 4), run = 0;

	for (u32 i = 0; i < size; i++) {
		run = p[i] == byte ? run + 1 : 0;
		if (run == 32)
			return (int)(i - 31);
	}
	return -1;
}

/* corevisor's secrets from the DTB must be gone before the host runs. */
static void scan_dtb(u64 dtb)
{
	int at = find_run(dtb, TEST_KEY_BYTE);

	if (at >= 0)
		host_printf("host: AEAD key visible in the DTB at +0x%x\n", at);
	else
		host_printf("host: AEAD key not in the DTB\n");
	at = find_run(dtb, TEST_SEED_BYTE);
	if (at >= 0)
		host_printf("host: rng-seed visible in the DTB at +0x%x\n", at);
	else
		host_printf("host: rng-seed not in the DTB\n");
}

static void cpu_reon(void)
{
	start_cpu(1);
	/* The secondary turns itself off (CPU_OFF) after saying hello. */
	for (u64 spin = 0; spin < 100000000ULL; spin++) {
		if (psci_affinity_info(1) == 1) { /* OFF */
			host_printf("host: cpu 1 is off\n");
			secondary_up[1] = 0;
			start_cpu(1);
			return;
		}
	}
	host_fail("cpu 1 never turned off");
}

static void run_mode(u32 mode, u64 dtb)
{
	switch (mode) {
	case MODE_READ_COREVISOR:
		host_printf("host: reading corevisor's image at 0x%llx\n",
			    COREVISOR_IMAGE);
		host_printf(
			"host: read 0x%llx\n",
			(unsigned long long)*(volatile u64 *)COREVISOR_IMAGE);
		break;
	case MODE_WRITE_POOL:
		host_printf("host: writing corevisor's pool at 0x%llx\n",
			    COREVISOR_POOL);
		*(volatile u64 *)COREVISOR_POOL = 0;
		host_printf("host: wrote the pool\n");
		break;
	case MODE_SCAN_DTB:
		scan_dtb(dtb);
		break;
	case MODE_BAD_HVC:
		host_printf("host: REGISTER_VCPU(99, 0)\n");
		host_printf("host: returned 0x%llx\n",
			    (unsigned long long)vmm_register_vcpu(99, 0));
		break;
	case MODE_CPU_REON:
		cpu_reon();
		break;
	default:
		host_fail("unknown test mode %u", mode);
	}
	host_printf("host: powering off\n");
	psci_system_off();
}

void host_main(u64 dtb);
void host_main(u64 dtb)
{
	u32 mode = *(volatile u32 *)HOST_MODE_ADDR;
	u64 r;
	u32 vmid;

	host_printf("host: hello from EL1 (EL%llu, dtb 0x%llx, mode %u)\n",
		    (unsigned long long)current_el(), (unsigned long long)dtb,
		    mode);
	if (current_el() != 1)
		host_fail("host runs at EL%llu",
			  (unsigned long long)current_el());
	if (mode != MODE_BOOT)
		run_mode(mode, dtb);

	fill_fpsimd(0x1234567800000000ULL);
	r = vmm_noop();
	host_printf("host: HVC_NOOP -> %llu\n", (unsigned long long)r);
	if (check_fpsimd(0x1234567800000000ULL))
		host_fail("FP/SIMD registers changed across HVC_NOOP");
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
