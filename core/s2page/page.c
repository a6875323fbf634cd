// SPDX-License-Identifier: MIT
/*
 * Page ownership, bottom half: MemRegion (which boot region holds an
 * address), PageIndex (a page's entry in the s2page array) and
 * PageManager (owner, share count and gfn of a page), plus the array's
 * boot-time set-up.
 *
 * The array (cv.s2page, in the core's private memory) has one 8-byte
 * struct s2page per 4 KiB page of every region, region after region;
 * cv.regions[i].index is the entry of region i's first page. Pages outside
 * every region (MMIO) have no entry: their owner reads INVALID.
 *
 * Encodings of struct s2page (state.h): gfn INVALID64 is stored as
 * S2PAGE_GFN_NONE; count INVALID (a VM page assigned to an SMMU but not yet
 * mapped in the VM's stage 2, MemManager assign_pfn_to_smmu) is stored as
 * S2PAGE_COUNT_INVALID. Real counts never exceed MAX_SHARE_COUNT.
 *
 * PageManager's accessors expect S2PAGE_ID held (assert_locked).
 */
#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/stream.h>

#include "page_internal.h"

_Static_assert(MAX_SHARE_COUNT < S2PAGE_COUNT_INVALID,
	       "share counts must fit below the INVALID encoding");
_Static_assert(sizeof(struct s2page) == 8, "s2page entries are 8 bytes");

/* ---- MemRegion -------------------------------------------------------- */

/* mem_region_search: the region holding @addr, or INVALID. */
u32 mem_region_search(u64 addr)
{
	u32 res = INVALID;
	u32 n = cv.region_cnt;

	if (n > MAX_MEMBLOCK_NUM)
		n = MAX_MEMBLOCK_NUM;
	for (u32 i = 0; i < n; i++) {
		const struct memblock *r = &cv.regions[i];

		/* addr - base < size: no overflow for a region near 2^64. */
		if (addr >= r->base && addr - r->base < r->size)
			res = i;
	}
	return res;
}

/* ---- PageIndex -------------------------------------------------------- */

/* get_s2_page_index: the s2page entry of the page at @addr, or INVALID64. */
u64 get_s2_page_index(u64 addr)
{
	const struct memblock *r;
	u64 index;
	u32 i;

	if (halted())
		return 0;
	if (!is_addr(addr)) {
		panic("get_s2_page_index: addr 0x%llx beyond 48 bits",
		      (unsigned long long)addr);
		return 0;
	}
	i = mem_region_search(addr);
	if (i == INVALID)
		return INVALID64;
	r = &cv.regions[i];
	if (r->index == INVALID64)
		return INVALID64;
	index = r->index + (addr - r->base) / PAGE_SIZE;
	/* An index past the array is a broken boot layout: never use it. */
	if (index >= cv.s2page_num) {
		s2page_panic_index(addr, index);
		return 0;
	}
	return index;
}

void s2page_panic_index(u64 addr, u64 index)
{
	panic("get_s2_page_index: addr 0x%llx index %llu past %llu",
	      (unsigned long long)addr, (unsigned long long)index,
	      (unsigned long long)cv.s2page_num);
}

/* ---- PageManager ------------------------------------------------------ */

/*
 * The entry of page @pfn, or NULL for a pfn in no region (or after a
 * panic). @pfn must be a gfn-sized number (the spec's `rely is_gfn pfn`):
 * a larger one would wrap pfn * PAGE_SIZE onto some other page.
 */
static struct s2page *page_of(const char *who, u64 pfn)
{
	if (!is_gfn(pfn)) {
		panic("%s: pfn 0x%llx out of range", who,
		      (unsigned long long)pfn);
		return NULL;
	}
	return s2page_entry(pfn);
}

u32 get_pfn_owner(u64 pfn)
{
	struct s2page *pg;

	if (halted())
		return 0;
	pg = page_of(__func__, pfn);
	if (!pg)
		return check(INVALID);
	return check(pg->owner);
}

