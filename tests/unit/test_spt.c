// SPDX-License-Identifier: MIT
/*
 * SMMU page tables (core/spt): MmioPTAlloc, MmioPTWalk, MmioSPTWalk,
 * MmioSPTOps. Mappings are checked the way an SMMU sees them
 * (cv_hosted_smmu_translate walks the tables in memory), pool use through
 * the allocation cursors, and every panic branch through halted + reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/hosted.h>
#include <hosted_internal.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

static void boot(void)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE); /* panics are expected */
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
}

TestSuite(spt, .init = boot);

/* A RAM page of the host, as an SMMU leaf. */
static u64 ram_pa(u64 n)
{
	return cv_hosted_ram_base() + n * PAGE_SIZE;
}

static u64 leaf(u64 pa)
{
	return pa | PAGE_S2_RAM;
}

static void expect_halt(const char *who, const char *what)
{
	const char *r = cv_hosted_halt_reason();

	cr_assert(cv_hosted_halted(), "expected a panic from %s", who);
	cr_assert(strstr(r, who), "reason \"%s\" does not name %s", r, who);
	cr_assert(strstr(r, what), "reason \"%s\" lacks \"%s\"", r, what);
}

static void expect_running(void)
{
	cr_assert(!cv_hosted_halted(), "unexpected panic: %s",
		  cv_hosted_halt_reason());
}

static bool smmu_maps(u32 index, u32 cbndx, u64 iova, u64 pa)
{
	struct cv_translation t;

	if (!cv_hosted_smmu_translate(index, cbndx, iova, &t) || !t.valid)
		return false;
	return t.level == 3 && t.pa == pa;
}

static bool smmu_unmapped(u32 index, u32 cbndx, u64 iova)
{
	struct cv_translation t;

	return !cv_hosted_smmu_translate(index, cbndx, iova, &t) || !t.valid;
}

/* SMMU_TTBR, computed here so it also works once the core has halted. */
static u64 root_pa(u32 index, u32 cbndx)
{
	return cv.spt.pool +
	       (index * SMMU_NUM_CTXT_BANKS + cbndx) * 2 * PAGE_SIZE;
}

static u64 root_entry(u32 index, u32 cbndx, u32 i)
{
	u64 *p = cv_hosted_phys(root_pa(index, cbndx) + i * 8ULL);

	cr_assert_not_null(p);
	return *p;
}

/* ---- MmioSPTOps: what an SMMU sees ------------------------------------ */

Test(spt, map_translates_only_in_its_context_bank)
{
	u64 iova = 0x12345000, pa = ram_pa(5);

	map_spt(3, 1, iova, leaf(pa));
	expect_running();
	cr_assert(smmu_maps(1, 3, iova + 0x123, pa + 0x123));
	cr_assert(smmu_unmapped(1, 2, iova));
	cr_assert(smmu_unmapped(0, 3, iova));
	cr_assert(smmu_unmapped(1, 3, iova + PAGE_SIZE));
	cr_assert_eq(walk_spt(3, 1, iova), leaf(pa));
	cr_assert_eq(walk_spt(3, 1, iova + 0xfff), leaf(pa));
	cr_assert_eq(walk_spt(3, 1, iova + PAGE_SIZE), 0);
	cr_assert_eq(walk_spt(2, 1, iova), 0);
	cr_assert(!lock_held_by_me(SPT_ID));
}

Test(spt, tables_are_lpae_and_come_from_their_pool_areas)
{
	u64 pool = cv.spt.pool, iova = (5ULL << 30) | (7ULL << 21);
	u64 pgd, pmd, *p;

	cr_assert_eq(cv.spt.pgd_next, pool + SMMU_PGD_OFFSET);
	cr_assert_eq(cv.spt.pmd_next, pool + SMMU_PMD_OFFSET);
	cr_assert_eq(smmu_ttbr(1, 3), pool + 11 * 2 * PAGE_SIZE);
	cr_assert_eq(smmu_ttbr(0, 0), pool);

	map_spt(3, 1, iova, leaf(ram_pa(9)));
	pgd = root_entry(1, 3, 5);
	cr_assert_eq(pgd, (pool + SMMU_PGD_OFFSET) | PTE_TYPE_TABLE);
	p = cv_hosted_phys(phys_page(pgd) + 7 * 8);
	pmd = *p;
	cr_assert_eq(pmd, (pool + SMMU_PMD_OFFSET) | PTE_TYPE_TABLE);
	p = cv_hosted_phys(phys_page(pmd) + pte_index(iova) * 8);
	cr_assert_eq(*p, leaf(ram_pa(9)));
	cr_assert_eq(cv.spt.pgd_next, pool + SMMU_PGD_OFFSET + PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pool + SMMU_PMD_OFFSET + PAGE_SIZE);
}

