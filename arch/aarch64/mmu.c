// SPDX-License-Identifier: MIT
/*
 * corevisor's own address space at EL2 (stage 1, TTBR0_EL2, 4 KiB granule,
 * 48-bit VA, 4 levels from level 0 like the core's tables).
 *
 * Boot: a static identity map (first 4 GiB: device below RAM, normal
 * memory from 0x40000000), enough to run libfdt and libsodium, which need
 * the MMU on (their code is not strict-align, and with the MMU off all
 * memory is Device). After cv_boot the CPU switches to the COREVISOR table
 * the core owns (core/pt), which arch code fills with the identity map of
 * RAM and the devices corevisor drives; the core adds its remap area.
 */
#include <cv/lib.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <arch/sysreg.h>

#include "el2.h"

#define S1_BLOCK_NORMAL                                                    \
	(PTE_TYPE_BLOCK | S1_ATTRIDX_NORMAL | S1_AP1_RES1 | PTE_SH_INNER | \
	 PTE_AF)
#define S1_BLOCK_DEVICE \
	(PTE_TYPE_BLOCK | S1_ATTRIDX_DEVICE | S1_AP1_RES1 | PTE_AF | S1_XN)
/* AP[1] is RES1 in the EL2 (non-VHE) stage-1 regime (Arm ARM D8.4.1). */
#define S1_AP1_RES1 (1ULL << 6)

static u64 boot_l0[512] __attribute__((aligned(4096)));
static u64 boot_l1[512] __attribute__((aligned(4096)));

/* TTBR0_EL2 every CPU uses (the boot map, later the COREVISOR table). */
static u64 el2_ttbr;
static u64 el2_tcr;

u32 mmu_pa_bits(void)
{
	return parange_bits(read_sysreg(id_aa64mmfr0_el1) & 0xf);
}

u32 mmu_ipa_bits(void)
{
	u32 pa = mmu_pa_bits();

	/* A stage 2 that starts at level 0 needs T0SZ <= 24 (IPA >= 40). */
	return pa < 40 ? 40 : pa;
}

static u64 ps_field(void)
{
	u64 parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	return (parange > 5 ? 5 : parange) << TCR_PS_SHIFT;
}

/*
 * VTCR_EL2 for the core's stage-2 tables: 4 levels, root at level 0
 * (SL0 = 2), IPA = the PA size (T0SZ = 64 - bits), PS = the PA size.
 */
u64 mmu_vtcr(void)
{
	return VTCR_EL2_RES1 | ps_field() | TCR_WALK_WB_IS | VTCR_SL0_LEVEL0 |
	       (64 - mmu_ipa_bits());
}

static void mmu_load(u64 ttbr)
{
	write_sysreg(mair_el2, MAIR_EL2_VALUE);
	write_sysreg(tcr_el2, el2_tcr);
	write_sysreg(ttbr0_el2, ttbr);
	isb();
	__asm__ volatile("tlbi alle2" ::: "memory");
	dsb(ish);
	isb();
	write_sysreg(sctlr_el2, SCTLR_EL2_MMU_ON);
	isb();
}

void mmu_boot_enable(void)
{
	boot_l0[0] = (u64)boot_l1 | PTE_TYPE_TABLE;
	boot_l1[0] = 0 | S1_BLOCK_DEVICE;
	for (u64 i = 1; i < 4; i++)
		boot_l1[i] = (i << 30) | S1_BLOCK_NORMAL;
	dsb(sy);
	/* 48-bit VA: T0SZ 16, a level-0 root like the core's tables. */
	el2_tcr = TCR_EL2_RES1 | ps_field() | TCR_WALK_WB_IS | 16;
	el2_ttbr = (u64)boot_l0;
	/* Secondary CPUs read these with their MMU (and caches) off. */
	dcache_clean_range(&el2_ttbr, sizeof(el2_ttbr));
	dcache_clean_range(&el2_tcr, sizeof(el2_tcr));
	mmu_load(el2_ttbr);
}

void mmu_secondary_enable(void)
{
	mmu_load(__atomic_load_n(&el2_ttbr, __ATOMIC_ACQUIRE));
}

/* Leaf attributes of the core's own map (EL2 stage 1, MAIR as above). */
#define S1_RO (1ULL << 7) /* AP[2] */
#define S1_PAGE_TEXT                                                \
	(PTE_TYPE_TABLE | S1_ATTRIDX_NORMAL | S1_AP1_RES1 | S1_RO | \
	 PTE_SH_INNER | PTE_AF)
