// SPDX-License-Identifier: MIT
/*
 * Page ownership (core/s2page): MemRegion, PageIndex, PageManager,
 * MemManager, MemoryOps and init_s2page. Asserts on owners, counts and
 * gfns (PageManager under the s2page lock), on translations as the MMU and
 * SMMU see them, on page contents (scrubbing), and on halted + reason for
 * every panic branch.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

#include "pt_support.h"

TestSuite(s2page, .init = pts_boot);

#define VM 3U
#define VM2 4U

static u64 ram_pages(void)
{
	return cv_hosted_ram_size() / PAGE_SIZE;
}

static u64 reserved_pfn(u64 n)
{
	return cv_hosted_reserved_base() / PAGE_SIZE + n;
}

static u64 mmio_pfn(void)
{
	return PTS_MMIO_PA / PAGE_SIZE;
}

/* The s2page array's physical address, as cv_boot lays it out. */
static u64 s2page_array_pa(void)
{
	return cv_hosted_reserved_base() + cv.npts[HOSTVISOR].geom.pool_bytes +
	       (NUM_PRINCIPALS - 1) * PT_POOL_PER_VM + SMMU_POOL_BYTES;
}

static void expect_page(u64 pfn, u32 owner, u32 count, u64 gfn)
{
	cr_assert_eq(pts_owner(pfn), owner, "pfn 0x%llx owner %u, want %u",
		     (unsigned long long)pfn, pts_owner(pfn), owner);
	cr_assert_eq(pts_count(pfn), count, "pfn 0x%llx count %u, want %u",
		     (unsigned long long)pfn, pts_count(pfn), count);
	cr_assert_eq(pts_gfn(pfn), gfn, "pfn 0x%llx gfn 0x%llx, want 0x%llx",
		     (unsigned long long)pfn, (unsigned long long)pts_gfn(pfn),
		     (unsigned long long)gfn);
}

/*
 * The host maps page @pfn (flat), as its stage-2 fault would: with the
 * 2 MiB block around it when the host owns all of that block, else alone.
 */
static void host_maps(u64 pfn)
{
	struct cv_translation t;

	map_page_host(pfn * PAGE_SIZE);
	pts_expect_running();
	t = pts_translate(HOSTVISOR, pfn * PAGE_SIZE);
	cr_assert(t.valid && t.pa == pfn * PAGE_SIZE,
		  "host pfn 0x%llx not mapped flat", (unsigned long long)pfn);
	cr_assert(t.level == 2 || t.level == 3);
}

static bool host_can_reach(u64 pfn)
{
	return pts_translate(HOSTVISOR, pfn * PAGE_SIZE).valid;
}

static void no_locks_held(void)
{
	cr_assert(!lock_held_by_me(S2PAGE_ID));
	cr_assert(!lock_held_by_me(NPT_ID + HOSTVISOR));
	cr_assert(!lock_held_by_me(NPT_ID + VM));
	cr_assert(!lock_held_by_me(SPT_ID));
}

/* ---- MemRegion / PageIndex ------------------------------------------- */

Test(s2page, region_search_finds_ram_and_the_core_region)
{
	u64 ram = cv_hosted_ram_base(), end = ram + cv_hosted_ram_size();
	u64 res = cv_hosted_reserved_base();

	cr_assert_eq(mem_region_search(ram), 0);
	cr_assert_eq(mem_region_search(end - 1), 0);
	cr_assert_eq(mem_region_search(res), 1);
	cr_assert_eq(mem_region_search(res + cv_hosted_reserved_size() - 1), 1);
	cr_assert_eq(mem_region_search(res + cv_hosted_reserved_size()),
		     INVALID);
	cr_assert_eq(mem_region_search(ram - 1), INVALID);
	cr_assert_eq(mem_region_search(PTS_MMIO_PA), INVALID);
	cr_assert_eq(mem_region_search(~0ULL), INVALID);
	pts_expect_running();
}

Test(s2page, page_index_is_region_index_plus_page_offset)
{
	u64 ram = cv_hosted_ram_base(), res = cv_hosted_reserved_base();

	cr_assert_eq(get_s2_page_index(ram), 0);
	cr_assert_eq(get_s2_page_index(ram + 5 * PAGE_SIZE + 0x123), 5);
	cr_assert_eq(get_s2_page_index(res), ram_pages());
	cr_assert_eq(cv.regions[1].index, ram_pages());
	cr_assert_eq(get_s2_page_index(res + 2 * PAGE_SIZE), ram_pages() + 2);
	cr_assert_eq(get_s2_page_index(PTS_MMIO_PA), INVALID64);
	cr_assert_eq(cv.s2page_num,
		     ram_pages() + cv_hosted_reserved_size() / PAGE_SIZE);
	pts_expect_running();
}

Test(s2page, page_index_of_a_region_without_entries_is_invalid)
{
	cv.regions[0].index = INVALID64;
	cr_assert_eq(get_s2_page_index(cv_hosted_ram_base()), INVALID64);
	pts_expect_running();
}

Test(s2page, page_index_beyond_48_bits_panics)
{
	cr_assert_eq(get_s2_page_index(1ULL << 48), 0);
	pts_expect_halt("get_s2_page_index", "beyond 48 bits");
}

Test(s2page, page_index_past_the_array_panics)
{
	cv.s2page_num = 5;
	get_s2_page_index(cv_hosted_ram_base() + 5 * PAGE_SIZE);
	pts_expect_halt("get_s2_page_index", "past 5");
}

/*
 * MemManager finds a page's entry once (s2page_entry), with
 * get_s2_page_index's check: a broken layout panics there too.
 */
Test(s2page, memmanager_lookup_past_the_array_panics)
{
	u64 pfn = pts_ram_pfn(5);

	cv.s2page_num = 5;
	assign_pfn_to_vm(VM, 0x10, pfn);
	pts_expect_halt("get_s2_page_index", "past 5");
	cr_assert_eq(cv.s2page[5].owner, HOSTVISOR);
	pts_boot();
	cv.s2page_num = 5;
	map_page_host(pfn * PAGE_SIZE);
	pts_expect_halt("get_s2_page_index", "past 5");
	cr_assert(!host_can_reach(pfn));
}

Test(s2page, page_index_when_halted_is_zero)
{
	pts_force_halt();
	cr_assert_eq(get_s2_page_index(cv_hosted_ram_base() + 9 * PAGE_SIZE),
		     0);
}

/* ---- PageManager / init_s2page ---------------------------------------- */

Test(s2page, boot_gives_ram_to_the_host_and_the_core_region_to_the_core)
{
	u64 nres = cv_hosted_reserved_size() / PAGE_SIZE;

	expect_page(pts_ram_pfn(0), HOSTVISOR, 0, INVALID64);
	expect_page(pts_ram_pfn(ram_pages() / 2), HOSTVISOR, 0, INVALID64);
	expect_page(pts_ram_pfn(ram_pages() - 1), HOSTVISOR, 0, INVALID64);
	expect_page(reserved_pfn(0), COREVISOR, 0, INVALID64);
	expect_page(reserved_pfn(nres - 1), COREVISOR, 0, INVALID64);
	expect_page(mmio_pfn(), INVALID, INVALID, INVALID64);
	expect_page(0, INVALID, INVALID, INVALID64);
	for (u64 i = 0; i < cv.s2page_num; i++)
		cr_assert_eq(cv.s2page[i].owner,
			     i < ram_pages() ? HOSTVISOR : COREVISOR);
}

