// SPDX-License-Identifier: MIT
/*
 * Stage-2 page tables, top half: NPTWalk (whole walks under the table's
 * lock) and NPTOps (the same, taking NPT_ID + vmid), plus the boot-time
 * set-up of each principal's pool and its root-table register value.
 *
 * Mappings are 4 KiB pages at level 3 (pa | attrs | 3) or 2 MiB blocks at
 * level 2 (pa | attrs | 1), as the spec's set_npt / local_mmap:
 *  - a level-2 map replaces whatever the level-2 entry held, including a
 *    level-3 table (whose 512 mappings go; the table page is abandoned);
 *  - a level-3 map where a 2 MiB block is mapped panics.
 * The host's RAM is mapped in 2 MiB blocks where the host owns all of one
 * (map_page_host); clear_pfn_host splits such a block into a level-3 table
 * before a page leaves (corevisor).
 *
 * The spec builds each walk from PTWalk's one-level calls, each of which
 * checks vmid, addr, the lock, the link it is given and where it points.
 * Here a walk checks vmid and addr once, at the function's entry, and
 * walks inline, keeping the table pointers: at each level the entry that
 * links the next table is checked as PTWalk checks it (a table descriptor,
 * in its area of the pool; the same panic, naming the same PTWalk
 * function), and tables missing on a map are allocated by PTAlloc as
 * walk_{pgd,pud,pmd}(alloc = 1) do. The results, the table updates, the
 * TLB maintenance and the panics are those of the spec's composition.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/stream.h>

#include "pt_internal.h"

#define VTTBR_VMID_SHIFT 48

/*
 * The geometry of every pool but the host's (VMs and the core): the
 * build's constants, so a walk of their tables compares against
 * immediates (npt_find, npt_set); or, with CV_VM_POOLS_FROM_RAM, the one
 * cv_boot computed from the memory map (cv.vm_geom, read-only after boot).
 */
#ifdef CV_VM_POOLS_FROM_RAM
#define vm_pool_geom (cv.vm_geom)
#else
static const struct pt_geometry vm_pool_geom = {PUD_OFFSET, PMD_OFFSET,
						PT_POOL_PER_VM};
#endif

/* The spec's relies on (vmid, addr), as panics naming @who. */
static bool check_args(const char *who, u32 vmid, u64 addr)
{
	if (!is_vmid(vmid)) {
		panic("%s: vmid %u out of range", who, vmid);
		return false;
	}
	if (!is_addr(addr)) {
		panic("%s: vm %u addr 0x%llx beyond 48 bits", who, vmid,
		      (unsigned long long)addr);
		return false;
	}
	return true;
}

/*
 * get_pt_vttbr (AbstractMachine pt_vttbr): VTTBR_EL2 of the host or a VM
 * (root | vmid << 48); for COREVISOR, whose table is the core's own EL2
 * stage-1 table, TTBR0_EL2 = the root's address.
 */
u64 get_pt_vttbr(u32 vmid)
{
	if (halted())
		return 0;
	if (!is_vmid(vmid)) {
		panic("get_pt_vttbr: vmid %u out of range", vmid);
		return 0;
	}
	if (vmid == COREVISOR)
		return cv.npts[vmid].pool;
	return cv.npts[vmid].pool | ((u64)vmid << VTTBR_VMID_SHIFT);
}

/*
 * Boot (corevisor addition): @vmid's pool starts at @pool, cursors at the
 * start of their areas, the root table empty. Runs on the boot CPU before
 * anything can walk the table.
 */
void init_npt(u32 vmid, u64 pool)
{
	struct pt_geometry g = cv.vm_geom;
	struct npt *npt;
	u8 *va;

	if (halted())
		return;
	if (!is_vmid(vmid)) {
		panic("init_npt: vmid %u out of range", vmid);
		return;
	}
	if (vmid == HOSTVISOR)
		host_pool_geometry(cv.regions, cv.region_cnt, &g);
	if (pool % PAGE_SIZE || !is_paddr(pool) ||
	    !is_paddr(pool + g.pool_bytes - 1)) {
		panic("init_npt: vm %u pool 0x%llx unusable", vmid,
		      (unsigned long long)pool);
		return;
	}
	/* The whole pool is memory, mapped linearly (arch.h). */
	va = arch_phys_to_virt(pool);
	if (!va || arch_phys_to_virt(pool + g.pool_bytes - 1) !=
			   va + (g.pool_bytes - 1)) {
		panic("init_npt: vm %u pool 0x%llx is not memory", vmid,
		      (unsigned long long)pool);
		return;
	}
	npt = &cv.npts[vmid];
	npt->pool = pool;
	npt->pool_va = va;
	npt->geom.pud_offset = g.pud_offset;
	npt->geom.pmd_offset = g.pmd_offset;
	npt->geom.pool_bytes = g.pool_bytes;
	npt->pgd_next = pool + PGD_OFFSET;
	npt->pud_next = pool + g.pud_offset;
	npt->pmd_next = pool + g.pmd_offset;
	cv_zero_page(pool >> PAGE_SHIFT);
}

