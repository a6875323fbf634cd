// SPDX-License-Identifier: MIT
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/panic.h>
#include <corevisor/constants.h>

/* Scrub a page (pages the host gets back must not leak VM data). */
void cv_zero_page(u64 pfn)
{
	void *p = arch_phys_to_virt(pfn * PAGE_SIZE);

	if (!p) {
		panic("cv_zero_page: pfn 0x%llx is not memory",
		      (unsigned long long)pfn);
		return;
	}
	memset(p, 0, PAGE_SIZE);
}