Test(s2page, getters_read_the_entry_under_the_lock)
{
	u64 pfn = pts_ram_pfn(76);

	pts_set_page(pfn, VM, INVALID, 0x76);
	acquire_lock_s2page();
	cr_assert_eq(get_pfn_owner(pfn), VM);
	cr_assert_eq(get_pfn_count(pfn), INVALID);
	cr_assert_eq(get_pfn_map(pfn), 0x76);
	cr_assert_eq(get_pfn_owner(reserved_pfn(2)), COREVISOR);
	cr_assert_eq(get_pfn_count(pts_ram_pfn(1)), 0);
	cr_assert_eq(get_pfn_map(pts_ram_pfn(1)), INVALID64);
	cr_assert_eq(get_pfn_owner(mmio_pfn()), INVALID);
	cr_assert_eq(get_pfn_count(mmio_pfn()), INVALID);
	cr_assert_eq(get_pfn_map(mmio_pfn()), INVALID64);
	release_lock_s2page();
	pts_expect_running();
	cr_assert_eq(cv.s2page[76].count, 0xff); /* INVALID's encoding */
}

Test(s2page, setters_and_getters_round_trip)
{
	u64 pfn = pts_ram_pfn(77);

	pts_set_page(pfn, VM, MAX_SHARE_COUNT, KVM_GFN_SPACE - 1);
	expect_page(pfn, VM, MAX_SHARE_COUNT, KVM_GFN_SPACE - 1);
	pts_set_page(pfn, COREVISOR, INVALID, INVALID64);
	expect_page(pfn, COREVISOR, INVALID, INVALID64);
	cr_assert_eq(cv_hosted_page_gfn(pfn), INVALID64);
	expect_page(pfn + 1, HOSTVISOR, 0, INVALID64); /* neighbour */
}

Test(s2page, setters_on_mmio_do_nothing)
{
	pts_set_page(mmio_pfn(), VM, 3, 5);
	expect_page(mmio_pfn(), INVALID, INVALID, INVALID64);
}

Test(s2page, set_owner_bad_vmid_panics)
{
	acquire_lock_s2page();
	set_pfn_owner(pts_ram_pfn(1), 17);
	pts_expect_halt("set_pfn_owner", "vmid 17 out of range");
	cr_assert_eq(cv.s2page[1].owner, HOSTVISOR);
}

Test(s2page, set_count_out_of_range_panics)
{
	acquire_lock_s2page();
	set_pfn_count(pts_ram_pfn(1), MAX_SHARE_COUNT + 1);
	pts_expect_halt("set_pfn_count", "count 101 out of range");
	cr_assert_eq(cv.s2page[1].count, 0);
}

Test(s2page, set_map_out_of_range_panics)
{
	acquire_lock_s2page();
	set_pfn_map(pts_ram_pfn(1), KVM_GFN_SPACE);
	pts_expect_halt("set_pfn_map", "out of range");
	cr_assert_eq(cv.s2page[1].gfn, S2PAGE_GFN_NONE);
}

Test(s2page, pfn_beyond_gfn_space_panics_instead_of_wrapping)
{
	/* pfn * PAGE_SIZE would wrap onto RAM page 3. */
	u64 wrap = (1ULL << 52) + pts_ram_pfn(3);

	acquire_lock_s2page();
	cr_assert_eq(get_pfn_owner(wrap), 0);
	pts_expect_halt("get_pfn_owner", "out of range");
	pts_boot();
	acquire_lock_s2page();
	set_pfn_owner(wrap, VM);
	pts_expect_halt("set_pfn_owner", "out of range");
	cr_assert_eq(cv.s2page[3].owner, HOSTVISOR);
	pts_boot();
	acquire_lock_s2page();
	get_pfn_count(KVM_GFN_SPACE);
	pts_expect_halt("get_pfn_count", "out of range");
	pts_boot();
	acquire_lock_s2page();
	set_pfn_count(KVM_GFN_SPACE, 1);
	pts_expect_halt("set_pfn_count", "out of range");
	pts_boot();
	acquire_lock_s2page();
	get_pfn_map(KVM_GFN_SPACE);
	pts_expect_halt("get_pfn_map", "out of range");
	pts_boot();
	acquire_lock_s2page();
	set_pfn_map(KVM_GFN_SPACE, 1);
	pts_expect_halt("set_pfn_map", "out of range");
}

Test(s2page, page_manager_without_the_lock_is_a_bug)
{
	get_pfn_owner(pts_ram_pfn(1));
	pts_expect_halt("BUG", "not held");
}

Test(s2page, page_manager_when_halted_is_a_no_op)
{
	u64 pfn = pts_ram_pfn(8);

	pts_set_page(pfn, VM, 2, 9);
	pts_force_halt();
	cr_assert_eq(get_pfn_owner(pfn), 0);
	cr_assert_eq(get_pfn_count(pfn), 0);
	cr_assert_eq(get_pfn_map(pfn), 0);
	set_pfn_owner(pfn, VM2);
	set_pfn_count(pfn, 5);
	set_pfn_map(pfn, 1);
	cr_assert_eq(cv.s2page[8].owner, VM);
	cr_assert_eq(cv.s2page[8].count, 2);
	cr_assert_eq(cv.s2page[8].gfn, 9);
}

Test(s2page, init_s2page_resets_every_entry)
{
	pts_set_page(pts_ram_pfn(4), VM, 2, 7);
	init_s2page(s2page_array_pa());
	pts_expect_running();
	expect_page(pts_ram_pfn(4), HOSTVISOR, 0, INVALID64);
	expect_page(reserved_pfn(0), COREVISOR, 0, INVALID64);
}

Test(s2page, init_s2page_array_not_in_memory_panics)
{
	init_s2page(PTS_MMIO_PA);
	pts_expect_halt("init_s2page", "is not memory");
}

Test(s2page, init_s2page_array_running_off_memory_panics)
{
	/* The array's last entry would lie past the core's region. */
	init_s2page(cv_hosted_reserved_base() + cv_hosted_reserved_size() -
		    PAGE_SIZE);
	pts_expect_halt("init_s2page", "is not memory");
}

Test(s2page, init_s2page_too_many_pages_panics)
{
	cv.regions[0].size = (MAX_S2PAGE_NUM + 1) * PAGE_SIZE;
	init_s2page(s2page_array_pa());
	pts_expect_halt("init_s2page", "exceed MAX_S2PAGE_NUM");
}

Test(s2page, init_s2page_too_many_regions_panics)
{
	cv.region_cnt = MAX_MEMBLOCK_NUM + 1;
	init_s2page(s2page_array_pa());
	pts_expect_halt("init_s2page", "33 regions");
}

Test(s2page, init_s2page_reserved_outside_every_region_panics)
{
	cv.reserved_base = PTS_MMIO_PA;
	init_s2page(s2page_array_pa());
	pts_expect_halt("init_s2page", "in no region");
}

Test(s2page, init_s2page_when_halted_is_a_no_op)
{
	pts_set_page(pts_ram_pfn(4), VM, 2, 7);
	pts_force_halt();
	init_s2page(s2page_array_pa());
	cr_assert_eq(cv.s2page[4].owner, VM);
}

