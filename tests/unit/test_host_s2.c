// SPDX-License-Identifier: MIT
/*
 * The host's stage 2 in 2 MiB blocks (core/s2page map_page_host, core/pt
 * clear_pfn_host and host_pool_geometry): a host fault maps the whole
 * 2 MiB when every page of it is the host's, a page alone otherwise
 * (shared pages, the core's pages, MMIO, region edges); every path that
 * takes a page from the host (assign to a VM, the image load, SMMU
 * assignment, a sealed page's load) splits the block first, and the page
 * leaves every TLB; pages that come back map one at a time in the table
 * the split left; the host's pool, sized from the memory map, holds the
 * largest map the core accepts; faults up to the PA size. Observed through
 * translations (the hosted MMU), the TLB model, the hook counters, pool
 * cursors, page owners and the security invariants.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>
#include <hosted_internal.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "boot_support.h"
#include "vm_support.h"

TestSuite(host_s2, .init = bs_boot);

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define GFN 0x80123ULL

static char why[256];

static void inv_ok(void)
{
	bs_expect_running();
	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "violated: %s",
		     why);
}

/* Host RAM 2 MiB block @n (from the start of RAM) and its page @i. */
static u64 blk(u64 n)
{
	return cv_hosted_ram_base() + n * PMD_SIZE;
}

static u64 blk_page(u64 n, u64 i)
{
	return blk(n) + i * PAGE_SIZE;
}

/* The level the host's table maps @pa at (2 block, 3 page), 0: unmapped. */
static u32 host_level(u64 pa)
{
	struct cv_translation t;

	if (!cv_hosted_translate(HOSTVISOR, pa, &t) || !t.valid)
		return 0;
	cr_assert_eq(t.pa, pa, "the host's stage 2 is flat");
	return t.level;
}

static void host_touch(u64 pa)
{
	u8 b;

	cr_assert(cv_hosted_host_read(pa, &b, 1), "host read of 0x%llx",
		  (unsigned long long)pa);
	bs_expect_running();
}

static u64 host_faults(void)
{
	struct cv_hosted_counters c;

	cv_hosted_get_counters(&c);
	return c.host_faults;
}

/* Level-3 tables the host's pool has handed out. */
static u64 host_pmd_used(void)
{
	const struct npt *n = &cv.npts[HOSTVISOR];

	return (n->pmd_next - n->pool - n->geom.pmd_offset) / PAGE_SIZE;
}

static bool in_a_tlb(u64 pa)
{
	struct cv_translation t;

	for (u32 cpu = 0; cpu < TOTAL_CPU; cpu++)
		if (cv_hosted_tlb_lookup(cpu, HOSTVISOR, pa, &t))
			return true;
	return false;
}

/*
 * Every page of block @n but those of @gone (count @ngone) is mapped at
 * level 3 and readable with no fault; those of @gone are not mapped.
 */
static void expect_split(u64 n, const u64 *gone, u32 ngone)
{
	u64 f = host_faults();

	cr_assert_eq(s2pt_pmd_type(HOSTVISOR, blk(n)), PMD_TABLE);
	for (u64 i = 0; i < PTRS_PER_PMD; i++) {
		bool left = false;

		for (u32 k = 0; k < ngone; k++)
			left |= gone[k] == blk_page(n, i);
		if (left) {
			cr_assert_eq(host_level(blk_page(n, i)), 0,
				     "page %llu left the host",
				     (unsigned long long)i);
			continue;
		}
		cr_assert_eq(host_level(blk_page(n, i)), 3, "page %llu",
			     (unsigned long long)i);
		host_touch(blk_page(n, i));
	}
	cr_assert_eq(host_faults(), f, "the split kept the other pages");
}

/* ---- A fault maps the host's 2 MiB ------------------------------------- */

