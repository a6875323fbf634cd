// SPDX-License-Identifier: MIT
/*
 * A VM's SMMUv3 streams (HVC_SMMUV3_ATTACH / _MAP / _UNMAP; abi.h,
 * core/boot/vstream.c, core/spt/stream.c) on the hosted machine's SMMUv3:
 * a stream attached to a VM reaches exactly the VM's pages its table maps
 * and faults everywhere else; a page leaves the table, and the SMMU's
 * TLB, before it changes owner; destroying the VM gives its streams back
 * to the host; every bad argument panics with its reason; stream_vm_iso
 * catches a table or STE that breaks the isolation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/stream.h>
#include <cv/trap.h>

#include "pt_support.h"

#define VM 2U
#define OTHER_VM 3U
#define SID 5U
#define GFN 0x10ULL /* IPA 0x10000: no host page there on this machine */
#define IOVA (GFN * PAGE_SIZE)

static void boot_smmuv3(void)
{
	pts_boot_devices(false, true, OTHER_VM);
}

TestSuite(vstream, .init = boot_smmuv3);

static u64 hvc(u64 nr, u64 a1, u64 a2, u64 a3)
{
	return cv_hosted_hvc(nr, a1, a2, a3, 0, 0);
}

static u64 attach(u32 sid, u32 vmid)
{
	return hvc(HVC_SMMUV3_ATTACH, sid, vmid, 0);
}

static u64 map(u32 vmid, u64 iova, u64 pfn)
{
	return hvc(HVC_SMMUV3_MAP, vmid, iova, pfn);
}

static u64 unmap(u32 vmid, u64 iova)
{
	return hvc(HVC_SMMUV3_UNMAP, vmid, iova, 0);
}

/* The host hands page @n of RAM to @vmid at @gfn (HVC_ASSIGN_SMMU). */
static u64 give(u32 vmid, u64 n, u64 gfn)
{
	u64 pfn = pts_ram_pfn(n);

	hvc(HVC_ASSIGN_SMMU, vmid, pfn, gfn);
	pts_expect_running();
	cr_assert_eq(pts_owner(pfn), vmid);
	return pfn;
}

static bool sid_reads(u32 sid, u64 iova, void *buf)
{
	return cv_hosted_sid_dma_read(sid, iova, buf, 64, NULL);
}

static bool sid_writes(u32 sid, u64 iova, const void *buf)
{
	return cv_hosted_sid_dma_write(sid, iova, buf, 64, NULL);
}

static void set_state(u32 vmid, u32 state)
{
	cv.vminfos[vmid].state = state;
}

/* VM's page at IOVA through SID, the page's bytes 0x5a. */
static u64 staged(void)
{
	u64 pfn = give(VM, 0x100, GFN);

	cr_assert_eq(attach(SID, VM), CV_V3_OK);
	cr_assert_eq(map(VM, IOVA, pfn), CV_V3_OK);
	pts_expect_running();
	pts_fill_page(pfn, 0x5a);
	return pfn;
}

Test(vstream, dma_reaches_exactly_the_mapped_vm_page)
{
	u64 pfn = staged(), host = pts_ram_pfn(0x200), fault = 0;
	u8 buf[64], pat[64];

	cr_assert_eq(stream_attached_to(SID), VM);
	cr_assert_eq(arch_smmuv3_stream_ttbr(SID), vm_stream_ttbr(VM));
	/* (a) A write at the IOVA lands in the VM's page. */
	memset(pat, 0xc3, sizeof(pat));
	cr_assert(sid_writes(SID, IOVA + 0x40, pat));
	cr_assert_eq(memcmp(cv_hosted_phys(pfn * PAGE_SIZE + 0x40), pat, 64),
		     0);
	cr_assert(sid_reads(SID, IOVA, buf));
	cr_assert_eq(buf[0], 0x5a);
	/* (b) A host page the host's identity table maps: a fault now. */
	cr_assert(sid_reads(0, host * PAGE_SIZE, buf));
	cr_assert_not(cv_hosted_sid_dma_write(SID, host * PAGE_SIZE, pat, 64,
					      &fault));
	cr_assert_eq(fault, host * PAGE_SIZE);
	cr_assert_not(pts_page_is(host, 0xc3));
	/* Nor the page's own address, nor the next IOVA. */
	cr_assert_not(sid_reads(SID, pfn * PAGE_SIZE, buf));
	cr_assert_not(sid_reads(SID, IOVA + PAGE_SIZE, buf));
	/* The host's devices still cannot reach the VM's page. */
	cr_assert_not(sid_reads(0, pfn * PAGE_SIZE, buf));
	cr_assert_eq(cv_hosted_hvc(HVC_SMMUV3_EVENTS, 0, 0, 0, 0, 0), 4);
	/* Other streams stay on the host's table. */
	cr_assert_eq(stream_attached_to(SID + 1), HOSTVISOR);
	cr_assert(sid_reads(SID + 1, host * PAGE_SIZE, buf));
	pts_expect_inv();
}

