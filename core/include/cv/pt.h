/* SPDX-License-Identifier: MIT */
/*
 * Stage-2 page tables (core/pt): PTAlloc, PTWalk, NPTWalk, NPTOps.
 * vmid names a principal 0..16; HOSTVISOR's table is the host's stage-2,
 * COREVISOR's is the core's own EL2 table (it holds the remap area).
 * Functions below NPTOps expect the caller to hold NPT_ID + vmid.
 */
#ifndef CV_PT_H
#define CV_PT_H

#include <cv/types.h>

/* PTAlloc: next free table page of each level; pool exhaustion panics. */
u64 alloc_pgd_page(u32 vmid);
u64 alloc_pud_page(u32 vmid);
u64 alloc_pmd_page(u32 vmid);

/* PTWalk: one level each; alloc = 1 allocates a missing table. */
u64 walk_pgd(u32 vmid, u64 vttbr, u64 addr, u32 alloc);
u64 walk_pud(u32 vmid, u64 pgd, u64 addr, u32 alloc);
u64 walk_pmd(u32 vmid, u64 pud, u64 addr, u32 alloc);
u64 walk_pte(u32 vmid, u64 pmd, u64 addr);
void set_pmd(u32 vmid, u64 pud, u64 addr, u64 pmd);
void set_pte(u32 vmid, u64 pmd, u64 addr, u64 pte);

/* NPTWalk: whole-table operations under the table's lock. */
u32 get_npt_level(u32 vmid, u64 addr);
u64 walk_npt(u32 vmid, u64 addr);
void set_npt(u32 vmid, u64 addr, u32 level, u64 pte);

/* NPTOps: take and release NPT_ID + vmid themselves. */
u32 get_level_s2pt(u32 vmid, u64 addr);
u64 walk_s2pt(u32 vmid, u64 addr);
void map_s2pt(u32 vmid, u64 addr, u32 level, u64 pte);
/*
 * corevisor: the page mapped at @addr (a page or a block's), storing
 * nothing; else 0 once @pte is mapped there at level 3. One hold of the
 * table's lock.
 */
u64 map_s2pt_page_unless_mapped(u32 vmid, u64 addr, u64 pte);
void clear_pfn_host(u64 pfn);
/*
 * corevisor: where the hole in @vmid's table around @addr ends (@addr
 * itself when a level-2 entry covers it): range walks skip what is not
 * mapped a table entry at a time.
 */
u64 s2pt_hole_end(u32 vmid, u64 addr);
/* corevisor: walk_s2pt and get_level_s2pt of @addr in one locked walk. */
u64 walk_s2pt_level(u32 vmid, u64 addr, u32 *level);

/* The root-table register value of principal @vmid: VTTBR_EL2 / TTBR0_EL2. */
u64 get_pt_vttbr(u32 vmid);

/* Boot: set up principal @vmid's empty table in its pool at @pool. */
void init_npt(u32 vmid, u64 pool);

#endif