Test(host_s2, one_fault_maps_the_hosts_whole_2mib_as_a_block)
{
	u64 f = host_faults(), used = host_pmd_used();

	for (u64 i = 0; i < PTRS_PER_PMD; i++)
		host_touch(blk_page(3, i));
	cr_assert_eq(host_faults(), f + 1, "one fault per 2 MiB");
	cr_assert_eq(host_pmd_used(), used, "no level-3 table");
	cr_assert_eq(s2pt_pmd_type(HOSTVISOR, blk(3)), PMD_BLOCK);
	cr_assert_eq(walk_s2pt(HOSTVISOR, blk_page(3, 77)),
		     blk(3) | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(host_level(blk_page(3, 511)), 2);
	cr_assert_eq(host_level(blk(4)), 0, "the next 2 MiB is its own");
	cr_assert_eq(host_level(blk(2)), 0);
	inv_ok();
}

/*
 * A second fault inside a block already mapped (another CPU won the race,
 * or a stale TLB miss): nothing to do, no panic, nothing flushed.
 */
Test(host_s2, a_fault_inside_a_mapped_block_changes_nothing)
{
	struct cv_hosted_counters c0, c1;
	struct npt before;

	map_page_host(blk_page(5, 1));
	before = cv.npts[HOSTVISOR];
	cv_hosted_get_counters(&c0);
	map_page_host(blk_page(5, 300));
	map_page_host(blk_page(5, 1) + 17);
	cv_hosted_get_counters(&c1);
	bs_expect_running();
	cr_assert_eq(memcmp(&before, &cv.npts[HOSTVISOR], sizeof(before)), 0);
	cr_assert_eq(walk_s2pt(HOSTVISOR, blk(5)), blk(5) | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(c1.tlb_flush_ipa[HOSTVISOR], c0.tlb_flush_ipa[HOSTVISOR]);
	cr_assert_eq(c1.pt_sync, c0.pt_sync);
}

/* CPUs racing on the same fresh blocks: one block each, no panic. */
struct racer {
	u32 cpu;
	pthread_t thread;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	u8 b;

	cv_hosted_set_cpu(r->cpu);
	for (u64 n = 40; n < 56; n++)
		for (u64 i = r->cpu; i < PTRS_PER_PMD; i += 61)
			if (!cv_hosted_host_read(blk_page(n, i), &b, 1))
				return NULL;
	return arg;
}

Test(host_s2, cpus_faulting_on_one_block_at_once_map_it_once)
{
	struct racer r[4];
	void *ok;

	for (u32 i = 0; i < 4; i++) {
		r[i].cpu = i;
		cr_assert_eq(pthread_create(&r[i].thread, NULL, race, &r[i]),
			     0);
	}
	for (u32 i = 0; i < 4; i++) {
		pthread_join(r[i].thread, &ok);
		cr_assert_eq(ok, &r[i], "cpu %u's reads failed", i);
	}
	cv_hosted_set_cpu(0);
	for (u64 n = 40; n < 56; n++)
		cr_assert_eq(s2pt_pmd_type(HOSTVISOR, blk(n)), PMD_BLOCK);
	inv_ok();
}

/* ---- A page leaves the host: the block splits ------------------------- */

Test(host_s2, assign_to_a_vm_splits_the_block_and_flushes_it)
{
	u32 vmid = bs_new_vm(1);
	u64 p = blk_page(6, 200), used;
	u8 b;

	host_touch(blk_page(6, 0));
	cr_assert_eq(host_level(p), 2);
	/* CPUs 0 and 2 cache the block. */
	host_touch(p);
	cv_hosted_set_cpu(2);
	host_touch(blk_page(6, 9));
	cv_hosted_set_cpu(0);
	cr_assert(in_a_tlb(p));
	used = host_pmd_used();

	assign_pfn_to_vm(vmid, GFN, p / PAGE_SIZE);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(p / PAGE_SIZE), vmid);
	cr_assert_eq(host_pmd_used(), used + 1, "one level-3 table");
	cr_assert_not(in_a_tlb(p), "no CPU keeps the page");
	cr_assert_not(in_a_tlb(blk_page(6, 9)), "the block left every TLB");
	expect_split(6, &p, 1);
	inv_ok();

	/* The host reaching for the page now is an attack. */
	cr_assert_not(cv_hosted_host_read(p, &b, 1));
	bs_expect_halt("map_page_host", "owned by 1");
}

/*
 * The image load (VERIFY_VM_IMAGES: unmap_and_load_vm_image moves the
 * image's 2 MiB to the VM, 512 assign_pfn_to_vm): the host wrote the
 * image through a block; afterwards no page of that 2 MiB is the host's
 * or mapped for it, and the 2 MiB next to it keeps its block.
 */
Test(host_s2, image_load_takes_the_images_block_and_leaves_the_next)
{
	u64 img = vs_image_pa(0), next = img + PMD_SIZE;
	u32 vmid;

	host_touch(next);
	vmid = vs_new_vm_unverified(1, 0);
	cr_assert_eq(host_level(img), 2, "the host wrote the image");
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	for (u64 i = 0; i < PTRS_PER_PMD; i++) {
		cr_assert_eq(cv_hosted_page_owner(img / PAGE_SIZE + i), vmid);
		cr_assert_eq(host_level(img + i * PAGE_SIZE), 0, "page %llu",
			     (unsigned long long)i);
		cr_assert_not(in_a_tlb(img + i * PAGE_SIZE));
	}
	cr_assert_eq(host_level(next), 2, "the next 2 MiB is still a block");
	cr_assert(bs_maps(vmid, VS_IMAGE_IPA, img));
	inv_ok();
}

Test(host_s2, smmu_assignment_splits_the_block)
{
	u32 vmid = bs_new_vm(1);
	u64 p = blk_page(7, 511);

	host_touch(blk_page(7, 3));
	assign_smmu(vmid, p / PAGE_SIZE, GFN);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(p / PAGE_SIZE), vmid);
	expect_split(7, &p, 1);
	inv_ok();
}

