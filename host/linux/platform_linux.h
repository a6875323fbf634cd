/* SPDX-License-Identifier: MIT */
/*
 * host/platform.h for the Linux module (host/linux/corevisor.c implements
 * the calls). The kernel's own types and string functions.
 */
#ifndef HOST_PLATFORM_LINUX_H
#define HOST_PLATFORM_LINUX_H

#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>

/*
 * The kernel may not use FP/SIMD registers outside kernel_neon_begin():
 * the FP/SIMD checks around hypercalls are the bare-metal host's.
 */
#define HOST_FP_CHECK 0

/* VM memory is in the linear map (CMA block, pages from the buddy). */
static inline void *host_phys_ptr(u64 pa)
{
	return phys_to_virt((phys_addr_t)pa);
}

#endif
