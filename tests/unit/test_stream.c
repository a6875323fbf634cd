// SPDX-License-Identifier: MIT
/*
 * The host's SMMUv3 streams (core/spt/stream.c, cv/stream.h) on the
 * hosted machine's SMMUv3 (arch/hosted/smmuv3.c): a host device's DMA
 * reaches exactly the pages the host owns, through the SMMU's TLB; a page
 * that leaves the host is out of the table and out of the TLB before its
 * new owner has it; a page that comes back is reachable again, scrubbed;
 * the SMMUv3's registers are never the host's; stream_iso catches a
 * table that maps anything else.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/stream.h>

#include "pt_support.h"

#define VM 3U

static void boot_smmuv3(void)
{
	pts_boot_devices(false, true, VM);
}

TestSuite(stream, .init = boot_smmuv3);

static u64 ram_pfn(u64 n)
{
	return cv_hosted_ram_base() / PAGE_SIZE + n;
}

static bool dma_reads(u64 pfn, void *buf)
{
	return cv_hosted_stream_dma_read(pfn * PAGE_SIZE, buf, 64, NULL);
}

/* HVC_SMMUV3_EVENTS: the faults the SMMU recorded since the last call. */
static u64 events(void)
{
	return cv_hosted_hvc(HVC_SMMUV3_EVENTS, 0, 0, 0, 0, 0);
}

/* The stream table's level-3 entry for @iova (a walk of its memory). */
static u64 *stream_leaf_ptr(u64 iova)
{
	u64 table = host_stream_ttbr();
	u64 *p = NULL;

	for (u32 shift = 30; shift >= 12; shift -= 9) {
		p = cv_hosted_phys(table + ((iova >> shift) & 511) * 8);
		if (!p || !*p)
			return NULL;
		table = *p & PTE_ADDR_MASK;
	}
	return p;
}

Test(stream, every_host_page_and_nothing_else)
{
	u64 last = ram_pfn(cv_hosted_ram_size() / PAGE_SIZE - 1), fault = 0;
	u64 core = cv_hosted_reserved_base() / PAGE_SIZE;
	u8 buf[64];

	cr_assert(dma_reads(ram_pfn(0), buf));
	cr_assert(dma_reads(ram_pfn(12345), buf));
	cr_assert(dma_reads(last, buf));
	cr_assert_eq(host_stream_walk(last * PAGE_SIZE),
		     last * PAGE_SIZE | STREAM_PAGE);
	/* The core's pool, the stream table itself among it. */
	cr_assert_not(dma_reads(core, buf));
	cr_assert_not(
		cv_hosted_stream_dma_read(host_stream_ttbr(), buf, 8, &fault));
	cr_assert_eq(fault, host_stream_ttbr());
	/* Nothing beyond RAM (MMIO, the SMMUv3's own registers). */
	cr_assert_not(dma_reads(cv_hosted_smmuv3_base() / PAGE_SIZE, buf));
	cr_assert_not(dma_reads(0x09000, buf));
	/* The MSI doorbell: a device may write it (its MSIs). */
	cr_assert(cv_hosted_stream_dma_write(0x08090040, buf, 4, NULL));
	cr_assert_eq(host_stream_walk(0x08090000),
		     0x08090000 | STREAM_DOORBELL_PAGE);
	cr_assert_eq(events(), 4);
	pts_expect_inv();
}

Test(stream, page_to_a_vm_leaves_the_streams_and_their_tlb)
{
	u64 pfn = ram_pfn(0x100), before;
	u8 buf[64], secret[64];

	/* A device has the page in the SMMU's TLB. */
	cr_assert(dma_reads(pfn, buf));
	before = cv_hosted_smmuv3_invalidations();
	assign_pfn_to_vm(VM, 0x10, pfn);
	pts_expect_running();
	cr_assert_eq(pts_owner(pfn), VM);
	cr_assert_eq(host_stream_walk(pfn * PAGE_SIZE), 0);
	cr_assert_eq(cv_hosted_smmuv3_invalidations(), before + 1);
	/* The VM's data: a device can neither read nor write it. */
	memset(secret, 0x5a, sizeof(secret));
	memcpy(cv_hosted_phys(pfn * PAGE_SIZE), secret, sizeof(secret));
	memset(buf, 0, sizeof(buf));
	cr_assert_not(dma_reads(pfn, buf));
	cr_assert_not(
		cv_hosted_stream_dma_write(pfn * PAGE_SIZE, buf, 64, NULL));
	cr_assert_eq(memcmp(cv_hosted_phys(pfn * PAGE_SIZE), secret, 64), 0);
	cr_assert_eq(events(), 2);
	pts_expect_inv();
}

Test(stream, device_page_of_a_vm_leaves_the_streams)
{
	u64 pfn = ram_pfn(0x200);
	u8 buf[64];

	cr_assert(dma_reads(pfn, buf));
	assign_pfn_to_smmu(VM, 0x20, pfn);
	pts_expect_running();
	cr_assert_not(dma_reads(pfn, buf));
	pts_expect_inv();
}