/*
 * load_decrypt_buf (a sealed page comes back into the VM where it lies):
 * the host had the blob's 2 MiB as a block; the page leaves, its header
 * page stays mapped for the host.
 */
Test(host_s2, sealed_page_load_splits_the_block)
{
	u32 vmid = bs_new_vm(1);
	u64 in = blk_page(0, 0x100), out = blk_page(9, 20);
	u8 data[PAGE_SIZE];

	/* Only a verified VM is sealed (a VM of no image measures too). */
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	bs_pattern(data, sizeof(data), 7);
	bs_host_write(in, data, sizeof(data));
	prot_and_map_vm_s2pt(vmid, GFN * PAGE_SIZE, in, 3);
	save_encrypt_buf(vmid, in, out);
	bs_expect_running();
	host_touch(out + PAGE_SIZE);
	cr_assert_eq(host_level(out), 2);

	/*
	 * Restored into a fresh VM (a verified one takes no sealed state),
	 * once the sealed one is off (one instance lives at a time).
	 */
	set_vm_poweroff(vmid);
	vmid = bs_new_vm(1);
	load_decrypt_buf(vmid, out);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), vmid);
	cr_assert_eq(memcmp(cv_hosted_phys(out), data, PAGE_SIZE), 0);
	expect_split(9, &out, 1);
	cr_assert_eq(host_level(out + PAGE_SIZE), 3, "the header stays");
	inv_ok();
}

/* A block split by one page: the next pages to leave need no table. */
Test(host_s2, further_pages_leave_the_split_table)
{
	u32 vmid = bs_new_vm(1);
	u64 gone[3] = {blk_page(10, 0), blk_page(10, 1), blk_page(10, 400)};
	u64 used;

	host_touch(blk_page(10, 5));
	assign_pfn_to_vm(vmid, GFN, gone[0] / PAGE_SIZE);
	used = host_pmd_used();
	assign_pfn_to_vm(vmid, GFN + 1, gone[1] / PAGE_SIZE);
	assign_pfn_to_vm(vmid, GFN + 2, gone[2] / PAGE_SIZE);
	bs_expect_running();
	cr_assert_eq(host_pmd_used(), used);
	expect_split(10, gone, 3);
	inv_ok();
}

/* ---- Pages back to the host: a page at a time, never re-coalesced ----- */

