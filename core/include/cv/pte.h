/* SPDX-License-Identifier: MIT */
/*
 * Every translation-table descriptor layout the core writes, in one header
 * (VMSAv8-64, 4 KiB granule; Arm ARM D8.3). The spec's PAGE_S2_* / PAGE_HYP
 * values are placeholders; these are the real encodings, so the EL2 port
 * hands the same tables to the MMU and the SMMU as they are.
 *
 * Stage-2 tables (one per principal HOSTVISOR..15): 4 levels, root at
 * level 0 (VTCR_EL2.SL0 = 2, T0SZ <= 24), output = stage-2 descriptors.
 * The COREVISOR table is the core's own EL2 stage-1 table (TTBR0_EL2):
 * same geometry, EL2 stage-1 attributes (AttrIndx into MAIR_EL2).
 * SMMU tables: 3 levels, root = two concatenated level-1 pages (40-bit
 * IPA), stage-2 descriptors.
 */
#ifndef CV_PTE_H
#define CV_PTE_H

#include <cv/types.h>

#define PTE_VALID (1ULL << 0)
#define PTE_TABLE (1ULL << 1) /* table (levels 0-2) or page (level 3) */
#define PTE_TYPE_MASK 3ULL
#define PTE_TYPE_TABLE 3ULL		    /* also a level-3 page */
#define PTE_TYPE_BLOCK 1ULL		    /* level 1/2 block */
#define PTE_ADDR_MASK 0x0000fffffffff000ULL /* bits 47:12 */
#define PMD_ADDR_MASK 0x0000ffffffe00000ULL /* 2 MiB block output */
#define PTE_AF (1ULL << 10)
#define PTE_SH_INNER (3ULL << 8)

/* Stage-2 lower attributes. */
#define S2_MEMATTR_NORMAL_WB (0xfULL << 2)
#define S2_MEMATTR_DEVICE_nGnRE (0x1ULL << 2)
#define S2AP_R (1ULL << 6)
#define S2AP_W (2ULL << 6)
#define S2AP_RW (3ULL << 6)
#define S2_XN (1ULL << 54)

/* Software bits (ignored by hardware), 58:55. */
#define PTE_SW_GUEST (1ULL << 57) /* host entry of a page given away */

/* Attributes (no address, no type bits) of what the core maps. */
#define S2_ATTR_RAM (S2_MEMATTR_NORMAL_WB | S2AP_RW | PTE_SH_INNER | PTE_AF)
#define S2_ATTR_DEVICE (S2_MEMATTR_DEVICE_nGnRE | S2AP_RW | PTE_AF | S2_XN)

/* EL2 stage-1 (COREVISOR table): MAIR_EL2 index 0 = normal WB, 1 = device. */
#define S1_ATTRIDX_NORMAL (0ULL << 2)
#define S1_ATTRIDX_DEVICE (1ULL << 2)
#define S1_AP_RW_EL2 (0ULL << 6)
#define S1_XN (1ULL << 54)
#define PAGE_HYP                                                            \
	(S1_ATTRIDX_NORMAL | S1_AP_RW_EL2 | PTE_SH_INNER | PTE_AF | S1_XN | \
	 PTE_TYPE_TABLE)

/* Stage-2 leaf descriptors as the core writes them. */
#define PAGE_S2_RAM (S2_ATTR_RAM | PTE_TYPE_TABLE)	 /* level 3 */
#define PAGE_S2_RAM_BLOCK (S2_ATTR_RAM | PTE_TYPE_BLOCK) /* level 2 */
#define PAGE_S2_DEVICE (S2_ATTR_DEVICE | PTE_TYPE_TABLE) /* level 3 */
#define PAGE_GUEST PTE_SW_GUEST /* invalid: marks a host page given away */

static inline u64 phys_page(u64 pte)
{
	return pte & PTE_ADDR_MASK;
}

static inline u64 pmd_page(u64 pte)
{
	return pte & PMD_ADDR_MASK;
}

static inline bool pte_valid(u64 pte)
{
	return (pte & PTE_VALID) != 0;
}

static inline u32 pgd_index(u64 addr)
{
	return (addr >> 39) & 511;
}

static inline u32 pud_index(u64 addr)
{
	return (addr >> 30) & 511;
}

static inline u32 pmd_index(u64 addr)
{
	return (addr >> 21) & 511;
}

static inline u32 pte_index(u64 addr)
{
	return (addr >> 12) & 511;
}

#endif