/*
 * corevisor (destroy_vm): VM @vmid's table is empty again, as init_npt
 * left it: every table page it used is zeroed, the cursors go back to the
 * start of their areas, and the VMID's TLB entries are dropped. The
 * caller made sure no vCPU of the VM runs (none can start: its state).
 */
void reset_npt(u32 vmid)
{
	struct npt *npt;
	u64 area_lo[3], *next[3];

	if (halted())
		return;
	if (!is_vm(vmid)) {
		panic("reset_npt: vmid %u is not a VM", vmid);
		return;
	}
	acquire_lock_pt(vmid);
	npt = &cv.npts[vmid];
	area_lo[0] = PGD_OFFSET;
	area_lo[1] = npt->geom.pud_offset;
	area_lo[2] = npt->geom.pmd_offset;
	next[0] = &npt->pgd_next;
	next[1] = &npt->pud_next;
	next[2] = &npt->pmd_next;
	cv_zero_page(npt->pool >> PAGE_SHIFT);
	arch_pt_sync();
	arch_tlb_flush_vmid(vmid);
	for (u32 l = 0; l < 3; l++) {
		u64 lo = npt->pool + area_lo[l];

		/* rely (lo <= next <= hi), as PTAlloc checks it. */
		if (*next[l] < lo ||
		    *next[l] > npt->pool + npt->geom.pool_bytes) {
			panic("reset_npt: vm %u cursor 0x%llx outside its area",
			      vmid, (unsigned long long)*next[l]);
			return;
		}
		for (u64 pa = lo; pa < *next[l]; pa += PAGE_SIZE)
			cv_zero_page(pa >> PAGE_SHIFT);
		*next[l] = lo;
	}
	release_lock_pt(vmid);
}

/* ---- NPTWalk ---------------------------------------------------------- */

/*
 * The table linked by @e, an entry of the level above that is not 0: a
 * table descriptor in pool + [lo, hi), as PTWalk's @who checks it. NULL
 * after a panic.
 */
static pt_inline u64 *next_table(const char *who, u32 vmid, u64 pool, u8 *va,
				 u64 e, u64 lo, u64 hi)
{
	u64 *t;

	if (unlikely(!is_table_desc(e))) {
		pt_panic_not_table(who, vmid, e);
		return NULL;
	}
	t = pt_table_in(pool, va, e, lo, hi);
	if (unlikely(!t))
		pt_panic_area(who, vmid, "entry", e);
	return t;
}

/*
 * The walk of get_npt_level and walk_npt (get_pt_vttbr, walk_pgd,
 * walk_pud, walk_pmd with alloc = 0, then walk_pte under a table link):
 * the slot of @addr's leaf, with *@level = 3 (a level-3 entry) or 2 (a
 * level-2 entry that is not a table link); NULL when a table on the way is
 * missing (the leaf reads as 0) or after a panic.
 */
static __attribute__((noinline, cold)) u64 *npt_find_slow(u32 vmid, u64 addr,
							  u32 *level)
{
	const struct npt *n = &cv.npts[vmid];
	u64 pool = n->pool, e, *t, *p;
	u8 *va = n->pool_va;

	if (!va) {
		pt_panic_no_pool("walk_pgd", vmid);
		return NULL;
	}
	/* The root is the table get_pt_vttbr names: pool + 0. */
	e = entry_load(&((u64 *)va)[pgd_index(addr)]);
	if (e == 0)
		return NULL;
	t = next_table("walk_pud", vmid, pool, va, e, PGD_OFFSET,
		       n->geom.pud_offset);
	if (!t)
		return NULL;
	e = entry_load(&t[pud_index(addr)]);
	if (e == 0)
		return NULL;
	t = next_table("walk_pmd", vmid, pool, va, e, n->geom.pud_offset,
		       n->geom.pmd_offset);
	if (!t)
		return NULL;
	p = &t[pmd_index(addr)];
	e = entry_load(p);
	if (!is_table_desc(e)) {
		*level = 2;
		return p;
	}
	t = pt_table_in(pool, va, e, n->geom.pmd_offset, n->geom.pool_bytes);
	if (!t) {
		pt_panic_area("walk_pte", vmid, "entry", e);
		return NULL;
	}
	*level = 3;
	return &t[pte_index(addr)];
}

