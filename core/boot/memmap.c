// SPDX-License-Identifier: MIT
/*
 * corevisor: a VM's memory map (HVC_SET_VM_REGION, include/corevisor/
 * abi.h; docs/guest-platform.md). The spec splits every VM's IPA space at
 * MAX_MMIO_ADDR (1 GiB): MMIO below, RAM above. A VM may instead be given
 * its own map before it is verified: RAM and MMIO regions, and nothing
 * anywhere else. The map is part of the VM's measurement (measure_vm), so
 * sealed state restores only into a VM with the same map, and fixed once
 * the VM is VERIFIED: the fault paths read it without the VM's lock.
 */
#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_internal.h"

/* The IPA size: the physical address size the VMs' stage 2 takes. */
static u64 ipa_limit(void)
{
	return cv.pa_bits ? 1ULL << cv.pa_bits : KVM_PHYS_SIZE;
}

/*
 * set_vm_region: append [@base, @base + @size) of @kind to READY VM
 * @vmid's map. Panics, naming the value, on a VM that is not READY, a
 * bad kind, an unaligned or empty region, one past the IPA size, one
 * that is not above the last, or one too many.
 */
void set_vm_region(u32 vmid, u64 base, u64 size, u32 kind)
{
	struct vm_info *info;
	u32 n;

	if (halted())
		return;
	if (!is_vm(vmid)) {
		panic("set_vm_region: vmid %u is not a VM", vmid);
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	n = info->nregions;
	if (info->state != READY) {
		panic("set_vm_region: vm %u state %u not READY", vmid,
		      info->state);
		return;
	}
	if (kind != CV_REGION_RAM && kind != CV_REGION_MMIO) {
		panic("set_vm_region: vm %u kind %u", vmid, kind);
		return;
	}
	if (!size || (base | size) & (PAGE_SIZE - 1) || base >= ipa_limit() ||
	    size > ipa_limit() - base) {
		panic("set_vm_region: vm %u region 0x%llx size 0x%llx not "
		      "page aligned below 2^%u",
		      vmid, (unsigned long long)base, (unsigned long long)size,
		      cv.pa_bits ? cv.pa_bits : 40U);
		return;
	}
	if (n >= CV_MAX_VM_REGIONS) {
		panic("set_vm_region: vm %u has %u regions already", vmid, n);
		return;
	}
	if (n && base < info->region_base[n - 1] + info->region_size[n - 1]) {
		panic("set_vm_region: vm %u region 0x%llx below the end of "
		      "region %u, 0x%llx",
		      vmid, (unsigned long long)base, n - 1,
		      (unsigned long long)(info->region_base[n - 1] +
					   info->region_size[n - 1]));
		return;
	}
	info->region_base[n] = base;
	info->region_size[n] = size;
	info->region_kind[n] = kind;
	info->nregions = n + 1;
	release_lock_vm(vmid);
}

/*
 * What IPA @ipa of VM @vmid is: CV_REGION_RAM, CV_REGION_MMIO, or 0
 * (nothing). Without a declared map, the spec's split at MAX_MMIO_ADDR.
 */
u32 vm_ipa_kind(u32 vmid, u64 ipa)
{
	const struct vm_info *info = &cv.vminfos[vmid];

	if (!info->nregions)
		return ipa < MAX_MMIO_ADDR ? CV_REGION_MMIO : CV_REGION_RAM;
	for (u32 i = 0; i < info->nregions && i < CV_MAX_VM_REGIONS; i++)
		if (ipa >= info->region_base[i] &&
		    ipa - info->region_base[i] < info->region_size[i])
			return info->region_kind[i];
	return 0;
}

/*
 * [@base, @base + @size) lies in one RAM region of VM @vmid's declared
 * map; true without one (the spec's map does not restrict RAM).
 */
bool vm_ram_covers(u32 vmid, u64 base, u64 size)
{
	const struct vm_info *info = &cv.vminfos[vmid];

	if (!info->nregions)
		return true;
	for (u32 i = 0; i < info->nregions && i < CV_MAX_VM_REGIONS; i++)
		if (info->region_kind[i] == CV_REGION_RAM &&
		    base >= info->region_base[i] &&
		    base - info->region_base[i] <= info->region_size[i] &&
		    size <= info->region_size[i] -
				    (base - info->region_base[i]))
			return true;
	return false;
}
