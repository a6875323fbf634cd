// SPDX-License-Identifier: MIT
/*
 * The hostile guest (1 vCPU): everything a guest controls that the spec's
 * `rely` lines once turned into machine-wide panics, one after the other,
 * while another VM runs beside it (tests/qemu: the vault). corevisor must
 * contain each in this VM (an exception it takes itself, an error code),
 * and this guest checks that it was contained so:
 *  1. an AArch32 EL0 running T32 code: an MMIO load, a RAM fault, a WFI,
 *     each trapped to EL2, then an SVC back to EL1; each 16-bit
 *     instruction corevisor completes is stepped over by 2 bytes;
 *  2. code at a high virtual address, as a Linux kernel's (TTBR1): a WFI,
 *     an MMIO load and a trapped register read there, each an exit whose
 *     instruction corevisor steps over at that PC;
 *  3. page-sharing calls (SHARE / UNSHARE) past 48 bits: an error;
 *  4. instructions whose traps corevisor has no handler for: SVE (CPTR_EL2
 *     TZ) and pointer authentication (HCR_EL2.API clear) on a CPU that has
 *     them (QEMU's `max`): each must come back as an undefined-instruction
 *     exception (ESR_EL1 EC 0) at its own EL1 vector.
 * Any exception it does not expect is reported (guest_exception: FAIL).
 */
#include "guest.h"

const char guest_name[] = "hostile";

#define CV_GUEST_HVC_SHARE 0xc6000001ULL
#define CV_GUEST_HVC_UNSHARE 0xc6000002ULL

/* The high alias of the RAM gigabyte at 1 GiB (TTBR1, T1SZ 25). */
#define RAM_GIB 0x40000000UL
#define HIGH_GIB 0xffffff8040000000UL

/* What its vectors saw: the last exception's syndrome, how many. */
volatile u64 hostile_esr, hostile_taken;
/* r0 and r5 as an AArch32 EL0 excursion left them. */
volatile u64 hostile_a32_r0, hostile_a32_r5;

void hostile_vectors(void);
void run_a32_el0(u64 pc, u64 r1, u64 r2, u64 r3);
extern const uint16_t t32_code[];
void guest_exception(u64 kind, u64 esr, u64 elr, u64 far);

/*
 * Its own EL1 vectors. Current EL with SP_EL0 or SP_ELx, synchronous: an
 * undefined instruction (EC 0) is noted and stepped over; anything else is
 * reported. Lower EL AArch32, synchronous: the SVC that ends an AArch32
 * EL0 excursion (run_a32_el0), noted; back to EL1 where the excursion
 * began (SP_EL1 is as it was). The other entries report.
 */
__asm__(".macro hostile_report k\n"
	"	.balign 0x80\n"
	"	mov	x0, #\\k\n"
	"	mrs	x1, esr_el1\n"
	"	mrs	x2, elr_el1\n"
	"	mrs	x3, far_el1\n"
	"	b	guest_exception\n"
	".endm\n"
	".macro hostile_undef k\n"
	"	.balign 0x80\n"
	"	stp	x0, x1, [sp, #-16]!\n"
	"	mrs	x0, esr_el1\n"
	"	lsr	x1, x0, #26\n"
	"	cbnz	x1, 1f\n"
	"	adrp	x1, hostile_esr\n"
	"	str	x0, [x1, :lo12:hostile_esr]\n"
	"	adrp	x1, hostile_taken\n"
	"	ldr	x0, [x1, :lo12:hostile_taken]\n"
	"	add	x0, x0, #1\n"
	"	str	x0, [x1, :lo12:hostile_taken]\n"
	"	mrs	x0, elr_el1\n"
	"	add	x0, x0, #4\n"
	"	msr	elr_el1, x0\n"
	"	ldp	x0, x1, [sp], #16\n"
	"	eret\n"
	"1:	ldp	x0, x1, [sp], #16\n"
	"	mov	x0, #\\k\n"
	"	mrs	x1, esr_el1\n"
	"	mrs	x2, elr_el1\n"
	"	mrs	x3, far_el1\n"
	"	b	guest_exception\n"
	".endm\n"
	"	.text\n"
	"	.balign 0x800\n"
	"	.globl	hostile_vectors\n"
	"hostile_vectors:\n"
	"	hostile_undef 0\n"
	"	hostile_report 1\n"
	"	hostile_report 2\n"
	"	hostile_report 3\n"
	"	hostile_undef 4\n"
	"	hostile_report 5\n"
	"	hostile_report 6\n"
	"	hostile_report 7\n"
	"	hostile_report 8\n"
	"	hostile_report 9\n"
	"	hostile_report 10\n"
	"	hostile_report 11\n"
	"	.balign 0x80\n" /* 12: lower EL AArch32, synchronous */
	"	adrp	x1, hostile_a32_r0\n"
	"	str	x0, [x1, :lo12:hostile_a32_r0]\n"
	"	adrp	x1, hostile_a32_r5\n"
	"	str	x5, [x1, :lo12:hostile_a32_r5]\n"
	"	mrs	x0, esr_el1\n"
	"	adrp	x1, hostile_esr\n"
	"	str	x0, [x1, :lo12:hostile_esr]\n"
	"	b	a32_el0_back\n"
	"	hostile_report 13\n"
	"	hostile_report 14\n"
	"	hostile_report 15\n"
	/*
	 * run_a32_el0(pc, r1, r2, r3): ERET to AArch32 EL0 (User mode, T32,
	 * interrupts masked) at @pc with r1..r3 and r5 = 0; back at
	 * a32_el0_back through the vector above (r0, r5 noted).
	 * AArch32 leaves X15..X30 UNKNOWN: the callee-saved registers and
	 * the return address wait on the stack.
	 */
	"	.globl	run_a32_el0\n"
	"run_a32_el0:\n"
	"	stp	x29, x30, [sp, #-96]!\n"
	"	stp	x19, x20, [sp, #16]\n"
	"	stp	x21, x22, [sp, #32]\n"
	"	stp	x23, x24, [sp, #48]\n"
	"	stp	x25, x26, [sp, #64]\n"
	"	stp	x27, x28, [sp, #80]\n"
	"	msr	elr_el1, x0\n"
	"	mov	x0, #0x1f0\n" /* A, I, F masked; T32; M = User */
	"	msr	spsr_el1, x0\n"
	"	mov	x5, #0\n"
	"	isb\n"
	"	eret\n"
	"a32_el0_back:\n"
	"	ldp	x19, x20, [sp, #16]\n"
	"	ldp	x21, x22, [sp, #32]\n"
	"	ldp	x23, x24, [sp, #48]\n"
	"	ldp	x25, x26, [sp, #64]\n"
	"	ldp	x27, x28, [sp, #80]\n"
	"	ldp	x29, x30, [sp], #96\n"
	"	ret\n"
	/* T32: LDR r0, [r1]; MOVS r5, #7; LDR r2, [r3]; WFI; SVC #0 */
	"	.balign 8\n"
	"	.globl	t32_code\n"
	"t32_code:\n"
	"	.hword	0x6808\n"
	"	.hword	0x2507\n"
	"	.hword	0x681a\n"
	"	.hword	0xbf30\n"
	"	.hword	0xdf00\n");

