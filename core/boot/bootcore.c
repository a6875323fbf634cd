// SPDX-License-Identifier: MIT
/*
 * BootCore: the core-wide allocators of VM boot, under CORE_ID.
 *
 * The spec hands out vmids 1 .. MAX_VM_NUM once and bumps a pointer
 * through the remap area (the core's window onto image pages), never
 * freeing either: a long-running host could start 15 VMs, and load 32 MiB
 * of images, per boot. corevisor frees both when a VM is destroyed
 * (destroy_vm, docs/spec-deviations.md "VM lifecycle"): gen_vmid takes the
 * lowest free vmid, alloc_remap_addr the lowest free run of pages (first
 * fit over a bitmap). Until something is freed both return exactly what
 * the spec's bump pointers return.
 */
#include <cv/boot.h>
#include <cv/panic.h>

#include "boot_internal.h"

static bool remap_page_used(u64 i)
{
	return (cv.core.remap_used[i / 64] >> (i % 64)) & 1;
}

static void remap_page_set(u64 i, bool used)
{
	if (used)
		cv.core.remap_used[i / 64] |= 1ULL << (i % 64);
	else
		cv.core.remap_used[i / 64] &= ~(1ULL << (i % 64));
}

/* The lowest free remap page (the last page is always free: never used). */
static u64 lowest_free_remap_page(u64 from)
{
	u64 i = from;

	while (i < REMAP_PAGES - 1 && remap_page_used(i))
		i++;
	return i;
}

/* gen_vmid_spec0, reusing destroyed vmids: the lowest free one. */
u32 gen_vmid(void)
{
	u32 vmid, next;

	if (halted())
		return 0;
	acquire_lock_core();
	assert_locked(CORE_ID);
	vmid = cv.core.next_vmid;
	if (vmid >= COREVISOR) {
		panic("gen_vmid: all %u vmids used", MAX_VM_NUM);
		return 0;
	}
	cv.core.vmid_used |= 1U << vmid;
	next = vmid + 1;
	while (next < COREVISOR && (cv.core.vmid_used & (1U << next)))
		next++;
	cv.core.next_vmid = next;
	release_lock_core();
	return check(vmid);
}

/* corevisor: destroyed VM @vmid's vmid is free again. */
void free_vmid(u32 vmid)
{
	if (halted())
		return;
	if (!is_vm(vmid)) {
		panic("free_vmid: vmid %u is not a VM", vmid);
		return;
	}
	acquire_lock_core();
	cv.core.vmid_used &= ~(1U << vmid);
	if (vmid < cv.core.next_vmid)
		cv.core.next_vmid = vmid;
	release_lock_core();
}

/*
 * alloc_remap_addr_spec0: @pgnum pages of remap area, or panic. First fit:
 * the lowest run of @pgnum free pages that ends before the area's last
 * page (the spec's `remap + pgnum * PAGE_SIZE >= REMAP_END` check). 0
 * pages: the lowest free page, nothing taken (the spec's pointer).
 */
u64 alloc_remap_addr(u64 pgnum)
{
	u64 start, run;

	if (halted())
		return 0;
	if (!is_gfn(pgnum)) {
		panic("alloc_remap_addr: %llu pages out of range", ULL(pgnum));
		return 0;
	}
	acquire_lock_core();
	assert_locked(CORE_ID);
	start = lowest_free_remap_page(0);
	run = 0;
	if (pgnum > 0) {
		for (u64 i = start; i < REMAP_PAGES - 1 && run < pgnum; i++) {
			if (remap_page_used(i)) {
				run = 0;
				start = i + 1;
			} else {
				run++;
			}
		}
		if (run < pgnum) {
			panic("alloc_remap_addr: %llu pages at 0x%llx overflow "
			      "the remap area",
			      ULL(pgnum), ULL(cv.core.next_remap_ptr));
			return 0;
		}
		for (u64 i = start; i < start + pgnum; i++)
			remap_page_set(i, true);
	}
	cv.core.next_remap_ptr =
		REMAP_START + lowest_free_remap_page(0) * PAGE_SIZE;
	release_lock_core();
	return check64(REMAP_START + start * PAGE_SIZE);
}

/* corevisor: @pgnum remap pages from @remap are free again (destroy_vm). */
void free_remap_addr(u64 remap, u64 pgnum)
{
	u64 first;

	if (halted())
		return;
	if (remap < REMAP_START || remap % PAGE_SIZE || pgnum >= REMAP_PAGES ||
	    (remap - REMAP_START) / PAGE_SIZE + pgnum >= REMAP_PAGES) {
		panic("free_remap_addr: 0x%llx + %llu pages is not remap space",
		      ULL(remap), ULL(pgnum));
		return;
	}
	first = (remap - REMAP_START) / PAGE_SIZE;
	acquire_lock_core();
	for (u64 i = first; i < first + pgnum; i++) {
		if (!remap_page_used(i)) {
			panic("free_remap_addr: page 0x%llx is not allocated",
			      ULL(REMAP_START + i * PAGE_SIZE));
			return;
		}
		remap_page_set(i, false);
	}
	cv.core.next_remap_ptr =
		REMAP_START + lowest_free_remap_page(0) * PAGE_SIZE;
	release_lock_core();
}
