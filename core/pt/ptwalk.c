// SPDX-License-Identifier: MIT
/*
 * Stage-2 page tables, bottom half: PTAlloc (pool allocation) and PTWalk
 * (one table level at a time).
 *
 * Each principal 0..16 has a pool of the core's private memory
 * (cv.npts[vmid].pool) holding real VMSAv8-64 tables with a 4 KiB granule
 * and four levels:
 *
 *   pool + 0            the root (level 0) table; VTTBR_EL2 / TTBR0_EL2
 *   pool + PGD_OFFSET   level-1 tables ("pgd pages", spec pt_pgd_pool)
 *   pool + pud_offset   level-2 tables ("pud pages", spec pt_pud_pool)
 *   pool + pmd_offset   level-3 tables ("pmd pages", spec pt_pmd_pool)
 *   pool + pool_bytes   end
 *
 * A VM's and the core's pool have the build's geometry (PUD_OFFSET,
 * PMD_OFFSET, PT_POOL_PER_VM: constants.h); the host's is sized at boot
 * from the memory map (host_pool_geometry). Each pool's offsets are in its
 * struct npt.
 *
 * In the spec's names a "pgd" is a root entry, a "pud" a level-1 entry, a
 * "pmd" a level-2 entry (table or 2 MiB block) and a "pte" a level-3 entry.
 * Table pages are bump-allocated, zeroed when handed out and never freed;
 * running out of one area panics (PTAlloc).
 *
 * Entries are 64-bit atomics (pt_internal.h). Changing or removing a valid
 * entry is followed by arch_pt_sync() and a TLB invalidation; a valid
 * entry is never replaced by another valid one without going through an
 * invalid one first (break-before-make).
 *
 * These are the spec's one-level functions, each checking everything it
 * is given. NPTWalk (npt.c) does not call them level by level: it walks
 * with the same checks inline, once per level (pt_internal.h).
 *
 * Every function here expects NPT_ID + vmid held (assert_locked).
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "pt_internal.h"

_Static_assert(PGD_OFFSET >= PAGE_SIZE && PGD_OFFSET < PUD_OFFSET &&
		       PUD_OFFSET < PMD_OFFSET && PMD_OFFSET < PT_POOL_PER_VM,
	       "stage-2 pool areas out of order");
_Static_assert((PGD_OFFSET | PUD_OFFSET | PMD_OFFSET | PT_POOL_PER_VM) %
			       PAGE_SIZE ==
		       0,
	       "stage-2 pool areas not page aligned");

/* The spec's `rely is_vmid vmid`, as a panic naming @who. */
static bool check_vmid(const char *who, u32 vmid)
{
	if (!is_vmid(vmid)) {
		panic("%s: vmid %u out of range", who, vmid);
		return false;
	}
	return true;
}

static bool check_addr(const char *who, u32 vmid, u64 addr)
{
	if (!is_addr(addr)) {
		panic("%s: vm %u addr 0x%llx beyond 48 bits", who, vmid,
		      (unsigned long long)addr);
		return false;
	}
	return true;
}

void pt_panic_not_table(const char *who, u32 vmid, u64 e)
{
	panic("%s: vm %u entry 0x%llx is not a table", who, vmid,
	      (unsigned long long)e);
}

void pt_panic_area(const char *who, u32 vmid, const char *what, u64 e)
{
	panic("%s: vm %u %s 0x%llx outside its table area", who, vmid, what,
	      (unsigned long long)e);
}

void pt_panic_no_pool(const char *who, u32 vmid)
{
	panic("%s: vm %u table pool is not memory", who, vmid);
}

void pt_replace_slow(u32 vmid, u64 *p, u64 old, u64 new, u64 ipa, bool all)
{
	pt_replace(vmid, p, old, new, ipa, all);
}

/* ---- PTAlloc ---------------------------------------------------------- */

/*
 * How many spans of 2^@shift bytes the regions touch, a span shared by
 * two regions counted once (regions are sorted and disjoint).
 */