/* ---- MemManager: map_page_host --------------------------------------- */

/* The host owns the whole 2 MiB: one fault maps it as one RAM block. */
Test(s2page, host_fault_on_its_ram_maps_its_block_flat_as_ram)
{
	u64 pfn = pts_ram_pfn(20), pa = pfn * PAGE_SIZE;
	u64 pmd_next = cv.npts[HOSTVISOR].pmd_next;
	struct cv_translation t;

	map_page_host(pa + 0x10);
	pts_expect_running();
	t = pts_translate(HOSTVISOR, pa + 0x10);
	cr_assert(t.valid);
	cr_assert_eq(t.level, 2);
	cr_assert_eq(t.pa, pa + 0x10);
	cr_assert_eq(t.pte, pts_ram_pa(0) | PAGE_S2_RAM_BLOCK);
	for (u64 i = 0; i < PTRS_PER_PMD; i += 73)
		cr_assert(pts_maps(HOSTVISOR, pts_ram_pa(i), pts_ram_pa(i), 2));
	cr_assert(!host_can_reach(pts_ram_pfn(PTRS_PER_PMD)),
		  "the next block is not mapped");
	cr_assert_eq(cv.npts[HOSTVISOR].pmd_next, pmd_next,
		     "no level-3 table for a block");
	no_locks_held();
}

Test(s2page, host_fault_on_mmio_maps_it_as_device)
{
	struct cv_translation t;

	map_page_host(PTS_MMIO_PA);
	pts_expect_running();
	t = pts_translate(HOSTVISOR, PTS_MMIO_PA);
	cr_assert(t.valid);
	cr_assert_eq(t.pte, PTS_MMIO_PA | PAGE_S2_DEVICE);
}

Test(s2page, host_fault_on_core_memory_panics)
{
	map_page_host(reserved_pfn(3) * PAGE_SIZE);
	pts_expect_halt("map_page_host", "owned by 16 count 0");
	cr_assert(!host_can_reach(reserved_pfn(3)));
}

Test(s2page, host_fault_on_an_unshared_vm_page_panics)
{
	u64 pfn = pts_ram_pfn(21);

	pts_set_page(pfn, VM, 0, 5);
	map_page_host(pfn * PAGE_SIZE);
	pts_expect_halt("map_page_host", "owned by 3 count 0");
	cr_assert(!host_can_reach(pfn));
}

Test(s2page, host_fault_on_a_granted_vm_page_maps_it)
{
	u64 pfn = pts_ram_pfn(21);

	pts_set_page(pfn, VM, 1, 5);
	host_maps(pfn);
}

Test(s2page, host_fault_on_an_smmu_assigned_vm_page_panics)
{
	u64 pfn = pts_ram_pfn(21);

	pts_set_page(pfn, VM, INVALID, 5); /* count INVALID is not a grant */
	map_page_host(pfn * PAGE_SIZE);
	pts_expect_halt("map_page_host", "owned by 3 count 4294967295");
	cr_assert(!host_can_reach(pfn));
}

/* The machine's PA size (44 bits here, as on cortex-a57) is the limit. */
Test(s2page, host_fault_beyond_the_physical_space_panics)
{
	map_page_host(1ULL << CV_HOSTED_PA_BITS);
	pts_expect_halt("map_page_host",
			"addr 0x100000000000 beyond the 44-bit physical space");
}

/*
 * Above the spec's 40 bits (1 TiB) and below the PA size: MMIO, mapped as
 * device memory like any other (a PCIe 64-bit BAR, QEMU virt's high
 * ECAM at 0x4010000000, a BAR at 0x8000000000 and higher).
 */
Test(s2page, host_fault_on_mmio_above_1tib_maps_it_as_device)
{
	static const u64 pas[] = {0x4010000000ULL, 0x8000000000ULL,
				  KVM_PHYS_SIZE, 0xdcba987000ULL,
				  (1ULL << CV_HOSTED_PA_BITS) - PAGE_SIZE};

	for (u32 i = 0; i < ARRAY_SIZE(pas); i++) {
		u64 pa = pas[i];

		map_page_host(pa + 8);
		pts_expect_running();
		cr_assert(pts_maps(HOSTVISOR, pa + 8, pa + 8, 3), "0x%llx",
			  (unsigned long long)pa);
		cr_assert_eq(pts_translate(HOSTVISOR, pa).pte,
			     pa | PAGE_S2_DEVICE);
	}
}

Test(s2page, host_fault_when_halted_is_a_no_op)
{
	pts_force_halt();
	map_page_host(pts_ram_pa(20));
	cr_assert(!host_can_reach(pts_ram_pfn(20)));
}

/* ---- MemManager: clear_vm_page --------------------------------------- */

Test(s2page, clear_vm_page_returns_the_page_scrubbed)
{
	u64 pfn = pts_ram_pfn(30);

	pts_set_page(pfn, VM, 1, 0x77); /* granted, so the host maps it */
	host_maps(pfn);
	pts_fill_page(pfn, 0x5a);
	clear_vm_page(VM, pfn);
	pts_expect_running();
	expect_page(pfn, HOSTVISOR, 0, INVALID64);
	cr_assert(pts_page_is(pfn, 0));
	cr_assert(!host_can_reach(pfn));
	cr_assert_eq(walk_s2pt(HOSTVISOR, pfn * PAGE_SIZE), PAGE_GUEST);
	host_maps(pfn); /* the host's own page again */
	no_locks_held();
}

Test(s2page, clear_vm_page_leaves_other_owners_alone)
{
	u64 host = pts_ram_pfn(31), other = pts_ram_pfn(32);

	pts_set_page(other, VM2, 0, 3);
	pts_fill_page(host, 0x11);
	pts_fill_page(other, 0x22);
	clear_vm_page(VM, host);
	clear_vm_page(VM, other);
	clear_vm_page(VM, reserved_pfn(0));
	clear_vm_page(VM, mmio_pfn());
	pts_expect_running();
	expect_page(host, HOSTVISOR, 0, INVALID64);
	expect_page(other, VM2, 0, 3);
	expect_page(reserved_pfn(0), COREVISOR, 0, INVALID64);
	cr_assert(pts_page_is(host, 0x11));
	cr_assert(pts_page_is(other, 0x22));
}

Test(s2page, clear_vm_page_for_a_non_vm_panics)
{
	clear_vm_page(COREVISOR, reserved_pfn(0));
	pts_expect_halt("clear_vm_page", "vmid 16 is not a VM");
	expect_page(reserved_pfn(0), COREVISOR, 0, INVALID64);
	pts_boot();
	clear_vm_page(HOSTVISOR, pts_ram_pfn(0));
	pts_expect_halt("clear_vm_page", "vmid 0 is not a VM");
}

Test(s2page, clear_vm_page_pfn_out_of_range_panics)
{
	clear_vm_page(VM, KVM_PFN_SPACE);
	pts_expect_halt("clear_vm_page", "out of range");
}