/*
 * The same walk when every table is there and every link passes its
 * checks, with @g the pool's geometry; anything else (a missing table, a
 * broken link) goes to npt_find_slow, which starts over and says which.
 */
static pt_inline u64 *npt_find_in(u32 vmid, u64 addr, u32 *level,
				  const struct pt_geometry *g)
{
	const struct npt *n = &cv.npts[vmid];
	u64 pool = n->pool, e, *t, *p;
	u8 *va = n->pool_va;

	if (unlikely(!va))
		goto slow;
	e = entry_load(&((u64 *)va)[pgd_index(addr)]);
	if (unlikely(!is_table_desc(e)))
		goto slow;
	t = pt_table_in(pool, va, e, PGD_OFFSET, g->pud_offset);
	if (unlikely(!t))
		goto slow;
	e = entry_load(&t[pud_index(addr)]);
	if (unlikely(!is_table_desc(e)))
		goto slow;
	t = pt_table_in(pool, va, e, g->pud_offset, g->pmd_offset);
	if (unlikely(!t))
		goto slow;
	p = &t[pmd_index(addr)];
	e = entry_load(p);
	if (!is_table_desc(e)) {
		*level = 2;
		return p;
	}
	t = pt_table_in(pool, va, e, g->pmd_offset, g->pool_bytes);
	if (unlikely(!t))
		goto slow;
	*level = 3;
	return &t[pte_index(addr)];
slow:
	return npt_find_slow(vmid, addr, level);
}

/*
 * npt_find_in with the pool's geometry: the host's from its struct npt,
 * any other's the constants (one test, then a walk with immediates).
 */
static pt_inline u64 *npt_find(u32 vmid, u64 addr, u32 *level)
{
	if (vmid == HOSTVISOR)
		return npt_find_in(vmid, addr, level, &cv.npts[HOSTVISOR].geom);
	return npt_find_in(vmid, addr, level, &vm_pool_geom);
}

/* get_npt_level with vmid and addr checked. */
static inline u32 npt_level(u32 vmid, u64 addr)
{
	u64 *p;
	u32 level;

	if (halted())
		return 0;
	assert_locked(NPT_ID + vmid);
	p = npt_find(vmid, addr, &level);
	if (!p || phys_page(entry_load(p)) == 0)
		return check(0);
	return check(level);
}

/* walk_npt with vmid and addr checked. */
static inline u64 npt_leaf(u32 vmid, u64 addr)
{
	u64 *p;
	u32 level;

	if (halted())
		return 0;
	assert_locked(NPT_ID + vmid);
	p = npt_find(vmid, addr, &level);
	return check64(p ? entry_load(p) : 0);
}

/*
 * get_npt_level: 3 when @addr is mapped by a page, 2 by a block, 0 when
 * the leaf has no output address (unmapped, or PAGE_GUEST).
 */
u32 get_npt_level(u32 vmid, u64 addr)
{
	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	return npt_level(vmid, addr);
}

/* walk_npt: the leaf for @addr: the level-3 entry, or the 2 MiB block. */
u64 walk_npt(u32 vmid, u64 addr)
{
	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	return npt_leaf(vmid, addr);
}

/*
 * The table linked at @slot, allocated by @alloc_fn and linked (pa | 3)
 * when @slot is 0 (walk_{pgd,pud,pmd} with alloc = 1), then checked as
 * @who checks it. NULL after a panic.
 */
static pt_inline u64 *link_table(const char *who, const char *what, u32 vmid,
				 u64 pool, u8 *va, u64 *slot,
				 u64 (*alloc_fn)(u32), u64 lo, u64 hi)
{
	u64 e = entry_load(slot), *t;

	if (unlikely(e == 0)) {
		e = alloc_fn(vmid);
		if (halted())
			return NULL;
		e |= PTE_TYPE_TABLE;
		entry_store(slot, e);
	}
	if (unlikely(!is_table_desc(e))) {
		pt_panic_not_table(who, vmid, e);
		return NULL;
	}
	t = pt_table_in(pool, va, e, lo, hi);
	if (unlikely(!t))
		pt_panic_area(who, vmid, what, e);
	return t;
}

