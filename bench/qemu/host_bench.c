// SPDX-License-Identifier: MIT
/*
 * The bench host (EL1), in place of host/platform/main.c: counts the EL2
 * instructions of host hypercall round trips and of guest exits with the
 * PMU, which QEMU runs with -icount (instruction-exact). Counters are filtered
 * to EL2 (PMCCFILTR/PMEVTYPER: P and U set = not EL1/EL0, NSH set = EL2), so
 * the host's own instructions around the HVC are not counted; event
 * counter 0 counts INST_RETIRED (0x08), the cycle counter runs at one
 * cycle per instruction under -icount shift=0. Prints one line per
 * series: "bench: NAME calls N inst MIN MAX cycles MIN MAX".
 *
 * Guest exits: the bench guest (guest_bench.S, loaded by the runner like
 * the sample guests) exits by HVC, MMIO write and MMIO read in turn. One
 * VCPU_RUN counts the EL2 instructions of the host -> guest switch and of
 * the guest's next exit back to the host (the guest's and the host's own
 * instructions are at EL1: not counted), i.e. one exit round trip. A run
 * counts for a series when the exit before it was of the same kind (its
 * answer is of that kind too); the first run (the vCPU's reset) never.
 */
#include <corevisor/abi.h>
#include <host/platform.h>
#include <host/vmm.h>

#include "../../host/platform/vms.h"

#define BENCH_SMC_OFF 0x86000b00ULL /* el2_bench.c */
#define BENCH_SMC_TRAP_ON 0x86000b01ULL
#define BENCH_SMC_WS_ON 0x86000b02ULL
#define BENCH_VMID 1ULL /* el2_bench.c: the floor's last vCPU */
#define BENCH_VCPUID 0ULL
#define FP_SERIES_MARK 0x10ULL /* guest_bench.S: the FP series' offset */
#define ROUNDS 64
#define PSCI_RET_NOT_SUPPORTED ((u64)-1LL)
#define TESTDEV_ID 0x43565444ULL    /* what the bench guest's loads read */
#define SMCCC_UNKNOWN 0x86000000ULL /* guest_bench.S */

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

