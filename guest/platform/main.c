// SPDX-License-Identifier: MIT
/*
 * The platform guest (1 vCPU): what a standard arm64 guest expects of the
 * machine corevisor gives it (docs/guest-platform.md), checked from
 * inside:
 *  1. a load and a store at an IPA where the host has nothing (4 GiB, past
 *     the RAM it backs): each comes back as a synchronous external abort
 *     at its own EL1 vector, with the syndrome and address the
 *     architecture gives it (ESR_EL1 0x96000010 / 0x96000050, FAR_EL1 the
 *     address, ELR_EL1 the access);
 *     at an IPA in no region of its memory map (12 GiB), corevisor
 *     injects the same abort without asking the host; a load from the
 *     MMIO region above 1 GiB (QEMU's high PCIe ECAM) is an MMIO access
 *     the host answers;
 *  2. the PMU and the debug features: ID_AA64DFR0_EL1 says no PMU and the
 *     minimal self-hosted debug; a PMU register access is an undefined
 *     instruction (ESR_EL1 EC 0), never a read of zero.
 * Any exception it does not expect is reported (guest_exception: FAIL).
 */
#include "guest.h"

const char guest_name[] = "platform";

/*
 * Its memory map (host/vmm): RAM [1 GiB, 8 GiB) of which the host backs
 * [1 GiB, 4 GiB) (it answers a fault above "nothing is here"), MMIO below
 * 1 GiB and at QEMU's high PCIe ECAM (a test device in its first page),
 * nothing anywhere else (corevisor itself injects the abort).
 */
#define NOTHING_IPA 0x100000000UL
#define UNMAPPED_IPA 0x300000000UL
#define HIGH_TESTDEV 0x4010000000UL

/* What its vectors saw: the last synchronous exception, how many. */
volatile u64 plat_esr, plat_far, plat_elr, plat_taken;

void platform_vectors(void);
void guest_exception(u64 kind, u64 esr, u64 elr, u64 far);

/*
 * Current EL, synchronous (SP_EL0 or SP_ELx): note ESR, FAR, ELR, step
 * over the instruction, return. Every other entry reports a failure.
 */
__asm__(".macro plat_report k\n"
	"	.balign 0x80\n"
	"	mov	x0, #\\k\n"
	"	mrs	x1, esr_el1\n"
	"	mrs	x2, elr_el1\n"
	"	mrs	x3, far_el1\n"
	"	b	guest_exception\n"
	".endm\n"
	".macro plat_note\n"
	"	.balign 0x80\n"
	"	stp	x0, x1, [sp, #-16]!\n"
	"	adrp	x1, plat_esr\n"
	"	mrs	x0, esr_el1\n"
	"	str	x0, [x1, :lo12:plat_esr]\n"
	"	adrp	x1, plat_far\n"
	"	mrs	x0, far_el1\n"
	"	str	x0, [x1, :lo12:plat_far]\n"
	"	adrp	x1, plat_elr\n"
	"	mrs	x0, elr_el1\n"
	"	str	x0, [x1, :lo12:plat_elr]\n"
	"	add	x0, x0, #4\n"
	"	msr	elr_el1, x0\n"
	"	adrp	x1, plat_taken\n"
	"	ldr	x0, [x1, :lo12:plat_taken]\n"
	"	add	x0, x0, #1\n"
	"	str	x0, [x1, :lo12:plat_taken]\n"
	"	ldp	x0, x1, [sp], #16\n"
	"	eret\n"
	".endm\n"
	"	.text\n"
	"	.balign 0x800\n"
	"	.globl	platform_vectors\n"
	"platform_vectors:\n"
	"	plat_note\n"
	"	plat_report 1\n"
	"	plat_report 2\n"
	"	plat_report 3\n"
	"	plat_note\n"
	"	plat_report 5\n"
	"	plat_report 6\n"
	"	plat_report 7\n"
	"	plat_report 8\n"
	"	plat_report 9\n"
	"	plat_report 10\n"
	"	plat_report 11\n"
	"	plat_report 12\n"
	"	plat_report 13\n"
	"	plat_report 14\n"
	"	plat_report 15\n"
	/* The accesses the vectors step over: one instruction each. */
	"	.globl	plat_load\n"
	"plat_load:\n"
	"	ldr	x0, [x0]\n"
	"	ret\n"
	"	.globl	plat_store\n"
	"plat_store:\n"
	"	str	x1, [x0]\n"
	"	ret\n"
	"	.globl	plat_read_pmcr\n"
	"plat_read_pmcr:\n"
	"	mov	x0, #0x5a5a\n"
	"	mrs	x0, pmcr_el0\n"
	"	ret\n"
	"	.globl	plat_read_pmccntr\n"
	"plat_read_pmccntr:\n"
	"	mov	x0, #0x5a5a\n"
	"	mrs	x0, pmccntr_el0\n"
	"	ret\n"
	"	.globl	plat_write_pmcntenset\n"
	"plat_write_pmcntenset:\n"
	"	msr	pmcntenset_el0, x0\n"
	"	ret\n");

u64 plat_load(u64 addr);
void plat_store(u64 addr, u64 value);
u64 plat_read_pmcr(void);
u64 plat_read_pmccntr(void);
void plat_write_pmcntenset(u64 v);
extern const char plat_load_insn[] __asm__("plat_load");
extern const char plat_store_insn[] __asm__("plat_store");

static void set_vectors(void)
{
	__asm__ volatile("msr vbar_el1, %0; isb" ::"r"(platform_vectors));
}