/*
 * The walk and store of set_npt (checked arguments, the NPT lock held):
 * walk_pgd, walk_pud, walk_pmd with alloc = 1, allocating the missing
 * tables, then set_pmd / set_pte, each link checked as they check it.
 */
static __attribute__((noinline, cold)) void npt_set_slow(u32 vmid, u64 addr,
							 u32 level, u64 pte)
{
	const struct npt *n = &cv.npts[vmid];
	u64 pool, e, *t, *p;
	u8 *va;

	pool = n->pool;
	va = n->pool_va;
	if (unlikely(!va)) {
		pt_panic_no_pool("walk_pgd", vmid);
		return;
	}
	t = link_table("walk_pud", "entry", vmid, pool, va,
		       &((u64 *)va)[pgd_index(addr)], alloc_pgd_page,
		       PGD_OFFSET, n->geom.pud_offset);
	if (!t)
		return;
	if (level == 2) {
		t = link_table("set_pmd", "pud", vmid, pool, va,
			       &t[pud_index(addr)], alloc_pud_page,
			       n->geom.pud_offset, n->geom.pmd_offset);
		if (!t)
			return;
		p = &t[pmd_index(addr)];
		e = entry_load(p);
		pt_replace(vmid, p, e, pte, ALIGN_DOWN(addr, PMD_SIZE),
			   is_table_desc(e));
		return;
	}
	t = link_table("walk_pmd", "entry", vmid, pool, va, &t[pud_index(addr)],
		       alloc_pud_page, n->geom.pud_offset, n->geom.pmd_offset);
	if (!t)
		return;
	p = &t[pmd_index(addr)];
	e = entry_load(p);
	if (unlikely(e == 0)) {
		e = alloc_pmd_page(vmid);
		if (halted())
			return;
		e |= PTE_TYPE_TABLE;
		entry_store(p, e);
	}
	if (unlikely(!is_table_desc(e))) {
		panic("set_npt: vm %u addr 0x%llx is inside a 2 MiB block",
		      vmid, (unsigned long long)addr);
		return;
	}
	t = pt_table_in(pool, va, e, n->geom.pmd_offset, n->geom.pool_bytes);
	if (unlikely(!t)) {
		pt_panic_area("set_pte", vmid, "pmd", e);
		return;
	}
	p = &t[pte_index(addr)];
	pt_replace(vmid, p, entry_load(p), pte, ALIGN_DOWN(addr, PAGE_SIZE),
		   false);
}

/*
 * set_npt with vmid and addr checked (the NPT lock held): the checks of
 * @level and @pte, then one walk that allocates the missing tables
 * (walk_pgd, walk_pud, walk_pmd with alloc = 1) and stores the leaf
 * (set_pmd / set_pte); @g is the pool's geometry (npt_find).
 */
