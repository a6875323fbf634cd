// SPDX-License-Identifier: MIT
/*
 * Stage-2 page tables (core/pt): PTAlloc, PTWalk, NPTWalk, NPTOps and the
 * boot helpers. Mappings are checked as the MMU sees them
 * (cv_hosted_translate walks the tables in simulated memory), pool use
 * through the cursors, TLB maintenance through the hosted hook counters,
 * and every panic branch through halted + reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "pt_support.h"

TestSuite(pt, .init = pts_boot);

#define VM 3U

static u64 pool(u32 vmid)
{
	return cv.npts[vmid].pool;
}

static u64 ram_leaf(u64 n)
{
	return pts_ram_pa(n) | PAGE_S2_RAM;
}

/* A 2 MiB-aligned block of host RAM, as a level-2 leaf. */
static u64 ram_block(u64 n)
{
	return (cv_hosted_ram_base() + n * PMD_SIZE) | PAGE_S2_RAM_BLOCK;
}

/* The entry at index @i of the table page at @table. */
static u64 entry(u64 table, u32 i)
{
	return pts_phys64(phys_page(table) + i * 8ULL);
}

/* ---- PTAlloc ---------------------------------------------------------- */

Test(pt, alloc_hands_out_pages_of_each_area_in_order)
{
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pgd_page(VM), pool(VM) + PGD_OFFSET);
	cr_assert_eq(alloc_pgd_page(VM), pool(VM) + PGD_OFFSET + PAGE_SIZE);
	cr_assert_eq(alloc_pud_page(VM), pool(VM) + PUD_OFFSET);
	cr_assert_eq(alloc_pmd_page(VM), pool(VM) + PMD_OFFSET);
	cr_assert_eq(alloc_pmd_page(VM), pool(VM) + PMD_OFFSET + PAGE_SIZE);
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert_eq(cv.npts[VM].pgd_next,
		     pool(VM) + PGD_OFFSET + 2 * PAGE_SIZE);
	cr_assert_eq(cv.npts[VM].pud_next, pool(VM) + PUD_OFFSET + PAGE_SIZE);
	cr_assert_eq(cv.npts[VM].pmd_next,
		     pool(VM) + PMD_OFFSET + 2 * PAGE_SIZE);
	/* Other principals' pools are untouched. */
	cr_assert_eq(cv.npts[VM + 1].pgd_next, pool(VM + 1) + PGD_OFFSET);
}

Test(pt, alloc_zeroes_the_page_it_hands_out)
{
	u64 pa = pool(VM) + PMD_OFFSET;

	pts_fill_page(pa / PAGE_SIZE, 0xa5);
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pmd_page(VM), pa);
	release_lock_pt(VM);
	cr_assert(pts_page_is(pa / PAGE_SIZE, 0));
}

Test(pt, pgd_pool_exhaustion_panics)
{
	u64 last = pool(VM) + PUD_OFFSET - PAGE_SIZE;

	cv.npts[VM].pgd_next = last;
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pgd_page(VM), last); /* the last page is usable */
	pts_expect_running();
	cr_assert_eq(alloc_pgd_page(VM), 0);
	pts_expect_halt("alloc_pgd_page", "exhausted");
	cr_assert_eq(cv.npts[VM].pgd_next, pool(VM) + PUD_OFFSET);
}

Test(pt, pud_pool_exhaustion_panics)
{
	cv.npts[VM].pud_next = pool(VM) + PMD_OFFSET;
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pud_page(VM), 0);
	pts_expect_halt("alloc_pud_page", "vm 3 level-2 table pool exhausted");
}

Test(pt, pmd_pool_exhaustion_panics)
{
	u64 last = pool(VM) + PT_POOL_PER_VM - PAGE_SIZE;

	cv.npts[VM].pmd_next = last;
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pmd_page(VM), last);
	pts_expect_running();
	cr_assert_eq(alloc_pmd_page(VM), 0);
	pts_expect_halt("alloc_pmd_page", "level-3 table pool exhausted");
}

Test(pt, alloc_cursor_outside_its_area_panics)
{
	cv.npts[VM].pud_next = pool(VM) + PGD_OFFSET; /* pgd area */
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pud_page(VM), 0);
	pts_expect_halt("alloc_pud_page", "cursor");
}

Test(pt, alloc_cursor_misaligned_panics)
{
	cv.npts[VM].pmd_next = pool(VM) + PMD_OFFSET + 8;
	acquire_lock_pt(VM);
	cr_assert_eq(alloc_pmd_page(VM), 0);
	pts_expect_halt("alloc_pmd_page", "cursor");
}

Test(pt, alloc_bad_vmid_panics)
{
	cr_assert_eq(alloc_pgd_page(17), 0);
	pts_expect_halt("alloc_pgd_page", "vmid 17 out of range");
}

Test(pt, alloc_bad_vmid_panics_pud_pmd)
{
	cr_assert_eq(alloc_pud_page(99), 0);
	pts_expect_halt("alloc_pud_page", "vmid 99");
	pts_boot();
	cr_assert_eq(alloc_pmd_page(NUM_PRINCIPALS), 0);
	pts_expect_halt("alloc_pmd_page", "vmid 17");
}

Test(pt, alloc_without_the_lock_is_a_bug)
{
	alloc_pgd_page(VM);
	pts_expect_halt("BUG", "not held");
}

Test(pt, alloc_when_halted_is_a_no_op)
{
	struct npt before = cv.npts[VM];

	pts_force_halt();
	cr_assert_eq(alloc_pgd_page(VM), 0);
	cr_assert_eq(alloc_pud_page(VM), 0);
	cr_assert_eq(alloc_pmd_page(VM), 0);
	cr_assert_eq(memcmp(&before, &cv.npts[VM], sizeof(before)), 0);
	cr_assert_str_eq(cv_hosted_halt_reason(), "test: forced halt");
}

/* ---- PTWalk ----------------------------------------------------------- */