#define S1_PAGE_RODATA (S1_PAGE_TEXT | S1_XN)
#define S1_PAGE_RW                                                         \
	(PTE_TYPE_TABLE | S1_ATTRIDX_NORMAL | S1_AP1_RES1 | PTE_SH_INNER | \
	 PTE_AF | S1_XN)
#define S1_BLOCK_RW ((S1_PAGE_RW & ~PTE_TYPE_MASK) | PTE_TYPE_BLOCK)
#define S1_PAGE_DEVICE \
	(PTE_TYPE_TABLE | S1_ATTRIDX_DEVICE | S1_AP1_RES1 | PTE_AF | S1_XN)

/* Identity-map [start, end): 2 MiB blocks where they fit, else pages. */
static void map_identity(u64 start, u64 end, u64 page_attr)
{
	u64 a = start;

	while (a < end) {
		if (a % PMD_SIZE == 0 && end - a >= PMD_SIZE &&
		    page_attr == S1_PAGE_RW) {
			map_s2pt(COREVISOR, a, 2, a | S1_BLOCK_RW);
			a += PMD_SIZE;
		} else {
			map_s2pt(COREVISOR, a, 3, a | page_attr);
			a += PAGE_SIZE;
		}
	}
}

/*
 * A GICv3's distributor and the redistributors of the board's CPUs, for
 * the halt (halt.c): it makes its stop signal a Group 0 interrupt there.
 */
static void map_gic(void)
{
	u64 rd_end = plat.gicr_base + (u64)plat.ncpus * 0x20000;

	if (plat.gic_version != 3 || !plat.gicd_base || !plat.gicr_base)
		return;
	if (rd_end > plat.gicr_base + plat.gicr_size)
		rd_end = plat.gicr_base + plat.gicr_size;
	map_identity(plat.gicd_base, plat.gicd_base + 0x10000, S1_PAGE_DEVICE);
	map_identity(plat.gicr_base, rd_end, S1_PAGE_DEVICE);
	/* The ITS's control frame: the core drives its tables (gictab.h). */
	if (plat.its_base)
		map_identity(plat.its_base, plat.its_base + 0x10000,
			     S1_PAGE_DEVICE);
}

/*
 * Fill the COREVISOR table (the core's own EL2 address space) and run on
 * it: every RAM region read-write and never executable, except the
 * image, mapped page by page with W^X (text read-only executable, rodata
 * read-only); the UART and the GIC (halt.c) as device memory. Nothing
 * else: flash and other MMIO stay unmapped until corevisor drives them.
 * The core's remap area (REMAP_START..REMAP_END) sits below RAM and is
 * added by the core.
 */
void mmu_switch_to_core_table(void)
{
	u64 img = (u64)__image_start, img_end = (u64)__image_end;
	u64 text = (u64)__text_start,
	    text_end = ALIGN_UP((u64)__text_end, PAGE_SIZE);
	u64 rodata_end = (u64)__rodata_end;

	for (u32 i = 0; i < plat.nregions; i++) {
		u64 base = plat.regions[i].base;
		u64 end = base + plat.regions[i].size;

		if (img >= base && img_end <= end) {
			map_identity(base, img, S1_PAGE_RW);
			map_identity(img_end, end, S1_PAGE_RW);
		} else {
			map_identity(base, end, S1_PAGE_RW);
		}
	}
	map_identity(img, text, S1_PAGE_RW);
	map_identity(text, text_end, S1_PAGE_TEXT);
	map_identity(text_end, rodata_end, S1_PAGE_RODATA);
	map_identity(rodata_end, img_end, S1_PAGE_RW);
	map_identity(ALIGN_DOWN(plat.uart_base, PAGE_SIZE),
		     ALIGN_DOWN(plat.uart_base, PAGE_SIZE) + PAGE_SIZE,
		     S1_PAGE_DEVICE);
	map_gic();
	if (plat.smmuv3_base) /* smmuv3.c: corevisor drives it */
		map_identity(plat.smmuv3_base,
			     plat.smmuv3_base +
				     ALIGN_UP(plat.smmuv3_size, PAGE_SIZE),
			     S1_PAGE_DEVICE);
	if (halted())
		return;

	el2_ttbr = get_pt_vttbr(COREVISOR);
	dcache_clean_range(&el2_ttbr, sizeof(el2_ttbr));
	dsb(ish);
	mmu_load(el2_ttbr);
}