static pt_inline void npt_set_in(u32 vmid, u64 addr, u32 level, u64 pte,
				 const struct pt_geometry *g)
{
	const struct npt *n = &cv.npts[vmid];
	u64 pool, e, *t, *p;
	u8 *va;

	if (halted())
		return;
	assert_locked(NPT_ID + vmid);
	if (unlikely(level != 2 && level != 3)) {
		panic("set_npt: vm %u level %u is not 2 or 3", vmid, level);
		return;
	}
	if (unlikely(pte == 0)) {
		panic("set_npt: vm %u addr 0x%llx zero pte", vmid,
		      (unsigned long long)addr);
		return;
	}
	if (level == 2 && is_table_desc(pte)) {
		panic("set_npt: vm %u level-2 pte 0x%llx is a table descriptor",
		      vmid, (unsigned long long)pte);
		return;
	}
	/*
	 * A block maps the 2 MiB at its output address: a misaligned one
	 * would map pages other than the 512 its caller checked.
	 */
	if (level == 2 && phys_page(pte) % PMD_SIZE) {
		panic("set_npt: vm %u block pte 0x%llx not 2 MiB aligned", vmid,
		      (unsigned long long)pte);
		return;
	}
	/*
	 * Every table there and every link good: store the leaf. Anything
	 * else (a table to allocate, a broken link, a block in the way):
	 * npt_set_slow starts over, allocates or panics.
	 */
	pool = n->pool;
	va = n->pool_va;
	if (unlikely(!va))
		goto slow;
	e = entry_load(&((u64 *)va)[pgd_index(addr)]);
	if (unlikely(!is_table_desc(e)))
		goto slow;
	t = pt_table_in(pool, va, e, PGD_OFFSET, g->pud_offset);
	if (unlikely(!t))
		goto slow;
	p = &t[pud_index(addr)];
	e = entry_load(p);
	if (unlikely(!is_table_desc(e)))
		goto slow;
	t = pt_table_in(pool, va, e, g->pud_offset, g->pmd_offset);
	if (unlikely(!t))
		goto slow;
	p = &t[pmd_index(addr)];
	e = entry_load(p);
	if (level == 2) {
		pt_store_leaf(vmid, p, e, pte, ALIGN_DOWN(addr, PMD_SIZE),
			      is_table_desc(e));
		return;
	}
	if (unlikely(!is_table_desc(e)))
		goto slow;
	t = pt_table_in(pool, va, e, g->pmd_offset, g->pool_bytes);
	if (unlikely(!t))
		goto slow;
	p = &t[pte_index(addr)];
	pt_store_leaf(vmid, p, entry_load(p), pte, ALIGN_DOWN(addr, PAGE_SIZE),
		      false);
	return;
slow:
	npt_set_slow(vmid, addr, level, pte);
}

static pt_inline void npt_set(u32 vmid, u64 addr, u32 level, u64 pte)
{
	if (vmid == HOSTVISOR)
		npt_set_in(vmid, addr, level, pte, &cv.npts[HOSTVISOR].geom);
	else
		npt_set_in(vmid, addr, level, pte, &vm_pool_geom);
}

/*
 * set_npt: make @pte the leaf for @addr at @level (2: 2 MiB block, 3:
 * page), allocating the tables on the way.
 */
void set_npt(u32 vmid, u64 addr, u32 level, u64 pte)
{
	if (halted() || !check_args(__func__, vmid, addr))
		return;
	npt_set(vmid, addr, level, pte);
}

/* ---- NPTOps ----------------------------------------------------------- */

u32 get_level_s2pt(u32 vmid, u64 addr)
{
	u32 ret;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	ret = npt_level(vmid, addr);
	release_lock_pt(vmid);
	return check(ret);
}

u64 walk_s2pt(u32 vmid, u64 addr)
{
	u64 ret;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	ret = npt_leaf(vmid, addr);
	release_lock_pt(vmid);
	return check64(ret);
}

/*
 * walk_s2pt_level (corevisor addition): walk_s2pt and get_level_s2pt of
 * the same @addr in one walk under one lock, for callers that need both
 * (grant/revoke_stage2_sg_gpa): returns the leaf, *level as
 * get_level_s2pt would.
 */
u64 walk_s2pt_level(u32 vmid, u64 addr, u32 *level)
{
	u64 *p, pte = 0;

	*level = 0;
	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	p = npt_find(vmid, addr, level);
	if (p)
		pte = entry_load(p);
	if (!p || phys_page(pte) == 0)
		*level = 0;
	release_lock_pt(vmid);
	*level = check(*level);
	return check64(pte);
}

/*
 * s2pt_hole_end (corevisor addition, for range walks such as
 * grant_stage2_sg_gpa): @addr when @vmid's table has a level-2 entry for
 * @addr, whatever it holds; otherwise the end of the hole the walk found,
 * i.e. of the 512 GiB, 1 GiB or 2 MiB that the empty level-0, 1 or 2
 * entry covers (capped at KVM_ADDR_SPACE). walk_s2pt finds nothing
 * anywhere in that hole. 0 after a panic.
 */
u64 s2pt_hole_end(u32 vmid, u64 addr)
{
	u64 pgd, pud, end = addr;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	pgd = walk_pgd(vmid, get_pt_vttbr(vmid), addr, 0);
	pud = walk_pud(vmid, pgd, addr, 0);
	if (pgd == 0)
		end = ALIGN_DOWN(addr, 1ULL << PGDIR_SHIFT) +
		      (1ULL << PGDIR_SHIFT);
	else if (pud == 0)
		end = ALIGN_DOWN(addr, 1ULL << PUD_SHIFT) + (1ULL << PUD_SHIFT);
	else if (walk_pmd(vmid, pud, addr, 0) == 0)
		end = ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE;
	release_lock_pt(vmid);
	return check64(end < KVM_ADDR_SPACE ? end : KVM_ADDR_SPACE);
}