Test(spt, allocation_only_for_missing_tables)
{
	u64 pgd0 = cv.spt.pgd_next, pmd0 = cv.spt.pmd_next;

	map_spt(0, 0, 0x1000, leaf(ram_pa(1)));
	map_spt(0, 0, 0x2000, leaf(ram_pa(2))); /* same level-3 table */
	cr_assert_eq(cv.spt.pgd_next, pgd0 + PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pmd0 + PAGE_SIZE);
	map_spt(0, 0, PMD_SIZE, leaf(ram_pa(3))); /* same level-2 table */
	cr_assert_eq(cv.spt.pgd_next, pgd0 + PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pmd0 + 2 * PAGE_SIZE);
	map_spt(0, 0, 1ULL << 30, leaf(ram_pa(4))); /* new level-1 slot */
	cr_assert_eq(cv.spt.pgd_next, pgd0 + 2 * PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pmd0 + 3 * PAGE_SIZE);
	map_spt(1, 0, 0x1000, leaf(ram_pa(5))); /* other bank: own tables */
	cr_assert_eq(cv.spt.pgd_next, pgd0 + 3 * PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pmd0 + 4 * PAGE_SIZE);
	cr_assert(smmu_maps(0, 0, 0x1000, ram_pa(1)));
	cr_assert(smmu_maps(0, 0, 0x2000, ram_pa(2)));
	cr_assert(smmu_maps(0, 0, PMD_SIZE, ram_pa(3)));
	cr_assert(smmu_maps(0, 0, 1ULL << 30, ram_pa(4)));
	cr_assert(smmu_maps(0, 1, 0x1000, ram_pa(5)));
}

Test(spt, whole_40_bit_space_uses_both_root_pages)
{
	u64 top = (1ULL << 40) - PAGE_SIZE;

	map_spt(7, 1, top, leaf(ram_pa(2)));
	map_spt(7, 1, 0, leaf(ram_pa(3)));
	expect_running();
	cr_assert(smmu_maps(1, 7, top, ram_pa(2)));
	cr_assert(smmu_maps(1, 7, 0, ram_pa(3)));
	cr_assert_neq(root_entry(1, 7, 1023), 0); /* second root page */
	cr_assert_neq(root_entry(1, 7, 0), 0);
	cr_assert_eq(walk_spt(7, 1, top), leaf(ram_pa(2)));
}

Test(spt, remap_replaces_the_leaf)
{
	map_spt(2, 0, 0x40000, leaf(ram_pa(1)));
	map_spt(2, 0, 0x40000, leaf(ram_pa(2)));
	expect_running();
	cr_assert(smmu_maps(0, 2, 0x40000, ram_pa(2)));
	cr_assert_eq(walk_spt(2, 0, 0x40000), leaf(ram_pa(2)));
}

Test(spt, unmap_returns_old_leaf_and_removes_translation)
{
	map_spt(4, 1, 0x7000, leaf(ram_pa(8)));
	map_spt(4, 1, 0x8000, leaf(ram_pa(9)));
	cr_assert_eq(unmap_spt(4, 1, 0x7000), leaf(ram_pa(8)));
	expect_running();
	cr_assert(smmu_unmapped(1, 4, 0x7000));
	cr_assert_eq(walk_spt(4, 1, 0x7000), 0);
	cr_assert(smmu_maps(1, 4, 0x8000, ram_pa(9)));
	cr_assert(!lock_held_by_me(SPT_ID));
}

