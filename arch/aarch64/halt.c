// SPDX-License-Identifier: MIT
/*
 * The fail-stop at EL2 (arch_halt, arch_cpu_stop): a panic parks every
 * CPU at EL2, never to return to a host or a guest, and the last CPU to
 * park ends the machine (QEMU: semihosting exit status 3).
 *
 * How the other CPUs get to EL2:
 *  - a CPU already at EL2 (a hypercall, a trap, a world switch) finds the
 *    core halted at its next lock (wait_lock stops it: arch_cpu_stop) or
 *    at the latest on its way out: every path back to EL1 checks the halt
 *    flag first (entry.S: el2_host_hvc, el2_trap_common, el2_enter_el1;
 *    switch.S: the guest's eret) and parks instead;
 *  - a CPU at EL1 (the host or a guest, however long it runs without a
 *    trap) is interrupted: the halting CPU sends SGI 15 as a Group 0
 *    interrupt (a physical FIQ), which HCR_EL2.FMO routes to EL2 for the
 *    host and for VMs alike. The core sets up what that needs on every CPU
 *    at EL2 (ICC_IGRPEN0_EL1, ICC_PMR_EL1: with FMO set the host's EL1
 *    accesses to them reach only the virtual interface) and, at the halt,
 *    in the GIC (the SGI's group, enable and priority in each CPU's
 *    redistributor, Group 0 enabled in the distributor), whatever the host
 *    made of those since.
 * The CPUs counted are those online: the boot CPU, each CPU started with
 * a host's PSCI CPU_ON (el2_cpu_on), less each that PSCI CPU_OFF took
 * away. The halting CPU waits (up to a second) for the others to park
 * before it prints the reason, so nothing the host or a guest prints can
 * follow it, and says how many stopped.
 *
 * GICv3 only: with a GICv2 the other CPUs are not interrupted (those at
 * EL1 go on until they trap), and the halting CPU ends the machine after
 * the wait.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <arch/sysreg.h>

#include "el2.h"

_Static_assert(__builtin_offsetof(struct cv_state, halted) == 0,
	       "entry.S and switch.S read cv.halted at cv + 0");

/* GICv3 (Arm IHI 0069): what the halt programs. */
#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP (1U << 31)
#define GICD_CTLR_ENABLE_G0 (1U << 0) /* single security state (DS = 1) */
#define GICR_FRAME_SIZE 0x20000	      /* RD_base + SGI_base */
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_WAKER_SLEEP (1U << 1)
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400
#define GICR_IGRPMODR0 0x0d00
#define HALT_SGI 15U
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IGRPEN0_EL1 S3_0_C12_C12_6
#define ICC_SGI0R_EL1 S3_0_C12_C11_7
#define ICC_SGI_IRM (1ULL << 40) /* every PE but this one */

static u32 online = 1; /* the boot CPU */
static u32 parked;

static inline u32 gic_read(u64 pa)
{
	return *(volatile u32 *)pa;
}

static inline void gic_write(u64 pa, u32 v)
{
	*(volatile u32 *)pa = v;
}

/* The affinity fields of an MPIDR, as GICR_TYPER[63:32] packs them. */
static u32 gicr_affinity(u64 mpidr)
{
	return (u32)((mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 24);
}

/* This CPU at EL2 (host_enter): Group 0 reaches it, whatever the host. */
void el2_gic_cpu_init(void)
{
	if (plat.gic_version != 3)
		return;
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_IGRPEN0_EL1, 1);
	isb();
}