Test(host_s2, pages_given_back_map_alone_in_the_table_the_split_left)
{
	u32 vmid = bs_new_vm(1);
	u64 used, f;

	host_touch(blk(11));
	for (u64 i = 0; i < PTRS_PER_PMD; i++)
		assign_pfn_to_vm(vmid, GFN + i, blk_page(11, i) / PAGE_SIZE);
	bs_expect_running();
	used = host_pmd_used();
	cr_assert_eq(host_level(blk(11)), 0);

	/* The VM is done: its pages come back scrubbed (reclaim). */
	clear_vm_range(vmid, blk(11) / PAGE_SIZE, PTRS_PER_PMD);
	bs_expect_running();
	f = host_faults();
	for (u64 i = 0; i < PTRS_PER_PMD; i++) {
		cr_assert_eq(cv_hosted_page_owner(blk_page(11, i) / PAGE_SIZE),
			     HOSTVISOR);
		host_touch(blk_page(11, i));
		cr_assert_eq(host_level(blk_page(11, i)), 3);
	}
	cr_assert_eq(host_faults(), f + PTRS_PER_PMD, "a fault per page");
	cr_assert_eq(s2pt_pmd_type(HOSTVISOR, blk(11)), PMD_TABLE,
		     "the host owns all 512 again: still pages");
	cr_assert_eq(host_pmd_used(), used, "no new table, none abandoned");
	inv_ok();
}

/* ---- Who else owns a page of the 2 MiB: pages, not a block ------------- */

/*
 * A page a VM shares with the host (count > 0) is the VM's: the host maps
 * it alone, and the host's own pages around it alone too; the VM's last
 * revoke takes it out again.
 */
Test(host_s2, a_granted_page_and_its_neighbours_map_alone)
{
	u32 vmid = bs_new_vm(1);
	u64 p = blk_page(12, 33);

	assign_pfn_to_vm(vmid, GFN, p / PAGE_SIZE);
	grant_vm_page(vmid, p / PAGE_SIZE);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_count(p / PAGE_SIZE), 1);
	host_touch(blk_page(12, 0));
	cr_assert_eq(host_level(blk_page(12, 0)), 3, "not a block");
	host_touch(p);
	cr_assert_eq(host_level(p), 3);
	cr_assert_eq(walk_s2pt(HOSTVISOR, p), p | PAGE_S2_RAM);
	inv_ok();

	revoke_vm_page(vmid, p / PAGE_SIZE);
	bs_expect_running();
	cr_assert_eq(host_level(p), 0);
	cr_assert_eq(host_level(blk_page(12, 0)), 3);
	inv_ok();
}

/* A page the VM only had assigned (count 0): not the host's either. */
Test(host_s2, a_vm_page_keeps_the_host_to_pages)
{
	u32 vmid = bs_new_vm(1);

	assign_pfn_to_vm(vmid, GFN, blk_page(13, 511) / PAGE_SIZE);
	host_touch(blk_page(13, 0));
	cr_assert_eq(host_level(blk_page(13, 0)), 3);
	cr_assert_eq(host_level(blk_page(13, 511)), 0);
	inv_ok();
}

/*
 * The core's own pages (its image at EL2 is given to COREVISOR page by
 * page, own_image): the host maps the rest of that 2 MiB a page at a
 * time, and the core's page never.
 */
Test(host_s2, the_cores_pages_keep_the_host_to_pages)
{
	u64 core = blk_page(14, 100);

	acquire_lock_s2page();
	set_pfn_owner(core / PAGE_SIZE, COREVISOR);
	release_lock_s2page();
	host_touch(blk_page(14, 99));
	cr_assert_eq(host_level(blk_page(14, 99)), 3);
	cr_assert_eq(host_level(core), 0);
	inv_ok();
	map_page_host(core);
	bs_expect_halt("map_page_host", "owned by 16");
}

/* The core's reserved region: no host mapping at all, blocks or pages. */
Test(host_s2, the_cores_reserved_memory_is_never_mapped)
{
	map_page_host(cv_hosted_reserved_base() + 5 * PMD_SIZE);
	bs_expect_halt("map_page_host", "owned by 16");
}