static u64 spans_touched(const struct memblock *regions, u32 n, u32 shift)
{
	u64 count = 0, prev_last = 0, first, last;
	bool any = false;

	for (u32 i = 0; i < n && i < MAX_MEMBLOCK_NUM; i++) {
		if (regions[i].size == 0)
			continue;
		first = regions[i].base >> shift;
		last = (regions[i].base + regions[i].size - 1) >> shift;
		if (any && first == prev_last)
			first++;
		if (last >= first)
			count += last - first + 1;
		prev_last = last;
		any = true;
	}
	return count;
}

/*
 * host_pool_geometry (corevisor, cv/pt.h): every 2 MiB of RAM needs at
 * most one level-3 table in the host's table, mapped as a block or as
 * pages, split or not (only a block into an empty level-2 entry is ever
 * written, so no level-3 table is ever abandoned); likewise one level-2
 * table per GiB and one level-1 table per 512 GiB. MMIO gets a fixed
 * budget on top (HOST_MMIO_*_PAGES). The level-3 area runs on to the next
 * HOST_POOL_ALIGN boundary, so the pools laid out after the host's keep
 * their alignment (an SMMU root is two concatenated pages, 8 KiB aligned).
 */
void host_pool_geometry(const struct memblock *regions, u32 n,
			struct pt_geometry *g)
{
	u64 pgds = spans_touched(regions, n, PGDIR_SHIFT) + HOST_MMIO_PGD_PAGES;
	u64 puds = spans_touched(regions, n, PUD_SHIFT) + HOST_MMIO_PUD_PAGES;
	u64 pmds = spans_touched(regions, n, PMD_SHIFT) + HOST_MMIO_PMD_PAGES;

	g->pud_offset = PGD_OFFSET + pgds * PAGE_SIZE;
	g->pmd_offset = g->pud_offset + puds * PAGE_SIZE;
	g->pool_bytes =
		ALIGN_UP(g->pmd_offset + pmds * PAGE_SIZE, HOST_POOL_ALIGN);
}

void vm_pool_geometry_from_ram(const struct memblock *regions, u32 n,
			       struct pt_geometry *g)
{
	u64 ram = 0, pgds, puds, pmds;

	for (u32 i = 0; i < n && i < MAX_MEMBLOCK_NUM; i++)
		ram += regions[i].size;
	pgds = (ALIGN_UP(ram, 1ULL << PGDIR_SHIFT) >> PGDIR_SHIFT) +
	       VM_MMIO_PGD_PAGES;
	puds = (ALIGN_UP(ram, 1ULL << PUD_SHIFT) >> PUD_SHIFT) +
	       VM_MMIO_PUD_PAGES;
	pmds = (ALIGN_UP(ram, 1ULL << PMD_SHIFT) >> PMD_SHIFT) +
	       VM_MMIO_PMD_PAGES;
	g->pud_offset = PGD_OFFSET + pgds * PAGE_SIZE;
	g->pmd_offset = g->pud_offset + puds * PAGE_SIZE;
	g->pool_bytes =
		ALIGN_UP(g->pmd_offset + pmds * PAGE_SIZE, HOST_POOL_ALIGN);
}

void vm_pool_geometry(const struct memblock *regions, u32 n,
		      struct pt_geometry *g)
{
#ifdef CV_VM_POOLS_FROM_RAM
	vm_pool_geometry_from_ram(regions, n, g);
#else
	(void)regions;
	(void)n;
	g->pud_offset = PUD_OFFSET;
	g->pmd_offset = PMD_OFFSET;
	g->pool_bytes = PT_POOL_PER_VM;
#endif
}

/*
 * alloc_{pgd,pud,pmd}_page: bump allocation of one zeroed page from
 * pool + [lo, hi); *next is the spec's pt_*_next cursor.
 */