void map_s2pt(u32 vmid, u64 addr, u32 level, u64 pte)
{
	if (halted() || !check_args(__func__, vmid, addr))
		return;
	acquire_lock_pt(vmid);
	npt_set(vmid, addr, level, pte);
	release_lock_pt(vmid);
}

/*
 * s2pt_pmd_type (corevisor addition, cv/pt.h): what the level-2 entry of
 * @vmid's table for @addr holds, found by the walk of walk_s2pt.
 */
u32 s2pt_pmd_type(u32 vmid, u64 addr)
{
	u32 level = 0, type = PMD_NONE;
	u64 *p;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	p = npt_find(vmid, addr, &level);
	if (p && level == 3)
		type = PMD_TABLE;
	else if (p && entry_load(p) != 0)
		type = PMD_BLOCK;
	release_lock_pt(vmid);
	return check(type);
}

/*
 * map_s2pt_in_table (corevisor addition, cv/pt.h): map_s2pt(@vmid, @addr,
 * 3, @pte) where the level-2 entry for @addr already links a level-3
 * table, in the same walk; whatever that entry holds is returned.
 */
u32 map_s2pt_in_table(u32 vmid, u64 addr, u64 pte)
{
	u32 level = 0, type = PMD_NONE;
	u64 *p;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	if (pte == 0 || !is_table_desc(pte)) {
		panic("map_s2pt_in_table: vm %u addr 0x%llx pte 0x%llx is not "
		      "a page",
		      vmid, (unsigned long long)addr, (unsigned long long)pte);
		return 0;
	}
	acquire_lock_pt(vmid);
	p = npt_find(vmid, addr, &level);
	if (p && level == 3) {
		pt_store_leaf(vmid, p, entry_load(p), pte,
			      ALIGN_DOWN(addr, PAGE_SIZE), false);
		type = PMD_TABLE;
	} else if (p && entry_load(p) != 0) {
		type = PMD_BLOCK;
	}
	release_lock_pt(vmid);
	return check(type);
}

/* A link of the host's table, loaded lock-free (host_pte_slot). */
static inline u64 *host_link(u64 *p, u64 lo, u64 hi)
{
	const struct npt *n = &cv.npts[HOSTVISOR];
	/* Acquire: a table is filled before it is linked (entry_store). */
	u64 e = __atomic_load_n(p, __ATOMIC_ACQUIRE);

	if (!is_table_desc(e))
		return NULL;
	return pt_table_in(n->pool, n->pool_va, e, lo, hi);
}

/*
 * host_pte_slot (corevisor, cv/pt.h): the walk of map_s2pt(HOSTVISOR,
 * @addr, 3, ...) without the NPT lock, so that a host fault finds its
 * leaf's slot before it takes S2PAGE_ID and the spec's check-and-map
 * under S2PAGE_ID is only the owner check and the store (map_page_host).
 * Safe without the lock because the host's tables never move once
 * linked: nothing resets the host's table (reset_npt is destroy_vm's), a
 * level-2 entry that links a table keeps it for good (map_host_ram maps
 * into it, never a block over it; clear_pfn_host only turns blocks into
 * tables), and table pages are never freed. A link not there yet, or in
 * the middle of a block's split (break-before-make), gives NULL: the
 * caller takes the locked walk.
 */
u64 *host_pte_slot(u64 addr)
{
	const struct npt *n = &cv.npts[HOSTVISOR];
	u64 *t;

	if (halted() || !n->pool_va || !is_addr(addr))
		return NULL;
	t = host_link(&((u64 *)n->pool_va)[pgd_index(addr)], PGD_OFFSET,
		      n->geom.pud_offset);
	if (t)
		t = host_link(&t[pud_index(addr)], n->geom.pud_offset,
			      n->geom.pmd_offset);
	if (t)
		t = host_link(&t[pmd_index(addr)], n->geom.pmd_offset,
			      n->geom.pool_bytes);
	return t ? &t[pte_index(addr)] : NULL;
}

/*
 * map_host_slot (corevisor, cv/pt.h): map_s2pt(HOSTVISOR, @addr, 3, @pte)
 * through @slot = host_pte_slot(@addr): the same leaf store (set_pte:
 * break-before-make over a different valid page), without the walk. The
 * caller holds the host's NPT lock (map_page_host takes it before it
 * passes S2PAGE_ID on).
 */