Test(vstream, a_page_the_vm_already_maps_may_go_in)
{
	u64 pfn = pts_ram_pfn(0x180);
	u8 buf[64];

	assign_pfn_to_vm(VM, GFN + 1, pfn);
	pts_expect_running();
	cr_assert_eq(attach(SID, VM), CV_V3_OK);
	cr_assert_eq(map(VM, IOVA + PAGE_SIZE, pfn), CV_V3_OK);
	cr_assert(sid_reads(SID, IOVA + PAGE_SIZE, buf));
	pts_expect_inv();
}

Test(vstream, attach_again_is_nothing_and_detach_returns_the_stream)
{
	u64 host = pts_ram_pfn(0x200);
	u8 buf[64];

	staged();
	cr_assert_eq(attach(SID, VM), CV_V3_OK);
	cr_assert(sid_reads(SID, IOVA, buf));
	cr_assert_eq(attach(SID, HOSTVISOR), CV_V3_OK);
	pts_expect_running();
	cr_assert_eq(stream_attached_to(SID), HOSTVISOR);
	cr_assert_eq(arch_smmuv3_stream_ttbr(SID), host_stream_ttbr());
	cr_assert_not(sid_reads(SID, IOVA, buf));
	cr_assert(sid_reads(SID, host * PAGE_SIZE, buf));
	/* A host stream detached again: nothing. */
	cr_assert_eq(attach(SID, HOSTVISOR), CV_V3_OK);
	pts_expect_inv();
}

Test(vstream, unmap_drops_the_smmu_tlb_entry)
{
	u64 pfn = staged(), before;
	u8 buf[64];

	/* A device has the translation in the SMMU's TLB. */
	cr_assert(sid_reads(SID, IOVA, buf));
	before = cv_hosted_smmuv3_invalidations();
	cr_assert_eq(unmap(VM, IOVA), CV_V3_OK);
	pts_expect_running();
	cr_assert_gt(cv_hosted_smmuv3_invalidations(), before);
	cr_assert_not(sid_reads(SID, IOVA, buf));
	cr_assert_eq(pts_owner(pfn), VM);
	/* Unmapping nothing changes nothing; the IOVA may be mapped again. */
	cr_assert_eq(unmap(VM, IOVA), CV_V3_OK);
	cr_assert_eq(map(VM, IOVA, pfn), CV_V3_OK);
	cr_assert(sid_reads(SID, IOVA, buf));
	pts_expect_inv();
}

Test(vstream, reclaim_unmaps_before_the_page_returns_to_the_host)
{
	u64 pfn = staged();
	u8 buf[64];

	cr_assert(sid_reads(SID, IOVA, buf)); /* in the SMMU's TLB */
	set_state(VM, POWEROFF);
	clear_vm_stage2_range(VM, pfn * PAGE_SIZE, PAGE_SIZE);
	pts_expect_running();
	cr_assert_eq(pts_owner(pfn), HOSTVISOR);
	cr_assert(pts_page_is(pfn, 0));
	/* The VM's stream no longer reaches the page the host now has. */
	cr_assert_eq(vm_stream_unmap(VM, IOVA), 0);
	cr_assert_not(sid_reads(SID, IOVA, buf));
	cr_assert(sid_reads(0, pfn * PAGE_SIZE, buf));
	pts_expect_inv();
}

Test(vstream, a_page_moved_to_another_gfn_leaves_the_stream)
{
	u64 pfn = staged();
	u8 buf[64];

	cr_assert(sid_reads(SID, IOVA, buf));
	acquire_lock_s2page();
	set_pfn_map(pfn, GFN + 7);
	release_lock_s2page();
	cr_assert_not(sid_reads(SID, IOVA, buf));
	pts_expect_inv();
}

Test(vstream, destroy_gives_the_streams_back_and_scrubs_the_page)
{
	u64 pfn = staged(), pages;
	u8 buf[64];

	cr_assert_eq(attach(SID + 1, VM), CV_V3_OK);
	cr_assert(sid_reads(SID, IOVA, buf));
	cr_assert(sid_reads(SID + 1, IOVA, buf));
	pages = cv.spt.vm_stream_pages[VM];
	cr_assert_eq(pages, 3); /* root, level 2, level 3 */
	cr_assert_eq(hvc(HVC_DESTROY_VM, VM, CV_DESTROY_FORCE, 0),
		     CV_DESTROY_OK);
	pts_expect_running();
	/* (c) The IOVA faults; the page is the host's again, zeroed. */
	cr_assert_eq(stream_attached_to(SID), HOSTVISOR);
	cr_assert_eq(stream_attached_to(SID + 1), HOSTVISOR);
	cr_assert_eq(vm_stream_ttbr(VM), 0);
	cr_assert_not(sid_reads(SID, IOVA, buf));
	cr_assert_not(sid_reads(SID + 1, IOVA, buf));
	cr_assert_eq(pts_owner(pfn), HOSTVISOR);
	cr_assert(pts_page_is(pfn, 0));
	cr_assert(sid_reads(SID, pfn * PAGE_SIZE, buf));
	pts_expect_inv();
	/* The next VM on the vmid starts with no table; pages are reused. */
	cr_assert_eq(register_kvm(), VM);
	cr_assert_eq(vm_stream_ttbr(VM), 0);
	cr_assert_eq(attach(SID, VM), CV_V3_OK);
	cr_assert_eq(cv.spt.vm_stream_free != 0, true);
	cr_assert_not(sid_reads(SID, IOVA, buf));
	pts_expect_inv();
}

