// SPDX-License-Identifier: MIT
/*
 * The security-invariant checker (core/inv). States the core builds
 * through its own operations satisfy every clause; for each clause a
 * deliberate corruption (a table entry written through cv_hosted_phys, or
 * an s2page / cv field written directly) is reported under that clause,
 * naming the page, address or principal involved.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>

#include <corevisor/hosted.h>
#include <hosted_internal.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/mem.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

#include "boot_support.h"

static void boot(void)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
}

TestSuite(inv, .init = boot);

static char why[512];

static void expect_ok(void)
{
	cr_assert(!cv_hosted_halted(), "core halted: %s",
		  cv_hosted_halt_reason());
	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "violated: %s",
		     why);
	cr_assert_str_empty(why);
}

/* The first violation is @clause, and the description contains @what. */
static void expect_violation(const char *clause, const char *what)
{
	size_t n = strlen(clause);

	cr_assert_neq(check_invariants(why, sizeof(why)), 0,
		      "no violation, expected %s", clause);
	cr_assert(strncmp(why, clause, n) == 0 && why[n] == ':',
		  "expected %s, got \"%s\"", clause, why);
	cr_assert(strstr(why, what), "\"%s\" lacks \"%s\"", why, what);
	/* The clause alone fails too. */
	cr_assert_eq(check_invariant(clause, why, sizeof(why)), 1);
}

static u64 ram_pfn(u64 n)
{
	return cv_hosted_ram_base() / PAGE_SIZE + n;
}

static void host_touch(u64 pfn)
{
	u8 b;

	cr_assert(cv_hosted_host_read(pfn * PAGE_SIZE, &b, 1));
}

/* Principal @vmid's table entry for @addr at @level (0..3), all tables. */
static u64 *npt_entry(u32 vmid, u64 addr, u32 level)
{
	u32 idx[4] = {pgd_index(addr), pud_index(addr), pmd_index(addr),
		      pte_index(addr)};
	u64 table = cv.npts[vmid].pool, *e = NULL;

	for (u32 l = 0; l <= level; l++) {
		e = (u64 *)cv_hosted_phys(table) + idx[l];
		if (l < level) {
			cr_assert_eq(*e & 3, 3, "no level-%u table for 0x%llx",
				     l + 1, (unsigned long long)addr);
			table = phys_page(*e);
		}
	}
	return e;
}

/* SMMU (index, cbndx)'s entry for @iova at @level (1..3). */
static u64 *spt_entry(u32 index, u32 cbndx, u64 iova, u32 level)
{
	u64 root = cv.spt.pool + smmu_id(index, cbndx) * 2 * PAGE_SIZE;
	u64 *e = (u64 *)cv_hosted_phys(root) + ((iova >> 30) & 1023);

	if (level == 1)
		return e;
	e = (u64 *)cv_hosted_phys(phys_page(*e)) + pmd_index(iova);
	if (level == 2)
		return e;
	return (u64 *)cv_hosted_phys(phys_page(*e)) + pte_index(iova);
}

static struct s2page *page(u64 pfn)
{
	u64 i = get_s2_page_index(pfn * PAGE_SIZE);

	cr_assert_neq(i, INVALID64);
	return &cv.s2page[i];
}

/* A VM whose device (SMMU 1, context bank 2) maps one of its pages. */
static u32 vm_with_device(u64 pfn, u64 gfn)
{
	u32 vmid = register_kvm();

	cr_assert(is_vm(vmid));
	/* What MmioOps' el2_alloc_smmu_pgd records for the bank. */
	cv.smmu_vmid[smmu_id(1, 2)] = vmid;
	alloc_smmu(vmid, 2, 1);
	assign_smmu(vmid, pfn, gfn);
	map_smmu(vmid, 2, 1, gfn * PAGE_SIZE, pfn * PAGE_SIZE | PAGE_S2_RAM);
	cr_assert(!cv_hosted_halted(), "%s", cv_hosted_halt_reason());
	return vmid;
}

/* ---- States the core builds hold every clause ------------------------- */

