// SPDX-License-Identifier: MIT
/*
 * The core's global state and its boot: the initial RData. The core's
 * private memory (cv_boot_params.reserved_*) holds, in this order:
 *   [the host's stage-2 pool: host_pool_geometry of the memory map]
 *   [VMs' and the core's stage-2 pools: 16 of vm_pool_geometry's size]
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
#include <cv/gictab.h>
#include <cv/stream.h>

struct cv_state cv;

static u64 region_pages(const struct cv_boot_params *p)
{
	u64 pages = 0;

	for (u32 i = 0; i < p->nregions && i < MAX_MEMBLOCK_NUM; i++)
		pages += p->regions[i].size / PAGE_SIZE;
	return pages;
}

static u64 host_pool_bytes(const struct cv_boot_params *p)
{
	struct pt_geometry g;

	host_pool_geometry(p->regions,
			   p->nregions < MAX_MEMBLOCK_NUM ? p->nregions
							  : MAX_MEMBLOCK_NUM,
			   &g);
	return g.pool_bytes;
}

/* The pool of each VM and of the core (vm_pool_geometry). */
static void vm_pools(const struct cv_boot_params *p, struct pt_geometry *g)
{
	vm_pool_geometry(p->regions,
			 p->nregions < MAX_MEMBLOCK_NUM ? p->nregions
							: MAX_MEMBLOCK_NUM,
			 g);
}

u64 cv_reserved_bytes(const struct cv_boot_params *params)
{
	u64 s2page_bytes = region_pages(params) * sizeof(struct s2page);
	struct pt_geometry g;

	vm_pools(params, &g);
	return host_pool_bytes(params) + (NUM_PRINCIPALS - 1) * g.pool_bytes +
	       SMMU_POOL_BYTES + ALIGN_UP(s2page_bytes, PAGE_SIZE) +
	       stream_pool_bytes(params) + gic_reserved_bytes(params);
}

/* The PA size the host's stage 2 allows (cv_boot_params.pa_bits). */
static u32 boot_pa_bits(const struct cv_boot_params *p)
{
	return p->pa_bits ? p->pa_bits : 40;
}

static bool regions_valid(const struct cv_boot_params *p)
{
	u64 prev_end = 0, pa_end = 1ULL << boot_pa_bits(p);

	if (p->nregions == 0 || p->nregions > MAX_MEMBLOCK_NUM)
		return false;
	for (u32 i = 0; i < p->nregions; i++) {
		const struct memblock *r = &p->regions[i];

		if (r->size == 0 || (r->base | r->size) & (PAGE_SIZE - 1))
			return false;
		if (r->base + r->size < r->base ||
		    r->base + r->size > KVM_PHYS_SIZE ||
		    r->base + r->size > pa_end)
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
	u64 index = 0, pt_base, smmu_base, s2page_base, stream_base;

	memset(&cv, 0, sizeof(cv));
	if (boot_pa_bits(p) < 32 || boot_pa_bits(p) > 48)
		return -1;
	if (!regions_valid(p) || !reserved_valid(p) ||
	    p->ntrusted_keys > CV_MAX_TRUSTED_KEYS)
		return -1;
	/* SMMUConf (core/smmu): checked and copied; none is fine. */
	if (!smmu_boot(p))
		return -1;
	/* corevisor: an SMMUv3 for the host's devices (cv/stream.h). */
	if (!stream_boot_valid(p))
		return -1;
	cv.smmuv3_base = p->smmuv3_base;
	cv.smmuv3_size = p->smmuv3_size;
	cv.smmuv3_msi_page = p->smmuv3_msi_page;

	cv.region_cnt = p->nregions;
	for (u32 i = 0; i < p->nregions; i++) {
		cv.regions[i] = p->regions[i];
		cv.regions[i].index = index;
		index += p->regions[i].size / PAGE_SIZE;
	}
	cv.reserved_base = p->reserved_base;
	cv.reserved_size = p->reserved_size;
	cv.shared_base = p->shared_base;
	cv.pa_bits = boot_pa_bits(p);
	cv.ntrusted_keys = p->ntrusted_keys;
	memcpy(cv.trusted_keys, p->trusted_keys, sizeof(cv.trusted_keys));
	memcpy(cv.aead_key, p->aead_key, sizeof(cv.aead_key));
	memcpy(cv.nonce_salt, p->nonce_salt, sizeof(cv.nonce_salt));

	cv.core.next_vmid = HOSTVISOR + 1;
	cv.core.next_remap_ptr = REMAP_START;

	/* The host's pool first, then one of cv.vm_geom per VM and core. */
	vm_pools(p, &cv.vm_geom);
	pt_base = p->reserved_base + host_pool_bytes(p);
	smmu_base = pt_base + (NUM_PRINCIPALS - 1) * cv.vm_geom.pool_bytes;
	s2page_base = smmu_base + SMMU_POOL_BYTES;

	init_npt(HOSTVISOR, p->reserved_base);
	for (u32 vmid = HOSTVISOR + 1; vmid <= COREVISOR; vmid++)
		init_npt(vmid,
			 pt_base + (u64)(vmid - 1) * cv.vm_geom.pool_bytes);
	init_spt_pool(smmu_base);
	smmu_boot_registers();
	init_s2page(s2page_base);
	stream_base =
		s2page_base +
		ALIGN_UP(region_pages(p) * sizeof(struct s2page), PAGE_SIZE);
	init_host_stream(p->smmuv3_base ? stream_base : 0);
	/* corevisor: the GIC's table registers (cv/gictab.h). */
	if (!gic_boot(p, gic_reserved_bytes(p)
				 ? stream_base + stream_pool_bytes(p)
				 : 0))
		return -1;

	for (u32 i = 0; i < CTXT_POOL_SIZE; i++)
		cv.shadow_ctxts[i].regs[DIRTY] = 0;
	return halted() ? -1 : 0;
}