static u64 ec_of(u64 esr)
{
	return esr >> 26;
}

/*
 * 1. An AArch32 EL0 (stage 1 still off) traps to EL2 like an AArch64 one:
 * an MMIO load the host answers, a stage-2 fault on fresh RAM the host
 * backs, a WFI; its SVC then comes back here. Its instructions are 16-bit
 * T32 ones: corevisor must step 2 bytes past the load (else MOVS r5 is
 * skipped) and the WFI.
 */
#define A32_FRESH_RAM 0x50000000UL

static void aarch32_el0(void)
{
	u64 pfr0;

	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
	if ((pfr0 & 0xf) != 2) {
		guest_printf("hostile: no AArch32 EL0 on this CPU, skipped\n");
		return;
	}
	run_a32_el0((u64)t32_code, GUEST_TESTDEV + TESTDEV_ID, 0,
		    A32_FRESH_RAM);
	if (ec_of(hostile_esr) != 0x11)
		guest_fail("AArch32 EL0 came back with ESR 0x%llx",
			   (unsigned long long)hostile_esr);
	if ((u32)hostile_a32_r0 != TESTDEV_ID_VALUE || (u32)hostile_a32_r5 != 7)
		guest_fail("AArch32 EL0 T32: r0 0x%llx (MMIO load), r5 %llu "
			   "(the instruction after it)",
			   (unsigned long long)hostile_a32_r0,
			   (unsigned long long)hostile_a32_r5);
	guest_printf("hostile: AArch32 EL0 T32: MMIO load 0x%x, next "
		     "instruction run, RAM fault, WFI, SVC back\n",
		     (u32)hostile_a32_r0);
}

/*
 * 2. Its own stage 1: TTBR0 an identity map of the first 4 GiB (devices,
 * then RAM), TTBR1 the RAM gigabyte at 1 GiB again at HIGH_GIB.
 */
#define BLOCK_NORMAL ((1ULL << 10) | (3ULL << 8) | (0 << 2) | 1)
#define BLOCK_DEVICE ((1ULL << 10) | (1 << 2) | (3ULL << 53) | 1)
#define TCR_T0 (32ULL | (1ULL << 8) | (1ULL << 10) | (3ULL << 12))
#define TCR_T1                                                        \
	((25ULL << 16) | (1ULL << 24) | (1ULL << 26) | (3ULL << 28) | \
	 (2ULL << 30))
#define SCTLR_MMU_ON (0x30d00800ULL | (1 << 0) | (1 << 2) | (1 << 12))

static u64 low_table[512] __attribute__((aligned(4096)));
static u64 high_table[512] __attribute__((aligned(4096)));

