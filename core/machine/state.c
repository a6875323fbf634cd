// SPDX-License-Identifier: MIT
/*
 * The core's global state and its boot: the initial RData. The core's
 * private memory (cv_boot_params.reserved_*) holds, in this order:
 *   [stage-2 pools: NUM_PRINCIPALS * PT_POOL_PER_VM]
 *   [SMMU pool: SMMU_POOL_BYTES]
 *   [s2page array: 8 bytes per page of every region, page rounded]
 * Pool pages are zeroed when they are handed out, not here, so the hosted
 * machine keeps its memory lazily backed.
 */
#include <cv/lib.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>

struct cv_state cv;

static u64 region_pages(const struct cv_boot_params *p)
{
	u64 pages = 0;

	for (u32 i = 0; i < p->nregions && i < MAX_MEMBLOCK_NUM; i++)
		pages += p->regions[i].size / PAGE_SIZE;
	return pages;
}

u64 cv_reserved_bytes(const struct cv_boot_params *params)
{
	u64 s2page_bytes = region_pages(params) * sizeof(struct s2page);

	return PT_POOL_TOTAL + SMMU_POOL_BYTES +
	       ALIGN_UP(s2page_bytes, PAGE_SIZE);
}

static bool regions_valid(const struct cv_boot_params *p)
{
	u64 prev_end = 0;

	if (p->nregions == 0 || p->nregions > MAX_MEMBLOCK_NUM)
		return false;
	for (u32 i = 0; i < p->nregions; i++) {
		const struct memblock *r = &p->regions[i];

		if (r->size == 0 || (r->base | r->size) & (PAGE_SIZE - 1))
			return false;
		if (r->base + r->size < r->base ||
		    r->base + r->size > KVM_PHYS_SIZE)
			return false;
		if (i && r->base < prev_end) /* sorted and disjoint */
			return false;
		/*
		 * corevisor: the core's table maps RAM where it lies, and the
		 * remap area's image pages at REMAP_START..REMAP_END: RAM
		 * there would be replaced by host pages (REMAP_VM_IMAGE).
		 */
		if (r->base < REMAP_END && r->base + r->size > REMAP_START)
			return false;
		prev_end = r->base + r->size;
	}
	return region_pages(p) <= MAX_S2PAGE_NUM;
}

static bool reserved_valid(const struct cv_boot_params *p)
{
	u64 base = p->reserved_base, end = base + p->reserved_size;

	if (base & (PMD_SIZE - 1) || end < base ||
	    p->reserved_size < cv_reserved_bytes(p))
		return false;
	for (u32 i = 0; i < p->nregions; i++) {
		const struct memblock *r = &p->regions[i];

		if (base >= r->base && end <= r->base + r->size)
			return true;
	}
	return false;
}

int cv_boot(const struct cv_boot_params *p)
{
	u64 index = 0, pt_base, smmu_base, s2page_base;

	memset(&cv, 0, sizeof(cv));
	if (!regions_valid(p) || !reserved_valid(p) ||
	    p->ntrusted_keys > CV_MAX_TRUSTED_KEYS)
		return -1;
	/* SMMUConf (core/smmu): checked and copied; none is fine. */
	if (!smmu_boot(p))
		return -1;

	cv.region_cnt = p->nregions;
	for (u32 i = 0; i < p->nregions; i++) {
		cv.regions[i] = p->regions[i];
		cv.regions[i].index = index;
		index += p->regions[i].size / PAGE_SIZE;
	}
	cv.reserved_base = p->reserved_base;
	cv.reserved_size = p->reserved_size;
	cv.shared_base = p->shared_base;
	cv.ntrusted_keys = p->ntrusted_keys;
	memcpy(cv.trusted_keys, p->trusted_keys, sizeof(cv.trusted_keys));
	memcpy(cv.aead_key, p->aead_key, sizeof(cv.aead_key));
	memcpy(cv.nonce_salt, p->nonce_salt, sizeof(cv.nonce_salt));

	cv.core.next_vmid = HOSTVISOR + 1;
	cv.core.next_remap_ptr = REMAP_START;

	pt_base = p->reserved_base;
	smmu_base = pt_base + PT_POOL_TOTAL;
	s2page_base = smmu_base + SMMU_POOL_BYTES;

	for (u32 vmid = HOSTVISOR; vmid <= COREVISOR; vmid++)
		init_npt(vmid, pt_base + (u64)vmid * PT_POOL_PER_VM);
	init_spt_pool(smmu_base);
	init_s2page(s2page_base);

	for (u32 i = 0; i < CTXT_POOL_SIZE; i++)
		cv.shadow_ctxts[i].regs[DIRTY] = 0;
	return halted() ? -1 : 0;
}