Test(spt, unmap_of_nothing_returns_zero_and_allocates_nothing)
{
	u64 pgd0 = cv.spt.pgd_next, pmd0 = cv.spt.pmd_next;

	cr_assert_eq(unmap_spt(4, 1, 0x7000), 0);
	map_spt(4, 1, 0x7000, leaf(ram_pa(8)));
	cr_assert_eq(unmap_spt(4, 1, 0x9000), 0); /* tables, no leaf */
	expect_running();
	cr_assert_eq(cv.spt.pgd_next, pgd0 + PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pmd0 + PAGE_SIZE);
	cr_assert(smmu_maps(1, 4, 0x7000, ram_pa(8)));
	cr_assert(!lock_held_by_me(SPT_ID));
}

Test(spt, init_spt_empties_one_table_only)
{
	u64 pgd0;

	map_spt(5, 0, 0x3000, leaf(ram_pa(1)));
	map_spt(5, 0, 3ULL << 30, leaf(ram_pa(2)));
	map_spt(6, 0, 0x3000, leaf(ram_pa(3)));
	init_spt(5, 0);
	expect_running();
	cr_assert(smmu_unmapped(0, 5, 0x3000));
	cr_assert(smmu_unmapped(0, 5, 3ULL << 30));
	cr_assert_eq(walk_spt(5, 0, 0x3000), 0);
	for (u32 i = 0; i < 1024; i++)
		cr_assert_eq(root_entry(0, 5, i), 0);
	cr_assert(smmu_maps(0, 6, 0x3000, ram_pa(3)));
	/*
	 * corevisor: the bank's 2 level-2 and 2 level-3 tables went back to
	 * the pool; a new map takes them again, not fresh pages.
	 */
	cr_assert_eq(cv.spt.pgd_nfree, 2);
	cr_assert_eq(cv.spt.pmd_nfree, 2);
	pgd0 = cv.spt.pgd_next;
	map_spt(5, 0, 0x3000, leaf(ram_pa(4)));
	cr_assert_eq(cv.spt.pgd_next, pgd0);
	cr_assert_eq(cv.spt.pgd_nfree, 1);
	cr_assert_eq(cv.spt.pmd_nfree, 1);
	cr_assert(smmu_maps(0, 5, 0x3000, ram_pa(4)));
	cr_assert(smmu_unmapped(0, 5, 3ULL << 30), "a reused table is empty");
	init_spt(5, 1); /* an empty table stays empty */
	cr_assert(smmu_unmapped(1, 5, 0x3000));
	cr_assert(!lock_held_by_me(SPT_ID));
}

/* Banks cleared over and over never run the pool dry (corevisor). */
Test(spt, cleared_banks_tables_are_reused_forever)
{
	u64 pgd0 = cv.spt.pgd_next, pmd0 = cv.spt.pmd_next;
	u64 pgd_pages = (SMMU_PMD_OFFSET - SMMU_PGD_OFFSET) / PAGE_SIZE;

	for (u64 round = 0; round < 2 * pgd_pages; round++) {
		map_spt(2, 1, (round % 64) << 30, leaf(ram_pa(1)));
		init_spt(2, 1);
		expect_running();
	}
	cr_assert_eq(cv.spt.pgd_next, pgd0 + PAGE_SIZE);
	cr_assert_eq(cv.spt.pmd_next, pmd0 + PAGE_SIZE);
	{
		char why[256];

		cr_assert_eq(check_invariant("spt_cons", why, sizeof(why)), 0,
			     "%s", why);
	}
}

/* ---- Removing or changing a valid leaf flushes that bank's SMMU TLB ---- */

static u64 flushes(u32 index, u32 cbndx)
{
	struct cv_hosted_counters c;

	cv_hosted_get_counters(&c);
	return c.smmu_tlb_flush[index][cbndx];
}

static u64 syncs(void)
{
	struct cv_hosted_counters c;

	cv_hosted_get_counters(&c);
	return c.pt_sync;
}

Test(spt, new_mapping_needs_no_flush)
{
	u64 f = flushes(1, 2);

	map_spt(2, 1, 0x1000, leaf(ram_pa(1)));
	map_spt(2, 1, 0x1000, leaf(ram_pa(1))); /* same leaf again */
	cr_assert_eq(flushes(1, 2), f);
	cr_assert_eq(unmap_spt(2, 1, 0x2000), 0); /* nothing there */
	cr_assert_eq(flushes(1, 2), f);
}