/* ---- Region edges ------------------------------------------------------ */

/*
 * Boot the core again on this machine with RAM as the regions @ram (@n of
 * them, inside the machine's RAM), the core's region unchanged.
 */
static void boot_regions(const struct memblock *ram, u32 n)
{
	static struct cv_boot_params p;

	memset(&p, 0, sizeof(p));
	for (u32 i = 0; i < n; i++)
		p.regions[i] = ram[i];
	p.regions[n].base = cv_hosted_reserved_base();
	p.regions[n].size = cv_hosted_reserved_size();
	p.nregions = n + 1;
	p.reserved_base = cv_hosted_reserved_base();
	p.reserved_size = cv_hosted_reserved_size();
	p.shared_base = cv.shared_base;
	p.pa_bits = CV_HOSTED_PA_BITS;
	cr_assert_eq(cv_boot(&p), 0, "%s", cv_hosted_halt_reason());
	bs_expect_running();
}

/*
 * A region that ends inside a 2 MiB: its last pages map alone, the MMIO
 * after them as device pages in the same level-3 table; the 2 MiB before
 * it, all region pages, as a block.
 */
Test(host_s2, a_region_ending_inside_a_block_maps_it_in_pages)
{
	struct memblock ram[1] = {{blk(0), 8 * PMD_SIZE + 5 * PAGE_SIZE, 0, 0}};
	u64 last = blk_page(8, 4), mmio = blk_page(8, 5);

	boot_regions(ram, 1);
	map_page_host(last);
	bs_expect_running();
	cr_assert_eq(host_level(last), 3);
	cr_assert_eq(walk_s2pt(HOSTVISOR, last), last | PAGE_S2_RAM);
	map_page_host(mmio);
	bs_expect_running();
	cr_assert_eq(walk_s2pt(HOSTVISOR, mmio), mmio | PAGE_S2_DEVICE);
	map_page_host(blk_page(7, 9));
	cr_assert_eq(host_level(blk_page(7, 9)), 2);
	inv_ok();
}

/* A region that starts inside a 2 MiB: the same, from the other side. */
Test(host_s2, a_region_starting_inside_a_block_maps_it_in_pages)
{
	struct memblock ram[1] = {{blk(2) - 3 * PAGE_SIZE, 4 * PMD_SIZE, 0, 0}};

	boot_regions(ram, 1);
	map_page_host(blk(2) - PAGE_SIZE);
	cr_assert_eq(host_level(blk(2) - PAGE_SIZE), 3);
	map_page_host(blk(2) - 4 * PAGE_SIZE);
	cr_assert_eq(walk_s2pt(HOSTVISOR, blk(2) - 4 * PAGE_SIZE),
		     (blk(2) - 4 * PAGE_SIZE) | PAGE_S2_DEVICE);
	map_page_host(blk(2));
	cr_assert_eq(host_level(blk(2)), 2);
	inv_ok();
}

/*
 * Two regions that meet inside a 2 MiB: every page of it is a region
 * page the host owns, yet a block stays inside one region (its s2page
 * entries are not one run of the array in general), so pages.
 */
Test(host_s2, regions_meeting_inside_a_block_map_it_in_pages)
{
	struct memblock ram[2] = {
		{blk(0), 3 * MiB, 0, 0},
		{blk(0) + 3 * MiB, 64 * MiB - 3 * MiB, 0, 0},
	};

	boot_regions(ram, 2);
	for (u64 i = 0; i < PTRS_PER_PMD; i += 255) {
		map_page_host(blk_page(1, i));
		cr_assert_eq(host_level(blk_page(1, i)), 3);
	}
	map_page_host(blk(0));
	map_page_host(blk(2));
	cr_assert_eq(host_level(blk(0)), 2);
	cr_assert_eq(host_level(blk(2)), 2);
	inv_ok();
}

/* ---- The host's pool ---------------------------------------------------- */