Test(inv, fresh_boot_holds)
{
	static const char *const names[] = {
		"spt_cons",	  "host_npt_cons",  "npt_cons",
		"host_flatmap",	  "s2page_range",   "host_s2_map",
		"page_0_invalid", "host_block_own", "host_iso",
		"vm_iso",	  "smmu_vm",	    "smmu_iso",
		"smmu_count",	  "cpu_range"};

	expect_ok();
	for (u32 i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_eq(check_invariant(names[i], why, sizeof(why)), 0,
			     "%s: %s", names[i], why);
}

Test(inv, host_ram_and_mmio_mappings_hold)
{
	host_touch(ram_pfn(0));
	host_touch(ram_pfn(1));
	host_touch(ram_pfn(4096));
	struct cv_translation t;

	map_page_host(0x09000000); /* MMIO: owner INVALID, device memory */
	cr_assert(cv_hosted_translate(HOSTVISOR, 0x09000000, &t) && t.valid);
	expect_ok();
}

Test(inv, vm_pages_blocks_io_and_grants_hold)
{
	u32 vmid = register_kvm();
	u64 block = ALIGN_UP(ram_pfn(8192), PTRS_PER_PMD);

	host_touch(ram_pfn(10));
	host_touch(ram_pfn(11));
	expect_ok();
	/* The host gives page 10 to the VM: it leaves the host's stage 2. */
	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	prot_and_map_vm_s2pt(vmid, 0x80200000, block * PAGE_SIZE, 2);
	map_vm_io(vmid, 0x09000000, 0x09000000);
	cr_assert(!cv_hosted_halted(), "%s", cv_hosted_halt_reason());
	expect_ok();
	/* Shared back with the host, then revoked. */
	grant_vm_page(vmid, ram_pfn(10));
	host_touch(ram_pfn(10));
	expect_ok();
	revoke_vm_page(vmid, ram_pfn(10));
	expect_ok();
	/* The VM is destroyed: its pages go back to the host, scrubbed. */
	set_vm_poweroff(vmid);
	clear_vm_page(vmid, ram_pfn(10));
	host_touch(ram_pfn(10));
	expect_ok();
}

Test(inv, vm_device_mappings_hold)
{
	u32 vmid = vm_with_device(ram_pfn(20), 0x345);

	cr_assert_eq(walk_spt(2, 1, 0x345 * PAGE_SIZE) & PTE_ADDR_MASK,
		     ram_pfn(20) * PAGE_SIZE);
	expect_ok();
	prot_and_map_vm_s2pt(vmid, 0x345 * PAGE_SIZE, ram_pfn(20) * PAGE_SIZE,
			     3);
	expect_ok();
	clear_smmu(vmid, 2, 1, 0x345 * PAGE_SIZE);
	expect_ok();
}

/* The whole boot protocol through hypercalls, checked after every step. */
Test(inv, boot_protocol_holds_at_every_step)
{
	const u64 load = 0x80000000ULL, pa = bs_ram(0x8000); /* 2 MiB aligned */
	u8 payload[3 * PAGE_SIZE + 100], byte = 0;
	size_t size;
	u8 *img;
	u32 vmid;

	bs_boot(); /* a fresh machine that trusts the test's key */
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	expect_ok();
	bs_pattern(payload, sizeof(payload), 3);
	img = bs_make_image(payload, sizeof(payload), load, bs_sk, &size);
	vmid = bs_new_vm(2);
	expect_ok();
	bs_load_image(vmid, load, pa, img, size);
	expect_ok();
	cr_assert_eq(bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0), 0);
	bs_expect_running();
	expect_ok();
	set_vcpu_active(vmid, 0); /* as a VCPU_RUN in progress holds it */
	cr_assert(cv_hosted_host_write(bs_ram(3), &byte, 1));
	expect_ok();
	/* The VM is destroyed and its memory handed back (MemoryOps). */
	set_vm_poweroff(vmid);
	clear_vm_range(vmid, pa / PAGE_SIZE, PMD_PAGE_NUM);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	expect_ok();
	free(img);
}

/* ---- spt_cons --------------------------------------------------------- */

Test(inv, spt_cons_entry_that_is_not_a_table)
{
	*spt_entry(0, 3, 5ULL << 30, 1) = 0x40000001; /* a 1 GiB block */
	expect_violation("spt_cons",
			 "iova 0x140000000 is neither empty nor a table");
}

Test(inv, spt_cons_table_outside_its_area)
{
	/* Level-1 entry linking a page of host RAM instead of the pool. */
	*spt_entry(1, 0, 0, 1) = ram_pfn(3) * PAGE_SIZE | 3;
	expect_violation("spt_cons", "smmu 1 context bank 0 level-1");
}

