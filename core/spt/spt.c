// SPDX-License-Identifier: MIT
/*
 * SMMU page tables: MmioPTAlloc, MmioPTWalk, MmioSPTWalk, MmioSPTOps.
 *
 * The SMMU pool (cv.spt.pool, SMMU_POOL_BYTES of the core's private memory)
 * holds real LPAE stage-2 tables that an SMMU context bank walks as they
 * are (40-bit input, 4 KiB granule, start at level 1):
 *
 *   pool + 0                  one root per (index, cbndx): two concatenated
 *                             level-1 pages = 1024 entries (SMMU_TTBR)
 *   pool + SMMU_PGD_OFFSET    level-2 tables ("pgd pages", spec spt_pgd_pool)
 *   pool + SMMU_PMD_OFFSET    level-3 tables ("pmd pages", spec spt_pmd_pool)
 *   pool + SMMU_POOL_BYTES    end
 *
 * Table pages are bump-allocated and never freed (as in the spec: clearing
 * a table zeroes its root only; later maps allocate fresh pages). Running
 * out panics. Entries are read and written with 64-bit atomics; a store
 * that links a new table is a release store, so a walker that sees the
 * link sees the zeroed table. Removing or changing a valid leaf is followed
 * by arch_pt_sync() and arch_smmu_tlb_flush().
 *
 * Locking: everything below MmioSPTOps expects SPT_ID held (assert_locked);
 * init_spt/walk_spt/map_spt/unmap_spt take it themselves.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

#define SMMU_ROOT_BYTES (2 * PAGE_SIZE)
#define SMMU_ROOT_ENTRIES 1024U
#define ENTRIES_PER_TABLE 512U
#define SMMU_ROOTS_BYTES ((u64)SMMU_NUM * SMMU_NUM_CTXT_BANKS * SMMU_ROOT_BYTES)

_Static_assert(SMMU_ROOTS_BYTES <= SMMU_PGD_OFFSET,
	       "SMMU roots overlap the level-2 table area");
_Static_assert(SMMU_PGD_OFFSET < SMMU_PMD_OFFSET &&
		       SMMU_PMD_OFFSET < SMMU_POOL_BYTES,
	       "SMMU pool areas out of order");
_Static_assert((SMMU_PGD_OFFSET | SMMU_PMD_OFFSET | SMMU_POOL_BYTES) %
			       PAGE_SIZE ==
		       0,
	       "SMMU pool areas not page aligned");

/* The spec's stage2_pgd_index: bits 39:30 index the concatenated root. */
static inline u32 smmu_root_index(u64 iova)
{
	return (iova >> PUD_SHIFT) & (SMMU_ROOT_ENTRIES - 1);
}

/*
 * Pointer to the table entry at physical address @pa, or NULL after a
 * panic (the pool is the core's own memory, so NULL means a broken
 * layout, never host input).
 */
static u64 *entry_ptr(const char *who, u64 pa)
{
	u64 *p = arch_phys_to_virt(pa);

	if (!p)
		panic("%s: SMMU table entry 0x%llx is not memory", who,
		      (unsigned long long)pa);
	return p;
}