Test(vstream, pool_exhausted_is_a_refusal)
{
	u64 n = 0, ret = CV_V3_OK, gfn = 0;

	/* Each IOVA 1 GiB apart needs two new tables. */
	while (ret == CV_V3_OK && n < VM_STREAM_POOL_PAGES) {
		u64 pfn;

		gfn = (n + 1) << 18;
		pfn = give(VM, 0x1000 + n, gfn);
		ret = map(VM, gfn * PAGE_SIZE, pfn);
		n++;
	}
	pts_expect_running();
	cr_assert_eq(ret, CV_V3_NO_TABLE);
	cr_assert_eq(vm_stream_unmap(VM, gfn * PAGE_SIZE), 0);
	cr_assert_eq(cv.spt.vm_stream_pages[VM], VM_STREAM_POOL_PAGES - 1);
	pts_expect_inv();
}

Test(vstream, no_smmuv3_is_a_refusal)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_eq(register_kvm(), 1);
	cr_assert_eq(attach(SID, 1), CV_V3_NO_SMMUV3);
	cr_assert_eq(map(1, IOVA, pts_ram_pfn(1)), CV_V3_NO_SMMUV3);
	cr_assert_eq(unmap(1, IOVA), CV_V3_NO_SMMUV3);
	pts_expect_running();
}

/* Bad arguments: each panics with its reason, nothing mapped. */
Test(vstream, attach_stream_out_of_range)
{
	attach(CV_SMMUV3_STREAMS, VM);
	pts_expect_halt("SMMUV3_ATTACH", "0x100");
}

Test(vstream, attach_vmid_out_of_range)
{
	attach(SID, COREVISOR);
	pts_expect_halt("SMMUV3_ATTACH", "bad args");
}

Test(vstream, attach_direct_bad_args)
{
	smmuv3_attach(CV_SMMUV3_STREAMS, VM);
	pts_expect_halt("smmuv3_attach", "stream 256");
}

Test(vstream, attach_to_a_free_vmid)
{
	attach(SID, 9);
	pts_expect_halt("smmuv3_attach", "not registered");
}

Test(vstream, attach_to_a_verified_vm)
{
	set_state(VM, VERIFIED);
	attach(SID, VM);
	pts_expect_halt("smmuv3_attach", "VERIFIED");
	cr_assert_eq(stream_attached_to(SID), HOSTVISOR);
}

Test(vstream, attach_to_a_powered_off_vm)
{
	set_state(VM, POWEROFF);
	attach(SID, VM);
	pts_expect_halt("smmuv3_attach", "powered off");
}

Test(vstream, attach_a_stream_another_vm_has)
{
	cr_assert_eq(attach(SID, OTHER_VM), CV_V3_OK);
	attach(SID, VM);
	pts_expect_halt("smmuv3_attach", "is vm 3's");
	cr_assert_eq(stream_attached_to(SID), OTHER_VM);
}

Test(vstream, detach_from_a_verified_vm)
{
	staged();
	set_state(VM, VERIFIED);
	attach(SID, HOSTVISOR);
	pts_expect_halt("smmuv3_attach", "VERIFIED");
	cr_assert_eq(stream_attached_to(SID), VM);
}

Test(vstream, detach_from_a_powered_off_vm)
{
	u8 buf[64];

	staged();
	set_state(VM, POWEROFF);
	cr_assert_eq(attach(SID, HOSTVISOR), CV_V3_OK);
	pts_expect_running();
	cr_assert_not(sid_reads(SID, IOVA, buf));
	pts_expect_inv();
}

Test(vstream, map_for_the_host)
{
	map(HOSTVISOR, IOVA, pts_ram_pfn(1));
	pts_expect_halt("SMMUV3_MAP", "bad args");
}

Test(vstream, map_direct_bad_vmid)
{
	smmuv3_map(COREVISOR, IOVA, pts_ram_pfn(1));
	pts_expect_halt("smmuv3_map", "vm 16");
}

