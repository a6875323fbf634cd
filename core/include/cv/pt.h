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

struct memblock;
struct pt_geometry; /* state.h */

/*
 * corevisor: the host's pool for the memory map @regions (@n, sorted and
 * disjoint): one table for each 512 GiB, 1 GiB and 2 MiB of the address
 * space that RAM touches, at levels 1, 2 and 3, plus HOST_MMIO_*_PAGES
 * (constants.h) for MMIO. The host's table never replaces a table by a
 * block (map_page_host maps a block only into an empty level-2 entry), so
 * each of those spans gets at most one table of each level, whatever the
 * host touches and however often its blocks are split: only MMIO can
 * exhaust this pool.
 */
void host_pool_geometry(const struct memblock *regions, u32 n,
			struct pt_geometry *g);
#define HOST_POOL_ALIGN 0x10000ULL /* the host pool's size is a multiple */

/*
 * corevisor: the pool of each VM and of the core for the memory map
 * @regions (@n): with CV_VM_POOLS_FROM_RAM, vm_pool_geometry_from_ram;
 * otherwise the build's fixed PUD_OFFSET, PMD_OFFSET, PT_POOL_PER_VM.
 */
void vm_pool_geometry(const struct memblock *regions, u32 n,
		      struct pt_geometry *g);
/*
 * corevisor: one table per 512 GiB, 1 GiB and 2 MiB of the RAM in
 * @regions at levels 1, 2 and 3 (a VM given all of it, in 4 KiB pages at
 * consecutive IPAs), plus VM_MMIO_*_PAGES (constants.h); a multiple of
 * HOST_POOL_ALIGN. Any build can compute it (the benchmarks report it).
 */
void vm_pool_geometry_from_ram(const struct memblock *regions, u32 n,
			       struct pt_geometry *g);

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
/*
 * clear_pfn_host: page @pfn leaves the host's stage 2 (PAGE_GUEST). A 2 MiB
 * block around it is first split into a level-3 table (corevisor).
 */
void clear_pfn_host(u64 pfn);
/*
 * corevisor: where the hole in @vmid's table around @addr ends (@addr
 * itself when a level-2 entry covers it): range walks skip what is not
 * mapped a table entry at a time.
 */
u64 s2pt_hole_end(u32 vmid, u64 addr);
/* corevisor: walk_s2pt and get_level_s2pt of @addr in one locked walk. */
u64 walk_s2pt_level(u32 vmid, u64 addr, u32 *level);
/*
 * corevisor: what @vmid's level-2 entry for @addr holds: PMD_NONE (nothing,
 * or no table above it), PMD_BLOCK (a 2 MiB leaf) or PMD_TABLE (a link to
 * a level-3 table).
 */
#define PMD_NONE 0U
#define PMD_BLOCK 2U
#define PMD_TABLE 3U
u32 s2pt_pmd_type(u32 vmid, u64 addr);
/*
 * corevisor: map_s2pt(@vmid, @addr, 3, @pte) if the level-2 entry for
 * @addr links a level-3 table, in one walk; returns s2pt_pmd_type's
 * answer of before (PMD_TABLE: mapped; otherwise nothing changed).
 */
u32 map_s2pt_in_table(u32 vmid, u64 addr, u64 pte);
/*
 * corevisor (map_page_host): the slot of @addr's level-3 entry in the
 * host's table when a level-3 table already covers @addr, else NULL,
 * found without any lock; map_host_slot stores a page there (the caller
 * holds the host's NPT lock).
 */
u64 *host_pte_slot(u64 addr);
void map_host_slot(u64 addr, u64 *slot, u64 pte);

/* The root-table register value of principal @vmid: VTTBR_EL2 / TTBR0_EL2. */
u64 get_pt_vttbr(u32 vmid);

/*
 * Boot: set up principal @vmid's empty table in its pool at @pool, with
 * the build's geometry for a VM or the core, host_pool_geometry of the
 * regions in `cv` for the host.
 */
void init_npt(u32 vmid, u64 pool);
/* corevisor (destroy_vm): VM @vmid's table empty again, its TLB flushed. */
void reset_npt(u32 vmid);
/* corevisor (destroy_vm): the core no longer maps remap page @addr. */
void unmap_core_remap_page(u64 addr);

#endif