Test(s2page, clear_vm_page_when_halted_is_a_no_op)
{
	u64 pfn = pts_ram_pfn(30);

	pts_set_page(pfn, VM, 0, 1);
	pts_fill_page(pfn, 0x5a);
	pts_force_halt();
	clear_vm_page(VM, pfn);
	cr_assert_eq(cv.s2page[30].owner, VM);
	cr_assert(pts_page_is(pfn, 0x5a));
}

/* ---- MemManager: assign_pfn_to_vm ------------------------------------ */

Test(s2page, assign_takes_a_host_page_out_of_the_host)
{
	u64 pfn = pts_ram_pfn(40);

	host_maps(pfn);
	pts_fill_page(pfn, 0x3c);
	assign_pfn_to_vm(VM, 0x123, pfn);
	pts_expect_running();
	expect_page(pfn, VM, 0, 0x123);
	cr_assert(!host_can_reach(pfn));
	cr_assert(pts_page_is(pfn, 0x3c)); /* contents come with the page */
	no_locks_held();
}

Test(s2page, assign_of_an_unmapped_host_page_maps_nothing)
{
	u64 pfn = pts_ram_pfn(40);

	assign_pfn_to_vm(VM, 0x123, pfn);
	pts_expect_running();
	expect_page(pfn, VM, 0, 0x123);
	cr_assert_eq(walk_s2pt(HOSTVISOR, pfn * PAGE_SIZE), 0);
}

Test(s2page, assign_of_a_shared_host_page_panics)
{
	u64 pfn = pts_ram_pfn(41);

	pts_set_page(pfn, HOSTVISOR, 1, INVALID64);
	assign_pfn_to_vm(VM, 0x1, pfn);
	pts_expect_halt("assign_pfn_to_vm", "host pfn");
	expect_page(pfn, HOSTVISOR, 1, INVALID64);
}

Test(s2page, assign_of_own_page_fills_in_gfn_and_count)
{
	u64 a = pts_ram_pfn(42), b = pts_ram_pfn(43), c = pts_ram_pfn(44);

	pts_set_page(a, VM, 0, INVALID64);
	pts_set_page(b, VM, INVALID, 0x9);
	pts_set_page(c, VM, 2, 0xa);
	assign_pfn_to_vm(VM, 0x8, a);
	assign_pfn_to_vm(VM, 0x9, b);
	assign_pfn_to_vm(VM, 0xa, c);
	pts_expect_running();
	expect_page(a, VM, 0, 0x8);
	expect_page(b, VM, 0, 0x9);
	expect_page(c, VM, 2, 0xa);
}

Test(s2page, assign_of_own_unmapped_smmu_page_resets_count)
{
	u64 a = pts_ram_pfn(42);

	pts_set_page(a, VM, INVALID, INVALID64);
	assign_pfn_to_vm(VM, 0x8, a);
	pts_expect_running();
	expect_page(a, VM, 0, 0x8);
}

Test(s2page, assign_of_own_page_at_another_gfn_panics)
{
	u64 pfn = pts_ram_pfn(42);

	pts_set_page(pfn, VM, 0, 0x8);
	assign_pfn_to_vm(VM, 0x9, pfn);
	pts_expect_halt("assign_pfn_to_vm", "at gfn 0x8 not 0x9");
	expect_page(pfn, VM, 0, 0x8);
}

Test(s2page, assign_of_another_vms_page_panics)
{
	u64 pfn = pts_ram_pfn(42);

	pts_set_page(pfn, VM2, 0, 0x8);
	assign_pfn_to_vm(VM, 0x8, pfn);
	pts_expect_halt("assign_pfn_to_vm", "owned by 4");
	expect_page(pfn, VM2, 0, 0x8);
}

Test(s2page, assign_of_core_memory_or_mmio_panics)
{
	assign_pfn_to_vm(VM, 0x8, reserved_pfn(0));
	pts_expect_halt("assign_pfn_to_vm", "owned by 16");
	pts_boot();
	assign_pfn_to_vm(VM, 0x8, mmio_pfn());
	pts_expect_halt("assign_pfn_to_vm", "owned by 4294967295");
}

Test(s2page, assign_bad_arguments_panic)
{
	assign_pfn_to_vm(COREVISOR, 0, pts_ram_pfn(1));
	pts_expect_halt("assign_pfn_to_vm", "vmid 16 is not a VM");
	pts_boot();
	assign_pfn_to_vm(VM, KVM_GFN_SPACE, pts_ram_pfn(1));
	pts_expect_halt("assign_pfn_to_vm", "gfn 0x1000000000 out of range");
	pts_boot();
	assign_pfn_to_vm(VM, 0, KVM_PFN_SPACE);
	pts_expect_halt("assign_pfn_to_vm", "pfn 0x10000000 out of range");
	expect_page(pts_ram_pfn(1), HOSTVISOR, 0, INVALID64);
}

Test(s2page, assign_when_halted_is_a_no_op)
{
	pts_force_halt();
	assign_pfn_to_vm(VM, 1, pts_ram_pfn(1));
	cr_assert_eq(cv.s2page[1].owner, HOSTVISOR);
}

/* ---- MemManager: map_pfn_vm / map_vm_io ------------------------------ */