void set_pfn_owner(u64 pfn, u32 vmid)
{
	struct s2page *pg;

	if (halted())
		return;
	pg = page_of(__func__, pfn);
	if (!pg)
		return;
	if (!is_vmid(vmid)) {
		panic("set_pfn_owner: pfn 0x%llx vmid %u out of range",
		      (unsigned long long)pfn, vmid);
		return;
	}
	/* corevisor: the GIC's tables stay the host's (cv/gictab.h). */
	if (pg->gic_pins && vmid != HOSTVISOR) {
		panic("set_pfn_owner: pfn 0x%llx holds a GIC table",
		      (unsigned long long)pfn);
		return;
	}
	/*
	 * corevisor: a page leaving the host leaves its devices' streams
	 * (cv/stream.h), invalidated, before the new owner has it. One
	 * coming back is mapped by the caller once it is scrubbed
	 * (clear_vm_page).
	 */
	if (pg->owner == HOSTVISOR && vmid != HOSTVISOR)
		host_stream_unmap(pfn);
	/* corevisor: and a VM's page leaves that VM's streams likewise. */
	if (pg->owner != vmid && is_vm(pg->owner) && pg->gfn != S2PAGE_GFN_NONE)
		vm_stream_page_leaves(pg->owner, pfn, pg->gfn);
	pg->owner = vmid;
}

u32 get_pfn_count(u64 pfn)
{
	struct s2page *pg;

	if (halted())
		return 0;
	pg = page_of(__func__, pfn);
	if (!pg)
		return check(INVALID);
	return check(s2page_count(pg));
}

const char *host_pin_reason(u64 pfn)
{
	struct s2page *pg;

	if (halted())
		return NULL;
	pg = page_of(__func__, pfn);
	if (pg && pg->pinned)
		return "is a vCPU's run page";
	if (pg && pg->gic_pins)
		return "holds a GIC table";
	return NULL;
}

void set_pfn_count(u64 pfn, u32 count)
{
	struct s2page *pg;

	if (halted())
		return;
	pg = page_of(__func__, pfn);
	if (!pg)
		return;
	if (count == INVALID) {
		pg->count = S2PAGE_COUNT_INVALID;
		return;
	}
	if (count > MAX_SHARE_COUNT) {
		panic("set_pfn_count: pfn 0x%llx count %u out of range",
		      (unsigned long long)pfn, count);
		return;
	}
	pg->count = count;
}

u64 get_pfn_map(u64 pfn)
{
	struct s2page *pg;

	if (halted())
		return 0;
	pg = page_of(__func__, pfn);
	if (!pg)
		return check64(INVALID64);
	return check64(s2page_gfn(pg));
}

void set_pfn_map(u64 pfn, u64 gfn)
{
	struct s2page *pg;

	if (halted())
		return;
	pg = page_of(__func__, pfn);
	if (!pg)
		return;
	/* corevisor: a VM's stream maps its page at the gfn it had. */
	if (is_vm(pg->owner) && pg->gfn != S2PAGE_GFN_NONE && pg->gfn != gfn)
		vm_stream_page_leaves(pg->owner, pfn, pg->gfn);
	if (gfn == INVALID64) {
		pg->gfn = S2PAGE_GFN_NONE;
		return;
	}
	if (!is_gfn(gfn)) {
		panic("set_pfn_map: pfn 0x%llx gfn 0x%llx out of range",
		      (unsigned long long)pfn, (unsigned long long)gfn);
		return;
	}
	pg->gfn = gfn;
}

/*
 * Boot (corevisor addition): the array at @array_pa gets one entry per
 * region page, all owned by HOSTVISOR with count 0 and no gfn, except the
 * core's private memory, owned by COREVISOR. Runs on the boot CPU alone.
 */