void map_host_slot(u64 addr, u64 *slot, u64 pte)
{
	if (halted())
		return;
	assert_locked(NPT_ID + HOSTVISOR);
	/* Its one caller, map_page_host, passes the page it computed. */
	CV_ASSERT(is_table_desc(pte));
	pt_store_leaf(HOSTVISOR, slot, entry_load(slot), pte,
		      ALIGN_DOWN(addr, PAGE_SIZE), false);
}

/*
 * corevisor: split the host's 2 MiB block @old, at level-2 slot @p, so
 * that page @addr can leave: a new level-3 table (PTAlloc) maps the same
 * 512 pages with the block's attributes, except @addr, which is PAGE_GUEST
 * from the start (the host never gets a page mapping of it). Then
 * break-before-make (pt_replace): the slot goes invalid, the block's
 * translations are invalidated by IPA for VMID 0 (TLBI IPAS2E1IS at the
 * EL2 port, with its VMALLE1IS for combined entries), and the table is
 * linked. The table is filled before the link is stored (pt_replace syncs
 * in between), so a walker that sees the link sees the pages. NPT lock
 * held.
 */
static void host_split_block(u64 *p, u64 old, u64 addr)
{
	const struct npt *n = &cv.npts[HOSTVISOR];
	u64 attrs = old & ~(PTE_ADDR_MASK | PTE_TYPE_MASK), pa, base, *t;

	pa = alloc_pmd_page(HOSTVISOR);
	if (halted())
		return;
	t = (u64 *)(n->pool_va + (pa - n->pool));
	base = pmd_page(old);
	for (u32 i = 0; i < PTRS_PER_PMD; i++)
		t[i] = (base + i * PAGE_SIZE) | attrs | PTE_TYPE_TABLE;
	t[pte_index(addr)] = PAGE_GUEST;
	pt_replace(HOSTVISOR, p, old, pa | PTE_TYPE_TABLE,
		   ALIGN_DOWN(addr, PMD_SIZE), false);
}

/*
 * clear_pfn_host: take page @pfn away from the host. The host's table is
 * flat (ipa = pa); a mapped page becomes PAGE_GUEST (invalid), so the
 * host's next access faults into map_page_host, which checks ownership.
 *
 * The spec reads the level (get_npt_level), then, when it is not 0, maps
 * PAGE_GUEST at level 3 (set_npt). Both walk to the same leaf, and set_npt
 * allocates nothing when the level is not 0, so one walk does: a page leaf
 * is replaced where it is. corevisor maps the host's RAM with 2 MiB blocks
 * (map_page_host), where the spec's level-3 map inside a block panics:
 * here the block is split into pages first (host_split_block), the page
 * leaving already PAGE_GUEST in the new table. corevisor: the page leaves
 * the host's SMMUv3 streams too (host_stream_unmap).
 */
void clear_pfn_host(u64 pfn)
{
	u64 addr = pfn * PAGE_SIZE, *p, old;
	u32 level = 0;

	if (halted())
		return;
	if (!is_pfn(pfn)) {
		panic("clear_pfn_host: pfn 0x%llx out of range",
		      (unsigned long long)pfn);
		return;
	}
	/*
	 * corevisor: and from the host's devices (cv/stream.h), before the
	 * caller gives the page away; SPT_ID before the table's lock.
	 */
	host_stream_unmap(pfn);
	acquire_lock_pt(HOSTVISOR);
	if (!halted()) {
		assert_locked(NPT_ID + HOSTVISOR);
		p = npt_find(HOSTVISOR, addr, &level);
		old = p ? entry_load(p) : 0;
		/* Level 0 (nothing mapped, or PAGE_GUEST): nothing to do. */
		if (phys_page(old) != 0 && level == 2)
			host_split_block(p, old, addr);
		else if (phys_page(old) != 0)
			pt_replace(HOSTVISOR, p, old, PAGE_GUEST, addr, false);
	}
	release_lock_pt(HOSTVISOR);
}

/*
 * The slot of @addr's level-3 entry in VM table @vmid when the walk
 * reaches a level-3 table and every link passes its checks, else NULL
 * (the caller then takes npt_find's walk, which says what is wrong).
 * No level out-parameter, so a caller keeps nothing on the stack.
 */