Test(vstream, map_a_host_page)
{
	u64 host = pts_ram_pfn(0x200);

	map(VM, host * PAGE_SIZE, host);
	pts_expect_halt("smmuv3_map", "owned by 0");
	cr_assert_eq(pts_owner(host), HOSTVISOR);
}

Test(vstream, map_another_vms_page)
{
	u64 pfn = give(OTHER_VM, 0x100, GFN);

	map(VM, IOVA, pfn);
	pts_expect_halt("smmuv3_map", "owned by 3");
}

Test(vstream, map_a_page_at_another_gfn)
{
	u64 pfn = give(VM, 0x100, GFN);

	map(VM, IOVA + PAGE_SIZE, pfn);
	pts_expect_halt("smmuv3_map", "at gfn 0x10");
}

Test(vstream, map_a_core_page)
{
	u64 core = cv_hosted_reserved_base() / PAGE_SIZE;

	map(VM, IOVA, core);
	pts_expect_halt("smmuv3_map", "owned by 16");
}

Test(vstream, map_misaligned_iova)
{
	u64 pfn = give(VM, 0x100, GFN);

	map(VM, IOVA + 8, pfn);
	pts_expect_halt("smmuv3_map", "not 4 KiB aligned");
}

Test(vstream, map_iova_out_of_range)
{
	map(VM, 1ULL << 39, pts_ram_pfn(1));
	pts_expect_halt("smmuv3_map", "iova 0x8000000000");
}

Test(vstream, map_twice)
{
	u64 pfn = staged();

	map(VM, IOVA, pfn);
	pts_expect_halt("map_smmu", "mapped already");
}

Test(vstream, map_for_a_verified_vm)
{
	u64 pfn = give(VM, 0x100, GFN);

	set_state(VM, VERIFIED);
	map(VM, IOVA, pfn);
	pts_expect_halt("smmuv3_map", "VERIFIED");
	cr_assert_eq(vm_stream_ttbr(VM), 0);
}

Test(vstream, map_for_a_powered_off_vm)
{
	u64 pfn = give(VM, 0x100, GFN);

	set_state(VM, POWEROFF);
	map(VM, IOVA, pfn);
	pts_expect_halt("smmuv3_map", "powered off");
}

Test(vstream, map_for_a_free_vmid)
{
	map(9, IOVA, pts_ram_pfn(1));
	pts_expect_halt("smmuv3_map", "not registered");
}

Test(vstream, unmap_bad_vmid)
{
	unmap(COREVISOR, IOVA);
	pts_expect_halt("SMMUV3_UNMAP", "bad args");
}

Test(vstream, unmap_direct_bad_vmid)
{
	smmuv3_unmap(HOSTVISOR, IOVA);
	pts_expect_halt("smmuv3_unmap", "vm 0");
}

Test(vstream, unmap_misaligned_iova)
{
	unmap(VM, IOVA + 1);
	pts_expect_halt("smmuv3_unmap", "not 4 KiB aligned");
}

Test(vstream, unmap_for_a_verified_vm)
{
	u8 buf[64];

	staged();
	set_state(VM, VERIFIED);
	unmap(VM, IOVA);
	pts_expect_halt("smmuv3_unmap", "VERIFIED");
	cr_assert(sid_reads(SID, IOVA, buf));
}

Test(vstream, unmap_for_a_powered_off_vm)
{
	u8 buf[64];

	staged();
	set_state(VM, POWEROFF);
	cr_assert_eq(unmap(VM, IOVA), CV_V3_OK);
	pts_expect_running();
	cr_assert_not(sid_reads(SID, IOVA, buf));
}

/* stream_vm_iso against a core that broke the isolation. */
Test(vstream, inv_catches_a_host_page_in_a_vm_table)
{
	u64 host = pts_ram_pfn(0x200);
	char why[256];

	staged();
	vm_stream_map(VM, host * PAGE_SIZE, host); /* no owner check */
	cr_assert_eq(check_invariant("stream_vm_iso", why, sizeof(why)), 1);
	cr_assert(strstr(why, "VM stream leaf"), "%s", why);
}

Test(vstream, inv_catches_an_ste_on_the_wrong_table)
{
	char why[256];

	staged();
	acquire_lock_spt();
	arch_smmuv3_attach(SID + 1, VM, vm_stream_ttbr(VM));
	release_lock_spt();
	cr_assert_eq(check_invariant("stream_vm_iso", why, sizeof(why)), 1);
	cr_assert(strstr(why, "STE not on"), "%s", why);
}

Test(vstream, inv_catches_a_stream_of_a_free_vmid)
{
	char why[256];

	staged();
	set_state(VM, UNUSED);
	cr_assert_eq(check_invariant("stream_vm_iso", why, sizeof(why)), 1);
	cr_assert(strstr(why, "free vmid"), "%s", why);
}
