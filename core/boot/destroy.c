// SPDX-License-Identifier: MIT
/*
 * destroy_vm (corevisor; HVC_DESTROY_VM): the end of a VM's life, which
 * the spec leaves at power-off and clear_vm_page. The design is in
 * docs/spec-deviations.md, "VM lifecycle": every trace of the VM goes and
 * its vmid is free for the next register_kvm.
 *
 * Locks: SMMU_ID, then the VM's info lock, held from the checks to the
 * end (state.h's order: SMMU -> vm info -> core -> s2page -> SPT -> NPT).
 * With the info lock held and the VM POWEROFF no vCPU of it can start
 * (set_vcpu_active wants VERIFIED, and takes that lock), and no BootOps
 * call on it can run in between; with SMMU_ID no bank changes owner and
 * nothing maps into one. A vCPU running on another CPU is never waited
 * for: the call is refused (CV_DESTROY_RUNNING) and changes nothing, so it
 * cannot hang; the host stops its vCPU threads and calls again.
 */
#include <corevisor/abi.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/lib.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/spt.h>
#include <cv/stream.h>
#include <cv/vcpu.h>

#include "boot_internal.h"

/* Every SMMU context bank VM @vmid owns is unowned, its table empty. */
static void free_vm_banks(u32 vmid)
{
	assert_locked(SMMU_ID);
	for (u32 index = 0; index < SMMU_NUM; index++)
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++) {
			if (cv.smmu_vmid[smmu_id(index, cbndx)] != vmid)
				continue;
			/* init_spt empties it and flushes the bank's TLB. */
			init_spt(cbndx, index);
			if (halted())
				return;
			cv.smmu_vmid[smmu_id(index, cbndx)] = INVALID;
		}
}

/* The VM's image windows leave the core's table and the remap area. */
static void free_vm_remap(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	u32 n = info->next_load_info < MAX_LOAD_INFO_NUM ? info->next_load_info
							 : MAX_LOAD_INFO_NUM;

	for (u32 i = 0; i < n; i++) {
		u64 pages = (info->load_size[i] + PAGE_SIZE - 1) / PAGE_SIZE;

		for (u64 k = 0; k < info->mapped_pages[i] && k < pages; k++) {
			unmap_core_remap_page(info->remap_addr[i] +
					      k * PAGE_SIZE);
			if (halted())
				return;
		}
		free_remap_addr(info->remap_addr[i], pages);
		if (halted())
			return;
	}
}

u64 destroy_vm(u32 vmid, u64 flags)
{
	struct vm_info *info;
	u64 pages;

	if (halted())
		return 0;
	if (!is_vm(vmid) || (flags & ~CV_DESTROY_FORCE)) {
		panic("destroy_vm: bad args vm %u flags 0x%llx", vmid,
		      ULL(flags));
		return 0;
	}
	acquire_lock_smmu();
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state == UNUSED) {
		release_lock_vm(vmid);
		release_lock_smmu();
		return CV_DESTROY_NO_VM;
	}
	for (u32 v = 0; v < VCPU_PER_VM; v++)
		if (vcpu_state_of(info, v) == ACTIVE) {
			release_lock_vm(vmid);
			release_lock_smmu();
			return CV_DESTROY_RUNNING;
		}
	if (info->state != POWEROFF) {
		if (!(flags & CV_DESTROY_FORCE)) {
			release_lock_vm(vmid);
			release_lock_smmu();
			return CV_DESTROY_NOT_OFF;
		}
		/* set_vm_poweroff, under the lock already held. */
		set_vm_state(info, POWEROFF);
		lineage_power_off(vmid);
	}
	/* Devices first: no DMA reaches a page once it is the host's. */
	free_vm_banks(vmid);
	if (halted())
		return 0;
	vm_stream_release(vmid); /* its SMMUv3 streams and table */
	if (halted())
		return 0;
	pages = reclaim_vm_pages(vmid);
	if (halted())
		return 0;
	(void)pages;
	reset_npt(vmid);
	if (halted())
		return 0;
	free_vm_remap(vmid);
	if (halted())
		return 0;
	for (u32 v = 0; v < VCPU_PER_VM; v++) {
		vcpu_wipe(vmid, v);
		if (halted())
			return 0;
	}
	lineage_destroy(vmid);
	memset(info, 0, sizeof(*info)); /* UNUSED, no load infos, no lineage */
	free_vmid(vmid);
	if (halted())
		return 0;
	release_lock_vm(vmid);
	release_lock_smmu();
	return CV_DESTROY_OK;
}