Test(stream, page_back_to_the_host_is_reachable_and_scrubbed)
{
	u64 pfn = ram_pfn(0x300);
	u8 buf[64], zero[64] = {0};

	assign_pfn_to_vm(VM, 0x30, pfn);
	memset(cv_hosted_phys(pfn * PAGE_SIZE), 0x77, PAGE_SIZE);
	cr_assert_not(dma_reads(pfn, buf));
	clear_vm_page(VM, pfn);
	pts_expect_running();
	cr_assert_eq(pts_owner(pfn), HOSTVISOR);
	cr_assert(dma_reads(pfn, buf));
	cr_assert_eq(memcmp(buf, zero, sizeof(buf)), 0);
	pts_expect_inv();
}

Test(stream, a_vm_grant_stays_out_of_the_streams)
{
	u64 pfn = ram_pfn(0x400);
	u8 buf[64];

	assign_pfn_to_vm(VM, 0x40, pfn);
	grant_vm_page(VM, pfn);
	pts_expect_running();
	cr_assert_eq(pts_count(pfn), 1);
	cr_assert_not(dma_reads(pfn, buf));
	pts_expect_inv();
}

Test(stream, host_never_maps_the_smmuv3_registers)
{
	u32 v = 0;

	cr_assert_not(
		cv_hosted_host_read(cv_hosted_smmuv3_base() + 0x20, &v, 4));
	pts_expect_halt("map_page_host", "SMMUv3's registers");
}

Test(stream, a_vm_never_maps_the_smmuv3_registers)
{
	map_vm_io(VM, 0x9000000, cv_hosted_smmuv3_base());
	pts_expect_halt("map_vm_io", "SMMUv3's registers");
}

Test(stream, stream_iso_catches_a_vm_page_in_the_table)
{
	u64 pfn = ram_pfn(0x500);
	char why[256];

	assign_pfn_to_vm(VM, 0x50, pfn);
	/* A broken core that leaves the page in (direct table write). */
	acquire_lock_s2page();
	host_stream_map(pfn);
	release_lock_s2page();
	cr_assert_eq(check_invariant("stream_iso", why, sizeof(why)), 1);
	cr_assert(strstr(why, "stream_iso"), "%s", why);
}

Test(stream, stream_iso_catches_a_page_not_its_own)
{
	u64 pfn = ram_pfn(0x600);
	u64 *leaf;
	char why[256];

	/* Point the leaf of one host page at its neighbour. */
	leaf = stream_leaf_ptr(pfn * PAGE_SIZE);
	cr_assert_not_null(leaf);
	*leaf += PAGE_SIZE;
	cr_assert_eq(check_invariant("stream_iso", why, sizeof(why)), 1);
}

Test(stream, no_smmuv3_no_events_and_no_table)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_eq(host_stream_ttbr(), 0);
	cr_assert_eq(cv_hosted_hvc(HVC_SMMUV3_EVENTS, 0, 0, 0, 0, 0), 0);
	cr_assert_not(
		cv_hosted_stream_dma_read(cv_hosted_ram_base(), &cfg, 8, NULL));
}

/* The boot parameters the core refuses for an SMMUv3 (cv_boot fails). */
Test(stream, boot_refuses_a_bad_smmuv3)
{
	static struct cv_boot_params p;

	p.nregions = 1;
	p.regions[0].base = 0x40000000ULL;
	p.regions[0].size = 1ULL << 30;
	p.smmuv3_base = 0x09050000ULL;
	p.smmuv3_size = 0x20000ULL;
	p.smmuv3_msi_page = 0x08090000ULL;
	cr_assert(stream_boot_valid(&p));
	/* Registers inside RAM, unaligned, empty or wrapping. */
	p.smmuv3_base = 0x40000000ULL;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_base = 0x09050800ULL;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_base = 0x09050000ULL;
	p.smmuv3_size = 0;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_base = 0xfffffffffffff000ULL;
	p.smmuv3_size = 0x2000ULL;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_base = 0x09050000ULL;
	p.smmuv3_size = 0x20000ULL;
	/* The doorbell in RAM, unaligned, among the SMMU's registers. */
	p.smmuv3_msi_page = 0x40001000ULL;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_msi_page = 0x08090040ULL;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_msi_page = 0x09051000ULL;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_msi_page = 0x08090000ULL;
	/* RAM the 39-bit table cannot map. */
	p.regions[0].base = 1ULL << 39;
	cr_assert_not(stream_boot_valid(&p));
	/* No SMMUv3: nothing else may be set. */
	p.regions[0].base = 0x40000000ULL;
	p.smmuv3_base = 0;
	cr_assert_not(stream_boot_valid(&p));
	p.smmuv3_size = 0;
	p.smmuv3_msi_page = 0;
	cr_assert(stream_boot_valid(&p));
	cr_assert_eq(stream_pool_bytes(&p), 0);
}
