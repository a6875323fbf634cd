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
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>

#define VTTBR_VMID_SHIFT 48

static inline bool is_table_desc(u64 e)
{
	return (e & PTE_TYPE_MASK) == PTE_TYPE_TABLE;
}

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
	struct npt *npt;

	if (halted())
		return;
	if (!is_vmid(vmid)) {
		panic("init_npt: vmid %u out of range", vmid);
		return;
	}
	if (pool % PAGE_SIZE || !is_paddr(pool) ||
	    !is_paddr(pool + PT_POOL_PER_VM - 1)) {
		panic("init_npt: vm %u pool 0x%llx unusable", vmid,
		      (unsigned long long)pool);
		return;
	}
	if (!arch_phys_to_virt(pool)) {
		panic("init_npt: vm %u pool 0x%llx is not memory", vmid,
		      (unsigned long long)pool);
		return;
	}
	npt = &cv.npts[vmid];
	npt->pool = pool;
	npt->pgd_next = pool + PGD_OFFSET;
	npt->pud_next = pool + PUD_OFFSET;
	npt->pmd_next = pool + PMD_OFFSET;
	cv_zero_page(pool >> PAGE_SHIFT);
}

/* ---- NPTWalk ---------------------------------------------------------- */

/* The level-2 entry for @addr (walk without allocating), 0 when none. */
static u64 lookup_pmd(u32 vmid, u64 addr)
{
	u64 pgd, pud;

	pgd = walk_pgd(vmid, get_pt_vttbr(vmid), addr, 0);
	pud = walk_pud(vmid, pgd, addr, 0);
	return walk_pmd(vmid, pud, addr, 0);
}

/*
 * get_npt_level: 3 when @addr is mapped by a page, 2 by a block, 0 when
 * the leaf has no output address (unmapped, or PAGE_GUEST).
 */
u32 get_npt_level(u32 vmid, u64 addr)
{
	u64 pmd, pte;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	assert_locked(NPT_ID + vmid);
	pmd = lookup_pmd(vmid, addr);
	if (is_table_desc(pmd)) {
		pte = walk_pte(vmid, pmd, addr);
		return check(phys_page(pte) == 0 ? 0 : 3);
	}
	return check(phys_page(pmd) == 0 ? 0 : 2);
}

/* walk_npt: the leaf for @addr: the level-3 entry, or the 2 MiB block. */
u64 walk_npt(u32 vmid, u64 addr)
{
	u64 pmd;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	assert_locked(NPT_ID + vmid);
	pmd = lookup_pmd(vmid, addr);
	if (is_table_desc(pmd))
		return check64(walk_pte(vmid, pmd, addr));
	return check64(pmd);
}

/*
 * set_npt: make @pte the leaf for @addr at @level (2: 2 MiB block, 3:
 * page), allocating the tables on the way.
 */
void set_npt(u32 vmid, u64 addr, u32 level, u64 pte)
{
	u64 vttbr, pgd, pud, pmd;

	if (halted() || !check_args(__func__, vmid, addr))
		return;
	assert_locked(NPT_ID + vmid);
	if (level != 2 && level != 3) {
		panic("set_npt: vm %u level %u is not 2 or 3", vmid, level);
		return;
	}
	if (pte == 0) {
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
	vttbr = get_pt_vttbr(vmid);
	pgd = walk_pgd(vmid, vttbr, addr, 1);
	pud = walk_pud(vmid, pgd, addr, 1);
	if (halted())
		return;
	if (level == 2) {
		set_pmd(vmid, pud, addr, pte);
		return;
	}
	pmd = walk_pmd(vmid, pud, addr, 1);
	if (halted())
		return;
	if (!is_table_desc(pmd)) {
		panic("set_npt: vm %u addr 0x%llx is inside a 2 MiB block",
		      vmid, (unsigned long long)addr);
		return;
	}
	set_pte(vmid, pmd, addr, pte);
}

/* ---- NPTOps ----------------------------------------------------------- */

u32 get_level_s2pt(u32 vmid, u64 addr)
{
	u32 ret;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	ret = get_npt_level(vmid, addr);
	release_lock_pt(vmid);
	return check(ret);
}

u64 walk_s2pt(u32 vmid, u64 addr)
{
	u64 ret;

	if (halted() || !check_args(__func__, vmid, addr))
		return 0;
	acquire_lock_pt(vmid);
	ret = walk_npt(vmid, addr);
	release_lock_pt(vmid);
	return check64(ret);
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
	set_npt(vmid, addr, level, pte);
	release_lock_pt(vmid);
}

/*
 * clear_pfn_host: take page @pfn away from the host. The host's table is
 * flat (ipa = pa); a mapped page becomes PAGE_GUEST (invalid), so the
 * host's next access faults into map_page_host, which checks ownership.
 */
void clear_pfn_host(u64 pfn)
{
	u64 addr = pfn * PAGE_SIZE;

	if (halted())
		return;
	if (!is_pfn(pfn)) {
		panic("clear_pfn_host: pfn 0x%llx out of range",
		      (unsigned long long)pfn);
		return;
	}
	acquire_lock_pt(HOSTVISOR);
	if (get_npt_level(HOSTVISOR, addr) != 0)
		set_npt(HOSTVISOR, addr, 3, PAGE_GUEST);
	release_lock_pt(HOSTVISOR);
}