Test(inv, spt_cons_table_past_the_cursor)
{
	map_spt(0, 0, 0x1000, ram_pfn(1) * PAGE_SIZE | PAGE_S2_RAM);
	/* Level-2 entry linking a level-3 page not yet allocated. */
	*spt_entry(0, 0, 0x1000, 2) = cv.spt.pmd_next | 3;
	expect_violation("spt_cons", "outside its pool area");
}

/* ---- host_npt_cons / npt_cons ----------------------------------------- */

Test(inv, npt_cons_table_at_the_cursor)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	expect_ok();
	/* Level-2 entry linking the level-3 page the pool hands out next. */
	*npt_entry(vmid, 0x80000000, 2) = cv.npts[vmid].pmd_next | 3;
	expect_violation("npt_cons", "links a table outside its pool area");
}

/* The host's RAM comes in 2 MiB blocks: a RAM block of host pages holds. */
Test(inv, host_npt_cons_ram_block_in_host_table_holds)
{
	u64 ipa = ram_pfn(0) * PAGE_SIZE;

	host_touch(ram_pfn(0));
	cr_assert_eq(*npt_entry(HOSTVISOR, ipa, 2), ipa | PAGE_S2_RAM_BLOCK);
	expect_ok();
}

/* Any other level-2 leaf (here a device block) breaks host_npt_cons. */
Test(inv, host_npt_cons_device_block_in_host_table)
{
	u64 ipa = ram_pfn(0) * PAGE_SIZE;

	host_touch(ram_pfn(0));
	*npt_entry(HOSTVISOR, ipa, 2) = ipa | S2_ATTR_DEVICE | PTE_TYPE_BLOCK;
	expect_violation("host_npt_cons", "is not a RAM block");
}

Test(inv, host_npt_cons_level0_garbage)
{
	*npt_entry(HOSTVISOR, 0, 0) = 0x12345000; /* invalid, nonzero */
	expect_violation("host_npt_cons", "level-0 entry 0x12345000");
}

Test(inv, npt_cons_vm_table_into_host_ram)
{
	u32 vmid = register_kvm();

	*npt_entry(vmid, 0, 0) = ram_pfn(6) * PAGE_SIZE | 3;
	expect_violation("npt_cons", "links a table outside its pool area");
	cr_assert(strstr(why, "vm 1 "), "%s", why);
}

Test(inv, npt_cons_misaligned_block)
{
	u32 vmid = register_kvm();
	u64 block = ALIGN_UP(ram_pfn(8192), PTRS_PER_PMD);

	prot_and_map_vm_s2pt(vmid, 0x80000000, block * PAGE_SIZE, 2);
	expect_ok();
	*npt_entry(vmid, 0x80000000, 2) += PAGE_SIZE;
	expect_violation("npt_cons", "not 2 MiB aligned");
}

Test(inv, npt_cons_core_table_checked_too)
{
	/* The core's own EL2 table (COREVISOR) must be well formed too. */
	*npt_entry(COREVISOR, 0x7f0000000000ULL, 0) = 0xdead0001;
	expect_violation("npt_cons", "vm 16 level-0 entry 0xdead0001");
}

/* ---- host_flatmap ----------------------------------------------------- */

Test(inv, host_flatmap_ipa_not_pa)
{
	u64 ipa = ram_pfn(2) * PAGE_SIZE;

	map_s2pt(HOSTVISOR, ipa, 3, ipa | PAGE_S2_RAM); /* a page leaf */
	/* The host's ipa now reaches another host page. */
	*npt_entry(HOSTVISOR, ipa, 3) = ram_pfn(3) * PAGE_SIZE | PAGE_S2_RAM;
	expect_violation("host_flatmap", "maps pfn 0x40003");
}

/* ---- s2page_range ----------------------------------------------------- */

Test(inv, s2page_range_owner)
{
	page(ram_pfn(7))->owner = 17;
	expect_violation("s2page_range", "pfn 0x40007 owner 17");
}

Test(inv, s2page_range_count)
{
	page(ram_pfn(7))->count = MAX_SHARE_COUNT + 1;
	expect_violation("s2page_range", "count 101");
}