Test(host_s2, pool_geometry_counts_every_span_the_regions_touch_once)
{
	/*
	 * 0x40000000 + 3 MiB + 4 KiB: 2 MiB spans 0x200, 0x201; GiB 1.
	 * 0x40400000 + 1 MiB (shares no span with the first at 2 MiB: it
	 * starts in 0x202), then 0x7fe00000 + 4 MiB: spans 0x3ff, 0x400,
	 * GiBs 1 and 2. Last, 1 GiB straddling 512 GiB: 512 spans, 2 GiBs,
	 * two 512 GiB slots.
	 */
	struct memblock r[4] = {
		{0x40000000ULL, 3 * MiB + PAGE_SIZE, 0, 0},
		{0x40400000ULL, MiB, 0, 0},
		{0x7fe00000ULL, 4 * MiB, 0, 0},
		{(512 * GiB) - GiB / 2, GiB, 0, 0},
	};
	struct pt_geometry g;
	u64 pgds = 2, puds = 2 + 2, pmds = 2 + 1 + 2 + 512;

	host_pool_geometry(r, 4, &g);
	cr_assert_eq(g.pud_offset,
		     PGD_OFFSET + (pgds + HOST_MMIO_PGD_PAGES) * PAGE_SIZE);
	cr_assert_eq(g.pmd_offset,
		     g.pud_offset + (puds + HOST_MMIO_PUD_PAGES) * PAGE_SIZE);
	cr_assert_eq(g.pool_bytes,
		     ALIGN_UP(g.pmd_offset +
				      (pmds + HOST_MMIO_PMD_PAGES) * PAGE_SIZE,
			      HOST_POOL_ALIGN));
	/* Two regions in one 2 MiB: one table. */
	r[1].base = 0x40000000ULL + 3 * MiB + 2 * PAGE_SIZE;
	r[1].size = PAGE_SIZE;
	host_pool_geometry(r, 2, &g);
	cr_assert_eq(g.pool_bytes,
		     ALIGN_UP(PGD_OFFSET + (1 + HOST_MMIO_PGD_PAGES + 1 +
					    HOST_MMIO_PUD_PAGES + 2 +
					    HOST_MMIO_PMD_PAGES) *
						   PAGE_SIZE,
			      HOST_POOL_ALIGN));
}

/*
 * vm_pool_geometry_from_ram (CV_VM_POOLS_FROM_RAM, the EL2 build): one
 * table per 512 GiB, 1 GiB and 2 MiB of all the RAM, wherever it lies,
 * plus the VM MMIO budget. 1 GiB + 3 MiB in two regions: 514 level-3,
 * 2 level-2 and 1 level-1 tables.
 */
Test(host_s2, vm_pool_geometry_from_ram_counts_the_ram)
{
	struct memblock r[2] = {
		{0x40000000ULL, GiB, 0, 0},
		{0x100000000ULL, 3 * MiB, 0, 0},
	};
	struct pt_geometry g;

	vm_pool_geometry_from_ram(r, 2, &g);
	cr_assert_eq(g.pud_offset,
		     PGD_OFFSET + (1 + VM_MMIO_PGD_PAGES) * PAGE_SIZE);
	cr_assert_eq(g.pmd_offset,
		     g.pud_offset + (2 + VM_MMIO_PUD_PAGES) * PAGE_SIZE);
	cr_assert_eq(
		g.pool_bytes,
		ALIGN_UP(g.pmd_offset + (514 + VM_MMIO_PMD_PAGES) * PAGE_SIZE,
			 HOST_POOL_ALIGN));
	/* 4 GiB: four times the level-3 tables, four level-2 tables. */
	r[0].size = 4 * GiB;
	vm_pool_geometry_from_ram(r, 1, &g);
	cr_assert_eq(g.pool_bytes,
		     ALIGN_UP(PGD_OFFSET + (1 + VM_MMIO_PGD_PAGES + 4 +
					    VM_MMIO_PUD_PAGES + 2048 +
					    VM_MMIO_PMD_PAGES) *
						   PAGE_SIZE,
			      HOST_POOL_ALIGN));
}

/*
 * cv_boot lays out every VM's pool and the core's with vm_pool_geometry
 * (here the build's fixed one), back to back after the host's, and
 * cv_reserved_bytes counts 16 of them.
 */
