/* SPDX-License-Identifier: MIT */
/* Helpers shared by the files of core/boot (not an interface). */
#ifndef CV_BOOT_INTERNAL_H
#define CV_BOOT_INTERNAL_H

#include <cv/lock.h>
#include <cv/state.h>

/* printf's %llx wants unsigned long long; u64 is unsigned long on LP64. */
#define ULL(x) ((unsigned long long)(x))

/* VM @vmid's info; the caller holds its lock (INFO_ID + vmid). */
static inline struct vm_info *locked_info(u32 vmid)
{
	assert_locked(INFO_ID + vmid);
	return vm_info(vmid);
}

/* verify_image's reasoning, for a panic reason that says what failed. */
const char *image_check(u32 vmid, u64 remap_addr);

#endif