Test(inv, s2page_range_layout)
{
	cv.s2page_num--;
	expect_violation("s2page_range", "region pages");
}

/* ---- host_s2_map ------------------------------------------------------ */

Test(inv, host_s2_map_host_page_with_gfn)
{
	page(ram_pfn(9))->gfn = 0x1234;
	expect_violation("host_s2_map", "host pfn 0x40009 has gfn 0x1234");
}

/* ---- page_0_invalid --------------------------------------------------- */

Test(inv, page_0_invalid_region_at_zero)
{
	cv.regions[0].base = 0; /* RAM's entries now describe pfn 0.. */
	expect_violation("page_0_invalid", "pfn 0 has owner 0");
}

/* ---- host_iso --------------------------------------------------------- */

Test(inv, host_iso_host_maps_vm_page)
{
	u64 pa = ram_pfn(12) * PAGE_SIZE;

	map_s2pt(HOSTVISOR, pa, 3, pa | PAGE_S2_RAM); /* a page leaf */
	page(ram_pfn(12))->owner = 3; /* given away, host mapping left */
	expect_violation("host_iso", "pfn 0x4000c owned by 3 count 0");
}

/* ---- host_block_own ---------------------------------------------------- */

/* A page given away under the host's block, the block left in place. */
Test(inv, host_block_own_block_over_a_vm_page)
{
	host_touch(ram_pfn(12));
	expect_ok();
	page(ram_pfn(12))->owner = 3;
	expect_violation(
		"host_block_own",
		"block at ipa 0x40000000 covers pfn 0x4000c owned by 3");
}

/*
 * A page a VM granted the host (count > 0) satisfies host_iso, but a
 * block must not cover it: only the host's own pages come in blocks.
 */
Test(inv, host_block_own_block_over_a_granted_page)
{
	host_touch(ram_pfn(0x200 + 7));
	page(ram_pfn(0x200 + 7))->owner = 2;
	page(ram_pfn(0x200 + 7))->count = 1;
	cr_assert_eq(check_invariant("host_iso", why, sizeof(why)), 0, "%s",
		     why);
	expect_violation("host_block_own", "pfn 0x40207 owned by 2 count 1");
}

/*
 * A host block over MMIO (pages in no region) is flagged, though host_iso
 * admits MMIO: MMIO is device memory, mapped a page at a time.
 */
Test(inv, host_block_own_block_over_mmio)
{
	map_s2pt(HOSTVISOR, 0x08000000, 2, 0x08000000 | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(check_invariant("host_iso", why, sizeof(why)), 0, "%s",
		     why);
	expect_violation("host_block_own", "pfn 0x8000 owned by 4294967295");
}

Test(inv, host_iso_host_maps_core_page)
{
	u64 pfn = cv_hosted_reserved_base() / PAGE_SIZE;

	cr_assert_eq(cv_hosted_page_owner(pfn), COREVISOR);
	/* A host leaf (flat, so host_flatmap holds) over the core's memory. */
	map_s2pt(HOSTVISOR, pfn * PAGE_SIZE, 3, pfn * PAGE_SIZE | PAGE_S2_RAM);
	expect_violation("host_iso", "owned by 16");
}

Test(inv, host_iso_smmu_assigned_count_is_no_grant)
{
	vm_with_device(ram_pfn(20), 0x345);
	expect_ok();
	cr_assert_eq(page(ram_pfn(20))->count, 0xff); /* INVALID */
	/* The host's stage 2 regains the page: its INVALID count is no grant.
	 */
	map_s2pt(HOSTVISOR, ram_pfn(20) * PAGE_SIZE, 3,
		 ram_pfn(20) * PAGE_SIZE | PAGE_S2_RAM);
	expect_violation("host_iso", "owned by 1 count 4294967295");
}

Test(inv, host_iso_granted_page_is_fine)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	grant_vm_page(vmid, ram_pfn(10));
	host_touch(ram_pfn(10));
	expect_ok();
	page(ram_pfn(10))->count = 0; /* the grant vanishes, the mapping not */
	expect_violation("host_iso", "owned by 1 count 0");
}

/* ---- vm_iso ----------------------------------------------------------- */