Test(spt, unmap_syncs_and_flushes_its_bank)
{
	u64 f, f_other, s;

	map_spt(2, 1, 0x1000, leaf(ram_pa(1)));
	f = flushes(1, 2);
	f_other = flushes(0, 2);
	s = syncs();
	cr_assert_eq(unmap_spt(2, 1, 0x1000), leaf(ram_pa(1)));
	cr_assert_eq(flushes(1, 2), f + 1);
	cr_assert_eq(flushes(0, 2), f_other);
	cr_assert_gt(syncs(), s);
}

Test(spt, replacing_a_valid_leaf_flushes)
{
	u64 f;

	map_spt(3, 0, 0x1000, leaf(ram_pa(1)));
	f = flushes(0, 3);
	map_spt(3, 0, 0x1000, leaf(ram_pa(2)));
	cr_assert_eq(flushes(0, 3), f + 1);
}

Test(spt, init_spt_flushes_only_a_table_that_had_entries)
{
	u64 f;

	f = flushes(0, 4);
	init_spt(4, 0);
	cr_assert_eq(flushes(0, 4), f);
	map_spt(4, 0, 0x1000, leaf(ram_pa(1)));
	init_spt(4, 0);
	cr_assert_eq(flushes(0, 4), f + 1);
}

/* ---- Host-reachable arguments are range-checked ----------------------- */

Test(spt, map_spt_bad_index_panics)
{
	map_spt(0, SMMU_NUM, 0x1000, leaf(ram_pa(1)));
	expect_halt("map_spt", "smmu index 2");
}

Test(spt, map_spt_bad_cbndx_panics)
{
	map_spt(SMMU_NUM_CTXT_BANKS, 0, 0x1000, leaf(ram_pa(1)));
	expect_halt("map_spt", "context bank 8");
}

Test(spt, map_spt_bad_iova_panics)
{
	map_spt(0, 0, 1ULL << 40, leaf(ram_pa(1)));
	expect_halt("map_spt", "iova 0x10000000000");
	cr_assert(smmu_unmapped(0, 0, 0));
}

Test(spt, walk_spt_bad_args_panic)
{
	cr_assert_eq(walk_spt(0, 7, 0), 0);
	expect_halt("walk_spt", "smmu index 7");
}

Test(spt, walk_spt_bad_iova_panics)
{
	cr_assert_eq(walk_spt(0, 0, ~0ULL), 0);
	expect_halt("walk_spt", "iova 0xffffffffffffffff");
}

Test(spt, unmap_spt_bad_args_panic)
{
	cr_assert_eq(unmap_spt(9, 0, 0), 0);
	expect_halt("unmap_spt", "context bank 9");
}

Test(spt, unmap_spt_bad_iova_panics)
{
	map_spt(0, 0, 0, leaf(ram_pa(1)));
	cr_assert_eq(unmap_spt(0, 0, 1ULL << 40), 0);
	expect_halt("unmap_spt", "iova");
	cr_assert(smmu_maps(0, 0, 0, ram_pa(1))); /* nothing aliased */
}

Test(spt, init_spt_bad_args_panic)
{
	init_spt(0, 0xffffffffU);
	expect_halt("init_spt", "smmu index 4294967295");
}

Test(spt, init_spt_bad_cbndx_panics)
{
	init_spt(8, 0);
	expect_halt("init_spt", "context bank 8");
}

Test(spt, smmu_ttbr_bad_args_panic)
{
	cr_assert_eq(smmu_ttbr(2, 0), 0);
	expect_halt("smmu_ttbr", "smmu index 2");
}

Test(spt, smmu_ttbr_bad_cbndx_panics)
{
	cr_assert_eq(smmu_ttbr(0, 8), 0);
	expect_halt("smmu_ttbr", "context bank 8");
}

/* The walk layer checks again (its callers may be other core layers). */
Test(spt, walk_layer_checks_its_arguments)
{
	acquire_lock_spt();
	cr_assert_eq(walk_smmu_pt(0, 2, 0), 0);
	expect_halt("walk_smmu_pt", "smmu index 2");
}

Test(spt, set_smmu_pt_checks_iova)
{
	acquire_lock_spt();
	set_smmu_pt(0, 0, 1ULL << 40, leaf(ram_pa(1)));
	expect_halt("set_smmu_pt", "iova");
}

Test(spt, set_smmu_pt_checks_cbndx)
{
	acquire_lock_spt();
	set_smmu_pt(8, 0, 0, leaf(ram_pa(1)));
	expect_halt("set_smmu_pt", "context bank 8");
}

