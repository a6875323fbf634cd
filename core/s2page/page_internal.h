/* SPDX-License-Identifier: MIT */
/*
 * core/s2page's own helper: the s2page entry of a page, found once.
 * PageManager's accessors (page.c) and MemManager (memmanager.c), which
 * reads and writes several fields of one page under S2PAGE_ID, share it,
 * so a MemManager call searches the regions once per page, not once per
 * field (the spec's get_pfn_owner, get_pfn_count, set_pfn_owner, ... each
 * call get_s2_page_index). Not for use outside core/s2page.
 */
#ifndef CV_S2PAGE_INTERNAL_H
#define CV_S2PAGE_INTERNAL_H

#include <cv/lock.h>
#include <cv/state.h>
#include <cv/types.h>

/* get_s2_page_index's panic for an index past the array (out of line). */
void s2page_panic_index(u64 addr, u64 index) __attribute__((cold, noinline));

/*
 * The entry of page @pfn, which the caller checked is a gfn-sized number
 * (the spec's `rely is_gfn pfn`, so pfn * PAGE_SIZE is an addr), as
 * get_s2_page_index finds it: the region holding the page
 * (mem_region_search: the last one; searching from the end, the first
 * one found), its entry index, checked against the array. NULL for a
 * page in no region (or in a region without entries), or after the
 * panic.
 */
static inline struct s2page *s2page_slot(u64 pfn)
{
	u64 addr = pfn * PAGE_SIZE, index;
	u32 i = cv.region_cnt;

	if (i > MAX_MEMBLOCK_NUM)
		i = MAX_MEMBLOCK_NUM;
	while (i-- > 0) {
		const struct memblock *r = &cv.regions[i];

		/* addr - base < size: no overflow for a region near 2^64. */
		if (addr < r->base || addr - r->base >= r->size)
			continue;
		if (r->index == INVALID64)
			return NULL;
		index = r->index + (addr - r->base) / PAGE_SIZE;
		/* An index past the array is a broken boot layout. */
		if (unlikely(index >= cv.s2page_num)) {
			s2page_panic_index(addr, index);
			return NULL;
		}
		return &cv.s2page[index];
	}
	return NULL;
}

/*
 * s2page_slot with S2PAGE_ID held. (The memory map is read-only after
 * boot, so s2page_slot may find an entry before the lock is taken, as
 * map_page_host does; the entry itself is read under the lock.)
 */
static inline struct s2page *s2page_entry(u64 pfn)
{
	assert_locked(S2PAGE_ID);
	return s2page_slot(pfn);
}

/* PageManager's decodings of an entry's count and gfn (state.h). */
static inline u32 s2page_count(const struct s2page *pg)
{
	return pg->count == S2PAGE_COUNT_INVALID ? INVALID : pg->count;
}

static inline u64 s2page_gfn(const struct s2page *pg)
{
	return pg->gfn == S2PAGE_GFN_NONE ? INVALID64 : pg->gfn;
}

#endif