Test(host_s2, vm_pools_follow_vm_pool_geometry)
{
	struct pt_geometry g;

	vm_pool_geometry(cv.regions, cv.region_cnt, &g);
	cr_assert_eq(cv.vm_geom.pool_bytes, g.pool_bytes);
	cr_assert_eq(cv.vm_geom.pmd_offset, g.pmd_offset);
	for (u32 vmid = HOSTVISOR + 1; vmid <= COREVISOR; vmid++) {
		const struct npt *n = &cv.npts[vmid];

		cr_assert_eq(n->geom.pool_bytes, g.pool_bytes, "vm %u", vmid);
		cr_assert_eq(n->geom.pud_offset, g.pud_offset, "vm %u", vmid);
		cr_assert_eq(n->geom.pmd_offset, g.pmd_offset, "vm %u", vmid);
		cr_assert_eq(n->pool,
			     cv.npts[HOSTVISOR].pool +
				     cv.npts[HOSTVISOR].geom.pool_bytes +
				     (vmid - 1) * g.pool_bytes,
			     "vm %u", vmid);
	}
}

/*
 * The largest memory map the core accepts (MAX_S2PAGE_NUM pages of
 * regions, 64 GiB: here 63 GiB of RAM and the core's region): the host
 * maps every 2 MiB of RAM as a block and every block is split, the worst
 * the host can do to its RAM, and the pool holds; only MMIO beyond its
 * budget runs it dry.
 */
Test(host_s2, pool_holds_every_block_split_on_the_largest_map, .timeout = 300)
{
	struct cv_hosted_config cfg;
	const struct npt *n = &cv.npts[HOSTVISOR];
	u64 base, chunks, mmio = 0, pa;

	cv_hosted_default_config(&cfg);
	cfg.ram_size = 63 * GiB;
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_leq(cv.s2page_num, MAX_S2PAGE_NUM);
	cr_assert_gt(cv.s2page_num, MAX_S2PAGE_NUM - GiB / PAGE_SIZE,
		     "within 1 GiB of the largest map");
	base = cv_hosted_ram_base();
	chunks = cfg.ram_size / PMD_SIZE;
	for (u64 c = 0; c < chunks; c++) {
		map_page_host(base + c * PMD_SIZE);
		clear_pfn_host((base + c * PMD_SIZE) / PAGE_SIZE + 1);
		if (cv_hosted_halted())
			cr_assert_fail("2 MiB block %llu: %s",
				       (unsigned long long)c,
				       cv_hosted_halt_reason());
	}
	cr_assert_eq(host_pmd_used(), chunks);
	cr_assert_eq(host_level(base + 5 * PAGE_SIZE), 3);
	cr_assert_eq(host_level(base + PAGE_SIZE), 0);
	inv_ok();

	/* MMIO, a new 2 MiB each time (below RAM, then far above it). */
	for (pa = 0;; pa += PMD_SIZE) {
		if (pa == base)
			pa = 128 * GiB;
		map_page_host(pa);
		if (cv_hosted_halted())
			break;
		mmio++;
	}
	bs_expect_halt("alloc_pmd_page", "vm 0 level-3 table pool exhausted");
	cr_assert_geq(mmio, HOST_MMIO_PMD_PAGES, "%llu",
		      (unsigned long long)mmio);
	cr_assert_eq(n->pmd_next, n->pool + n->geom.pool_bytes);
}