Test(s2page, map_pfn_vm_maps_pages_and_blocks_as_ram)
{
	u64 blk = cv_hosted_ram_base() + 4 * PMD_SIZE;
	struct cv_translation t;

	map_pfn_vm(VM, 0x5000, pts_ram_pa(5) | 0xfff, 3);
	map_pfn_vm(VM, 0x6000, pts_ram_pa(6), 7); /* not 2: a page */
	map_pfn_vm(VM, 3 * PMD_SIZE, blk, 2);
	pts_expect_running();
	t = pts_translate(VM, 0x5000);
	cr_assert(t.valid);
	cr_assert_eq(t.pte, pts_ram_pa(5) | PAGE_S2_RAM);
	cr_assert(pts_maps(VM, 0x6000, pts_ram_pa(6), 3));
	t = pts_translate(VM, 3 * PMD_SIZE + 0x1000);
	cr_assert(t.valid);
	cr_assert_eq(t.level, 2);
	cr_assert_eq(t.pte, blk | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(t.pa, blk + 0x1000);
}

Test(s2page, map_pfn_vm_for_a_non_vm_panics)
{
	map_pfn_vm(HOSTVISOR, 0x5000, pts_ram_pa(5), 3);
	pts_expect_halt("map_pfn_vm", "vmid 0 is not a VM");
	cr_assert(!pts_translate(HOSTVISOR, 0x5000).valid);
}

Test(s2page, map_pfn_vm_when_halted_is_a_no_op)
{
	pts_force_halt();
	map_pfn_vm(VM, 0x5000, pts_ram_pa(5), 3);
	cr_assert(!pts_translate(VM, 0x5000).valid);
}

Test(s2page, map_vm_io_maps_mmio_as_device_and_refuses_ram)
{
	struct cv_translation t;

	map_vm_io(VM, 0x8000000, PTS_MMIO_PA + 0x10);
	map_vm_io(VM, 0x9000000, pts_ram_pa(3));
	map_vm_io(VM, 0xa000000, reserved_pfn(0) * PAGE_SIZE);
	pts_expect_running();
	t = pts_translate(VM, 0x8000000);
	cr_assert(t.valid);
	cr_assert_eq(t.pte, PTS_MMIO_PA | PAGE_S2_DEVICE);
	cr_assert(!pts_translate(VM, 0x9000000).valid);
	cr_assert(!pts_translate(VM, 0xa000000).valid);
	no_locks_held();
}

Test(s2page, map_vm_io_bad_arguments_panic)
{
	map_vm_io(0, 0, PTS_MMIO_PA);
	pts_expect_halt("map_vm_io", "vmid 0 is not a VM");
	pts_boot();
	map_vm_io(VM, 1ULL << 48, PTS_MMIO_PA);
	pts_expect_halt("map_vm_io", "beyond 48 bits");
	pts_boot();
	map_vm_io(VM, 0, 1ULL << 48);
	pts_expect_halt("map_vm_io", "beyond 48 bits");
}

Test(s2page, map_vm_io_when_halted_is_a_no_op)
{
	pts_force_halt();
	map_vm_io(VM, 0x8000000, PTS_MMIO_PA);
	cr_assert(!pts_translate(VM, 0x8000000).valid);
}

/* ---- MemManager: grant / revoke -------------------------------------- */

Test(s2page, grant_counts_shares_up_to_the_limit)
{
	u64 pfn = pts_ram_pfn(50);

	pts_set_page(pfn, VM, 0, 0x50);
	grant_vm_page(VM, pfn);
	grant_vm_page(VM, pfn);
	expect_page(pfn, VM, 2, 0x50);
	pts_set_page(pfn, VM, MAX_SHARE_COUNT - 1, 0x50);
	grant_vm_page(VM, pfn);
	grant_vm_page(VM, pfn);
	pts_expect_running();
	expect_page(pfn, VM, MAX_SHARE_COUNT, 0x50);
	no_locks_held();
}

Test(s2page, grant_of_a_page_not_the_vms_does_nothing)
{
	u64 other = pts_ram_pfn(51), smmu = pts_ram_pfn(52);

	pts_set_page(other, VM2, 0, 1);
	pts_set_page(smmu, VM, INVALID, 2);
	grant_vm_page(VM, other);
	grant_vm_page(VM, smmu);
	grant_vm_page(VM, pts_ram_pfn(53));
	grant_vm_page(VM, mmio_pfn());
	pts_expect_running();
	expect_page(other, VM2, 0, 1);
	expect_page(smmu, VM, INVALID, 2);
	expect_page(pts_ram_pfn(53), HOSTVISOR, 0, INVALID64);
}

Test(s2page, grant_bad_arguments_panic)
{
	grant_vm_page(COREVISOR, reserved_pfn(0));
	pts_expect_halt("grant_vm_page", "vmid 16 is not a VM");
	pts_boot();
	grant_vm_page(VM, KVM_GFN_SPACE);
	pts_expect_halt("grant_vm_page", "out of range");
}

Test(s2page, grant_when_halted_is_a_no_op)
{
	u64 pfn = pts_ram_pfn(50);

	pts_set_page(pfn, VM, 0, 0x50);
	pts_force_halt();
	grant_vm_page(VM, pfn);
	cr_assert_eq(cv.s2page[50].count, 0);
}

Test(s2page, revoke_of_the_last_share_takes_the_page_from_the_host)
{
	u64 pfn = pts_ram_pfn(54);

	pts_set_page(pfn, VM, 2, 0x54);
	host_maps(pfn);
	revoke_vm_page(VM, pfn);
	pts_expect_running();
	expect_page(pfn, VM, 1, 0x54);
	cr_assert(host_can_reach(pfn));
	revoke_vm_page(VM, pfn);
	pts_expect_running();
	expect_page(pfn, VM, 0, 0x54);
	cr_assert(!host_can_reach(pfn));
	revoke_vm_page(VM, pfn); /* nothing left to revoke */
	pts_expect_running();
	expect_page(pfn, VM, 0, 0x54);
	no_locks_held();
}

Test(s2page, revoke_of_a_page_not_shared_by_the_vm_does_nothing)
{
	u64 other = pts_ram_pfn(55), smmu = pts_ram_pfn(56);

	pts_set_page(other, VM2, 3, 1);
	pts_set_page(smmu, VM, INVALID, 2);
	revoke_vm_page(VM, other);
	revoke_vm_page(VM, smmu);
	revoke_vm_page(VM, pts_ram_pfn(57));
	pts_expect_running();
	expect_page(other, VM2, 3, 1);
	expect_page(smmu, VM, INVALID, 2);
	expect_page(pts_ram_pfn(57), HOSTVISOR, 0, INVALID64);
}

Test(s2page, revoke_bad_arguments_panic)
{
	revoke_vm_page(HOSTVISOR, pts_ram_pfn(1));
	pts_expect_halt("revoke_vm_page", "vmid 0 is not a VM");
	pts_boot();
	revoke_vm_page(VM, ~0ULL);
	pts_expect_halt("revoke_vm_page", "out of range");
}

Test(s2page, revoke_when_halted_is_a_no_op)
{
	u64 pfn = pts_ram_pfn(54);

	pts_set_page(pfn, VM, 1, 0x54);
	host_maps(pfn);
	pts_force_halt();
	revoke_vm_page(VM, pfn);
	cr_assert_eq(cv.s2page[54].count, 1);
	cr_assert(host_can_reach(pfn));
}

/* ---- MemManager: SMMU ------------------------------------------------ */

Test(s2page, assign_to_smmu_takes_a_host_page_for_the_vm)
{
	u64 pfn = pts_ram_pfn(60);

	host_maps(pfn);
	assign_pfn_to_smmu(VM, 0x60, pfn);
	pts_expect_running();
	expect_page(pfn, VM, INVALID, 0x60);
	cr_assert_eq(cv.s2page[60].count, 0xff);
	cr_assert(!host_can_reach(pfn));
	no_locks_held();
}

Test(s2page, assign_to_smmu_of_own_page_changes_nothing)
{
	u64 pfn = pts_ram_pfn(60);

	pts_set_page(pfn, VM, 0, 0x61);
	assign_pfn_to_smmu(VM, 0x60, pfn);
	pts_expect_running();
	expect_page(pfn, VM, 0, 0x61);
}

Test(s2page, assign_to_smmu_of_a_shared_host_page_panics)
{
	u64 pfn = pts_ram_pfn(60);

	pts_set_page(pfn, HOSTVISOR, 2, INVALID64);
	assign_pfn_to_smmu(VM, 0x60, pfn);
	pts_expect_halt("assign_pfn_to_smmu", "count 2");
	expect_page(pfn, HOSTVISOR, 2, INVALID64);
}

Test(s2page, assign_to_smmu_of_someone_elses_page_panics)
{
	assign_pfn_to_smmu(VM, 0x60, reserved_pfn(1));
	pts_expect_halt("assign_pfn_to_smmu", "owned by 16");
	pts_boot();
	pts_set_page(pts_ram_pfn(60), VM2, 0, 1);
	assign_pfn_to_smmu(VM, 0x60, pts_ram_pfn(60));
	pts_expect_halt("assign_pfn_to_smmu", "owned by 4");
}

Test(s2page, assign_to_smmu_bad_arguments_panic)
{
	assign_pfn_to_smmu(HOSTVISOR, 0x60, pts_ram_pfn(60));
	pts_expect_halt("assign_pfn_to_smmu", "vmid 0 is not a VM");
	pts_boot();
	assign_pfn_to_smmu(VM, KVM_GFN_SPACE, pts_ram_pfn(60));
	pts_expect_halt("assign_pfn_to_smmu", "gfn");
	pts_boot();
	assign_pfn_to_smmu(VM, 0, KVM_PFN_SPACE);
	pts_expect_halt("assign_pfn_to_smmu", "pfn");
}

Test(s2page, assign_to_smmu_when_halted_is_a_no_op)
{
	pts_force_halt();
	assign_pfn_to_smmu(VM, 0x60, pts_ram_pfn(60));
	cr_assert_eq(cv.s2page[60].owner, HOSTVISOR);
}

static bool smmu_maps(u32 index, u32 cbndx, u64 iova, u64 pa)
{
	struct cv_translation t;

	return cv_hosted_smmu_translate(index, cbndx, iova, &t) && t.valid &&
	       t.pa == pa;
}

Test(s2page, smmu_map_of_an_assigned_vm_page_at_its_gfn)
{
	u64 pfn = pts_ram_pfn(61), iova = 0x61ULL * PAGE_SIZE;

	assign_pfn_to_smmu(VM, 0x61, pfn);
	update_smmu_page(VM, 2, 1, iova, pfn * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_running();
	cr_assert(smmu_maps(1, 2, iova, pfn * PAGE_SIZE));
	expect_page(pfn, VM, INVALID, 0x61);
	no_locks_held();
}

Test(s2page, smmu_map_at_another_gfn_panics)
{
	u64 pfn = pts_ram_pfn(61);

	assign_pfn_to_smmu(VM, 0x61, pfn);
	update_smmu_page(VM, 2, 1, 0x62ULL * PAGE_SIZE,
			 pfn * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_halt("update_smmu_page", "owned by 3 at gfn 0x61");
	cr_assert(!smmu_maps(1, 2, 0x62ULL * PAGE_SIZE, pfn * PAGE_SIZE));
}

Test(s2page, smmu_map_of_another_principals_page_panics)
{
	u64 pfn = pts_ram_pfn(61);

	assign_pfn_to_smmu(VM2, 0x61, pfn);
	update_smmu_page(VM, 0, 0, 0x61ULL * PAGE_SIZE,
			 pfn * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_halt("update_smmu_page", "owned by 4");
	cr_assert(!smmu_maps(0, 0, 0x61ULL * PAGE_SIZE, pfn * PAGE_SIZE));
}

Test(s2page, smmu_map_of_a_host_page_without_a_gfn_panics)
{
	/* Host pages carry no gfn (spec: pfn + SMMU_HOST_OFFSET, never an
	 * iova). */
	u64 pfn = pts_ram_pfn(62);

	update_smmu_page(HOSTVISOR, 0, 0, pfn * PAGE_SIZE,
			 pfn * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_halt("update_smmu_page", "owned by 0");
}

Test(s2page, smmu_map_of_mmio_or_core_memory_panics)
{
	update_smmu_page(VM, 0, 0, 0, PTS_MMIO_PA | PAGE_S2_DEVICE);
	pts_expect_halt("update_smmu_page", "owned by 4294967295");
	pts_boot();
	update_smmu_page(HOSTVISOR, 0, 0, 0,
			 reserved_pfn(0) * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_halt("update_smmu_page", "owned by 16");
}

Test(s2page, smmu_map_of_a_host_page_counts_up_to_the_cfg_size)
{
	u64 pfn = pts_ram_pfn(63), iova = pfn * PAGE_SIZE;

	pts_set_page(pfn, HOSTVISOR, 0, pfn); /* staged: a flat host gfn */
	update_smmu_page(HOSTVISOR, 1, 0, iova, iova | PAGE_S2_RAM);
	pts_expect_running();
	expect_page(pfn, HOSTVISOR, 1, pfn);
	cr_assert(smmu_maps(0, 1, iova, iova));
	pts_set_page(pfn, HOSTVISOR, EL2_SMMU_CFG_SIZE, pfn);
	update_smmu_page(HOSTVISOR, 2, 0, iova, iova | PAGE_S2_RAM);
	pts_expect_running();
	expect_page(pfn, HOSTVISOR, EL2_SMMU_CFG_SIZE, pfn);
	cr_assert(smmu_maps(0, 2, iova, iova));
}

Test(s2page, smmu_map_bad_arguments_panic)
{
	update_smmu_page(17, 0, 0, 0, 0);
	pts_expect_halt("update_smmu_page", "vmid 17");
	pts_boot();
	update_smmu_page(VM, 0, SMMU_NUM, 0, 0);
	pts_expect_halt("update_smmu_page", "smmu 2 context bank 0");
	pts_boot();
	update_smmu_page(VM, SMMU_NUM_CTXT_BANKS, 0, 0, 0);
	pts_expect_halt("update_smmu_page", "context bank 8");
	pts_boot();
	update_smmu_page(VM, 0, 0, 1ULL << 40, 0);
	pts_expect_halt("update_smmu_page", "beyond 40 bits");
}

Test(s2page, smmu_map_when_halted_is_a_no_op)
{
	u64 pfn = pts_ram_pfn(61);

	assign_pfn_to_smmu(VM, 0x61, pfn);
	pts_force_halt();
	update_smmu_page(VM, 2, 1, 0x61ULL * PAGE_SIZE,
			 pfn * PAGE_SIZE | PAGE_S2_RAM);
	cr_assert(!smmu_maps(1, 2, 0x61ULL * PAGE_SIZE, pfn * PAGE_SIZE));
}

Test(s2page, smmu_unmap_of_a_host_page_drops_one_count)
{
	u64 pfn = pts_ram_pfn(63), iova = pfn * PAGE_SIZE;

	pts_set_page(pfn, HOSTVISOR, 0, pfn);
	update_smmu_page(HOSTVISOR, 1, 0, iova, iova | PAGE_S2_RAM);
	update_smmu_page(HOSTVISOR, 2, 0, iova, iova | PAGE_S2_RAM);
	expect_page(pfn, HOSTVISOR, 2, pfn);
	unmap_smmu_page(1, 0, iova);
	pts_expect_running();
	expect_page(pfn, HOSTVISOR, 1, pfn);
	cr_assert(!smmu_maps(0, 1, iova, iova));
	cr_assert(smmu_maps(0, 2, iova, iova));
	no_locks_held();
}

Test(s2page, smmu_unmap_never_drops_a_count_below_zero)
{
	u64 pfn = pts_ram_pfn(64), iova = 0x1000;

	map_spt(0, 0, iova, pfn * PAGE_SIZE | PAGE_S2_RAM);
	unmap_smmu_page(0, 0, iova);
	pts_expect_running();
	expect_page(pfn, HOSTVISOR, 0, INVALID64);
	cr_assert(!smmu_maps(0, 0, iova, pfn * PAGE_SIZE));
}

Test(s2page, smmu_unmap_of_a_vm_page_or_nothing_keeps_counts)
{
	u64 pfn = pts_ram_pfn(61), iova = 0x61ULL * PAGE_SIZE;
	u64 pg0 = pts_ram_pfn(0);

	assign_pfn_to_smmu(VM, 0x61, pfn);
	update_smmu_page(VM, 2, 1, iova, pfn * PAGE_SIZE | PAGE_S2_RAM);
	unmap_smmu_page(2, 1, iova);
	pts_set_page(pg0, HOSTVISOR, 1, INVALID64);
	unmap_smmu_page(2, 1, 0x5000); /* nothing mapped there */
	pts_expect_running();
	expect_page(pfn, VM, INVALID, 0x61);
	expect_page(pg0, HOSTVISOR, 1, INVALID64);
	cr_assert(!smmu_maps(1, 2, iova, pfn * PAGE_SIZE));
}

Test(s2page, smmu_unmap_bad_arguments_panic)
{
	unmap_smmu_page(0, SMMU_NUM, 0);
	pts_expect_halt("unmap_smmu_page", "smmu 2");
	pts_boot();
	unmap_smmu_page(SMMU_NUM_CTXT_BANKS, 0, 0);
	pts_expect_halt("unmap_smmu_page", "context bank 8");
	pts_boot();
	unmap_smmu_page(0, 0, ~0ULL);
	pts_expect_halt("unmap_smmu_page", "beyond 40 bits");
}

Test(s2page, smmu_unmap_when_halted_is_a_no_op)
{
	u64 pfn = pts_ram_pfn(63), iova = pfn * PAGE_SIZE;

	pts_set_page(pfn, HOSTVISOR, 0, pfn);
	update_smmu_page(HOSTVISOR, 1, 0, iova, iova | PAGE_S2_RAM);
	pts_force_halt();
	unmap_smmu_page(1, 0, iova);
	cr_assert_eq(cv.s2page[63].count, 1);
	cr_assert(smmu_maps(0, 1, iova, iova));
}

/* ---- MemoryOps: clear_vm_range --------------------------------------- */

Test(s2page, clear_vm_range_reclaims_the_vms_pages_in_range)
{
	u64 p = pts_ram_pfn(70);

	for (u64 i = 0; i < 4; i++) {
		pts_set_page(p + i, VM, 0, i);
		pts_fill_page(p + i, 0x77);
	}
	pts_set_page(p + 1, VM2, 0, 1); /* another VM's page in the range */
	clear_vm_range(VM, p, 3);
	pts_expect_running();
	expect_page(p, HOSTVISOR, 0, INVALID64);
	expect_page(p + 1, VM2, 0, 1);
	expect_page(p + 2, HOSTVISOR, 0, INVALID64);
	expect_page(p + 3, VM, 0, 3); /* past the range */
	cr_assert(pts_page_is(p, 0));
	cr_assert(pts_page_is(p + 1, 0x77));
	cr_assert(pts_page_is(p + 2, 0));
	cr_assert(pts_page_is(p + 3, 0x77));
	no_locks_held();
}

Test(s2page, clear_vm_range_over_holes_and_region_edges)
{
	u64 first = pts_ram_pfn(0), last = pts_ram_pfn(ram_pages() - 1);

	pts_set_page(first, VM, 0, 1);
	pts_set_page(last, VM, 0, 2);
	clear_vm_range(VM, 0, last + 1); /* from pfn 0, over MMIO */
	pts_expect_running();
	expect_page(first, HOSTVISOR, 0, INVALID64);
	expect_page(last, HOSTVISOR, 0, INVALID64);
	expect_page(reserved_pfn(0), COREVISOR, 0, INVALID64);
}

Test(s2page, clear_vm_range_bad_arguments_panic)
{
	clear_vm_range(COREVISOR, reserved_pfn(0), 1);
	pts_expect_halt("clear_vm_range", "vmid 16 is not a VM");
	expect_page(reserved_pfn(0), COREVISOR, 0, INVALID64);
	pts_boot();
	clear_vm_range(VM, KVM_PFN_SPACE - 1, 2);
	pts_expect_halt("clear_vm_range", "out of range");
	pts_boot();
	clear_vm_range(VM, 0, KVM_PFN_SPACE);
	pts_expect_halt("clear_vm_range", "out of range");
	pts_boot();
	clear_vm_range(VM, KVM_PFN_SPACE, 0);
	pts_expect_halt("clear_vm_range", "out of range");
}

Test(s2page, clear_vm_range_when_halted_is_a_no_op)
{
	pts_set_page(pts_ram_pfn(70), VM, 0, 0);
	pts_force_halt();
	clear_vm_range(VM, pts_ram_pfn(70), 1);
	cr_assert_eq(cv.s2page[70].owner, VM);
}

/* ---- MemoryOps: prot_and_map_vm_s2pt --------------------------------- */

Test(s2page, vm_fault_on_a_page_assigns_and_maps_it)
{
	u64 pfn = pts_ram_pfn(80), gpa = 0x7654000;

	host_maps(pfn);
	prot_and_map_vm_s2pt(VM, gpa + 0x10, pfn * PAGE_SIZE | 0x7ff, 3);
	pts_expect_running();
	expect_page(pfn, VM, 0, gpa / PAGE_SIZE);
	cr_assert(pts_maps(VM, gpa + 0x10, pfn * PAGE_SIZE + 0x10, 3));
	cr_assert(!host_can_reach(pfn));
	no_locks_held();
}

Test(s2page, vm_fault_on_a_block_assigns_512_pages_and_maps_the_block)
{
	u64 pa = cv_hosted_ram_base() + 6 * PMD_SIZE, pfn = pa / PAGE_SIZE;
	u64 gpa = 11 * PMD_SIZE;

	host_maps(pfn + 3);
	prot_and_map_vm_s2pt(VM, gpa + 0x5000, pa, 2);
	pts_expect_running();
	for (u64 i = 0; i < PMD_PAGE_NUM; i++)
		cr_assert_eq(cv.s2page[pfn - pts_ram_pfn(0) + i].gfn,
			     gpa / PAGE_SIZE + i);
	expect_page(pfn, VM, 0, gpa / PAGE_SIZE);
	expect_page(pfn + 511, VM, 0, gpa / PAGE_SIZE + 511);
	expect_page(pfn + 512, HOSTVISOR, 0, INVALID64);
	cr_assert(pts_maps(VM, gpa + 0x1ff000, pa + 0x1ff000, 2));
	cr_assert(!host_can_reach(pfn + 3));
}

Test(s2page, vm_fault_on_a_misaligned_block_panics)
{
	u64 pa = cv_hosted_ram_base() + 6 * PMD_SIZE + PAGE_SIZE;

	prot_and_map_vm_s2pt(VM, 0, pa, 2);
	pts_expect_halt("prot_and_map_vm_s2pt", "not 2 MiB aligned");
	expect_page(pa / PAGE_SIZE, HOSTVISOR, 0, INVALID64);
	cr_assert(!pts_translate(VM, 0).valid);
}

Test(s2page, vm_fault_on_a_block_with_a_foreign_page_panics_unmapped)
{
	u64 pa = cv_hosted_ram_base() + 6 * PMD_SIZE, pfn = pa / PAGE_SIZE;

	pts_set_page(pfn + 7, VM2, 0, 7);
	prot_and_map_vm_s2pt(VM, 0, pa, 2);
	pts_expect_halt("assign_pfn_to_vm", "owned by 4");
	expect_page(pfn + 6, VM, 0, 6);
	expect_page(pfn + 8, HOSTVISOR, 0, INVALID64);
	cr_assert(!pts_translate(VM, 0).valid);
}

Test(s2page, vm_fault_on_a_foreign_page_panics_unmapped)
{
	prot_and_map_vm_s2pt(VM, 0x1000, reserved_pfn(0) * PAGE_SIZE, 3);
	pts_expect_halt("assign_pfn_to_vm", "owned by 16");
	cr_assert(!pts_translate(VM, 0x1000).valid);
}

Test(s2page, vm_fault_bad_arguments_panic)
{
	prot_and_map_vm_s2pt(HOSTVISOR, 0, pts_ram_pa(1), 3);
	pts_expect_halt("prot_and_map_vm_s2pt", "vmid 0 is not a VM");
	pts_boot();
	prot_and_map_vm_s2pt(VM, 1ULL << 48, pts_ram_pa(1), 3);
	pts_expect_halt("prot_and_map_vm_s2pt", "beyond 48 bits");
	expect_page(pts_ram_pfn(1), HOSTVISOR, 0, INVALID64);
}

Test(s2page, vm_fault_when_halted_is_a_no_op)
{
	pts_force_halt();
	prot_and_map_vm_s2pt(VM, 0x1000, pts_ram_pa(1), 3);
	cr_assert_eq(cv.s2page[1].owner, HOSTVISOR);
	cr_assert(!pts_translate(VM, 0x1000).valid);
}

/* ---- MemoryOps: grant / revoke ranges -------------------------------- */

/* VM maps host RAM page @n at @gpa (as its stage-2 fault would). */
static void vm_page(u64 gpa, u64 n)
{
	prot_and_map_vm_s2pt(VM, gpa, pts_ram_pa(n), 3);
	pts_expect_running();
}

Test(s2page, grant_range_shares_each_mapped_page)
{
	vm_page(0x10000, 90);
	vm_page(0x12000, 92);
	grant_stage2_sg_gpa(VM, 0x10000, 0x3000);
	pts_expect_running();
	expect_page(pts_ram_pfn(90), VM, 1, 0x10);
	expect_page(pts_ram_pfn(92), VM, 1, 0x12);
	grant_stage2_sg_gpa(VM, 0x10800,
			    0x1801); /* 0x10800..0x12000: 2 pages */
	expect_page(pts_ram_pfn(90), VM, 2, 0x10);
	expect_page(pts_ram_pfn(92), VM, 1, 0x12);
	grant_stage2_sg_gpa(VM, 0x12000, 0);
	pts_expect_running();
	expect_page(pts_ram_pfn(92), VM, 1, 0x12);
	host_maps(pts_ram_pfn(90)); /* now the host may map it */
	no_locks_held();
}

Test(s2page, grant_range_in_a_block_shares_the_right_page)
{
	u64 pa = cv_hosted_ram_base() + 6 * PMD_SIZE, pfn = pa / PAGE_SIZE;

	prot_and_map_vm_s2pt(VM, 2 * PMD_SIZE, pa, 2);
	grant_stage2_sg_gpa(VM, 2 * PMD_SIZE + 5 * PAGE_SIZE, PAGE_SIZE);
	pts_expect_running();
	expect_page(pfn + 5, VM, 1, 2 * PTRS_PER_PMD + 5);
	expect_page(pfn + 4, VM, 0, 2 * PTRS_PER_PMD + 4);
	expect_page(pfn + 6, VM, 0, 2 * PTRS_PER_PMD + 6);
}

Test(s2page, grant_range_over_mmio_does_nothing)
{
	map_vm_io(VM, 0x20000, PTS_MMIO_PA);
	grant_stage2_sg_gpa(VM, 0x20000, PAGE_SIZE);
	pts_expect_running();
	expect_page(mmio_pfn(), INVALID, INVALID, INVALID64);
}

Test(s2page, revoke_range_withdraws_shares)
{
	vm_page(0x10000, 90);
	vm_page(0x11000, 91);
	grant_stage2_sg_gpa(VM, 0x10000, 0x2000);
	grant_stage2_sg_gpa(VM, 0x10000, 0x1000);
	host_maps(pts_ram_pfn(90));
	host_maps(pts_ram_pfn(91));
	revoke_stage2_sg_gpa(VM, 0x10000, 0x2000);
	pts_expect_running();
	expect_page(pts_ram_pfn(90), VM, 1, 0x10);
	expect_page(pts_ram_pfn(91), VM, 0, 0x11);
	cr_assert(host_can_reach(pts_ram_pfn(90)));
	cr_assert(!host_can_reach(pts_ram_pfn(91)));
	no_locks_held();
}

Test(s2page, revoke_range_in_a_block_withdraws_the_right_page)
{
	u64 pa = cv_hosted_ram_base() + 6 * PMD_SIZE, pfn = pa / PAGE_SIZE;
	u64 gpa = 2 * PMD_SIZE + 9 * PAGE_SIZE;

	prot_and_map_vm_s2pt(VM, 2 * PMD_SIZE, pa, 2);
	grant_stage2_sg_gpa(VM, gpa, 2 * PAGE_SIZE);
	revoke_stage2_sg_gpa(VM, gpa + PAGE_SIZE, PAGE_SIZE);
	pts_expect_running();
	expect_page(pfn + 9, VM, 1, 2 * PTRS_PER_PMD + 9);
	expect_page(pfn + 10, VM, 0, 2 * PTRS_PER_PMD + 10);
}

Test(s2page, sg_ranges_bad_arguments_panic)
{
	grant_stage2_sg_gpa(HOSTVISOR, 0, 1);
	pts_expect_halt("grant_stage2_sg_gpa", "vmid 0 is not a VM");
	pts_boot();
	revoke_stage2_sg_gpa(COREVISOR, 0, 1);
	pts_expect_halt("revoke_stage2_sg_gpa", "vmid 16 is not a VM");
	pts_boot();
	grant_stage2_sg_gpa(VM, 1ULL << 48, 1);
	pts_expect_halt("grant_stage2_sg_gpa", "beyond 48 bits");
	pts_boot();
	revoke_stage2_sg_gpa(VM, 0, 1ULL << 48);
	pts_expect_halt("revoke_stage2_sg_gpa", "beyond 48 bits");
	pts_boot();
	grant_stage2_sg_gpa(VM, KVM_ADDR_SPACE - PAGE_SIZE, PAGE_SIZE + 1);
	pts_expect_halt("grant_stage2_sg_gpa", "beyond 48 bits");
}

Test(s2page, sg_range_ending_at_the_top_of_the_space_is_fine)
{
	grant_stage2_sg_gpa(VM, KVM_ADDR_SPACE - PAGE_SIZE, PAGE_SIZE);
	revoke_stage2_sg_gpa(VM, KVM_ADDR_SPACE - 2 * PAGE_SIZE, 2 * PAGE_SIZE);
	pts_expect_running();
}

Test(s2page, sg_ranges_when_halted_are_no_ops)
{
	vm_page(0x10000, 90);
	grant_stage2_sg_gpa(VM, 0x10000, 0x1000);
	pts_force_halt();
	grant_stage2_sg_gpa(VM, 0x10000, 0x1000);
	revoke_stage2_sg_gpa(VM, 0x10000, 0x1000);
	cr_assert_eq(cv.s2page[90].count, 1);
}