Test(spt, clear_smmu_pt_checks_its_arguments)
{
	acquire_lock_spt();
	clear_smmu_pt(0, 2);
	expect_halt("clear_smmu_pt", "smmu index 2");
}

/* ---- MmioPTWalk / MmioPTAlloc directly -------------------------------- */

Test(spt, walk_levels_allocate_only_when_asked)
{
	u64 ttbr = smmu_ttbr(0, 1), pool = cv.spt.pool, pgd, pmd;

	acquire_lock_spt();
	cr_assert_eq(walk_smmu_pgd(ttbr, 0x5000, 0), 0);
	cr_assert_eq(walk_smmu_pmd(0, 0x5000, 1), 0);
	cr_assert_eq(walk_smmu_pte(0, 0x5000), 0);
	cr_assert_eq(cv.spt.pgd_next, pool + SMMU_PGD_OFFSET);
	cr_assert_eq(cv.spt.pmd_next, pool + SMMU_PMD_OFFSET);

	pgd = walk_smmu_pgd(ttbr, 0x5000, 1);
	cr_assert_eq(pgd, (pool + SMMU_PGD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(walk_smmu_pgd(ttbr, 0x5000, 1), pgd); /* no new page */
	cr_assert_eq(walk_smmu_pmd(pgd, 0x5000, 0), 0);
	pmd = walk_smmu_pmd(pgd, 0x5000, 1);
	cr_assert_eq(pmd, (pool + SMMU_PMD_OFFSET) | PTE_TYPE_TABLE);
	cr_assert_eq(walk_smmu_pte(pmd, 0x5000), 0);
	set_smmu_pte(pmd, 0x5000, leaf(ram_pa(6)));
	cr_assert_eq(walk_smmu_pte(pmd, 0x5000), leaf(ram_pa(6)));
	cr_assert_eq(walk_smmu_pt(1, 0, 0x5000), leaf(ram_pa(6)));
	release_lock_spt();
	expect_running();
	cr_assert(smmu_maps(0, 1, 0x5000, ram_pa(6)));
}

Test(spt, allocated_pages_are_zeroed)
{
	u64 next = cv.spt.pgd_next, *p = cv_hosted_phys(next);

	cr_assert_not_null(p);
	memset(p, 0xa5, PAGE_SIZE);
	acquire_lock_spt();
	cr_assert_eq(alloc_smmu_pgd_page(), next);
	release_lock_spt();
	for (u32 i = 0; i < PAGE_SIZE / 8; i++)
		cr_assert_eq(p[i], 0);
	cr_assert_eq(cv.spt.pgd_next, next + PAGE_SIZE);
}

Test(spt, alloc_pmd_page_bumps_its_cursor)
{
	u64 next = cv.spt.pmd_next;

	acquire_lock_spt();
	cr_assert_eq(alloc_smmu_pmd_page(), next);
	cr_assert_eq(alloc_smmu_pmd_page(), next + PAGE_SIZE);
	release_lock_spt();
	cr_assert_eq(cv.spt.pmd_next, next + 2 * PAGE_SIZE);
	expect_running();
}

/* ---- Pool exhaustion -------------------------------------------------- */

Test(spt, level2_pool_exhaustion_panics)
{
	u64 pages = (SMMU_PMD_OFFSET - SMMU_PGD_OFFSET) / PAGE_SIZE;
	u64 i;

	/* One level-2 table per GiB slot; spread over banks for slots. */
	for (i = 0; i < pages; i++)
		map_spt(i / 1024, 0, (i % 1024) << 30, leaf(ram_pa(1)));
	expect_running();
	cr_assert_eq(cv.spt.pgd_next, cv.spt.pool + SMMU_PMD_OFFSET);
	map_spt(7, 1, 0, leaf(ram_pa(1)));
	expect_halt("alloc_smmu_pgd_page", "level-2 table pool exhausted");
	cr_assert(smmu_unmapped(1, 7, 0));
}

Test(spt, level3_pool_exhaustion_panics)
{
	u64 pages = (SMMU_POOL_BYTES - SMMU_PMD_OFFSET) / PAGE_SIZE;
	u64 i;

	/* One level-3 table per 2 MiB; 512 of them share a level-2 table. */
	for (i = 0; i < pages; i++)
		map_spt(0, 0, i << PMD_SHIFT, leaf(ram_pa(1)));
	expect_running();
	cr_assert_eq(cv.spt.pmd_next, cv.spt.pool + SMMU_POOL_BYTES);
	map_spt(0, 0, pages << PMD_SHIFT, leaf(ram_pa(2)));
	expect_halt("alloc_smmu_pmd_page", "level-3 table pool exhausted");
	cr_assert(smmu_unmapped(0, 0, pages << PMD_SHIFT));
}

Test(spt, direct_alloc_at_end_of_area_panics)
{
	cv.spt.pmd_next = cv.spt.pool + SMMU_POOL_BYTES;
	acquire_lock_spt();
	cr_assert_eq(alloc_smmu_pmd_page(), 0);
	expect_halt("alloc_smmu_pmd_page", "exhausted");
	cr_assert_eq(cv.spt.pmd_next, cv.spt.pool + SMMU_POOL_BYTES);
}

/* ---- Corrupted core state is caught, not followed --------------------- */

Test(spt, cursor_outside_its_area_panics)
{
	cv.spt.pgd_next = cv.spt.pool + SMMU_PMD_OFFSET + PAGE_SIZE;
	map_spt(0, 0, 0, leaf(ram_pa(1)));
	expect_halt("alloc_smmu_pgd_page", "cursor");
}

Test(spt, cursor_below_its_area_panics)
{
	cv.spt.pmd_next = cv.spt.pool;
	acquire_lock_spt();
	cr_assert_eq(alloc_smmu_pmd_page(), 0);
	expect_halt("alloc_smmu_pmd_page", "cursor");
}

Test(spt, ttbr_not_a_root_panics)
{
	acquire_lock_spt();
	cr_assert_eq(walk_smmu_pgd(smmu_ttbr(0, 0) + PAGE_SIZE, 0, 0), 0);
	expect_halt("walk_smmu_pgd", "not an SMMU root");
}

Test(spt, ttbr_past_roots_panics)
{
	acquire_lock_spt();
	cr_assert_eq(walk_smmu_pgd(cv.spt.pool + SMMU_PGD_OFFSET, 0, 1), 0);
	expect_halt("walk_smmu_pgd", "not an SMMU root");
}

/* The first root-sized slot after the last bank's root is not a root. */
Test(spt, ttbr_right_after_the_last_root_panics)
{
	u64 last = smmu_ttbr(SMMU_NUM - 1, SMMU_NUM_CTXT_BANKS - 1);

	acquire_lock_spt();
	cr_assert_eq(walk_smmu_pgd(last, 0, 0), 0, "the last root is one");
	expect_running();
	cr_assert_eq(walk_smmu_pgd(last + 2 * PAGE_SIZE, 0, 1), 0);
	expect_halt("walk_smmu_pgd", "not an SMMU root");
}

Test(spt, walk_smmu_pgd_checks_iova)
{
	acquire_lock_spt();
	cr_assert_eq(walk_smmu_pgd(smmu_ttbr(0, 0), 1ULL << 40, 1), 0);
	expect_halt("walk_smmu_pgd", "iova 0x10000000000");
}

Test(spt, level1_entry_outside_level2_area_panics)
{
	u64 *root = cv_hosted_phys(smmu_ttbr(0, 0));

	root[0] = (cv.spt.pool + SMMU_PMD_OFFSET) | PTE_TYPE_TABLE;
	cr_assert_eq(walk_spt(0, 0, 0x1000), 0);
	expect_halt("walk_smmu_pmd", "outside the SMMU level-2 area");
}

Test(spt, level2_entry_outside_level3_area_panics)
{
	u64 pgd, *tbl;

	map_spt(0, 0, 0x1000, leaf(ram_pa(1)));
	pgd = root_entry(0, 0, 0);
	tbl = cv_hosted_phys(phys_page(pgd));
	tbl[0] = ram_pa(10) | PTE_TYPE_TABLE; /* points at host RAM */
	cr_assert_eq(walk_spt(0, 0, 0x1000), 0);
	expect_halt("walk_smmu_pte", "outside the SMMU level-3 area");
}

Test(spt, set_smmu_pte_checks_its_table)
{
	acquire_lock_spt();
	set_smmu_pte(ram_pa(3) | PTE_TYPE_TABLE, 0, leaf(ram_pa(1)));
	expect_halt("set_smmu_pte", "outside the SMMU level-3 area");
}

Test(spt, pool_that_is_not_memory_panics)
{
	cv.spt.pool = 0x1000; /* below RAM: not memory */
	init_spt(0, 0);
	expect_halt("clear_smmu_pt", "not memory");
}

Test(spt, walk_in_pool_that_is_not_memory_panics)
{
	cv.spt.pool = 0x1000;
	cr_assert_eq(walk_spt(0, 0, 0), 0);
	expect_halt("walk_smmu_pgd", "not memory");
}

Test(spt, alloc_in_pool_that_is_not_memory_panics)
{
	cv.spt.pool = 0x1000;
	cv.spt.pgd_next = 0x1000 + SMMU_PGD_OFFSET;
	acquire_lock_spt();
	cr_assert_eq(alloc_smmu_pgd_page(), 0);
	expect_halt("alloc_smmu_pgd_page", "not memory");
}

Test(spt, init_spt_pool_unaligned_panics)
{
	init_spt_pool(cv.spt.pool + 8);
	expect_halt("init_spt_pool", "not page aligned");
}

Test(spt, init_spt_pool_not_memory_panics)
{
	init_spt_pool(0x1000);
	expect_halt("init_spt_pool", "not memory");
}

Test(spt, boot_leaves_every_context_bank_unassigned)
{
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		cr_assert_eq(cv.smmu_vmid[i], INVALID);
}

Test(spt, init_spt_pool_empties_every_root)
{
	u64 pool = cv.spt.pool;

	map_spt(7, 1, 0x1000, leaf(ram_pa(1)));
	map_spt(0, 0, 0x1000, leaf(ram_pa(1)));
	init_spt_pool(pool);
	expect_running();
	cr_assert(smmu_unmapped(1, 7, 0x1000));
	cr_assert(smmu_unmapped(0, 0, 0x1000));
	cr_assert_eq(cv.spt.pgd_next, pool + SMMU_PGD_OFFSET);
	cr_assert_eq(cv.spt.pmd_next, pool + SMMU_PMD_OFFSET);
}

/* ---- Once halted, every call is a no-op returning 0 ------------------- */

Test(spt, halted_calls_change_nothing)
{
	u64 pgd0, pmd0;

	map_spt(1, 0, 0x4000, leaf(ram_pa(4)));
	map_spt(0, 5, 0, 0); /* panic: bad index */
	expect_halt("map_spt", "smmu index 5");
	pgd0 = cv.spt.pgd_next;
	pmd0 = cv.spt.pmd_next;

	map_spt(1, 0, 9ULL << 30, leaf(ram_pa(5)));
	cr_assert(smmu_unmapped(0, 1, 9ULL << 30));
	cr_assert_eq(unmap_spt(1, 0, 0x4000), 0);
	init_spt(1, 0);
	cr_assert(smmu_maps(0, 1, 0x4000, ram_pa(4)));
	cr_assert_eq(walk_spt(1, 0, 0x4000), 0);
	cr_assert_eq(smmu_ttbr(0, 1), 0);
	cr_assert_eq(alloc_smmu_pgd_page(), 0);
	cr_assert_eq(alloc_smmu_pmd_page(), 0);
	cr_assert_eq(walk_smmu_pgd(root_pa(0, 1), 0x4000, 1), 0);
	cr_assert_eq(walk_smmu_pmd(root_entry(0, 1, 0), 0x4000, 1), 0);
	cr_assert_eq(walk_smmu_pte(1, 0x4000), 0);
	set_smmu_pte(1, 0x4000, 0);
	set_smmu_pt(1, 0, 0x4000, 0);
	clear_smmu_pt(1, 0);
	cr_assert_eq(walk_smmu_pt(1, 0, 0x4000), 0);
	init_spt_pool(cv.spt.pool);
	cr_assert(smmu_maps(0, 1, 0x4000, ram_pa(4)));
	cr_assert_eq(cv.spt.pgd_next, pgd0);
	cr_assert_eq(cv.spt.pmd_next, pmd0);
	expect_halt("map_spt", "smmu index 5"); /* reason kept */
}
