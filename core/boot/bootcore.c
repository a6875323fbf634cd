// SPDX-License-Identifier: MIT
/*
 * BootCore: the core-wide allocators of VM boot, under CORE_ID.
 * VMIDs are handed out once, 1 .. MAX_VM_NUM (the spec never reuses one);
 * the remap area (the core's window onto image pages) is a bump
 * allocator over [REMAP_START, REMAP_END), never freed.
 */
#include <cv/boot.h>
#include <cv/panic.h>

#include "boot_internal.h"

/* gen_vmid_spec0 */
u32 gen_vmid(void)
{
	u32 vmid;

	if (halted())
		return 0;
	acquire_lock_core();
	assert_locked(CORE_ID);
	vmid = cv.core.next_vmid;
	if (vmid >= COREVISOR) {
		panic("gen_vmid: all %u vmids used", MAX_VM_NUM);
		return 0;
	}
	cv.core.next_vmid = vmid + 1;
	release_lock_core();
	return check(vmid);
}

/* alloc_remap_addr_spec0: @pgnum pages of remap area, or panic. */
u64 alloc_remap_addr(u64 pgnum)
{
	u64 remap;

	if (halted())
		return 0;
	if (!is_gfn(pgnum)) {
		panic("alloc_remap_addr: %llu pages out of range", ULL(pgnum));
		return 0;
	}
	acquire_lock_core();
	assert_locked(CORE_ID);
	remap = cv.core.next_remap_ptr;
	if (remap + pgnum * PAGE_SIZE >= REMAP_END) {
		panic("alloc_remap_addr: %llu pages at 0x%llx overflow the "
		      "remap "
		      "area",
		      ULL(pgnum), ULL(remap));
		return 0;
	}
	cv.core.next_remap_ptr = remap + pgnum * PAGE_SIZE;
	release_lock_core();
	return check64(remap);
}