Test(pt, walk_links_one_table_per_level_as_real_descriptors)
{
	u64 addr = (2ULL << 39) | (3ULL << 30) | (4ULL << 21) | (5ULL << 12);
	u64 vttbr = get_pt_vttbr(VM), pgd, pud, pmd;

	acquire_lock_pt(VM);
	cr_assert_eq(walk_pgd(VM, vttbr, addr, 0), 0);
	pgd = walk_pgd(VM, vttbr, addr, 1);
	cr_assert_eq(pgd, (pool(VM) + PGD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(entry(pool(VM), 2), pgd);
	cr_assert_eq(walk_pgd(VM, vttbr, addr, 1), pgd); /* no second table */
	pud = walk_pud(VM, pgd, addr, 1);
	cr_assert_eq(pud, (pool(VM) + PUD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(entry(pgd, 3), pud);
	pmd = walk_pmd(VM, pud, addr, 1);
	cr_assert_eq(pmd, (pool(VM) + PMD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(entry(pud, 4), pmd);
	cr_assert_eq(walk_pte(VM, pmd, addr), 0);
	set_pte(VM, pmd, addr, ram_leaf(7));
	cr_assert_eq(walk_pte(VM, pmd, addr), ram_leaf(7));
	cr_assert_eq(entry(pmd, 5), ram_leaf(7));
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert(pts_maps(VM, addr + 0x10, pts_ram_pa(7) + 0x10, 3));
	cr_assert_eq(cv.npts[VM].pgd_next, pool(VM) + PGD_OFFSET + PAGE_SIZE);
	cr_assert_eq(cv.npts[VM].pud_next, pool(VM) + PUD_OFFSET + PAGE_SIZE);
	cr_assert_eq(cv.npts[VM].pmd_next, pool(VM) + PMD_OFFSET + PAGE_SIZE);
}

Test(pt, walk_of_a_missing_parent_is_zero_and_allocates_nothing)
{
	struct npt before = cv.npts[VM];

	acquire_lock_pt(VM);
	cr_assert_eq(walk_pud(VM, 0, 0x1000, 1), 0);
	cr_assert_eq(walk_pmd(VM, 0, 0x1000, 1), 0);
	cr_assert_eq(walk_pte(VM, 0, 0x1000), 0);
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert_eq(memcmp(&before, &cv.npts[VM], sizeof(before)), 0);
}

Test(pt, walk_pgd_of_another_principals_root_panics)
{
	acquire_lock_pt(VM);
	walk_pgd(VM, get_pt_vttbr(VM + 1), 0, 0);
	pts_expect_halt("walk_pgd", "outside its table area");
}

Test(pt, walk_pud_of_a_non_table_panics)
{
	acquire_lock_pt(VM);
	walk_pud(VM, ram_block(1), 0, 0);
	pts_expect_halt("walk_pud", "is not a table");
}

Test(pt, walk_pud_of_a_table_in_the_wrong_area_panics)
{
	acquire_lock_pt(VM);
	walk_pud(VM, (pool(VM) + PUD_OFFSET) | PTE_TYPE_TABLE, 0, 0);
	pts_expect_halt("walk_pud", "outside its table area");
}

Test(pt, walk_pmd_of_a_table_in_the_wrong_area_panics)
{
	acquire_lock_pt(VM);
	walk_pmd(VM, (pool(VM) + PGD_OFFSET) | PTE_TYPE_TABLE, 0, 0);
	pts_expect_halt("walk_pmd", "outside its table area");
}

Test(pt, walk_pmd_of_a_non_table_panics)
{
	acquire_lock_pt(VM);
	walk_pmd(VM, 0x1, 0, 0);
	pts_expect_halt("walk_pmd", "is not a table");
}

Test(pt, walk_pte_of_a_block_panics)
{
	acquire_lock_pt(VM);
	walk_pte(VM, ram_block(2), 0);
	pts_expect_halt("walk_pte", "is not a table");
}

Test(pt, walk_pte_of_a_table_in_another_pool_panics)
{
	acquire_lock_pt(VM);
	walk_pte(VM, (pool(VM + 1) + PMD_OFFSET) | PTE_TYPE_TABLE, 0);
	pts_expect_halt("walk_pte", "outside its table area");
}

Test(pt, walk_beyond_48_bits_panics)
{
	acquire_lock_pt(VM);
	walk_pgd(VM, get_pt_vttbr(VM), 1ULL << 48, 1);
	pts_expect_halt("walk_pgd", "beyond 48 bits");
	cr_assert_eq(entry(pool(VM), 0), 0); /* no aliasing to index 0 */
}

Test(pt, walk_lower_levels_beyond_48_bits_panic)
{
	acquire_lock_pt(VM);
	walk_pud(VM, 0, KVM_ADDR_SPACE, 0);
	pts_expect_halt("walk_pud", "beyond 48 bits");
	pts_boot();
	acquire_lock_pt(VM);
	walk_pmd(VM, 0, ~0ULL, 0);
	pts_expect_halt("walk_pmd", "beyond 48 bits");
	pts_boot();
	acquire_lock_pt(VM);
	walk_pte(VM, 0, ~0ULL);
	pts_expect_halt("walk_pte", "beyond 48 bits");
}

Test(pt, walk_bad_vmid_panics)
{
	walk_pgd(20, 0, 0, 0);
	pts_expect_halt("walk_pgd", "vmid 20 out of range");
}

Test(pt, walk_without_the_lock_is_a_bug)
{
	walk_pte(VM, 0, 0);
	pts_expect_halt("BUG", "not held");
}

Test(pt, walk_and_set_when_halted_are_no_ops)
{
	u64 pmd;

	map_s2pt(VM, 0x5000, 3, ram_leaf(5));
	acquire_lock_pt(VM);
	pmd = walk_pmd(VM,
		       walk_pud(VM, walk_pgd(VM, get_pt_vttbr(VM), 0, 0), 0, 0),
		       0, 0);
	pts_force_halt();
	cr_assert_eq(walk_pgd(VM, pool(VM), 0, 1), 0);
	cr_assert_eq(walk_pud(VM, pool(VM) | 3, 1ULL << 39, 1), 0);
	cr_assert_eq(walk_pmd(VM, pool(VM) | 3, 1ULL << 30, 1), 0);
	cr_assert_eq(walk_pte(VM, pmd, 0x5000), 0);
	set_pte(VM, pmd, 0x5000, ram_leaf(9));
	set_pmd(VM, pool(VM) | 3, 0, ram_block(1));
	cr_assert_eq(entry(pmd, 5), ram_leaf(5));
	cr_assert_eq(cv.npts[VM].pgd_next, pool(VM) + PGD_OFFSET + PAGE_SIZE);
}

Test(pt, set_pmd_of_a_table_descriptor_panics)
{
	acquire_lock_pt(VM);
	set_pmd(VM, (pool(VM) + PUD_OFFSET) | 3, 0,
		(pool(VM) + PMD_OFFSET) | PTE_TYPE_TABLE);
	pts_expect_halt("set_pmd", "is a table descriptor");
}

Test(pt, set_pmd_under_a_table_in_the_wrong_area_panics)
{
	acquire_lock_pt(VM);
	set_pmd(VM, (pool(VM) + PMD_OFFSET) | 3, 0, ram_block(0));
	pts_expect_halt("set_pmd", "outside its table area");
}

Test(pt, set_pmd_under_no_table_panics)
{
	acquire_lock_pt(VM);
	set_pmd(VM, 0, 0, ram_block(0));
	pts_expect_halt("set_pmd", "is not a table");
}

Test(pt, set_pte_under_a_table_in_the_wrong_area_panics)
{
	acquire_lock_pt(VM);
	set_pte(VM, (pool(VM) + PUD_OFFSET) | 3, 0, ram_leaf(0));
	pts_expect_halt("set_pte", "outside its table area");
}

Test(pt, set_pte_under_a_block_panics)
{
	acquire_lock_pt(VM);
	set_pte(VM, ram_block(0), 0, ram_leaf(0));
	pts_expect_halt("set_pte", "is not a table");
}

Test(pt, set_pte_and_set_pmd_check_vmid_and_addr)
{
	set_pte(NUM_PRINCIPALS, 0, 0, 1);
	pts_expect_halt("set_pte", "vmid 17");
	pts_boot();
	set_pmd(VM, 0, 1ULL << 48, 1);
	pts_expect_halt("set_pmd", "beyond 48 bits");
}

Test(pt, set_pte_without_the_lock_is_a_bug)
{
	set_pte(VM, 0, 0, 1);
	pts_expect_halt("BUG", "not held");
}

/* The level-3 table link that maps @addr in VM's table (tables made). */
static u64 pmd_for(u32 vmid, u64 addr)
{
	u64 pgd, pud, pmd;

	acquire_lock_pt(vmid);
	pgd = walk_pgd(vmid, get_pt_vttbr(vmid), addr, 1);
	pud = walk_pud(vmid, pgd, addr, 1);
	pmd = walk_pmd(vmid, pud, addr, 1);
	release_lock_pt(vmid);
	return pmd;
}

static u64 pud_for(u32 vmid, u64 addr)
{
	u64 pgd, pud;

	acquire_lock_pt(vmid);
	pgd = walk_pgd(vmid, get_pt_vttbr(vmid), addr, 1);
	pud = walk_pud(vmid, pgd, addr, 1);
	release_lock_pt(vmid);
	return pud;
}

Test(pt, new_leaf_over_nothing_syncs_without_a_flush)
{
	u64 pmd = pmd_for(VM, 0x3000);
	struct cv_hosted_counters c0 = pts_counters(), c1;

	acquire_lock_pt(VM);
	set_pte(VM, pmd, 0x3000, ram_leaf(3));
	release_lock_pt(VM);
	c1 = pts_counters();
	cr_assert_gt(c1.pt_sync, c0.pt_sync);
	cr_assert_eq(c1.tlb_flush_ipa[VM], c0.tlb_flush_ipa[VM]);
	cr_assert_eq(c1.tlb_flush_vmid[VM], c0.tlb_flush_vmid[VM]);
	cr_assert(pts_maps(VM, 0x3000, pts_ram_pa(3), 3));
}

Test(pt, changing_a_valid_leaf_flushes_its_ipa)
{
	u64 pmd = pmd_for(VM, 0x3000);
	struct cv_hosted_counters c0, c1;

	acquire_lock_pt(VM);
	set_pte(VM, pmd, 0x3000, ram_leaf(3));
	c0 = pts_counters();
	set_pte(VM, pmd, 0x3abc, ram_leaf(4));
	c1 = pts_counters();
	release_lock_pt(VM);
	cr_assert_eq(c1.tlb_flush_ipa[VM], c0.tlb_flush_ipa[VM] + 1);
	cr_assert_eq(c1.last_flush_ipa[VM], 0x3000);
	cr_assert_eq(c1.bad_flush, 0);
	cr_assert(pts_maps(VM, 0x3000, pts_ram_pa(4), 3));
}

Test(pt, rewriting_the_same_leaf_does_not_flush)
{
	u64 pmd = pmd_for(VM, 0x3000);
	struct cv_hosted_counters c0, c1;

	acquire_lock_pt(VM);
	set_pte(VM, pmd, 0x3000, ram_leaf(3));
	c0 = pts_counters();
	set_pte(VM, pmd, 0x3000, ram_leaf(3));
	c1 = pts_counters();
	release_lock_pt(VM);
	cr_assert_eq(c1.tlb_flush_ipa[VM], c0.tlb_flush_ipa[VM]);
}

Test(pt, invalidating_a_leaf_flushes_its_ipa)
{
	u64 pmd = pmd_for(VM, 0x3000);
	struct cv_hosted_counters c0, c1;

	acquire_lock_pt(VM);
	set_pte(VM, pmd, 0x3000, ram_leaf(3));
	c0 = pts_counters();
	set_pte(VM, pmd, 0x3000, PAGE_GUEST);
	c1 = pts_counters();
	cr_assert_eq(walk_pte(VM, pmd, 0x3000), PAGE_GUEST);
	release_lock_pt(VM);
	cr_assert_eq(c1.tlb_flush_ipa[VM], c0.tlb_flush_ipa[VM] + 1);
	cr_assert(!pts_translate(VM, 0x3000).valid);
}

Test(pt, block_over_a_level3_table_flushes_the_vmid)
{
	u64 addr = 5 * PMD_SIZE + 0x7000;
	u64 pmd = pmd_for(VM, addr), pud = pud_for(VM, addr);
	struct cv_hosted_counters c0, c1;

	acquire_lock_pt(VM);
	set_pte(VM, pmd, addr, ram_leaf(3));
	c0 = pts_counters();
	set_pmd(VM, pud, addr, ram_block(1));
	c1 = pts_counters();
	release_lock_pt(VM);
	cr_assert_eq(c1.tlb_flush_vmid[VM], c0.tlb_flush_vmid[VM] + 1);
	cr_assert(pts_maps(VM, addr, cv_hosted_ram_base() + PMD_SIZE + 0x7000,
			   2));
}

Test(pt, block_over_a_block_flushes_its_2mib_ipa)
{
	u64 addr = 5 * PMD_SIZE + 0x7000, pud = pud_for(VM, addr);
	struct cv_hosted_counters c0, c1;

	acquire_lock_pt(VM);
	set_pmd(VM, pud, addr, ram_block(1));
	c0 = pts_counters();
	set_pmd(VM, pud, addr, ram_block(2));
	c1 = pts_counters();
	release_lock_pt(VM);
	cr_assert_eq(c1.tlb_flush_ipa[VM], c0.tlb_flush_ipa[VM] + 1);
	cr_assert_eq(c1.last_flush_ipa[VM], 5 * PMD_SIZE);
	cr_assert_eq(c1.tlb_flush_vmid[VM], c0.tlb_flush_vmid[VM]);
	cr_assert(pts_maps(VM, addr,
			   cv_hosted_ram_base() + 2 * PMD_SIZE + 0x7000, 2));
}

/* ---- NPTWalk ---------------------------------------------------------- */

Test(pt, set_npt_level3_maps_one_page)
{
	u64 addr = 0x123456000ULL;

	acquire_lock_pt(VM);
	set_npt(VM, addr, 3, ram_leaf(11));
	cr_assert_eq(get_npt_level(VM, addr), 3);
	cr_assert_eq(walk_npt(VM, addr + 0xfff), ram_leaf(11));
	cr_assert_eq(get_npt_level(VM, addr + PAGE_SIZE), 0);
	cr_assert_eq(walk_npt(VM, addr + PAGE_SIZE), 0);
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert(pts_maps(VM, addr + 0x44, pts_ram_pa(11) + 0x44, 3));
	cr_assert(!pts_translate(VM, addr + PAGE_SIZE).valid);
	cr_assert(!pts_translate(VM + 1, addr).valid); /* VMs apart */
}

Test(pt, set_npt_level2_maps_a_block_without_a_level3_table)
{
	u64 addr = 7 * PMD_SIZE + 0x3000;
	u64 pmd0 = cv.npts[VM].pmd_next;

	acquire_lock_pt(VM);
	set_npt(VM, addr, 2, ram_block(4));
	cr_assert_eq(get_npt_level(VM, 7 * PMD_SIZE), 2);
	cr_assert_eq(walk_npt(VM, 8 * PMD_SIZE - 1), ram_block(4));
	cr_assert_eq(get_npt_level(VM, 8 * PMD_SIZE), 0);
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert_eq(cv.npts[VM].pmd_next, pmd0);
	cr_assert(pts_maps(VM, 7 * PMD_SIZE,
			   cv_hosted_ram_base() + 4 * PMD_SIZE, 2));
	cr_assert(pts_maps(VM, 8 * PMD_SIZE - PAGE_SIZE,
			   cv_hosted_ram_base() + 5 * PMD_SIZE - PAGE_SIZE, 2));
}

Test(pt, level2_map_replaces_the_level3_mappings_of_its_range)
{
	u64 base = 9 * PMD_SIZE;

	acquire_lock_pt(VM);
	set_npt(VM, base + 0x1000, 3, ram_leaf(1));
	set_npt(VM, base + 0x1ff000, 3, ram_leaf(2));
	set_npt(VM, base, 2, ram_block(3));
	cr_assert_eq(get_npt_level(VM, base + 0x1000), 2);
	cr_assert_eq(walk_npt(VM, base + 0x1ff000), ram_block(3));
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert(pts_maps(VM, base + 0x1000,
			   cv_hosted_ram_base() + 3 * PMD_SIZE + 0x1000, 2));
	cr_assert(pts_maps(VM, base + 0x1ff000,
			   cv_hosted_ram_base() + 3 * PMD_SIZE + 0x1ff000, 2));
}

Test(pt, level3_map_inside_a_block_panics)
{
	u64 base = 9 * PMD_SIZE;

	acquire_lock_pt(VM);
	set_npt(VM, base, 2, ram_block(3));
	pts_expect_running();
	set_npt(VM, base + 0x5000, 3, ram_leaf(1));
	pts_expect_halt("set_npt", "inside a 2 MiB block");
	cr_assert(pts_maps(VM, base + 0x5000,
			   cv_hosted_ram_base() + 3 * PMD_SIZE + 0x5000, 2));
}

Test(pt, set_npt_other_levels_panic)
{
	acquire_lock_pt(VM);
	set_npt(VM, 0, 1, ram_block(0));
	pts_expect_halt("set_npt", "level 1 is not 2 or 3");
	pts_boot();
	acquire_lock_pt(VM);
	set_npt(VM, 0, 4, ram_leaf(0));
	pts_expect_halt("set_npt", "level 4 is not 2 or 3");
	cr_assert_eq(entry(pool(VM), 0), 0);
}

Test(pt, set_npt_zero_pte_panics)
{
	acquire_lock_pt(VM);
	set_npt(VM, 0x1000, 3, 0);
	pts_expect_halt("set_npt", "zero pte");
}

Test(pt, set_npt_level2_table_descriptor_panics)
{
	acquire_lock_pt(VM);
	set_npt(VM, 0, 2, pts_ram_pa(0) | PTE_TYPE_TABLE);
	pts_expect_halt("set_npt", "table descriptor");
}

Test(pt, set_npt_misaligned_block_panics)
{
	acquire_lock_pt(VM);
	set_npt(VM, 0, 2, (pts_ram_pa(1)) | PAGE_S2_RAM_BLOCK);
	pts_expect_halt("set_npt", "not 2 MiB aligned");
	cr_assert_eq(entry(pool(VM), 0), 0);
}

Test(pt, set_npt_pool_exhaustion_panics_and_links_nothing)
{
	u64 pud;

	cv.npts[VM].pmd_next = pool(VM) + PT_POOL_PER_VM;
	pud = pud_for(VM, 0x1000);
	acquire_lock_pt(VM);
	set_npt(VM, 0x1000, 3, ram_leaf(1));
	pts_expect_halt("alloc_pmd_page", "exhausted");
	cr_assert_eq(entry(pud, 0), 0);
	cr_assert(!pts_translate(VM, 0x1000).valid);
}

Test(pt, guest_marker_reads_as_level_0)
{
	acquire_lock_pt(HOSTVISOR);
	set_npt(HOSTVISOR, 0x2000, 3, PAGE_GUEST);
	cr_assert_eq(get_npt_level(HOSTVISOR, 0x2000), 0);
	cr_assert_eq(walk_npt(HOSTVISOR, 0x2000), PAGE_GUEST);
	release_lock_pt(HOSTVISOR);
	pts_expect_running();
}

Test(pt, unmapped_address_reads_as_level_0_and_allocates_nothing)
{
	struct npt before = cv.npts[VM];

	acquire_lock_pt(VM);
	cr_assert_eq(get_npt_level(VM, 0xabcdef000ULL), 0);
	cr_assert_eq(walk_npt(VM, 0xabcdef000ULL), 0);
	release_lock_pt(VM);
	pts_expect_running();
	cr_assert_eq(memcmp(&before, &cv.npts[VM], sizeof(before)), 0);
}

Test(pt, nptwalk_checks_vmid_and_addr)
{
	get_npt_level(17, 0);
	pts_expect_halt("get_npt_level", "vmid 17");
	pts_boot();
	walk_npt(VM, 1ULL << 48);
	pts_expect_halt("walk_npt", "beyond 48 bits");
	pts_boot();
	set_npt(VM, 1ULL << 50, 3, ram_leaf(0));
	pts_expect_halt("set_npt", "beyond 48 bits");
}

Test(pt, nptwalk_without_the_lock_is_a_bug)
{
	set_npt(VM, 0, 3, ram_leaf(0));
	pts_expect_halt("BUG", "not held");
}

Test(pt, nptwalk_when_halted_is_a_no_op)
{
	map_s2pt(VM, 0x1000, 3, ram_leaf(1));
	acquire_lock_pt(VM);
	pts_force_halt();
	cr_assert_eq(get_npt_level(VM, 0x1000), 0);
	cr_assert_eq(walk_npt(VM, 0x1000), 0);
	set_npt(VM, 0x1000, 3, ram_leaf(2));
	set_npt(VM, 0x1000, 7, 0); /* no panic reason replaces the first */
	cr_assert_str_eq(cv_hosted_halt_reason(), "test: forced halt");
	cr_assert(pts_maps(VM, 0x1000, pts_ram_pa(1), 3));
}

/* ---- NPTOps ----------------------------------------------------------- */

Test(pt, nptops_take_and_release_the_table_lock)
{
	map_s2pt(VM, 0x4000, 3, ram_leaf(4));
	cr_assert(!lock_held_by_me(NPT_ID + VM));
	cr_assert_eq(walk_s2pt(VM, 0x4000), ram_leaf(4));
	cr_assert(!lock_held_by_me(NPT_ID + VM));
	cr_assert_eq(get_level_s2pt(VM, 0x4000), 3);
	cr_assert(!lock_held_by_me(NPT_ID + VM));
	map_s2pt(VM, 2 * PMD_SIZE, 2, ram_block(2));
	cr_assert_eq(get_level_s2pt(VM, 2 * PMD_SIZE + 0x5000), 2);
	cr_assert_eq(walk_s2pt(VM, 2 * PMD_SIZE + 0x5000), ram_block(2));
	cr_assert_eq(get_level_s2pt(VM, 0x5000), 0);
	cr_assert_eq(cv.locks[NPT_ID + VM].next, cv.locks[NPT_ID + VM].serving);
	pts_expect_running();
	cr_assert(pts_maps(VM, 0x4000, pts_ram_pa(4), 3));
}

Test(pt, nptops_check_vmid_and_addr)
{
	map_s2pt(NUM_PRINCIPALS, 0, 3, ram_leaf(0));
	pts_expect_halt("map_s2pt", "vmid 17");
	pts_boot();
	walk_s2pt(VM, 1ULL << 48);
	pts_expect_halt("walk_s2pt", "beyond 48 bits");
	pts_boot();
	get_level_s2pt(18, 0);
	pts_expect_halt("get_level_s2pt", "vmid 18");
}

Test(pt, map_s2pt_bad_level_panics)
{
	map_s2pt(VM, 0, 0, ram_leaf(0));
	pts_expect_halt("set_npt", "level 0 is not 2 or 3");
}

Test(pt, nptops_when_halted_are_no_ops)
{
	map_s2pt(VM, 0x4000, 3, ram_leaf(4));
	pts_force_halt();
	cr_assert_eq(walk_s2pt(VM, 0x4000), 0);
	cr_assert_eq(get_level_s2pt(VM, 0x4000), 0);
	map_s2pt(VM, 0x4000, 3, ram_leaf(5));
	map_s2pt(VM, 0x8000, 3, ram_leaf(5));
	clear_pfn_host(pts_ram_pfn(0));
	cr_assert(pts_maps(VM, 0x4000, pts_ram_pa(4), 3));
	cr_assert(!pts_translate(VM, 0x8000).valid);
}

Test(pt, corevisor_table_is_an_el2_stage1_table)
{
	u64 va = REMAP_START + 0x3000;

	map_s2pt(COREVISOR, va, 3, pts_ram_pa(6) | PAGE_HYP);
	pts_expect_running();
	cr_assert(pts_maps(COREVISOR, va, pts_ram_pa(6), 3));
	cr_assert_eq(walk_s2pt(COREVISOR, va), pts_ram_pa(6) | PAGE_HYP);
	cr_assert_eq(get_pt_vttbr(COREVISOR), pool(COREVISOR));
}

Test(pt, clear_pfn_host_marks_a_mapped_host_page_guest)
{
	u64 pfn = pts_ram_pfn(12), addr = pfn * PAGE_SIZE;
	struct cv_hosted_counters c0, c1;

	map_s2pt(HOSTVISOR, addr, 3, addr | PAGE_S2_RAM);
	cr_assert(pts_maps(HOSTVISOR, addr, addr, 3));
	c0 = pts_counters();
	clear_pfn_host(pfn);
	c1 = pts_counters();
	pts_expect_running();
	cr_assert_eq(walk_s2pt(HOSTVISOR, addr), PAGE_GUEST);
	cr_assert_eq(get_level_s2pt(HOSTVISOR, addr), 0);
	cr_assert(!pts_translate(HOSTVISOR, addr).valid);
	cr_assert_eq(c1.tlb_flush_ipa[HOSTVISOR],
		     c0.tlb_flush_ipa[HOSTVISOR] + 1);
	cr_assert_eq(c1.last_flush_ipa[HOSTVISOR], addr);
	cr_assert(!lock_held_by_me(NPT_ID + HOSTVISOR));
}

Test(pt, clear_pfn_host_of_an_unmapped_page_changes_nothing)
{
	u64 pfn = pts_ram_pfn(12), addr = pfn * PAGE_SIZE;
	struct npt before;

	map_s2pt(HOSTVISOR, addr + PAGE_SIZE, 3,
		 (addr + PAGE_SIZE) | PAGE_S2_RAM);
	before = cv.npts[HOSTVISOR];
	clear_pfn_host(pfn);
	clear_pfn_host(pts_ram_pfn(1ULL << 20)); /* no tables at all there */
	pts_expect_running();
	cr_assert_eq(walk_s2pt(HOSTVISOR, addr), 0);
	cr_assert_eq(memcmp(&before, &cv.npts[HOSTVISOR], sizeof(before)), 0);
	cr_assert(pts_maps(HOSTVISOR, addr + PAGE_SIZE, addr + PAGE_SIZE, 3));
}

/*
 * A page inside one of the host's 2 MiB blocks leaves: the block becomes a
 * level-3 table of the same 511 other pages (same attributes, as pages),
 * the page itself PAGE_GUEST, one level-3 table allocated, and the block
 * invalidated by IPA for VMID 0 (break-before-make) so no CPU's TLB keeps
 * a translation of it.
 */
Test(pt, clear_pfn_host_splits_a_block_and_flushes_it)
{
	u64 base = cv_hosted_ram_base() + 4 * PMD_SIZE, pfn = base / PAGE_SIZE;
	u64 pmd_next = cv.npts[HOSTVISOR].pmd_next;
	struct cv_hosted_counters c0, c1;
	struct cv_translation t;
	u8 b;

	map_s2pt(HOSTVISOR, base, 2, base | PAGE_S2_RAM_BLOCK);
	cr_assert(pts_maps(HOSTVISOR, base + 3 * PAGE_SIZE,
			   base + 3 * PAGE_SIZE, 2));
	/* CPUs 0 and 1 cache the block (their TLBs). */
	cr_assert(cv_hosted_host_read(base + 3 * PAGE_SIZE, &b, 1));
	cv_hosted_set_cpu(1);
	cr_assert(cv_hosted_host_read(base + 9 * PAGE_SIZE, &b, 1));
	cv_hosted_set_cpu(0);
	cr_assert(cv_hosted_tlb_lookup(0, HOSTVISOR, base + 3 * PAGE_SIZE, &t));
	cr_assert(cv_hosted_tlb_lookup(1, HOSTVISOR, base + 9 * PAGE_SIZE, &t));
	cr_assert_eq(t.level, 2);

	c0 = pts_counters();
	clear_pfn_host(pfn + 3);
	c1 = pts_counters();
	pts_expect_running();
	cr_assert_eq(cv.npts[HOSTVISOR].pmd_next, pmd_next + PAGE_SIZE,
		     "one level-3 table");
	cr_assert_eq(s2pt_pmd_type(HOSTVISOR, base), PMD_TABLE);
	cr_assert_eq(walk_s2pt(HOSTVISOR, base + 3 * PAGE_SIZE), PAGE_GUEST);
	cr_assert(!pts_translate(HOSTVISOR, base + 3 * PAGE_SIZE).valid);
	for (u32 i = 0; i < PTRS_PER_PMD; i++) {
		u64 pa = base + i * PAGE_SIZE;

		if (i == 3)
			continue;
		cr_assert_eq(walk_s2pt(HOSTVISOR, pa), pa | PAGE_S2_RAM,
			     "page %u", i);
		cr_assert(pts_maps(HOSTVISOR, pa, pa, 3), "page %u", i);
	}
	cr_assert_eq(c1.tlb_flush_ipa[HOSTVISOR],
		     c0.tlb_flush_ipa[HOSTVISOR] + 1);
	cr_assert_eq(c1.last_flush_ipa[HOSTVISOR], base);
	cr_assert_eq(c1.tlb_flush_vmid[HOSTVISOR],
		     c0.tlb_flush_vmid[HOSTVISOR]);
	cr_assert_not(
		cv_hosted_tlb_lookup(0, HOSTVISOR, base + 3 * PAGE_SIZE, &t),
		"CPU 0 dropped the block");
	cr_assert_not(
		cv_hosted_tlb_lookup(1, HOSTVISOR, base + 9 * PAGE_SIZE, &t),
		"CPU 1 dropped the block");
	cr_assert(!lock_held_by_me(NPT_ID + HOSTVISOR));

	/* The next page to leave is a page leaf: no second table. */
	clear_pfn_host(pfn + 4);
	pts_expect_running();
	cr_assert_eq(cv.npts[HOSTVISOR].pmd_next, pmd_next + PAGE_SIZE);
	cr_assert(!pts_translate(HOSTVISOR, base + 4 * PAGE_SIZE).valid);
	cr_assert(pts_maps(HOSTVISOR, base + 5 * PAGE_SIZE,
			   base + 5 * PAGE_SIZE, 3));
}

/* The split keeps the block's attributes on every page (here read-only). */
Test(pt, clear_pfn_host_split_keeps_the_block_attributes)
{
	u64 base = cv_hosted_ram_base() + 6 * PMD_SIZE;
	u64 ro = (PAGE_S2_RAM_BLOCK & ~S2AP_W) | base;

	map_s2pt(HOSTVISOR, base, 2, ro);
	clear_pfn_host(base / PAGE_SIZE + 511);
	pts_expect_running();
	cr_assert_eq(walk_s2pt(HOSTVISOR, base),
		     base | (PAGE_S2_RAM & ~S2AP_W));
	cr_assert_eq(walk_s2pt(HOSTVISOR, base + 511 * PAGE_SIZE), PAGE_GUEST);
}

/* No level-3 table left for the split: the pool panics, block intact. */
Test(pt, clear_pfn_host_split_with_the_pool_exhausted_panics)
{
	u64 base = cv_hosted_ram_base() + 8 * PMD_SIZE;

	map_s2pt(HOSTVISOR, base, 2, base | PAGE_S2_RAM_BLOCK);
	cv.npts[HOSTVISOR].pmd_next =
		cv.npts[HOSTVISOR].pool + cv.npts[HOSTVISOR].geom.pool_bytes;
	clear_pfn_host(base / PAGE_SIZE + 1);
	pts_expect_halt("alloc_pmd_page", "vm 0 level-3 table pool exhausted");
	cr_assert(pts_maps(HOSTVISOR, base + PAGE_SIZE, base + PAGE_SIZE, 2));
}

/* s2pt_pmd_type: what the level-2 entry holds, for any principal. */
Test(pt, s2pt_pmd_type_tells_none_block_and_table)
{
	cr_assert_eq(s2pt_pmd_type(VM, 0x40000000), PMD_NONE, "no tables");
	map_s2pt(VM, 0x40000000, 2, ram_block(3));
	map_s2pt(VM, 0x40200000, 3, ram_leaf(1));
	cr_assert_eq(s2pt_pmd_type(VM, 0x40000000 + 0x1234), PMD_BLOCK);
	cr_assert_eq(s2pt_pmd_type(VM, 0x40200000 + 0x5000), PMD_TABLE);
	cr_assert_eq(s2pt_pmd_type(VM, 0x40400000), PMD_NONE,
		     "level-2 table there, entry empty");
	pts_expect_running();
	cr_assert(!lock_held_by_me(NPT_ID + VM));
	cr_assert_eq(s2pt_pmd_type(17, 0), 0);
	pts_expect_halt("s2pt_pmd_type", "vmid 17");
	cr_assert_eq(s2pt_pmd_type(VM, 0x40200000), 0, "halted: 0");
}

/*
 * map_s2pt_in_table: the page is mapped only where a level-3 table is
 * already linked; elsewhere nothing changes.
 */
Test(pt, map_s2pt_in_table_maps_only_into_a_table)
{
	struct npt before;

	map_s2pt(VM, 0x40000000, 2, ram_block(3));
	map_s2pt(VM, 0x40200000, 3, ram_leaf(1));
	before = cv.npts[VM];
	cr_assert_eq(map_s2pt_in_table(VM, 0x40200000 + 0x7000, ram_leaf(7)),
		     PMD_TABLE);
	cr_assert(pts_maps(VM, 0x40207000, pts_ram_pa(7), 3));
	cr_assert_eq(map_s2pt_in_table(VM, 0x40000000 + 0x7000, ram_leaf(8)),
		     PMD_BLOCK);
	cr_assert(pts_maps(VM, 0x40007000,
			   ram_block(3) - PAGE_S2_RAM_BLOCK + 0x7000, 2),
		  "the block stays");
	cr_assert_eq(map_s2pt_in_table(VM, 0x40400000, ram_leaf(9)), PMD_NONE);
	cr_assert(!pts_translate(VM, 0x40400000).valid);
	cr_assert_eq(memcmp(&before, &cv.npts[VM], sizeof(before)), 0,
		     "nothing allocated");
	pts_expect_running();
	cr_assert(!lock_held_by_me(NPT_ID + VM));
}

Test(pt, map_s2pt_in_table_bad_arguments_panic)
{
	map_s2pt_in_table(VM, 0x1000, 0);
	pts_expect_halt("map_s2pt_in_table", "is not a page");
	pts_boot();
	map_s2pt_in_table(VM, 0x1000, ram_block(1));
	pts_expect_halt("map_s2pt_in_table", "is not a page");
	pts_boot();
	map_s2pt_in_table(VM, KVM_ADDR_SPACE, ram_leaf(1));
	pts_expect_halt("map_s2pt_in_table", "beyond 48 bits");
	pts_boot();
	map_s2pt(VM, 0x1000, 3, ram_leaf(2));
	pts_force_halt();
	cr_assert_eq(map_s2pt_in_table(VM, 0x1000, ram_leaf(1)), 0);
	cr_assert_eq(pts_translate(VM, 0x1000).pte, ram_leaf(2));
}

Test(pt, clear_pfn_host_out_of_range_panics)
{
	clear_pfn_host(KVM_PFN_SPACE);
	pts_expect_halt("clear_pfn_host", "out of range");
}

/*
 * ---- NPTWalk / NPTOps over broken tables -------------------------------
 * get_npt_level, walk_npt, set_npt and clear_pfn_host walk inline (npt.c),
 * not through PTWalk's calls: every link still gets PTWalk's checks, and a
 * broken one the same panic, naming the PTWalk function that checks it.
 */

/* Write @v at physical address @pa (simulated memory): a corrupted table. */
static void poke(u64 pa, u64 v)
{
	u64 *p = cv_hosted_phys(pa);

	cr_assert_not_null(p);
	*p = v;
}

/* VM's tables for @addr exist (a page mapped next to it). */
static void tables_for(u64 addr)
{
	map_s2pt(VM, addr + PAGE_SIZE, 3, ram_leaf(1));
	pts_expect_running();
}

/* Physical address of the entry for @addr in the level-@n table. */
static u64 slot_pa(u64 addr, u32 n)
{
	u64 t = pool(VM);

	if (n >= 1)
		t = phys_page(entry(t, pgd_index(addr)));
	if (n >= 2)
		t = phys_page(entry(t, pud_index(addr)));
	if (n == 3)
		t = phys_page(entry(t, pmd_index(addr)));
	switch (n) {
	case 0:
		return t + pgd_index(addr) * 8ULL;
	case 1:
		return t + pud_index(addr) * 8ULL;
	case 2:
		return t + pmd_index(addr) * 8ULL;
	default:
		return t + pte_index(addr) * 8ULL;
	}
}

Test(pt, nptwalk_of_a_root_entry_that_is_not_a_table_panics)
{
	u64 addr = 0x40000000ULL;

	tables_for(addr);
	poke(slot_pa(addr, 0), ram_block(1));
	cr_assert_eq(get_level_s2pt(VM, addr), 0);
	pts_expect_halt("walk_pud", "is not a table");
}

Test(pt, nptwalk_of_a_level1_link_outside_its_area_panics)
{
	u64 addr = 0x40000000ULL;

	tables_for(addr);
	poke(slot_pa(addr, 1), (pool(VM) + PGD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(walk_s2pt(VM, addr), 0);
	pts_expect_halt("walk_pmd", "outside its table area");
}

Test(pt, nptwalk_of_a_level2_link_in_another_pool_panics)
{
	u64 addr = 0x40000000ULL;

	tables_for(addr);
	poke(slot_pa(addr, 2), (pool(VM + 1) + PMD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(walk_s2pt(VM, addr), 0);
	pts_expect_halt("walk_pte", "outside its table area");
}

Test(pt, map_through_a_broken_link_panics_and_writes_nothing)
{
	u64 addr = 0x40000000ULL, pmd;

	tables_for(addr);
	poke(slot_pa(addr, 0), ram_block(1));
	map_s2pt(VM, addr, 3, ram_leaf(2));
	pts_expect_halt("walk_pud", "is not a table");
	pts_boot();
	tables_for(addr);
	pmd = entry(phys_page(entry(pool(VM), pgd_index(addr))),
		    pud_index(addr));
	poke(slot_pa(addr, 1), (pool(VM) + PMD_OFFSET) | PTE_TYPE_TABLE);
	map_s2pt(VM, addr, 2, ram_block(2));
	pts_expect_halt("set_pmd", "outside its table area");
	cr_assert_eq(entry(pmd, pmd_index(addr)) & PTE_TYPE_MASK,
		     PTE_TYPE_TABLE); /* the level-2 entry is untouched */
	pts_boot();
	tables_for(addr);
	poke(slot_pa(addr, 2), (pool(VM) + PUD_OFFSET) | PTE_TYPE_TABLE);
	map_s2pt(VM, addr, 3, ram_leaf(2));
	pts_expect_halt("set_pte", "outside its table area");
}

Test(pt, clear_pfn_host_through_a_broken_link_panics)
{
	u64 pfn = pts_ram_pfn(12), addr = pfn * PAGE_SIZE, l1;

	map_s2pt(HOSTVISOR, addr, 3, addr | PAGE_S2_RAM);
	l1 = phys_page(pts_phys64(pool(HOSTVISOR) + pgd_index(addr) * 8ULL));
	poke(l1 + pud_index(addr) * 8ULL, ram_block(0));
	clear_pfn_host(pfn);
	pts_expect_halt("walk_pmd", "is not a table");
}

Test(pt, nptwalk_without_a_pool_panics)
{
	cv.npts[VM].pool_va = NULL;
	cr_assert_eq(walk_s2pt(VM, 0x1000), 0);
	pts_expect_halt("walk_pgd", "table pool is not memory");
	pts_boot();
	cv.npts[VM].pool_va = NULL;
	map_s2pt(VM, 0x1000, 3, ram_leaf(1));
	pts_expect_halt("walk_pgd", "table pool is not memory");
}

/* ---- Boot helpers ----------------------------------------------------- */

Test(pt, boot_lays_out_one_pool_per_principal)
{
	u64 base = cv_hosted_reserved_base();
	const struct npt *h = &cv.npts[HOSTVISOR];
	/*
	 * The host's pool (1 GiB of RAM at 1 GiB, the core's region just
	 * above): one level-1 table for the first 512 GiB, one level-2 per
	 * GiB touched (RAM, the core's region), one level-3 per 2 MiB
	 * touched, plus the MMIO budget; rounded to HOST_POOL_ALIGN.
	 */
	u64 res_pmds = ALIGN_UP(cv_hosted_reserved_size(), PMD_SIZE) / PMD_SIZE;
	u64 pud_off = PGD_OFFSET + (1 + HOST_MMIO_PGD_PAGES) * PAGE_SIZE;
	u64 pmd_off = pud_off + (2 + HOST_MMIO_PUD_PAGES) * PAGE_SIZE;
	u64 bytes = ALIGN_UP(pmd_off + (512 + res_pmds + HOST_MMIO_PMD_PAGES) *
					       PAGE_SIZE,
			     HOST_POOL_ALIGN);

	cr_assert_eq(pool(HOSTVISOR), base);
	cr_assert_eq(h->geom.pud_offset, pud_off);
	cr_assert_eq(h->geom.pmd_offset, pmd_off);
	cr_assert_eq(h->geom.pool_bytes, bytes);
	cr_assert_eq(h->pgd_next, base + PGD_OFFSET);
	cr_assert_eq(h->pud_next, base + pud_off);
	cr_assert_eq(h->pmd_next, base + pmd_off);
	cr_assert_eq(get_pt_vttbr(HOSTVISOR), base);
	for (u32 v = HOSTVISOR + 1; v <= COREVISOR; v++) {
		cr_assert_eq(pool(v), base + bytes + (v - 1) * PT_POOL_PER_VM);
		cr_assert_eq(cv.npts[v].geom.pool_bytes, PT_POOL_PER_VM);
		cr_assert_eq(cv.npts[v].pgd_next, pool(v) + PGD_OFFSET);
		cr_assert_eq(cv.npts[v].pud_next, pool(v) + PUD_OFFSET);
		cr_assert_eq(cv.npts[v].pmd_next, pool(v) + PMD_OFFSET);
		if (v == COREVISOR)
			cr_assert_eq(get_pt_vttbr(v), pool(v));
		else
			cr_assert_eq(get_pt_vttbr(v), pool(v) | (u64)v << 48);
	}
	pts_expect_running();
}

Test(pt, get_pt_vttbr_bad_vmid_panics_and_halted_is_zero)
{
	cr_assert_eq(get_pt_vttbr(17), 0);
	pts_expect_halt("get_pt_vttbr", "vmid 17");
	cr_assert_eq(get_pt_vttbr(VM), 0);
}

Test(pt, init_npt_gives_an_empty_table)
{
	u64 p = pool(VM);

	map_s2pt(VM, 0x1000, 3, ram_leaf(1));
	init_npt(VM, p);
	pts_expect_running();
	cr_assert(!pts_translate(VM, 0x1000).valid);
	cr_assert_eq(entry(p, 0), 0);
	cr_assert_eq(cv.npts[VM].pgd_next, p + PGD_OFFSET);
	cr_assert_eq(cv.npts[VM].pmd_next, p + PMD_OFFSET);
}

Test(pt, init_npt_bad_arguments_panic)
{
	init_npt(17, pool(VM));
	pts_expect_halt("init_npt", "vmid 17");
	pts_boot();
	init_npt(VM, pool(VM) + 8);
	pts_expect_halt("init_npt", "unusable");
	pts_boot();
	init_npt(VM, KVM_PHYS_SIZE - PAGE_SIZE);
	pts_expect_halt("init_npt", "unusable");
	pts_boot();
	init_npt(VM, PTS_MMIO_PA);
	pts_expect_halt("init_npt", "is not memory");
}

/*
 * The walks reach a pool through one pointer (pool_va): init_npt refuses a
 * pool whose memory is not mapped linearly, here one straddling the end of
 * RAM and the start of the core's region (two host mappings).
 */
Test(pt, init_npt_pool_not_mapped_linearly_panics)
{
	u64 end = cv_hosted_ram_base() + cv_hosted_ram_size();
	u8 *last = cv_hosted_phys(end - 1), *next = cv_hosted_phys(end);

	cr_assert_not_null(last);
	cr_assert_not_null(next);
	if (next == last + 1)
		cr_skip_test("RAM and the core's region happen to be adjacent");
	init_npt(VM, end - PAGE_SIZE);
	pts_expect_halt("init_npt", "is not memory");
}

Test(pt, init_npt_when_halted_is_a_no_op)
{
	struct npt before = cv.npts[VM];

	pts_force_halt();
	init_npt(VM, pool(VM + 1));
	cr_assert_eq(memcmp(&before, &cv.npts[VM], sizeof(before)), 0);
}
