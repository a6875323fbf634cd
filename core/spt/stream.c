// SPDX-License-Identifier: MIT
/*
 * The host's SMMUv3 stream table (corevisor; cv/stream.h): an identity
 * map of the pages HOSTVISOR owns, in the format an SMMUv3 context
 * descriptor's stage-1 walk reads (VMSAv8-64, 4 KiB granule, 39-bit
 * input, start at level 1). The same discipline as the SMMUv2 tables
 * (spt.c): real descriptors, 64-bit atomic entries, release stores that
 * link zeroed tables, bump allocation from the core's own pool, and every
 * removed leaf followed by arch_pt_sync and the SMMU's invalidation.
 *
 * The spec's SMMU checks carry over (docs/spec-deviations.md, "SMMUv3"):
 * update_smmu_page maps a page into a bank only when the bank's principal
 * owns it; here the one principal is HOSTVISOR and the page's owner is
 * what set_pfn_owner is setting, so the table follows the ownership and
 * never leads it.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/stream.h>
#include <cv/state.h>

#define STREAM_ENTRIES 512U
#define STREAM_L1_SHIFT 30U
#define STREAM_L2_SHIFT 21U

static inline u32 stream_index(u64 iova, u32 shift)
{
	return (iova >> shift) & (STREAM_ENTRIES - 1);
}

/* Spans of 2^shift bytes that [base, base + size) touches. */
static u64 spans(u64 base, u64 size, u32 shift)
{
	return ((base + size - 1) >> shift) - (base >> shift) + 1;
}

u64 stream_pool_bytes(const struct cv_boot_params *p)
{
	u64 pages = 3; /* the level-1 root; the doorbell's level 2 and 3 */

	if (!p->smmuv3_base)
		return 0;
	for (u32 i = 0; i < p->nregions && i < MAX_MEMBLOCK_NUM; i++) {
		const struct memblock *r = &p->regions[i];

		if (!r->size)
			continue;
		pages += spans(r->base, r->size, STREAM_L1_SHIFT) +
			 spans(r->base, r->size, STREAM_L2_SHIFT);
	}
	return pages * PAGE_SIZE;
}

bool stream_boot_valid(const struct cv_boot_params *p)
{
	u64 base = p->smmuv3_base, size = p->smmuv3_size;

	if (!base)
		return size == 0 && p->smmuv3_msi_page == 0;
	if ((base | size) & (PAGE_SIZE - 1) || !size || base + size < base)
		return false;
	if (p->smmuv3_msi_page & (PAGE_SIZE - 1) ||
	    p->smmuv3_msi_page >> STREAM_IOVA_BITS ||
	    (p->smmuv3_msi_page >= base && p->smmuv3_msi_page < base + size))
		return false;
	for (u32 i = 0; i < p->nregions && i < MAX_MEMBLOCK_NUM; i++) {
		const struct memblock *r = &p->regions[i];

		if (p->smmuv3_msi_page >= r->base &&
		    p->smmuv3_msi_page - r->base < r->size)
			return false; /* the doorbell must be MMIO */
		/* Devices reach only RAM the table can map. */
		if (r->base + r->size > (1ULL << STREAM_IOVA_BITS))
			return false;
		if (base < r->base + r->size && r->base < base + size)
			return false; /* registers inside RAM */
	}
	return true;
}

u64 host_stream_ttbr(void)
{
	return cv.spt.stream_pool;
}

bool is_smmuv3_range(u64 addr)
{
	return cv.smmuv3_base && addr >= cv.smmuv3_base &&
	       addr - cv.smmuv3_base < cv.smmuv3_size;
}

static u64 *entry_at(u64 table, u32 index)
{
	u64 *p = arch_phys_to_virt(table + (u64)index * 8);

	if (!p)
		panic("host stream: table entry 0x%llx is not memory",
		      (unsigned long long)(table + (u64)index * 8));
	return p;
}

/* The next level's table below *p, allocated and linked when missing. */
static u64 next_table(u64 *p, bool alloc)
{
	u64 e = __atomic_load_n(p, __ATOMIC_ACQUIRE), pa;

	if ((e & PTE_TYPE_MASK) == PTE_TYPE_TABLE)
		return phys_page(e);
	if (e || !alloc)
		return 0;
	pa = cv.spt.stream_next;
	if (pa + PAGE_SIZE > cv.spt.stream_end) {
		panic("host stream: pool exhausted at 0x%llx",
		      (unsigned long long)pa);
		return 0;
	}
	cv.spt.stream_next = pa + PAGE_SIZE;
	cv_zero_page(pa / PAGE_SIZE);
	__atomic_store_n(p, pa | PTE_TYPE_TABLE, __ATOMIC_RELEASE);
	return pa;
}

/* The level-3 entry for @iova, or NULL (no table and !alloc, or halted). */
static u64 *leaf_slot(u64 iova, bool alloc)
{
	u64 *p, table = cv.spt.stream_pool;

	assert_locked(SPT_ID);
	if (!table || iova >> STREAM_IOVA_BITS)
		return NULL;
	p = entry_at(table, stream_index(iova, STREAM_L1_SHIFT));
	if (!p || !(table = next_table(p, alloc)))
		return NULL;
	p = entry_at(table, stream_index(iova, STREAM_L2_SHIFT));
	if (!p || !(table = next_table(p, alloc)))
		return NULL;
	return entry_at(table, stream_index(iova, PAGE_SHIFT));
}

