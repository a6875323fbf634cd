// SPDX-License-Identifier: MIT
/* The arch contract (core/include/cv/arch.h) at EL2 on QEMU virt. */
#include <cv/arch.h>
#include <cv/pt.h>
#include <cv/state.h>
#include <arch/sysreg.h>

#include "el2.h"

u32 arch_cpu_id(void)
{
	return (u32)read_sysreg(tpidr_el2);
}

/* The core's EL2 map is the identity on every RAM region. */
void *arch_phys_to_virt(u64 pa)
{
	for (u32 i = 0; i < plat.nregions; i++) {
		const struct memblock *r = &plat.regions[i];

		if (pa >= r->base && pa - r->base < r->size)
			return (void *)pa;
	}
	return NULL;
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

void arch_pt_sync(void)
{
	dsb(ishst);
}

/*
 * Stage-2 TLB maintenance acts on the VMID in VTTBR_EL2: point it at
 * @vmid's table for the TLBI, then put the running one back. Stage-1
 * entries of that VMID may combine both stages, so they go too.
 */
static u64 switch_vmid(u32 vmid)
{
	u64 old = read_sysreg(vttbr_el2);

	write_sysreg(vttbr_el2, get_pt_vttbr(vmid));
	isb();
	return old;
}

static void restore_vmid(u64 old)
{
	write_sysreg(vttbr_el2, old);
	isb();
}

void arch_tlb_flush_ipa(u32 vmid, u64 ipa)
{
	u64 old;

	dsb(ishst);
	if (vmid == COREVISOR) {
		__asm__ volatile("tlbi vae2is, %0"
				 :
				 : "r"(ipa >> 12)
				 : "memory");
		dsb(ish);
		isb();
		return;
	}
	old = switch_vmid(vmid);
	__asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12) : "memory");
	dsb(ish);
	__asm__ volatile("tlbi vmalle1is" ::: "memory");
	dsb(ish);
	isb();
	restore_vmid(old);
}

void arch_tlb_flush_vmid(u32 vmid)
{
	u64 old;

	dsb(ishst);
	if (vmid == COREVISOR) {
		__asm__ volatile("tlbi alle2is" ::: "memory");
		dsb(ish);
		isb();
		return;
	}
	old = switch_vmid(vmid);
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	isb();
	restore_vmid(old);
}

/*
 * QEMU's virt board has no SMMUv2 (MMU-500) for the spec's SMMU layers to
 * drive: the core keeps its SMMU tables, no hardware caches them.
 */
void arch_smmu_tlb_flush(u32 index, u32 cbndx)
{
	dsb(ishst);
}

/*
 * The GIC's registers (cv/gictab.h): device memory in the core's table
 * (mmu.c map_gic). A write is ordered after the core's earlier stores
 * (its ITS command queue) by the caller's arch_pt_sync.
 */
u64 arch_gic_read(u64 pa, u32 len)
{
	u64 v;

	if (len == 8)
		v = *(volatile u64 *)pa;
	else
		v = *(volatile u32 *)pa;
	dsb(ld);
	return v;
}

void arch_gic_write(u64 pa, u32 len, u64 val)
{
	dsb(st);
	if (len == 8)
		*(volatile u64 *)pa = val;
	else
		*(volatile u32 *)pa = (u32)val;
}

/*
 * One line at a time on the shared UART; a panic does not wait long
 * (el2_console_acquire with a bound: halt.c).
 */
static u32 console_lock;

bool el2_console_acquire(u32 spins)
{
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE)) {
		if (spins && --spins == 0)
			return false;
		arch_cpu_relax();
	}
	return true;
}

void el2_console_release(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void arch_console_write(const char *s)
{
	el2_console_acquire(0);
	uart_puts(s);
	el2_console_release();
}