/* MMIO scattered over GiBs and 512 GiBs: each level's budget holds. */
Test(host_s2, mmio_budgets_of_levels_1_and_2_hold)
{
	const struct npt *n = &cv.npts[HOSTVISOR];
	u64 k;

	/* A new GiB each time, in the first 512 GiB (past RAM's). */
	for (k = 0;; k++) {
		map_page_host((8 + k) * GiB);
		if (cv_hosted_halted())
			break;
	}
	bs_expect_halt("alloc_pud_page", "vm 0 level-2 table pool exhausted");
	cr_assert_geq(k, HOST_MMIO_PUD_PAGES);
	cr_assert_eq(n->pud_next, n->pool + n->geom.pmd_offset);

	/* A new 512 GiB each time, up to the 44-bit PA size. */
	bs_boot();
	for (k = 1; k < 32; k++) {
		map_page_host(k << PGDIR_SHIFT);
		if (cv_hosted_halted())
			break;
	}
	cr_assert_geq(k - 1, HOST_MMIO_PGD_PAGES);
	if (k < 32) {
		bs_expect_halt("alloc_p", "vm 0 level-");
		cr_assert(n->pgd_next == n->pool + n->geom.pud_offset ||
			  n->pud_next == n->pool + n->geom.pmd_offset);
	}
}

/* ---- The PA size ------------------------------------------------------- */

static int boot_pa_bits(u32 pa_bits, u64 ram_end)
{
	static struct cv_boot_params p;

	memset(&p, 0, sizeof(p));
	p.regions[0].base = cv_hosted_ram_base();
	p.regions[0].size = ram_end - cv_hosted_ram_base();
	p.regions[1].base = cv_hosted_reserved_base();
	p.regions[1].size = cv_hosted_reserved_size();
	p.nregions = 2;
	p.reserved_base = cv_hosted_reserved_base();
	p.reserved_size = cv_hosted_reserved_size();
	p.shared_base = cv.shared_base;
	p.pa_bits = pa_bits;
	return cv_boot(&p);
}

Test(host_s2, boot_takes_a_pa_size_of_32_to_48_bits)
{
	u64 ram_end = cv_hosted_ram_base() + GiB;

	cr_assert_eq(cv.pa_bits, CV_HOSTED_PA_BITS);
	cr_assert_eq(boot_pa_bits(31, ram_end), -1);
	cr_assert_eq(boot_pa_bits(49, ram_end), -1);
	/* The core's region lies above 2 GiB: a 31-bit machine has none. */
	cr_assert_eq(boot_pa_bits(32, ram_end), 0);
	cr_assert_eq(boot_pa_bits(48, ram_end), 0);
	cr_assert_eq(cv.pa_bits, 48);
	map_page_host(0xfffffffff000ULL);
	bs_expect_running();
	cr_assert_eq(walk_s2pt(HOSTVISOR, 0xfffffffff000ULL),
		     0xfffffffff000ULL | PAGE_S2_DEVICE);
}

/* No pa_bits: the spec's 40 bits (KVM_PHYS_SIZE). */
Test(host_s2, boot_without_a_pa_size_keeps_the_specs_40_bits)
{
	cr_assert_eq(boot_pa_bits(0, cv_hosted_ram_base() + GiB), 0);
	cr_assert_eq(cv.pa_bits, 40);
	map_page_host(KVM_PHYS_SIZE - PAGE_SIZE);
	bs_expect_running();
	map_page_host(KVM_PHYS_SIZE);
	bs_expect_halt("map_page_host", "beyond the 40-bit physical space");
}

/*
 * A region the PA size cannot reach is a broken memory map: a page at
 * 64 GiB needs 37 bits.
 */
static int boot_with_ghost(u32 pa_bits)
{
	static struct cv_boot_params p;

	memset(&p, 0, sizeof(p));
	p.regions[0].base = cv_hosted_ram_base();
	p.regions[0].size = GiB;
	p.regions[1].base = cv_hosted_reserved_base();
	p.regions[1].size = cv_hosted_reserved_size();
	p.regions[2].base = 64 * GiB;
	p.regions[2].size = PAGE_SIZE;
	p.nregions = 3;
	p.reserved_base = cv_hosted_reserved_base();
	p.reserved_size = cv_hosted_reserved_size();
	p.pa_bits = pa_bits;
	return cv_boot(&p);
}

Test(host_s2, boot_refuses_ram_beyond_the_pa_size)
{
	cr_assert_lt(cv_hosted_reserved_base() + cv_hosted_reserved_size(),
		     64 * GiB);
	cr_assert_eq(boot_with_ghost(36), -1);
	cr_assert_eq(boot_with_ghost(37), 0);
}