static pt_inline u64 *npt_vm_leaf_slot(u32 vmid, u64 addr)
{
	const struct npt *n = &cv.npts[vmid];
	u64 pool = n->pool, e, *t;
	u8 *va = n->pool_va;

	if (unlikely(!va))
		return NULL;
	e = entry_load(&((u64 *)va)[pgd_index(addr)]);
	if (unlikely(!is_table_desc(e)))
		return NULL;
	t = pt_table_in(pool, va, e, PGD_OFFSET, vm_pool_geom.pud_offset);
	if (unlikely(!t))
		return NULL;
	e = entry_load(&t[pud_index(addr)]);
	if (unlikely(!is_table_desc(e)))
		return NULL;
	t = pt_table_in(pool, va, e, vm_pool_geom.pud_offset,
			vm_pool_geom.pmd_offset);
	if (unlikely(!t))
		return NULL;
	e = entry_load(&t[pmd_index(addr)]);
	if (unlikely(!is_table_desc(e)))
		return NULL;
	t = pt_table_in(pool, va, e, vm_pool_geom.pmd_offset,
			vm_pool_geom.pool_bytes);
	if (unlikely(!t))
		return NULL;
	return &t[pte_index(addr)];
}

/*
 * map_s2pt_page_unless_mapped's general case (a block, a missing table,
 * the host's table, a zero @pte): the full walk, NPT lock held.
 */
static __attribute__((noinline)) u64 unless_mapped_walk(u32 vmid, u64 addr,
							u64 pte)
{
	u64 *p, e, have = 0;
	u32 level = 0;

	p = npt_find(vmid, addr, &level);
	e = p ? entry_load(p) : 0;
	if (phys_page(e) != 0)
		have = level == 2 ? pmd_page(e) + (addr & (PMD_SIZE - 1) &
						   ~(PAGE_SIZE - 1))
				  : phys_page(e);
	/* The level-3 table is there: its slot is the leaf (set_pte). */
	else if (p && level == 3 && pte != 0)
		pt_store_leaf(vmid, p, e, pte, ALIGN_DOWN(addr, PAGE_SIZE),
			      false);
	else
		npt_set(vmid, addr, 3, pte);
	return have;
}

/*
 * map_s2pt_page_unless_mapped (corevisor, NPTOps, for MemManager's
 * map_pfn_vm): under NPT_ID + @vmid, the page the table maps at @addr (a
 * level-3 page, or @addr's page of a 2 MiB block), storing nothing; or,
 * when nothing is mapped there, 0 once @pte is mapped at level 3
 * (map_s2pt). A fault answer's check that it swaps no page and its map are
 * one hold of the lock: one walk when the level-3 table exists (the
 * common case inline: npt_vm_leaf_slot).
 */
u64 map_s2pt_page_unless_mapped(u32 vmid, u64 addr, u64 pte)
{
	u64 *p, e, have;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	p = vmid != HOSTVISOR && pte != 0 ? npt_vm_leaf_slot(vmid, addr) : NULL;
	if (likely(p)) {
		e = entry_load(p);
		have = phys_page(e);
		if (have == 0)
			pt_store_leaf(vmid, p, e, pte,
				      ALIGN_DOWN(addr, PAGE_SIZE), false);
	} else {
		have = unless_mapped_walk(vmid, addr, pte);
	}
	release_lock_pt(vmid);
	return check64(have);
}

/*
 * corevisor (destroy_vm): the core's own mapping of remap page @addr goes
 * (a level-3 leaf of COREVISOR's table, as remap_vm_image made it); the
 * range is free for the next VM's images. Nothing mapped: nothing to do.
 */
void unmap_core_remap_page(u64 addr)
{
	u64 *p, old;
	u32 level = 0;

	if (halted())
		return;
	if (addr < REMAP_START || addr >= REMAP_END || addr % PAGE_SIZE) {
		panic("unmap_core_remap_page: 0x%llx is not a remap page",
		      (unsigned long long)addr);
		return;
	}
	acquire_lock_pt(COREVISOR);
	p = npt_find(COREVISOR, addr, &level);
	old = p ? entry_load(p) : 0;
	if (phys_page(old) != 0 && level == 3)
		pt_replace(COREVISOR, p, old, 0, addr, false);
	else if (phys_page(old) != 0) {
		panic("unmap_core_remap_page: 0x%llx mapped at level %u",
		      (unsigned long long)addr, level);
		return;
	}
	release_lock_pt(COREVISOR);
}
