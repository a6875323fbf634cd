// SPDX-License-Identifier: MIT
/*
 * The sample guests' little runtime: console on the emulated PL011, the
 * test device, PSCI through HVC, an identity stage-1 map, exceptions.
 * The formatting and string functions are lib/baremetal's.
 */
#include <baremetal/format.h>

#include "guest.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

void guest_exception(u64 kind, u64 esr, u64 elr, u64 far);

#define PSCI_CPU_OFF 0x84000002ULL
#define PSCI_CPU_ON 0xc4000003ULL
#define PSCI_AFFINITY_INFO 0xc4000004ULL
#define PSCI_SYSTEM_OFF 0x84000008ULL

static volatile u32 console_lock;

static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	/* One plain load with an immediate-free address: ISV is set. */
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write32(u64 addr, u32 v)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write64(u64 addr, u64 v)
{
	__asm__ volatile("str %0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

/* A PL011 driver as a real one: wait while the FIFO is full, then write. */
static void uart_putc(char c)
{
	while (mmio_read32(GUEST_UART + UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(GUEST_UART + UART_DR, (u8)c);
}

static void vprint(const char *fmt, va_list ap)
{
	char line[160];

	bm_vformat(line, sizeof(line), fmt, ap);
	/*
	 * WFE while another vCPU prints: it traps (HCR_EL2.TWE), so the host
	 * can run that vCPU even when both share one physical CPU.
	 */
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		wfe();
	for (const char *s = line; *s; s++)
		uart_putc(*s);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	sev();
}

void guest_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void guest_fail(const char *fmt, ...)
{
	va_list ap;

	guest_printf("%s: FAIL: ", guest_name);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	guest_printf("\n");
	psci_system_off();
}

void guest_event(u64 event)
{
	mmio_write64(GUEST_TESTDEV + TESTDEV_EVENT, event);
}

u32 guest_testdev_id(void)
{
	return mmio_read32(GUEST_TESTDEV + TESTDEV_ID);
}

u32 guest_cpu(void)
{
	u64 v;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
	return (u32)(v & 0xff);
}

s64 psci_cpu_on(u64 mpidr, u64 entry, u64 ctx)
{
	return (s64)guest_hvc(PSCI_CPU_ON, mpidr, entry, ctx);
}

s64 psci_affinity_info(u64 mpidr)
{
	return (s64)guest_hvc(PSCI_AFFINITY_INFO, mpidr, 0, 0);
}

void psci_cpu_off(void)
{
	guest_hvc(PSCI_CPU_OFF, 0, 0, 0);
	guest_fail("PSCI CPU_OFF returned");
}

void psci_system_off(void)
{
	guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		wfi();
}

/*
 * Identity stage-1 map, 4 GiB of VA (T0SZ 32, level-1 root, 1 GiB
 * blocks): the devices below 1 GiB as Device-nGnRE, RAM above as normal
 * write-back memory. The VM's own EL1 translation regime: the world
 * switch must keep it (TTBR0, TCR, MAIR, SCTLR) across every exit.
 */
#define MAIR_VALUE 0x04ffULL /* 0: normal WB, 1: Device-nGnRE */
#define BLOCK_NORMAL ((1ULL << 10) | (3ULL << 8) | (0 << 2) | 1)
#define BLOCK_DEVICE ((1ULL << 10) | (1 << 2) | (3ULL << 53) | 1)
#define TCR_VALUE                                                           \
	(32ULL | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (1ULL << 23) | \
	 (0ULL << 32))
#define SCTLR_MMU_ON (0x30d00800ULL | (1 << 0) | (1 << 2) | (1 << 12))

static u64 l1_table[512] __attribute__((aligned(4096)));

void guest_mmu_enable(void)
{
	l1_table[0] = 0x00000000ULL | BLOCK_DEVICE;
	l1_table[1] = 0x40000000ULL | BLOCK_NORMAL;
	l1_table[2] = 0x80000000ULL | BLOCK_NORMAL;
	__asm__ volatile("dsb ish\n"
			 "msr mair_el1, %0\n"
			 "msr tcr_el1, %1\n"
			 "msr ttbr0_el1, %2\n"
			 "isb\n"
			 "tlbi vmalle1\n"
			 "dsb nsh\n"
			 "isb\n"
			 "msr sctlr_el1, %3\n"
			 "isb"
			 :
			 : "r"(MAIR_VALUE), "r"(TCR_VALUE), "r"(l1_table),
			   "r"(SCTLR_MMU_ON)
			 : "memory");
}

void guest_exception(u64 kind, u64 esr, u64 elr, u64 far)
{
	guest_fail("exception %llu: esr 0x%llx elr 0x%llx far 0x%llx",
		   (unsigned long long)kind, (unsigned long long)esr,
		   (unsigned long long)elr, (unsigned long long)far);
}