void init_s2page(u64 array_pa)
{
	struct s2page *arr;
	u64 index = 0, first, last;
	u32 n = cv.region_cnt;

	if (halted())
		return;
	if (n > MAX_MEMBLOCK_NUM) {
		panic("init_s2page: %u regions", n);
		return;
	}
	for (u32 i = 0; i < n; i++) {
		cv.regions[i].index = index;
		index += cv.regions[i].size / PAGE_SIZE;
	}
	if (index > MAX_S2PAGE_NUM) {
		panic("init_s2page: %llu pages exceed MAX_S2PAGE_NUM",
		      (unsigned long long)index);
		return;
	}
	arr = arch_phys_to_virt(array_pa);
	if (!arr || array_pa % PAGE_SIZE ||
	    (index && !arch_phys_to_virt(array_pa + index * 8 - 1))) {
		panic("init_s2page: array at 0x%llx is not memory",
		      (unsigned long long)array_pa);
		return;
	}
	cv.s2page = arr;
	cv.s2page_num = index;
	for (u64 i = 0; i < index; i++)
		arr[i] = (struct s2page){
			.owner = HOSTVISOR, .count = 0, .gfn = S2PAGE_GFN_NONE};

	if (cv.reserved_size == 0)
		return;
	first = cv.reserved_base / PAGE_SIZE;
	last = (cv.reserved_base + cv.reserved_size - 1) / PAGE_SIZE;
	for (u64 pfn = first; pfn <= last; pfn++) {
		u64 i = get_s2_page_index(pfn * PAGE_SIZE);

		if (halted())
			return;
		if (i == INVALID64) {
			panic("init_s2page: reserved pfn 0x%llx in no region",
			      (unsigned long long)pfn);
			return;
		}
		arr[i].owner = COREVISOR;
	}
}

/* ---- corevisor: the GIC's pins (cv/gictab.h, cv/mem.h) ---------------- */

bool pin_host_pages(const char *who, const char *what, u64 base, u64 pages)
{
	u64 pfn = base / PAGE_SIZE;
	struct s2page *pg;

	if (halted())
		return false;
	if (!pages)
		return true;
	if (base % PAGE_SIZE || pages > cv.s2page_num ||
	    base + pages * PAGE_SIZE < base) {
		panic("%s: %s at 0x%llx, %llu pages: not host memory", who,
		      what, (unsigned long long)base,
		      (unsigned long long)pages);
		return false;
	}
	acquire_lock_s2page();
	for (u64 i = 0; i < pages; i++) {
		pg = s2page_entry(pfn + i);
		if (halted())
			return false;
		if (!pg || pg->owner != HOSTVISOR ||
		    pg->gic_pins == S2PAGE_GIC_PINS_MAX) {
			panic("%s: %s at 0x%llx: pfn 0x%llx owned by %u, not "
			      "the host's",
			      who, what, (unsigned long long)base,
			      (unsigned long long)(pfn + i),
			      pg ? (u32)pg->owner : INVALID);
			return false;
		}
	}
	for (u64 i = 0; i < pages; i++)
		s2page_entry(pfn + i)->gic_pins++;
	release_lock_s2page();
	return true;
}

void unpin_host_pages(u64 base, u64 pages)
{
	struct s2page *pg;

	if (halted() || !pages)
		return;
	acquire_lock_s2page();
	for (u64 i = 0; i < pages; i++) {
		pg = s2page_entry(base / PAGE_SIZE + i);
		if (halted())
			return;
		if (!pg || pg->gic_pins == 0) {
			panic("unpin_host_pages: pfn 0x%llx is not pinned",
			      (unsigned long long)(base / PAGE_SIZE + i));
			return;
		}
		pg->gic_pins--;
	}
	release_lock_s2page();
}

u32 get_pfn_gic_pins(u64 pfn)
{
	u64 addr = pfn * PAGE_SIZE, index;

	if (pfn >> (64 - PAGE_SHIFT))
		return 0;
	for (u32 i = 0; i < cv.region_cnt && i < MAX_MEMBLOCK_NUM; i++) {
		const struct memblock *r = &cv.regions[i];

		if (addr < r->base || addr - r->base >= r->size ||
		    r->index == INVALID64)
			continue;
		index = (addr - r->base) / PAGE_SIZE + r->index;
		return index < cv.s2page_num ? cv.s2page[index].gic_pins : 0;
	}
	return 0;
}