static void mmu_with_high_alias(void)
{
	low_table[0] = 0x00000000ULL | BLOCK_DEVICE;
	low_table[1] = 0x40000000ULL | BLOCK_NORMAL;
	low_table[2] = 0x80000000ULL | BLOCK_NORMAL;
	high_table[1] = RAM_GIB | BLOCK_NORMAL;
	__asm__ volatile("dsb ish\n"
			 "msr mair_el1, %0\n"
			 "msr tcr_el1, %1\n"
			 "msr ttbr0_el1, %2\n"
			 "msr ttbr1_el1, %3\n"
			 "isb\n"
			 "tlbi vmalle1\n"
			 "dsb nsh\n"
			 "isb\n"
			 "msr sctlr_el1, %4\n"
			 "isb"
			 :
			 : "r"(0x04ffULL), "r"(TCR_T0 | TCR_T1), "r"(low_table),
			   "r"(high_table), "r"(SCTLR_MMU_ON)
			 : "memory");
}

/* Runs at its high alias: each exit's step is at a 0xffff... PC. */
static void __attribute__((noinline)) high_part(void)
{
	u64 pc, actlr;
	u32 id;

	__asm__ volatile("adr %0, ." : "=r"(pc));
	guest_printf("hostile: running at 0x%llx\n", (unsigned long long)pc);
	if (pc < HIGH_GIB)
		guest_fail("not at its high alias");
	wfi();
	id = guest_testdev_id();
	__asm__ volatile("mrs %0, actlr_el1" : "=r"(actlr));
	(void)actlr;
	if (id != TESTDEV_ID_VALUE)
		guest_fail("test device id 0x%x", id);
	guest_printf("hostile: WFI, MMIO and a trapped register read at a "
		     "high PC\n");
}

static void high_pc(void)
{
	u64 low = (u64)high_part;
	void (*high)(void);

	mmu_with_high_alias();
	if (low < RAM_GIB || low >= RAM_GIB + 0x40000000UL)
		guest_fail("code at 0x%llx, not in the aliased gigabyte",
			   (unsigned long long)low);
	high = (void (*)(void))(low - RAM_GIB + HIGH_GIB);
	high();
}

/* 3. Sharing calls with ranges past 48 bits: an error, nothing else. */
static void share_past_48_bits(void)
{
	u64 r = guest_hvc(CV_GUEST_HVC_SHARE, 0, 1ULL << 48, PAGE_SIZE);

	if (r != (u64)-3)
		guest_fail("SHARE past 48 bits returned 0x%llx",
			   (unsigned long long)r);
	guest_printf("hostile: SHARE past 48 bits refused (0x%llx)\n",
		     (unsigned long long)r);
	r = guest_hvc(CV_GUEST_HVC_UNSHARE, 0, 0x1000, 1ULL << 60);
	if (r != (u64)-3)
		guest_fail("UNSHARE past 48 bits returned 0x%llx",
			   (unsigned long long)r);
	guest_printf("hostile: UNSHARE past 48 bits refused\n");
}

/* 4. An instruction EL2 traps and has no handler for: undefined to us. */
static void expect_undefined(const char *what, void (*insn)(void))
{
	u64 before = hostile_taken;

	insn();
	if (hostile_taken != before + 1 || ec_of(hostile_esr) != 0)
		guest_fail("%s: %llu exception(s), ESR 0x%llx", what,
			   (unsigned long long)(hostile_taken - before),
			   (unsigned long long)hostile_esr);
	guest_printf("hostile: %s instruction: undefined (EC 0x%llx)\n", what,
		     (unsigned long long)ec_of(hostile_esr));
}

static void sve_rdvl(void)
{
	/* CPACR_EL1.ZEN: SVE not trapped at EL1, so CPTR_EL2.TZ traps it. */
	__asm__ volatile("mrs x9, cpacr_el1\n"
			 "orr x9, x9, #(3 << 16)\n"
			 "msr cpacr_el1, x9\n"
			 "isb\n"
			 ".inst 0x04bf5020\n" /* rdvl x0, #1 */
			 ::
				 : "x0", "x9", "memory");
}

static void pac_pacia(void)
{
	/* SCTLR_EL1.EnIA: PACIA is live, so HCR_EL2.API traps it. */
	__asm__ volatile("mrs x9, sctlr_el1\n"
			 "orr x9, x9, #(1 << 31)\n"
			 "msr sctlr_el1, x9\n"
			 "isb\n"
			 ".inst 0xdac10020\n" /* pacia x0, x1 */
			 ::
				 : "x0", "x9", "memory");
}

void guest_secondary_main(u64 ctx)
{
	guest_fail("unexpected vcpu %u", guest_cpu());
}

void guest_main(void)
{
	guest_printf("hostile: hello from vcpu %u\n", guest_cpu());
	__asm__ volatile("msr vbar_el1, %0\n"
			 "isb" ::"r"(hostile_vectors));
	aarch32_el0();
	high_pc();
	share_past_48_bits();
	expect_undefined("SVE", sve_rdvl);
	expect_undefined("PAC", pac_pacia);
	guest_printf("hostile: every attack contained, powering off\n");
	psci_system_off();
}
