/* SPDX-License-Identifier: MIT */
/*
 * SMMU page tables (core/spt): MmioPTAlloc, MmioPTWalk, MmioSPTWalk,
 * MmioSPTOps. One table per (index = SMMU 0..SMMU_NUM-1, cbndx = context
 * bank 0..SMMU_NUM_CTXT_BANKS-1), root at SMMU_TTBR(index, cbndx).
 * The walk/set layers expect SPT_ID held; MmioSPTOps takes it itself.
 */
#ifndef CV_SPT_H
#define CV_SPT_H

#include <cv/types.h>

/* Physical address of the two-page root of (index, cbndx): SMMU_TTBR. */
u64 smmu_ttbr(u32 index, u32 cbndx);

u64 alloc_smmu_pgd_page(void);
u64 alloc_smmu_pmd_page(void);

u64 walk_smmu_pgd(u64 ttbr, u64 addr, u32 alloc);
u64 walk_smmu_pmd(u64 pgd, u64 addr, u32 alloc);
u64 walk_smmu_pte(u64 pmd, u64 addr);
void set_smmu_pte(u64 pmd, u64 addr, u64 pte);

void clear_smmu_pt(u32 cbndx, u32 index);
u64 walk_smmu_pt(u32 cbndx, u32 index, u64 addr);
void set_smmu_pt(u32 cbndx, u32 index, u64 addr, u64 pte);

void init_spt(u32 cbndx, u32 index);
u64 walk_spt(u32 cbndx, u32 index, u64 addr);
void map_spt(u32 cbndx, u32 index, u64 addr, u64 pte);
u64 unmap_spt(u32 cbndx, u32 index, u64 addr);

/* Boot: the SMMU pool at @pool, every table empty. */
void init_spt_pool(u64 pool);

#endif