/* The exception the last step took: exactly one more, with @esr. */
static void expect_taken(const char *what, u64 before, u64 esr)
{
	if (plat_taken != before + 1)
		guest_fail("%s: %llu exception(s), not 1", what,
			   (unsigned long long)(plat_taken - before));
	if (plat_esr != esr)
		guest_fail("%s: ESR_EL1 0x%llx, not 0x%llx", what,
			   (unsigned long long)plat_esr,
			   (unsigned long long)esr);
}

static void check_aborts(void)
{
	u64 n = plat_taken, v;

	v = plat_load(NOTHING_IPA);
	expect_taken("load", n, 0x96000010ULL);
	if (plat_far != NOTHING_IPA || plat_elr != (u64)plat_load_insn)
		guest_fail("load: FAR 0x%llx ELR 0x%llx",
			   (unsigned long long)plat_far,
			   (unsigned long long)plat_elr);
	guest_printf("platform: abort caught: load at 0x%llx: ESR_EL1 0x%llx "
		     "FAR_EL1 "
		     "0x%llx\n",
		     (unsigned long long)NOTHING_IPA,
		     (unsigned long long)plat_esr,
		     (unsigned long long)plat_far);
	(void)v;
	n = plat_taken;
	plat_store(NOTHING_IPA + 0x18, 0x1234);
	expect_taken("store", n, 0x96000050ULL);
	if (plat_far != NOTHING_IPA + 0x18 || plat_elr != (u64)plat_store_insn)
		guest_fail("store: FAR 0x%llx ELR 0x%llx",
			   (unsigned long long)plat_far,
			   (unsigned long long)plat_elr);
	guest_printf("platform: abort caught: store at 0x%llx: ESR_EL1 0x%llx "
		     "FAR_EL1 "
		     "0x%llx\n",
		     (unsigned long long)(NOTHING_IPA + 0x18),
		     (unsigned long long)plat_esr,
		     (unsigned long long)plat_far);
}

static void check_map(void)
{
	u64 n = plat_taken, v;

	v = plat_load(UNMAPPED_IPA + 0x40);
	expect_taken("load outside the map", n, 0x96000010ULL);
	if (plat_far != UNMAPPED_IPA + 0x40)
		guest_fail("load outside the map: FAR 0x%llx",
			   (unsigned long long)plat_far);
	guest_printf("platform: abort caught: load at 0x%llx (no region): "
		     "ESR_EL1 0x%llx FAR_EL1 0x%llx\n",
		     (unsigned long long)(UNMAPPED_IPA + 0x40),
		     (unsigned long long)plat_esr,
		     (unsigned long long)plat_far);
	n = plat_taken;
	v = plat_load(HIGH_TESTDEV + 8) & 0xffffffffULL;
	if (plat_taken != n || v != TESTDEV_ID_VALUE)
		guest_fail("MMIO at 0x%llx: 0x%llx, %llu exception(s)",
			   (unsigned long long)(HIGH_TESTDEV + 8),
			   (unsigned long long)v,
			   (unsigned long long)(plat_taken - n));
	guest_printf("platform: MMIO above 1 GiB: id 0x%llx at 0x%llx\n",
		     (unsigned long long)v,
		     (unsigned long long)(HIGH_TESTDEV + 8));
}

static u64 read_dfr0(void)
{
	u64 v;

	__asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(v));
	return v;
}

static void check_pmu_debug(void)
{
	u64 dfr0 = read_dfr0(), n, v;
	u32 debugver = dfr0 & 0xf, pmuver = (dfr0 >> 8) & 0xf;
	u32 brps = ((dfr0 >> 12) & 0xf) + 1, wrps = ((dfr0 >> 20) & 0xf) + 1;

	guest_printf(
		"platform: ID_AA64DFR0_EL1 0x%llx: DebugVer %u, PMUVer %u, %u "
		"breakpoints, %u watchpoints\n",
		(unsigned long long)dfr0, debugver, pmuver, brps, wrps);
	if (pmuver != 0)
		guest_fail("a PMU is advertised (PMUVer %u)", pmuver);
	if (debugver != 6 || brps != 2 || wrps != 2)
		guest_fail("not the minimal debug: 0x%llx",
			   (unsigned long long)dfr0);
	if ((dfr0 >> 4) & 0xf || (dfr0 >> 32) & 0xf)
		guest_fail("trace or SPE advertised: 0x%llx",
			   (unsigned long long)dfr0);
	n = plat_taken;
	v = plat_read_pmcr();
	expect_taken("PMCR_EL0 read", n, 0x02000000ULL);
	if (v != 0x5a5a)
		guest_fail("PMCR_EL0 read wrote x0: 0x%llx",
			   (unsigned long long)v);
	n = plat_taken;
	plat_read_pmccntr();
	expect_taken("PMCCNTR_EL0 read", n, 0x02000000ULL);
	n = plat_taken;
	plat_write_pmcntenset(1);
	expect_taken("PMCNTENSET_EL0 write", n, 0x02000000ULL);
	guest_printf("platform: PMU absent: PMCR_EL0, PMCCNTR_EL0, "
		     "PMCNTENSET_EL0 are "
		     "undefined instructions\n");
}

void guest_main(void)
{
	set_vectors();
	guest_printf("platform: hello from vcpu 0 at EL1\n");
	check_aborts();
	check_map();
	check_pmu_debug();
	guest_printf("platform: done\n");
	psci_system_off();
}

void guest_secondary_main(u64 ctx)
{
	guest_fail("no secondary expected (ctx 0x%llx)",
		   (unsigned long long)ctx);
}