static inline u64 entry_load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void entry_store(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * The spec's `rely`s that a table address lies in its part of the pool:
 * true when [pa, pa + PAGE_SIZE) is inside pool + [lo, hi).
 */
static bool table_in(u64 pa, u64 lo, u64 hi)
{
	u64 pool = cv.spt.pool;

	return pa >= pool + lo && pa < pool + hi &&
	       hi - (pa - pool) >= PAGE_SIZE;
}

/* Zero a freshly allocated table page before anything links it. */
static bool zero_table(const char *who, u64 pa)
{
	if (!arch_phys_to_virt(pa)) {
		panic("%s: SMMU table page 0x%llx is not memory", who,
		      (unsigned long long)pa);
		return false;
	}
	cv_zero_page(pa >> PAGE_SHIFT);
	return true;
}

/* ---- MmioPTAlloc ------------------------------------------------------ */

/*
 * Bump allocation of one page from pool + [lo, hi); *next is the
 * allocator's cursor (spec spt_pgd_next / spt_pmd_next).
 */
static u64 alloc_page(const char *who, const char *what, u64 *next, u64 lo,
		      u64 hi, u64 *free, u64 *nfree)
{
	u64 pool = cv.spt.pool;
	u64 pa = *next;

	/* corevisor: a page a cleared bank gave back first. */
	if (*free) {
		u64 *link;

		pa = *free;
		if (!table_in(pa, lo, hi) || pa >= *next || !*nfree) {
			panic("%s: SMMU %s free list entry 0x%llx corrupt", who,
			      what, (unsigned long long)pa);
			return 0;
		}
		link = entry_ptr(who, pa);
		if (!link)
			return 0;
		*free = *link;
		*nfree -= 1;
		if (!zero_table(who, pa))
			return 0;
		return check64(pa);
	}

	/* rely (lo <= next <= hi): a cursor outside its area is corruption. */
	if (pa < pool + lo || pa > pool + hi || pa % PAGE_SIZE) {
		panic("%s: cursor 0x%llx outside the SMMU %s area", who,
		      (unsigned long long)pa, what);
		return 0;
	}
	if (pa + PAGE_SIZE > pool + hi) {
		panic("%s: SMMU %s pool exhausted", who, what);
		return 0;
	}
	*next = pa + PAGE_SIZE;
	if (!zero_table(who, pa))
		return 0;
	return check64(pa);
}

/* alloc_smmu_pgd_page: a level-2 table page. */
u64 alloc_smmu_pgd_page(void)
{
	if (halted())
		return 0;
	assert_locked(SPT_ID);
	return alloc_page(__func__, "level-2 table", &cv.spt.pgd_next,
			  SMMU_PGD_OFFSET, SMMU_PMD_OFFSET, &cv.spt.pgd_free,
			  &cv.spt.pgd_nfree);
}

/* alloc_smmu_pmd_page: a level-3 table page. */
u64 alloc_smmu_pmd_page(void)
{
	if (halted())
		return 0;
	assert_locked(SPT_ID);
	return alloc_page(__func__, "level-3 table", &cv.spt.pmd_next,
			  SMMU_PMD_OFFSET, SMMU_POOL_BYTES, &cv.spt.pmd_free,
			  &cv.spt.pmd_nfree);
}

/* ---- MmioPTWalk ------------------------------------------------------- */

/* AbstractMachine get_smmu_cfg_hw_ttbr: SMMU_TTBR(index, cbndx). */
u64 smmu_ttbr(u32 index, u32 cbndx)
{
	if (halted())
		return 0;
	if (!is_smmu(index)) {
		panic("smmu_ttbr: smmu index %u out of range", index);
		return 0;
	}
	if (!is_smmu_cfg(cbndx)) {
		panic("smmu_ttbr: context bank %u out of range", cbndx);
		return 0;
	}
	return cv.spt.pool + smmu_id(index, cbndx) * SMMU_ROOT_BYTES;
}

/*
 * walk_smmu_pgd: the level-1 entry for @addr in the root at @ttbr; with
 * @alloc = 1, a missing level-2 table is allocated and linked.
 */
u64 walk_smmu_pgd(u64 ttbr, u64 addr, u32 alloc)
{
	u64 root = phys_page(ttbr), pgd, pa, *p;

	if (halted())
		return 0;
	assert_locked(SPT_ID);
	if (root < cv.spt.pool || root - cv.spt.pool >= SMMU_ROOTS_BYTES ||
	    (root - cv.spt.pool) % SMMU_ROOT_BYTES) {
		panic("walk_smmu_pgd: ttbr 0x%llx is not an SMMU root",
		      (unsigned long long)ttbr);
		return 0;
	}
	if (!is_smmu_addr(addr)) {
		panic("walk_smmu_pgd: iova 0x%llx beyond 40 bits",
		      (unsigned long long)addr);
		return 0;
	}
	p = entry_ptr(__func__, root + smmu_root_index(addr) * 8ULL);
	if (!p)
		return 0;
	pgd = entry_load(p);
	if (pgd == 0 && alloc == 1) {
		pa = alloc_smmu_pgd_page();
		if (halted())
			return 0;
		pgd = pa | PTE_TYPE_TABLE;
		entry_store(p, pgd);
	}
	return check64(pgd);
}

/* walk_smmu_pmd: the level-2 entry for @addr under level-1 entry @pgd. */
u64 walk_smmu_pmd(u64 pgd, u64 addr, u32 alloc)
{
	u64 table = phys_page(pgd), pmd, pa, *p;

	if (halted())
		return 0;
	assert_locked(SPT_ID);
	if (pgd == 0)
		return 0;
	if (!table_in(table, SMMU_PGD_OFFSET, SMMU_PMD_OFFSET)) {
		panic("walk_smmu_pmd: pgd 0x%llx outside the SMMU level-2 area",
		      (unsigned long long)pgd);
		return 0;
	}
	p = entry_ptr(__func__, table + pmd_index(addr) * 8ULL);
	if (!p)
		return 0;
	pmd = entry_load(p);
	if (pmd == 0 && alloc == 1) {
		pa = alloc_smmu_pmd_page();
		if (halted())
			return 0;
		pmd = pa | PTE_TYPE_TABLE;
		entry_store(p, pmd);
	}
	return check64(pmd);
}

/* Level-3 entry pointer for @addr under level-2 entry @pmd, or NULL. */
static u64 *pte_ptr(const char *who, u64 pmd, u64 addr)
{
	u64 table = phys_page(pmd);

	if (!table_in(table, SMMU_PMD_OFFSET, SMMU_POOL_BYTES)) {
		panic("%s: pmd 0x%llx outside the SMMU level-3 area", who,
		      (unsigned long long)pmd);
		return NULL;
	}
	return entry_ptr(who, table + pte_index(addr) * 8ULL);
}

/* walk_smmu_pte: the leaf for @addr under level-2 entry @pmd (0: none). */
u64 walk_smmu_pte(u64 pmd, u64 addr)
{
	u64 *p;

	if (halted())
		return 0;
	assert_locked(SPT_ID);
	if (pmd == 0)
		return 0;
	p = pte_ptr(__func__, pmd, addr);
	if (!p)
		return 0;
	return check64(entry_load(p));
}

/* set_smmu_pte: write the leaf for @addr under level-2 entry @pmd. */
void set_smmu_pte(u64 pmd, u64 addr, u64 pte)
{
	u64 *p;

	if (halted())
		return;
	assert_locked(SPT_ID);
	p = pte_ptr(__func__, pmd, addr);
	if (!p)
		return;
	entry_store(p, pte);
}

/* ---- MmioSPTWalk ------------------------------------------------------ */

/* The spec's relies on (index, cbndx[, iova]), as panics naming @who. */
static bool check_smmu_args(const char *who, u32 cbndx, u32 index)
{
	if (!is_smmu(index)) {
		panic("%s: smmu index %u out of range", who, index);
		return false;
	}
	if (!is_smmu_cfg(cbndx)) {
		panic("%s: context bank %u out of range", who, cbndx);
		return false;
	}
	return true;
}

static bool check_smmu_iova(const char *who, u32 cbndx, u32 index, u64 addr)
{
	if (!check_smmu_args(who, cbndx, index))
		return false;
	if (!is_smmu_addr(addr)) {
		panic("%s: iova 0x%llx beyond 40 bits", who,
		      (unsigned long long)addr);
		return false;
	}
	return true;
}

/* Stale translations of (index, cbndx) must go once a valid entry did. */
static void smmu_flush(u32 index, u32 cbndx)
{
	arch_pt_sync();
	arch_smmu_tlb_flush(index, cbndx);
}

/*
 * corevisor: table page @pa, in pool + [lo, hi) below the cursor @next
 * (as the walks check a link), goes on a free list. Its first word
 * becomes the link: page aligned, so an invalid descriptor to an SMMU
 * still walking a stale path until the caller's TLB flush. False after a
 * panic.
 */
static bool free_table(u64 pa, u64 lo, u64 hi, u64 next, u64 *free, u64 *nfree)
{
	u64 *link;

	if (!table_in(pa, lo, hi) || pa >= next) {
		panic("clear_smmu_pt: table 0x%llx outside its SMMU area",
		      (unsigned long long)pa);
		return false;
	}
	link = entry_ptr(__func__, pa);
	if (!link)
		return false;
	entry_store(link, *free);
	*free = pa;
	*nfree += 1;
	return true;
}

/* The level-2 table @pgd_table and the level-3 tables it links, freed. */
static bool free_subtree(u64 pgd_table)
{
	for (u32 j = 0; j < ENTRIES_PER_TABLE; j++) {
		u64 *q = entry_ptr(__func__, pgd_table + j * 8ULL), e;

		if (!q)
			return false;
		e = entry_load(q);
		if (e != 0 && !free_table(phys_page(e), SMMU_PMD_OFFSET,
					  SMMU_POOL_BYTES, cv.spt.pmd_next,
					  &cv.spt.pmd_free, &cv.spt.pmd_nfree))
			return false;
	}
	return free_table(pgd_table, SMMU_PGD_OFFSET, SMMU_PMD_OFFSET,
			  cv.spt.pgd_next, &cv.spt.pgd_free, &cv.spt.pgd_nfree);
}

/*
 * clear_smmu_pt (AbstractMachine smmu_pt_clear): zero the 1024 root
 * entries of (index, cbndx). corevisor: the level-2 and level-3 tables
 * below them go back to the pool's free lists (the spec leaves them
 * allocated, unlinked: a host that gave bank after bank to VM after VM
 * ran the pool dry). They are handed out again only after this call's
 * SMMU TLB flush (SPT_ID is held throughout).
 */
void clear_smmu_pt(u32 cbndx, u32 index)
{
	bool was_valid = false;
	u64 root, *p, e;
	u32 i;

	if (halted())
		return;
	assert_locked(SPT_ID);
	if (!check_smmu_args(__func__, cbndx, index))
		return;
	root = smmu_ttbr(index, cbndx);
	for (i = 0; i < SMMU_ROOT_ENTRIES; i++) {
		p = entry_ptr(__func__, root + i * 8ULL);
		if (!p)
			return;
		e = entry_load(p);
		if (e != 0) {
			was_valid = true;
			entry_store(p, 0);
			if (!free_subtree(phys_page(e)))
				return;
		}
	}
	if (was_valid)
		smmu_flush(index, cbndx);
}

/* walk_smmu_pt: the leaf mapping @addr in (index, cbndx), 0 when none. */
u64 walk_smmu_pt(u32 cbndx, u32 index, u64 addr)
{
	u64 ttbr, pgd, pmd;

	if (halted())
		return 0;
	assert_locked(SPT_ID);
	if (!check_smmu_iova(__func__, cbndx, index, addr))
		return 0;
	ttbr = smmu_ttbr(index, cbndx);
	pgd = walk_smmu_pgd(ttbr, addr, 0);
	pmd = walk_smmu_pmd(pgd, addr, 0);
	return check64(walk_smmu_pte(pmd, addr));
}

/*
 * set_smmu_pt: make @pte the leaf for @addr in (index, cbndx), allocating
 * missing tables. Replacing a valid leaf flushes the SMMU's TLB.
 */
void set_smmu_pt(u32 cbndx, u32 index, u64 addr, u64 pte)
{
	u64 ttbr, pgd, pmd, old;

	if (halted())
		return;
	assert_locked(SPT_ID);
	if (!check_smmu_iova(__func__, cbndx, index, addr))
		return;
	ttbr = smmu_ttbr(index, cbndx);
	pgd = walk_smmu_pgd(ttbr, addr, 1);
	pmd = walk_smmu_pmd(pgd, addr, 1);
	if (halted())
		return;
	old = walk_smmu_pte(pmd, addr);
	set_smmu_pte(pmd, addr, pte);
	if (!halted() && pte_valid(old) && old != pte)
		smmu_flush(index, cbndx);
}

/* ---- MmioSPTOps ------------------------------------------------------- */

/* init_spt: (index, cbndx) gets an empty table. */
void init_spt(u32 cbndx, u32 index)
{
	if (halted())
		return;
	if (!check_smmu_args(__func__, cbndx, index))
		return;
	acquire_lock_spt();
	clear_smmu_pt(cbndx, index);
	release_lock_spt();
}

/* walk_spt: the leaf mapping @addr in (index, cbndx), 0 when none. */
u64 walk_spt(u32 cbndx, u32 index, u64 addr)
{
	u64 ret;

	if (halted())
		return 0;
	if (!check_smmu_iova(__func__, cbndx, index, addr))
		return 0;
	acquire_lock_spt();
	ret = walk_smmu_pt(cbndx, index, addr);
	release_lock_spt();
	return check64(ret);
}

/* map_spt: set the leaf for @addr in (index, cbndx) to @pte. */
void map_spt(u32 cbndx, u32 index, u64 addr, u64 pte)
{
	if (halted())
		return;
	if (!check_smmu_iova(__func__, cbndx, index, addr))
		return;
	acquire_lock_spt();
	set_smmu_pt(cbndx, index, addr, pte);
	release_lock_spt();
}

/*
 * unmap_spt: clear the leaf for @addr in (index, cbndx); returns the old
 * leaf (0 when nothing was mapped, or after a panic).
 */
u64 unmap_spt(u32 cbndx, u32 index, u64 addr)
{
	u64 res;

	if (halted())
		return 0;
	if (!check_smmu_iova(__func__, cbndx, index, addr))
		return 0;
	acquire_lock_spt();
	res = walk_smmu_pt(cbndx, index, addr);
	if (res != 0)
		set_smmu_pt(cbndx, index, addr, 0);
	release_lock_spt();
	return check64(res);
}

/*
 * Boot (corevisor addition): the SMMU pool starts at @pool, allocation
 * cursors at the start of their areas, every root empty, every context
 * bank unassigned (smmu_vmid INVALID). Runs on the boot CPU before any
 * other CPU or the host can reach the SMMU tables.
 */
void init_spt_pool(u64 pool)
{
	u64 off;
	u32 i;

	if (halted())
		return;
	if (pool % PAGE_SIZE) {
		panic("init_spt_pool: pool 0x%llx not page aligned",
		      (unsigned long long)pool);
		return;
	}
	for (i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		cv.smmu_vmid[i] = INVALID;
	cv.spt.pool = pool;
	cv.spt.pgd_next = pool + SMMU_PGD_OFFSET;
	cv.spt.pmd_next = pool + SMMU_PMD_OFFSET;
	cv.spt.pgd_free = cv.spt.pmd_free = 0;
	cv.spt.pgd_nfree = cv.spt.pmd_nfree = 0;
	for (off = 0; off < SMMU_ROOTS_BYTES; off += PAGE_SIZE)
		if (!zero_table(__func__, pool + off))
			return;
}
