// SPDX-License-Identifier: MIT
/*
 * A VM's SMMUv3 streams (HVC_SMMUV3_ATTACH, _MAP, _UNMAP; abi.h): the
 * spec's SMMU group for a VM's context bank (alloc_smmu, assign_smmu,
 * map_smmu / update_smmu_page, clear_smmu, el2_free_smmu_pgd) carried
 * over to SMMUv3 stream table entries (docs/spec-deviations.md, "SMMUv3").
 * The checks are the spec's: the VM is registered and not yet VERIFIED
 * (smmu_locked_out; corevisor also refuses a powered-off VM, which will
 * never run), the stream and IOVA are in range, and a mapped page is the
 * VM's at the gfn its IOVA names (update_smmu_page). Tables and STEs are
 * core/spt/stream.c's.
 *
 * Locks: the VM's info lock -> S2PAGE_ID (map) -> SPT_ID (state.h).
 */
#include <cv/boot.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/stream.h>

#include "boot_internal.h"

#define STREAM_IOVA_LIMIT (1ULL << STREAM_IOVA_BITS)

static const char *state_name(u32 state)
{
	switch (state) {
	case UNUSED:
		return "not registered";
	case VERIFIED:
		return "VERIFIED";
	case POWEROFF:
		return "powered off";
	default:
		return "in another state";
	}
}

/*
 * Takes @vmid's info lock; true when its state is @want (or, with
 * @or_off, POWEROFF). Otherwise panics (the lock is then kept: the core
 * has halted) and returns false.
 */
static bool lock_vm_in(const char *who, u32 vmid, bool or_off)
{
	u32 state;

	acquire_lock_vm(vmid);
	state = locked_info(vmid)->state;
	if (state == READY || (or_off && state == POWEROFF))
		return true;
	panic("%s: vm %u is %s", who, vmid, state_name(state));
	return false;
}

static bool check_iova(const char *who, u32 vmid, u64 iova)
{
	if (iova & (PAGE_SIZE - 1) || iova >= STREAM_IOVA_LIMIT) {
		panic("%s: vm %u iova 0x%llx not 4 KiB aligned below 2^%u", who,
		      vmid, ULL(iova), STREAM_IOVA_BITS);
		return false;
	}
	return true;
}

/* HVC_SMMUV3_ATTACH: stream @sid to VM @vmid, or back to the host (0). */
u64 smmuv3_attach(u32 sid, u32 vmid)
{
	u32 cur;
	u64 ret;

	if (halted())
		return CV_V3_OK;
	if (sid >= CV_SMMUV3_STREAMS || (vmid != HOSTVISOR && !is_vm(vmid))) {
		panic("smmuv3_attach: bad args stream %u vm %u", sid, vmid);
		return CV_V3_OK;
	}
	if (!cv.smmuv3_base)
		return CV_V3_NO_SMMUV3;
	if (vmid != HOSTVISOR) {
		if (!lock_vm_in(__func__, vmid, false))
			return CV_V3_OK;
		ret = vm_stream_attach(sid, vmid);
		if (halted())
			return CV_V3_OK;
		release_lock_vm(vmid);
		return ret;
	}
	/*
	 * Back to the host (el2_free_smmu_pgd): under the lock of the VM it
	 * is attached to, which must not be running it. The stream may move
	 * between the look and the lock (another detach): look again.
	 */
	for (;;) {
		cur = __atomic_load_n(&cv.spt.stream_vm[sid], __ATOMIC_ACQUIRE);
		if (cur == HOSTVISOR)
			return CV_V3_OK;
		if (!lock_vm_in(__func__, cur, true))
			return CV_V3_OK;
		if (__atomic_load_n(&cv.spt.stream_vm[sid], __ATOMIC_ACQUIRE) ==
		    cur)
			break;
		release_lock_vm(cur);
	}
	ret = vm_stream_attach(sid, HOSTVISOR);
	if (halted())
		return CV_V3_OK;
	release_lock_vm(cur);
	return ret;
}

/* HVC_SMMUV3_MAP (map_smmu, update_smmu_page): @pfn at @iova for @vmid. */
u64 smmuv3_map(u32 vmid, u64 iova, u64 pfn)
{
	u32 owner;
	u64 gfn, ret;

	if (halted())
		return CV_V3_OK;
	if (!is_vm(vmid) || !is_pfn(pfn)) {
		panic("smmuv3_map: bad args vm %u pfn 0x%llx", vmid, ULL(pfn));
		return CV_V3_OK;
	}
	if (!check_iova(__func__, vmid, iova))
		return CV_V3_OK;
	if (!cv.smmuv3_base)
		return CV_V3_NO_SMMUV3;
	if (!lock_vm_in(__func__, vmid, false))
		return CV_V3_OK;
	acquire_lock_s2page();
	owner = get_pfn_owner(pfn);
	gfn = get_pfn_map(pfn);
	if (halted())
		return CV_V3_OK;
	if (owner != vmid || gfn != iova / PAGE_SIZE) {
		panic("smmuv3_map: vm %u iova 0x%llx pfn 0x%llx owned by %u "
		      "at gfn 0x%llx",
		      vmid, ULL(iova), ULL(pfn), owner, ULL(gfn));
		return CV_V3_OK;
	}
	ret = vm_stream_map(vmid, iova, pfn);
	if (halted())
		return CV_V3_OK;
	release_lock_s2page();
	release_lock_vm(vmid);
	return ret;
}

/* HVC_SMMUV3_UNMAP (clear_smmu, unmap_smmu_page): @iova out of @vmid's. */
u64 smmuv3_unmap(u32 vmid, u64 iova)
{
	if (halted())
		return CV_V3_OK;
	if (!is_vm(vmid)) {
		panic("smmuv3_unmap: bad args vm %u", vmid);
		return CV_V3_OK;
	}
	if (!check_iova(__func__, vmid, iova))
		return CV_V3_OK;
	if (!cv.smmuv3_base)
		return CV_V3_NO_SMMUV3;
	if (!lock_vm_in(__func__, vmid, true))
		return CV_V3_OK;
	vm_stream_unmap(vmid, iova);
	if (halted())
		return CV_V3_OK;
	release_lock_vm(vmid);
	return CV_V3_OK;
}