static u64 alloc_page(const char *who, u32 vmid, const char *what, u64 *next,
		      u64 lo, u64 hi)
{
	u64 pool = cv.npts[vmid].pool;
	u64 pa = *next;

	/* rely (lo <= next <= hi): a cursor elsewhere is corruption. */
	if (pa < pool + lo || pa > pool + hi || pa % PAGE_SIZE) {
		panic("%s: vm %u cursor 0x%llx outside the %s area", who, vmid,
		      (unsigned long long)pa, what);
		return 0;
	}
	if (pa + PAGE_SIZE > pool + hi) {
		panic("%s: vm %u %s pool exhausted", who, vmid, what);
		return 0;
	}
	if (!arch_phys_to_virt(pa)) {
		panic("%s: vm %u table page 0x%llx is not memory", who, vmid,
		      (unsigned long long)pa);
		return 0;
	}
	*next = pa + PAGE_SIZE;
	cv_zero_page(pa >> PAGE_SHIFT);
	return check64(pa);
}

u64 alloc_pgd_page(u32 vmid)
{
	if (halted() || !check_vmid(__func__, vmid))
		return 0;
	assert_locked(NPT_ID + vmid);
	return alloc_page(__func__, vmid, "level-1 table",
			  &cv.npts[vmid].pgd_next, PGD_OFFSET,
			  cv.npts[vmid].geom.pud_offset);
}

u64 alloc_pud_page(u32 vmid)
{
	if (halted() || !check_vmid(__func__, vmid))
		return 0;
	assert_locked(NPT_ID + vmid);
	return alloc_page(
		__func__, vmid, "level-2 table", &cv.npts[vmid].pud_next,
		cv.npts[vmid].geom.pud_offset, cv.npts[vmid].geom.pmd_offset);
}

u64 alloc_pmd_page(u32 vmid)
{
	if (halted() || !check_vmid(__func__, vmid))
		return 0;
	assert_locked(NPT_ID + vmid);
	return alloc_page(
		__func__, vmid, "level-3 table", &cv.npts[vmid].pmd_next,
		cv.npts[vmid].geom.pmd_offset, cv.npts[vmid].geom.pool_bytes);
}

/* ---- PTWalk ----------------------------------------------------------- */

/*
 * One step of a walk: the entry at index @idx of the table that @parent
 * links to, which must lie in pool + [lo, hi). With @alloc = 1 a zero
 * entry gets a fresh table from @alloc_fn, linked as pa | 3.
 */
static u64 walk_level(const char *who, u32 vmid, u64 parent, u32 idx, u64 lo,
		      u64 hi, u32 alloc, u64 (*alloc_fn)(u32))
{
	u64 e, pa, *t;

	if (!cv.npts[vmid].pool_va) {
		pt_panic_no_pool(who, vmid);
		return 0;
	}
	t = pt_table_of(vmid, parent, lo, hi);
	if (!t) {
		pt_panic_area(who, vmid, "entry", parent);
		return 0;
	}
	e = entry_load(&t[idx]);
	if (e == 0 && alloc == 1) {
		pa = alloc_fn(vmid);
		if (halted())
			return 0;
		e = pa | PTE_TYPE_TABLE;
		entry_store(&t[idx], e);
	}
	return check64(e);
}

/* walk_pgd: the root entry for @addr; alloc = 1 adds a level-1 table. */
u64 walk_pgd(u32 vmid, u64 vttbr, u64 addr, u32 alloc)
{
	if (halted() || !check_vmid(__func__, vmid) ||
	    !check_addr(__func__, vmid, addr))
		return 0;
	assert_locked(NPT_ID + vmid);
	return walk_level(__func__, vmid, vttbr, pgd_index(addr), 0, PGD_OFFSET,
			  alloc, alloc_pgd_page);
}

/* A table entry that must link a table (the core never writes blocks there). */
static bool check_table(const char *who, u32 vmid, u64 e)
{
	if (!is_table_desc(e)) {
		pt_panic_not_table(who, vmid, e);
		return false;
	}
	return true;
}

/* walk_pud: the level-1 entry for @addr under root entry @pgd (0: none). */
u64 walk_pud(u32 vmid, u64 pgd, u64 addr, u32 alloc)
{
	if (halted() || !check_vmid(__func__, vmid) ||
	    !check_addr(__func__, vmid, addr))
		return 0;
	assert_locked(NPT_ID + vmid);
	if (pgd == 0)
		return 0;
	if (!check_table(__func__, vmid, pgd))
		return 0;
	return walk_level(__func__, vmid, pgd, pud_index(addr), PGD_OFFSET,
			  cv.npts[vmid].geom.pud_offset, alloc, alloc_pud_page);
}