/* HVC #0 with x0..x2 set (x3..x5 as they happen to be). */
static inline u64 hvc6(u64 x0, u64 x1, u64 x2)
{
	register u64 r0 __asm__("x0") = x0;
	register u64 r1 __asm__("x1") = x1;
	register u64 r2 __asm__("x2") = x2;

	__asm__ volatile("hvc #0"
			 : "+r"(r0), "+r"(r1), "+r"(r2)
			 :
			 : "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
			   "x11", "x12", "x13", "x14", "x15", "x16", "x17",
			   "memory");
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

struct stats {
	u32 n;
	u64 imin, imax, cmin, cmax;
};

static void stats_add(struct stats *s, u64 inst, u64 cycles)
{
	if (!s->n++) {
		s->imin = s->imax = inst;
		s->cmin = s->cmax = cycles;
		return;
	}
	s->imin = inst < s->imin ? inst : s->imin;
	s->imax = inst > s->imax ? inst : s->imax;
	s->cmin = cycles < s->cmin ? cycles : s->cmin;
	s->cmax = cycles > s->cmax ? cycles : s->cmax;
}

static void stats_print(const char *name, const struct stats *s)
{
	host_printf("bench: %s calls %u inst %llu %llu cycles %llu %llu\n",
		    name, s->n, (unsigned long long)s->imin,
		    (unsigned long long)s->imax, (unsigned long long)s->cmin,
		    (unsigned long long)s->cmax);
}

/* hvc(@x0, @x1) with the EL2 instructions and cycles it took. */
static u64 counted_hvc(u64 x0, u64 x1, u64 *inst, u64 *cycles)
{
	u64 i0, c0, i1, c1, r;

	__asm__ volatile("isb");
	i0 = mrs(pmevcntr0_el0);
	c0 = mrs(pmccntr_el0);
	r = hvc6(x0, x1, 0);
	i1 = mrs(pmevcntr0_el0);
	c1 = mrs(pmccntr_el0);
	*inst = (i1 - i0) & 0xffffffffULL;
	*cycles = c1 - c0;
	return r;
}

/* ROUNDS round trips of hvc(@x0, @x1); the EL2 instructions of each. */
static void series(const char *name, u64 x0, u64 x1, u64 expect)
{
	struct stats s = {0};

	for (int i = 0; i < ROUNDS; i++) {
		u64 inst, cycles, r = counted_hvc(x0, x1, &inst, &cycles);

		if (r != expect)
			host_fail("bench: %s returned 0x%llx", name,
				  (unsigned long long)r);
		stats_add(&s, inst, cycles);
	}
	stats_print(name, &s);
}

/* FMOV D0, XZR: an FP/SIMD access (encoded: the host is general-regs-only). */
#define TOUCH_FP() __asm__ volatile(".inst 0x9e6703e0" ::: "memory")

/*
 * One round trip through the world-switch floor: HVC to "the guest" (the
 * host itself, under the floor's guest vectors), optionally its first
 * FP/SIMD access (which traps: lazy FP), HVC back; the EL2 instructions
 * of both switches (and the FP trap) between the two PMU reads.
 */
static void ws_series(const char *name, bool fp)
{
	struct stats s = {0};

	for (int i = 0; i < ROUNDS; i++) {
		u64 i0, c0, i1, c1, r0, r1;

		__asm__ volatile("isb");
		i0 = mrs(pmevcntr0_el0);
		c0 = mrs(pmccntr_el0);
		r0 = hvc6(0x1234, BENCH_VMID, BENCH_VCPUID);
		if (fp)
			TOUCH_FP();
		r1 = hvc6(0x5678, BENCH_VMID, BENCH_VCPUID);
		i1 = mrs(pmevcntr0_el0);
		c1 = mrs(pmccntr_el0);
		if (r0 != 0x1234 || r1 != 0x5678)
			host_fail("bench: %s returned 0x%llx 0x%llx", name,
				  (unsigned long long)r0,
				  (unsigned long long)r1);
		stats_add(&s, (i1 - i0) & 0xffffffffULL, c1 - c0);
	}
	stats_print(name, &s);
}

enum {
	G_HVC,
	G_MMIO_WRITE,
	G_MMIO_READ,
	G_HVC_FP,
	G_MMIO_WRITE_FP,
	G_MMIO_READ_FP,
	G_KINDS
};

/*
 * The kind of the exit @run shows (@exit = VCPU_RUN's result); the FP
 * series (the guest touched FP/SIMD that run) call SMCCC id + 1 and use
 * the device's registers at +FP_SERIES_MARK.
 */
static int exit_kind(u64 exit, volatile struct cv_vcpu_run *run)
{
	if (exit == CV_EXIT_HVC)
		return run->regs[0] == SMCCC_UNKNOWN	   ? G_HVC
		       : run->regs[0] == SMCCC_UNKNOWN + 1 ? G_HVC_FP
							   : -1;
	if (exit == CV_EXIT_MMIO && run->mmio.valid) {
		int fp = run->fault_ipa & FP_SERIES_MARK ? 3 : 0;

		return fp + (run->mmio.is_write ? G_MMIO_WRITE : G_MMIO_READ);
	}
	return -1;
}

/*
 * Boot the bench guest and run it to its power-off, answering each exit
 * as a VMM would: NOT_SUPPORTED for its SMCCC call, the test device's id
 * for its loads.
 */
static void guest_series(const struct host_guest_image *img)
{
	static const char *const names[G_KINDS] = {
		"guest_hvc",	"guest_mmio_write",    "guest_mmio_read",
		"guest_hvc_fp", "guest_mmio_write_fp", "guest_mmio_read_fp"};
	struct stats s[G_KINDS] = {0};
	struct vmm_vm *vm;
	volatile struct cv_vcpu_run *run;
	int prev = -1;

	if (vmm_init())
		host_fail("bench: no shared vCPU area");
	vm = vms_boot(img);
	run = vm->vcpu[0].run;
	for (u32 n = 0;; n++) {
		u64 inst, cycles;
		u64 exit = counted_hvc(HVC_VCPU_RUN, vm->vmid, &inst, &cycles);
		int kind = exit_kind(exit, run);

		if (exit == CV_EXIT_SYSTEM_OFF)
			break;
		if (kind < 0 || n > 8 * ROUNDS)
			host_fail("bench: guest exit %llu (run %u) unexpected",
				  (unsigned long long)exit, n);
		if (kind == prev)
			stats_add(&s[kind], inst, cycles);
		prev = kind;
		if (kind == G_HVC || kind == G_HVC_FP)
			run->regs[0] = PSCI_RET_NOT_SUPPORTED;
		else if ((kind == G_MMIO_READ || kind == G_MMIO_READ_FP) &&
			 run->mmio.reg < 31)
			run->regs[run->mmio.reg] = TESTDEV_ID;
	}
	for (int k = 0; k < G_KINDS; k++) {
		if (!s[k].n)
			host_fail("bench: no %s round trip", names[k]);
		stats_print(names[k], &s[k]);
	}
}

/*
 * The boot protocol's EL2 instructions for each further image the runner
 * loaded (bench/qemu_bench.py: the bench guest padded to 1..8 MiB): one
 * vms_boot each (REGISTER_KVM, REGISTER_VCPU, SET_BOOT_INFO, one
 * REMAP_VM_IMAGE per page, VERIFY_VM_IMAGES), counted between two PMU
 * reads (the host's own instructions are at EL1: not counted). The event
 * counter is 32 bits wide: an image under about 100 MiB fits.
 */
static void boot_series(const struct host_guest_image *imgs, u32 n)
{
	for (u32 i = 0; i < n; i++) {
		u64 i0, c0, i1, c1;
		char name[sizeof(imgs[i].name) + 1];

		memcpy(name, imgs[i].name, sizeof(imgs[i].name));
		name[sizeof(imgs[i].name)] = '\0';
		__asm__ volatile("isb");
		i0 = mrs(pmevcntr0_el0);
		c0 = mrs(pmccntr_el0);
		vms_boot(&imgs[i]);
		__asm__ volatile("isb");
		i1 = mrs(pmevcntr0_el0);
		c1 = mrs(pmccntr_el0);
		host_printf("bench-boot: %s bytes %llu inst %llu cycles %llu\n",
			    name, (unsigned long long)imgs[i].size,
			    (unsigned long long)((i1 - i0) & 0xffffffffULL),
			    (unsigned long long)(c1 - c0));
	}
}

void host_secondary_main(u64 ctx)
{
	for (;;)
		__asm__ volatile("wfe");
}

void host_main(u64 dtb)
{
	const struct host_guest_image *imgs;
	u32 nimgs;
	u64 vmid;

	host_printf("bench: host at EL1, PMCR_EL0 0x%llx\n",
		    (unsigned long long)mrs(pmcr_el0));
	pmu_setup();
	series("hvc_noop", HVC_NOOP, 0, 0);
	vmid = hvc6(HVC_REGISTER_KVM, 0, 0);
	series("hvc_is_inc_exe", HVC_IS_INC_EXE, vmid, 0);
	if (smc1(BENCH_SMC_TRAP_ON) != 0)
		host_fail("bench: trap floor refused");
	/* The trap floor hands x0 back unchanged. */
	series("bare_trap", 0x1234, 0, 0x1234);
	if (smc1(BENCH_SMC_OFF) != 0)
		host_fail("bench: corevisor's vectors refused");
	series("hvc_noop_again", HVC_NOOP, 0, 0);
	if (smc1(BENCH_SMC_WS_ON) != 0)
		host_fail("bench: world-switch floor refused (GIC?)");
	ws_series("bare_ws", false);
	ws_series("bare_ws_fp", true);
	if (smc1(BENCH_SMC_OFF) != 0)
		host_fail("bench: corevisor's vectors refused");
	series("hvc_noop_after", HVC_NOOP, 0, 0);
	imgs = host_guest_images(&nimgs);
	if (imgs)
		guest_series(&imgs[0]);
	if (imgs && nimgs > 1)
		boot_series(&imgs[1], nimgs - 1);
	host_printf("bench: done\n");
	psci_system_off();
}