Test(inv, vm_iso_vm_maps_host_page)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	expect_ok();
	*npt_entry(vmid, 0x80000000, 3) = ram_pfn(11) * PAGE_SIZE | PAGE_S2_RAM;
	expect_violation("vm_iso",
			 "vm 1 gfn 0x80000 maps pfn 0x4000b owned by 0");
}

Test(inv, vm_iso_page_returned_while_vm_runs)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	/* clear_vm_range is for powered-off VMs: this one still maps it. */
	clear_vm_page(vmid, ram_pfn(10));
	expect_violation("vm_iso",
			 "vm 1 gfn 0x80000 maps pfn 0x4000a owned by 0");
}

Test(inv, vm_iso_page_inside_block_given_away)
{
	u32 vmid = register_kvm();
	u64 block = ALIGN_UP(ram_pfn(8192), PTRS_PER_PMD);

	prot_and_map_vm_s2pt(vmid, 0x80200000, block * PAGE_SIZE, 2);
	page(block + 7)->owner = HOSTVISOR;
	page(block + 7)->gfn = S2PAGE_GFN_NONE;
	expect_violation("vm_iso", "gfn 0x80207");
}

Test(inv, vm_iso_not_checked_after_poweroff)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	*npt_entry(vmid, 0x80000000, 3) = ram_pfn(11) * PAGE_SIZE | PAGE_S2_RAM;
	expect_violation("vm_iso", "vm 1");
	/* The spec's vm_iso covers VMs in state <= VERIFIED only. */
	cv.vminfos[vmid].state = POWEROFF;
	expect_ok();
}

/* vm_iso holds for a VM in every state up to VERIFIED, VERIFIED included. */
Test(inv, vm_iso_checked_while_ready_and_verified)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	*npt_entry(vmid, 0x80000000, 3) = ram_pfn(11) * PAGE_SIZE | PAGE_S2_RAM;
	cr_assert_eq(cv.vminfos[vmid].state, READY);
	expect_violation("vm_iso", "vm 1 gfn 0x80000 maps pfn 0x4000b");
	cv.vminfos[vmid].state = VERIFIED;
	expect_violation("vm_iso", "vm 1 gfn 0x80000 maps pfn 0x4000b");
}

/* ---- smmu_vm ---------------------------------------------------------- */

Test(inv, smmu_vm_bank_of_the_core)
{
	cv.smmu_vmid[smmu_id(1, 5)] = COREVISOR;
	expect_violation("smmu_vm", "smmu 1 context bank 5 belongs to 16");
}

/* ---- smmu_iso --------------------------------------------------------- */

Test(inv, smmu_iso_vm_device_maps_host_page)
{
	vm_with_device(ram_pfn(20), 0x345);
	/* Behind update_smmu_page's back: a host page in the VM's bank. */
	map_spt(2, 1, 0x346 * PAGE_SIZE, ram_pfn(21) * PAGE_SIZE | PAGE_S2_RAM);
	expect_violation("smmu_iso", "iova 0x346000 to pfn 0x40015 owned by 0");
}

Test(inv, smmu_iso_wrong_gfn)
{
	vm_with_device(ram_pfn(20), 0x345);
	page(ram_pfn(20))->gfn = 0x999;
	expect_violation("smmu_iso", "at gfn 0x999");
}

Test(inv, smmu_iso_invalid_leaf_with_address_counts)
{
	vm_with_device(ram_pfn(20), 0x345);
	/* Not valid for the hardware, but the core takes it as a mapping. */
	map_spt(2, 1, 0x400000, ram_pfn(22) * PAGE_SIZE);
	expect_violation("smmu_iso", "pfn 0x40016");
}

Test(inv, smmu_iso_host_bank_maps_vm_page)
{
	u32 vmid = register_kvm();

	prot_and_map_vm_s2pt(vmid, 0x80000000, ram_pfn(10) * PAGE_SIZE, 3);
	cv.smmu_vmid[smmu_id(0, 0)] = HOSTVISOR;
	map_spt(0, 0, 0x1000, ram_pfn(10) * PAGE_SIZE | PAGE_S2_RAM);
	expect_violation("smmu_iso", "smmu 0 context bank 0 of vm 0");
}

/*
 * corevisor: a powered-off VM's banks are checked too (its device can
 * still DMA through them); only unassigned banks are not.
 */