/* Make SGI 15 a Group 0 (FIQ) interrupt every CPU takes, then send it. */
static void stop_others(void)
{
	u32 cpu = arch_cpu_id();

	if (plat.gic_version != 3 || !plat.gicd_base || !plat.gicr_base)
		return;
	for (u32 i = 0; i < plat.ncpus; i++) {
		u64 rd = plat.gicr_base + (u64)i * GICR_FRAME_SIZE;

		if (i == cpu ||
		    rd + GICR_FRAME_SIZE > plat.gicr_base + plat.gicr_size)
			continue;
		if (*(volatile u32 *)(rd + GICR_TYPER + 4) !=
		    gicr_affinity(plat.mpidr[i]))
			continue; /* not CPU i's redistributor */
		gic_write(rd + GICR_WAKER,
			  gic_read(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
		gic_write(rd + GICR_SGI + GICR_IGRPMODR0,
			  gic_read(rd + GICR_SGI + GICR_IGRPMODR0) &
				  ~(1U << HALT_SGI));
		gic_write(rd + GICR_SGI + GICR_IGROUPR0,
			  gic_read(rd + GICR_SGI + GICR_IGROUPR0) &
				  ~(1U << HALT_SGI));
		*(volatile u8 *)(rd + GICR_SGI + GICR_IPRIORITYR + HALT_SGI) =
			0;
		gic_write(rd + GICR_SGI + GICR_ISENABLER0, 1U << HALT_SGI);
	}
	gic_write(plat.gicd_base + GICD_CTLR,
		  gic_read(plat.gicd_base + GICD_CTLR) | GICD_CTLR_ENABLE_G0);
	for (u32 spin = 0;
	     spin < 1000000 &&
	     (gic_read(plat.gicd_base + GICD_CTLR) & GICD_CTLR_RWP);
	     spin++)
		;
	dsb(ish);
	write_sysreg(ICC_SGI0R_EL1, ICC_SGI_IRM | ((u64)HALT_SGI << 24));
	isb();
}

static void report(const char *what, u32 n, u32 of)
{
	char line[96];

	cv_snprintf(line, sizeof(line), "corevisor: halted: %s (%u of %u)\n",
		    what, n, of);
	arch_console_write(line);
}

/* The last CPU to park ends the machine. */
static void __attribute__((noreturn)) machine_stop(void)
{
	semihost_exit(3);
}

/* Park this CPU at EL2 for good: it never returns to EL1. */
void el2_park(void)
{
	u32 n;

	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	n = __atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
	if (n >= __atomic_load_n(&online, __ATOMIC_SEQ_CST))
		machine_stop();
	for (;;)
		__asm__ volatile("wfe");
}

/* A CPU is about to be started (PSCI CPU_ON): it counts from now on. */
void el2_cpu_online(void)
{
	__atomic_add_fetch(&online, 1, __ATOMIC_SEQ_CST);
}

/*
 * A CPU is going away (PSCI CPU_OFF, or a CPU_ON that failed): if the core
 * halted meanwhile and every other CPU parked, it ends the machine.
 */
void el2_cpu_offline(void)
{
	u32 n = __atomic_sub_fetch(&online, 1, __ATOMIC_SEQ_CST);

	if (halted() && __atomic_load_n(&parked, __ATOMIC_SEQ_CST) >= n)
		machine_stop();
}

/* CNTPCT ticks in a second, for the wait below. */
static u64 one_second(void)
{
	return read_sysreg(cntfrq_el0);
}

/*
 * Fail-stop (cv/arch.h): stop the other CPUs, wait for them to park, print
 * the reason, park. Without semihosting the machine's end falls back to
 * PSCI SYSTEM_OFF (el2_trap: the exit's HLT traps).
 */
void arch_halt(const char *reason)
{
	u64 t0 = read_sysreg(cntpct_el0);
	bool locked;
	u32 others;

	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	stop_others();
	while (__atomic_load_n(&parked, __ATOMIC_SEQ_CST) + 1 <
		       __atomic_load_n(&online, __ATOMIC_SEQ_CST) &&
	       read_sysreg(cntpct_el0) - t0 < one_second())
		arch_cpu_relax();
	locked = el2_console_acquire(1000000);
	uart_puts("corevisor: panic: ");
	uart_puts(reason);
	uart_puts("\n");
	if (locked)
		el2_console_release();
	others = __atomic_load_n(&online, __ATOMIC_SEQ_CST) - 1;
	if (__atomic_load_n(&parked, __ATOMIC_SEQ_CST) < others) {
		report("CPUs still running", others - parked, others);
		machine_stop();
	}
	report("every other CPU stopped at EL2", others, others);
	el2_park();
}

/* A CPU the halt caught waiting (wait_lock) parks like the rest. */
void arch_cpu_stop(void)
{
	el2_park();
}