static void stream_map_locked(u64 pfn, u64 attrs)
{
	u64 *p = leaf_slot(pfn * PAGE_SIZE, true);

	if (p)
		__atomic_store_n(p, pfn * PAGE_SIZE | attrs, __ATOMIC_RELEASE);
}

void init_host_stream(u64 pool)
{
	static struct cv_boot_params p; /* large: not on the stack */

	p.nregions = cv.region_cnt;
	p.smmuv3_base = cv.smmuv3_base;
	for (u32 i = 0; i < cv.region_cnt; i++)
		p.regions[i] = cv.regions[i];
	cv.spt.stream_pool = pool;
	cv.spt.stream_next = pool + PAGE_SIZE;
	cv.spt.stream_end = pool + stream_pool_bytes(&p);
	if (!pool)
		return;
	cv_zero_page(pool / PAGE_SIZE);
	acquire_lock_spt();
	for (u32 i = 0; i < cv.region_cnt && !halted(); i++) {
		const struct memblock *r = &cv.regions[i];

		for (u64 k = 0; k < r->size / PAGE_SIZE && !halted(); k++)
			if (cv.s2page[r->index + k].owner == HOSTVISOR)
				stream_map_locked(r->base / PAGE_SIZE + k,
						  STREAM_PAGE);
	}
	if (cv.smmuv3_msi_page)
		stream_map_locked(cv.smmuv3_msi_page / PAGE_SIZE,
				  STREAM_DOORBELL_PAGE);
	release_lock_spt();
}

void host_stream_map(u64 pfn)
{
	if (halted() || !cv.spt.stream_pool)
		return;
	acquire_lock_spt();
	stream_map_locked(pfn, STREAM_PAGE);
	release_lock_spt();
}

void host_stream_unmap(u64 pfn)
{
	u64 *p;

	if (halted() || !cv.spt.stream_pool)
		return;
	acquire_lock_spt();
	p = leaf_slot(pfn * PAGE_SIZE, false);
	if (p && __atomic_load_n(p, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(p, 0, __ATOMIC_RELEASE);
		arch_pt_sync();
		/* Complete before the page's new owner can use it. */
		arch_smmuv3_tlb_inv(pfn * PAGE_SIZE);
	}
	release_lock_spt();
}

u64 host_stream_walk(u64 iova)
{
	u64 *p, e = 0;

	if (halted() || !cv.spt.stream_pool)
		return 0;
	acquire_lock_spt();
	p = leaf_slot(iova, false);
	if (p)
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	release_lock_spt();
	return e;
}

/* The owner of region page @pfn, INVALID outside every region. */
static u32 owner_of_pfn(u64 pfn)
{
	u64 addr = pfn * PAGE_SIZE;

	for (u32 i = 0; i < cv.region_cnt; i++) {
		const struct memblock *r = &cv.regions[i];

		if (addr >= r->base && addr - r->base < r->size)
			return cv
				.s2page[r->index + (addr - r->base) / PAGE_SIZE]
				.owner;
	}
	return INVALID;
}

u64 host_stream_check(u64 *entry)
{
	u64 root = cv.spt.stream_pool;
	const u64 *l1, *l2, *l3;

	if (!root)
		return INVALID64;
	l1 = arch_phys_to_virt(root);
	for (u32 a = 0; l1 && a < STREAM_ENTRIES; a++) {
		u64 e1 = __atomic_load_n(&l1[a], __ATOMIC_ACQUIRE);

		if (!e1)
			continue;
		if ((e1 & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
			*entry = e1;
			return (u64)a << STREAM_L1_SHIFT;
		}
		l2 = arch_phys_to_virt(phys_page(e1));
		for (u32 b = 0; l2 && b < STREAM_ENTRIES; b++) {
			u64 e2 = __atomic_load_n(&l2[b], __ATOMIC_ACQUIRE);
			u64 base = (u64)a << STREAM_L1_SHIFT |
				   (u64)b << STREAM_L2_SHIFT;

			if (!e2)
				continue;
			if ((e2 & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
				*entry = e2;
				return base;
			}
			l3 = arch_phys_to_virt(phys_page(e2));
			for (u32 c = 0; l3 && c < STREAM_ENTRIES; c++) {
				u64 e3 = __atomic_load_n(&l3[c],
							 __ATOMIC_ACQUIRE);
				u64 iova = base | (u64)c << PAGE_SHIFT;

				if (!e3)
					continue;
				if (iova == cv.smmuv3_msi_page && iova &&
				    e3 == (iova | STREAM_DOORBELL_PAGE))
					continue;
				if (e3 != (iova | STREAM_PAGE) ||
				    owner_of_pfn(iova / PAGE_SIZE) !=
					    HOSTVISOR) {
					*entry = e3;
					return iova;
				}
			}
		}
	}
	return INVALID64;
}