Test(inv, smmu_iso_dead_banks_checked_unassigned_unchecked)
{
	u32 vmid = vm_with_device(ram_pfn(20), 0x345);

	map_spt(2, 1, 0x346 * PAGE_SIZE, ram_pfn(21) * PAGE_SIZE | PAGE_S2_RAM);
	expect_violation("smmu_iso", "vm 1");
	cv.vminfos[vmid].state = POWEROFF;
	expect_violation("smmu_iso", "vm 1 maps iova 0x346000 to pfn 0x40015 "
				     "owned by 0");
	cv.smmu_vmid[smmu_id(1, 2)] = INVALID;
	expect_ok();
}

/* ---- smmu_count ------------------------------------------------------- */

/*
 * A host page has no gfn (host_s2_map), so smmu_iso already rejects any
 * host-bank mapping of it and check_invariants reports that first; the
 * clause is checked on its own here.
 */
Test(inv, smmu_count_host_page_mapped_by_host_banks)
{
	u64 pfn = ram_pfn(30), iova = 0x5000;

	cv.smmu_vmid[smmu_id(0, 1)] = HOSTVISOR;
	cv.smmu_vmid[smmu_id(1, 1)] = HOSTVISOR;
	map_spt(1, 0, iova, pfn * PAGE_SIZE | PAGE_S2_RAM);
	cr_assert_eq(check_invariant("smmu_count", why, sizeof(why)), 1);
	cr_assert(strstr(why, "smmu_count: host pfn 0x4001e count 0 but 1"),
		  "%s", why);
	expect_violation("smmu_iso", "vm 0");

	page(pfn)->count = 1;
	cr_assert_eq(check_invariant("smmu_count", why, sizeof(why)), 0, "%s",
		     why);
	map_spt(1, 1, iova, pfn * PAGE_SIZE | PAGE_S2_RAM);
	cr_assert_eq(check_invariant("smmu_count", why, sizeof(why)), 1);
	cr_assert(strstr(why, "count 1 but 2 host SMMU mappings"), "%s", why);
	page(pfn)->count = 2;
	cr_assert_eq(check_invariant("smmu_count", why, sizeof(why)), 0, "%s",
		     why);
}

Test(inv, smmu_count_ignores_vm_banks)
{
	vm_with_device(ram_pfn(20), 0x345);
	cr_assert_eq(check_invariant("smmu_count", why, sizeof(why)), 0, "%s",
		     why);
}

/* ---- cpu_range -------------------------------------------------------- */

Test(inv, cpu_range_vmid)
{
	cv.cpus[3].cur_vmid = NUM_PRINCIPALS;
	expect_violation("cpu_range", "cpu 3 cur_vmid 17");
}

Test(inv, cpu_range_vcpuid)
{
	cv.cpus[1].cur_vcpuid = VCPU_PER_VM;
	expect_violation("cpu_range", "cpu 1 cur_vcpuid 8");
}

/* ---- The interface ---------------------------------------------------- */

Test(inv, first_violation_in_clause_order)
{
	cv.cpus[0].cur_vmid = 99;
	page(ram_pfn(9))->gfn = 0x1234;
	*spt_entry(0, 0, 0, 1) = 1;
	expect_violation("spt_cons", "smmu 0 context bank 0");
	*spt_entry(0, 0, 0, 1) = 0;
	expect_violation("host_s2_map", "pfn 0x40009");
}

Test(inv, unknown_clause_and_small_buffers)
{
	char small[12];

	cr_assert_eq(check_invariant("no_such_clause", why, sizeof(why)), -1);
	cr_assert_eq(check_invariant(NULL, why, sizeof(why)), -1);
	cv.smmu_vmid[0] = 20;
	cr_assert_eq(check_invariants(NULL, 0), 1);
	cr_assert_eq(check_invariants(small, sizeof(small)), 1);
	cr_assert_str_eq(small, "smmu_vm: sm");
	cr_assert_eq(check_invariants(small, 4), 1);
	cr_assert_str_eq(small, "smm");
}

Test(inv, checker_changes_nothing)
{
	u64 next;

	vm_with_device(ram_pfn(20), 0x345);
	next = cv.spt.pgd_next;
	expect_ok();
	cr_assert_eq(cv.spt.pgd_next, next);
	cr_assert_eq(cv_hosted_page_owner(ram_pfn(20)), 1);
	cr_assert(!cv_hosted_halted());
}