/*
 * walk_pmd: the level-2 entry for @addr under level-1 entry @pud (0:
 * none): a level-3 table link or a 2 MiB block.
 */
u64 walk_pmd(u32 vmid, u64 pud, u64 addr, u32 alloc)
{
	if (halted() || !check_vmid(__func__, vmid) ||
	    !check_addr(__func__, vmid, addr))
		return 0;
	assert_locked(NPT_ID + vmid);
	if (pud == 0)
		return 0;
	if (!check_table(__func__, vmid, pud))
		return 0;
	return walk_level(__func__, vmid, pud, pmd_index(addr),
			  cv.npts[vmid].geom.pud_offset,
			  cv.npts[vmid].geom.pmd_offset, alloc, alloc_pmd_page);
}

/* walk_pte: the level-3 entry for @addr under level-2 table link @pmd. */
u64 walk_pte(u32 vmid, u64 pmd, u64 addr)
{
	if (halted() || !check_vmid(__func__, vmid) ||
	    !check_addr(__func__, vmid, addr))
		return 0;
	assert_locked(NPT_ID + vmid);
	if (pmd == 0)
		return 0;
	if (!check_table(__func__, vmid, pmd))
		return 0;
	return walk_level(__func__, vmid, pmd, pte_index(addr),
			  cv.npts[vmid].geom.pmd_offset,
			  cv.npts[vmid].geom.pool_bytes, 0, NULL);
}

/*
 * set_pmd: make @pmd the level-2 entry for @addr under level-1 entry @pud.
 * @pmd is a 2 MiB block (or an invalid entry), never a table link. Any
 * level-3 table it replaces is dropped, as the spec's local_mmap does.
 */
void set_pmd(u32 vmid, u64 pud, u64 addr, u64 pmd)
{
	u64 old, *p, *t;

	if (halted() || !check_vmid(__func__, vmid) ||
	    !check_addr(__func__, vmid, addr))
		return;
	assert_locked(NPT_ID + vmid);
	if (is_table_desc(pmd)) {
		panic("set_pmd: vm %u pmd 0x%llx is a table descriptor", vmid,
		      (unsigned long long)pmd);
		return;
	}
	if (!check_table(__func__, vmid, pud))
		return;
	if (!cv.npts[vmid].pool_va) {
		pt_panic_no_pool(__func__, vmid);
		return;
	}
	t = pt_table_of(vmid, pud, cv.npts[vmid].geom.pud_offset,
			cv.npts[vmid].geom.pmd_offset);
	if (!t) {
		pt_panic_area(__func__, vmid, "pud", pud);
		return;
	}
	p = &t[pmd_index(addr)];
	old = entry_load(p);
	pt_replace(vmid, p, old, pmd, ALIGN_DOWN(addr, PMD_SIZE),
		   is_table_desc(old));
}

/* set_pte: make @pte the level-3 entry for @addr under table link @pmd. */
void set_pte(u32 vmid, u64 pmd, u64 addr, u64 pte)
{
	u64 old, *p, *t;

	if (halted() || !check_vmid(__func__, vmid) ||
	    !check_addr(__func__, vmid, addr))
		return;
	assert_locked(NPT_ID + vmid);
	if (!check_table(__func__, vmid, pmd))
		return;
	if (!cv.npts[vmid].pool_va) {
		pt_panic_no_pool(__func__, vmid);
		return;
	}
	t = pt_table_of(vmid, pmd, cv.npts[vmid].geom.pmd_offset,
			cv.npts[vmid].geom.pool_bytes);
	if (!t) {
		pt_panic_area(__func__, vmid, "pmd", pmd);
		return;
	}
	p = &t[pte_index(addr)];
	old = entry_load(p);
	pt_replace(vmid, p, old, pte, ALIGN_DOWN(addr, PAGE_SIZE), false);
}
