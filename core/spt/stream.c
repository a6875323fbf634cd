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

/* The host's table: pages for every region (stream_pool_bytes). */
static u64 host_stream_bytes(const struct cv_boot_params *p)
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

u64 stream_pool_bytes(const struct cv_boot_params *p)
{
	if (!p->smmuv3_base)
		return 0;
	return host_stream_bytes(p) + VM_STREAM_POOL_PAGES * PAGE_SIZE;
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
	cv.spt.stream_end = pool + (pool ? host_stream_bytes(&p) : 0);
	cv.spt.vm_stream_next = cv.spt.stream_end;
	cv.spt.vm_stream_end = pool ? pool + stream_pool_bytes(&p) : 0;
	cv.spt.vm_stream_free = 0;
	for (u32 v = 0; v < NUM_PRINCIPALS; v++) {
		cv.spt.vm_stream_root[v] = 0;
		cv.spt.vm_stream_pages[v] = 0;
	}
	for (u32 sid = 0; sid < CV_SMMUV3_STREAMS; sid++)
		cv.spt.stream_vm[sid] = HOSTVISOR;
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

/* Region page @pfn's entry, NULL outside every region. */
static const struct s2page *region_page(u64 pfn)
{
	u64 addr = pfn * PAGE_SIZE;

	for (u32 i = 0; i < cv.region_cnt; i++) {
		const struct memblock *r = &cv.regions[i];

		if (addr >= r->base && addr - r->base < r->size)
			return &cv.s2page[r->index +
					  (addr - r->base) / PAGE_SIZE];
	}
	return NULL;
}

/* The owner of region page @pfn, INVALID outside every region. */
static u32 owner_of_pfn(u64 pfn)
{
	const struct s2page *pg = region_page(pfn);

	return pg ? pg->owner : INVALID;
}

/* The gfn region page @pfn is mapped at, INVALID64 when none. */
static u64 s2page_gfn_of(u64 pfn)
{
	const struct s2page *pg = region_page(pfn);

	return pg && pg->gfn != S2PAGE_GFN_NONE ? pg->gfn : INVALID64;
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

/*
 * The VMs' stream tables: the SMMUv3 form of the spec's context banks a
 * VM owns (el2_alloc_smmu_pgd, update_smmu_page, clear_smmu,
 * el2_free_smmu_pgd). Same format and leaves as the host's table; each
 * leaf maps IOVA gfn * PAGE_SIZE to the page the VM owns at that gfn.
 * Table pages come from the VMs' part of the stream pool: the free list
 * first, then the bump cursor; a destroyed VM's pages go on the list.
 */
static u64 vm_stream_pages_left(void)
{
	u64 n = (cv.spt.vm_stream_end - cv.spt.vm_stream_next) / PAGE_SIZE;

	for (u64 pa = cv.spt.vm_stream_free; pa && n < 4;
	     pa = *(u64 *)arch_phys_to_virt(pa))
		n++;
	return n;
}

static u64 vm_stream_alloc(u32 vmid)
{
	u64 pa = cv.spt.vm_stream_free;

	if (pa) {
		cv.spt.vm_stream_free = *(u64 *)arch_phys_to_virt(pa);
	} else {
		pa = cv.spt.vm_stream_next;
		cv.spt.vm_stream_next = pa + PAGE_SIZE;
	}
	cv_zero_page(pa / PAGE_SIZE);
	cv.spt.vm_stream_pages[vmid]++;
	return pa;
}

static void vm_stream_give_back(u64 pa)
{
	*(u64 *)arch_phys_to_virt(pa) = cv.spt.vm_stream_free;
	cv.spt.vm_stream_free = pa;
}

u64 vm_stream_ttbr(u32 vmid)
{
	return vmid < NUM_PRINCIPALS ? cv.spt.vm_stream_root[vmid] : 0;
}

u32 stream_attached_to(u32 sid)
{
	return sid < CV_SMMUV3_STREAMS ? cv.spt.stream_vm[sid] : INVALID;
}

/* Table pages a map of @iova in @vmid's table would need (root included). */
static u64 vm_stream_pages_needed(u32 vmid, u64 iova)
{
	u64 root = cv.spt.vm_stream_root[vmid], e, l2;

	if (!root)
		return 3;
	e = __atomic_load_n(entry_at(root, stream_index(iova, STREAM_L1_SHIFT)),
			    __ATOMIC_ACQUIRE);
	if (!e)
		return 2;
	l2 = phys_page(e);
	e = __atomic_load_n(entry_at(l2, stream_index(iova, STREAM_L2_SHIFT)),
			    __ATOMIC_ACQUIRE);
	return e ? 0 : 1;
}

/* The level-3 entry for @iova in @vmid's table, allocating tables. */
static u64 *vm_leaf_slot(u32 vmid, u64 iova, bool alloc)
{
	u64 table = cv.spt.vm_stream_root[vmid], *p, e;

	if (!table)
		return NULL;
	for (u32 shift = STREAM_L1_SHIFT; shift > PAGE_SHIFT; shift -= 9) {
		p = entry_at(table, stream_index(iova, shift));
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (!e) {
			if (!alloc)
				return NULL;
			e = vm_stream_alloc(vmid) | PTE_TYPE_TABLE;
			__atomic_store_n(p, e, __ATOMIC_RELEASE);
		}
		table = phys_page(e);
	}
	return entry_at(table, stream_index(iova, PAGE_SHIFT));
}

u64 vm_stream_attach(u32 sid, u32 vmid)
{
	u64 ttbr;

	if (halted())
		return CV_V3_OK;
	acquire_lock_spt();
	/* Only detaching moves a stream off a VM (alloc_smmu's bank). */
	if (vmid != HOSTVISOR && cv.spt.stream_vm[sid] != HOSTVISOR &&
	    cv.spt.stream_vm[sid] != vmid) {
		panic("smmuv3_attach: stream %u is vm %u's, not vm %u's", sid,
		      cv.spt.stream_vm[sid], vmid);
		return CV_V3_OK;
	}
	if (vmid != HOSTVISOR && !cv.spt.vm_stream_root[vmid]) {
		if (vm_stream_pages_left() < 1) {
			release_lock_spt();
			return CV_V3_NO_TABLE;
		}
		cv.spt.vm_stream_root[vmid] = vm_stream_alloc(vmid);
	}
	if (cv.spt.stream_vm[sid] != vmid) {
		ttbr = vmid == HOSTVISOR ? cv.spt.stream_pool
					 : cv.spt.vm_stream_root[vmid];
		/* The STE changes and is invalidated before this returns. */
		arch_smmuv3_attach(sid, vmid, ttbr);
		cv.spt.stream_vm[sid] = (u8)vmid;
	}
	release_lock_spt();
	return CV_V3_OK;
}

u64 vm_stream_map(u32 vmid, u64 iova, u64 pfn)
{
	u64 *p;

	if (halted())
		return CV_V3_OK;
	acquire_lock_spt();
	if (vm_stream_pages_left() < vm_stream_pages_needed(vmid, iova)) {
		release_lock_spt();
		return CV_V3_NO_TABLE;
	}
	if (!cv.spt.vm_stream_root[vmid])
		cv.spt.vm_stream_root[vmid] = vm_stream_alloc(vmid);
	p = vm_leaf_slot(vmid, iova, true);
	if (p && __atomic_load_n(p, __ATOMIC_ACQUIRE)) {
		panic("map_smmu: vm %u iova 0x%llx is mapped already", vmid,
		      (unsigned long long)iova);
		return CV_V3_OK;
	}
	if (p)
		__atomic_store_n(p, pfn * PAGE_SIZE | STREAM_PAGE,
				 __ATOMIC_RELEASE);
	release_lock_spt();
	return CV_V3_OK;
}

/* Clear @p (a leaf of @vmid's table at @iova): out of the SMMU's TLB too. */
static void vm_leaf_clear(u32 vmid, u64 *p, u64 iova)
{
	__atomic_store_n(p, 0, __ATOMIC_RELEASE);
	arch_pt_sync();
	arch_smmuv3_tlb_inv_asid(vmid, iova);
}

u64 vm_stream_unmap(u32 vmid, u64 iova)
{
	u64 *p, e = 0;

	if (halted())
		return 0;
	acquire_lock_spt();
	p = vm_leaf_slot(vmid, iova, false);
	if (p)
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	if (e)
		vm_leaf_clear(vmid, p, iova);
	release_lock_spt();
	return e;
}

void vm_stream_page_leaves(u32 vmid, u64 pfn, u64 gfn)
{
	u64 *p, iova = gfn * PAGE_SIZE;

	if (halted() || !is_vm(vmid) || !cv.spt.vm_stream_root[vmid] ||
	    gfn >> (STREAM_IOVA_BITS - PAGE_SHIFT))
		return;
	acquire_lock_spt();
	p = vm_leaf_slot(vmid, iova, false);
	if (p &&
	    phys_page(__atomic_load_n(p, __ATOMIC_ACQUIRE)) == pfn * PAGE_SIZE)
		vm_leaf_clear(vmid, p, iova);
	release_lock_spt();
}

void vm_stream_release(u32 vmid)
{
	u64 root, *l1, *l2;

	if (halted())
		return;
	acquire_lock_spt();
	/* Devices first: every stream back on the host's table. */
	for (u32 sid = 0; sid < CV_SMMUV3_STREAMS; sid++)
		if (cv.spt.stream_vm[sid] == vmid) {
			arch_smmuv3_attach(sid, HOSTVISOR, cv.spt.stream_pool);
			cv.spt.stream_vm[sid] = HOSTVISOR;
		}
	root = cv.spt.vm_stream_root[vmid];
	if (!root) {
		release_lock_spt();
		return;
	}
	cv.spt.vm_stream_root[vmid] = 0;
	/* No stream walks the table now: drop what the SMMU cached of it. */
	arch_smmuv3_tlb_inv_all_asid(vmid);
	l1 = arch_phys_to_virt(root);
	for (u32 a = 0; l1 && a < STREAM_ENTRIES; a++) {
		if (!l1[a])
			continue;
		l2 = arch_phys_to_virt(phys_page(l1[a]));
		for (u32 b = 0; l2 && b < STREAM_ENTRIES; b++)
			if (l2[b])
				vm_stream_give_back(phys_page(l2[b]));
		vm_stream_give_back(phys_page(l1[a]));
	}
	vm_stream_give_back(root);
	cv.spt.vm_stream_pages[vmid] = 0;
	release_lock_spt();
}

/*
 * The VM side of stream_iso (core/inv): see cv/stream.h. @what says what
 * broke; returns the iova, sid or vmid concerned, or INVALID64.
 */
u64 vm_stream_check(const char **what, u64 *entry)
{
	for (u32 sid = 0; sid < CV_SMMUV3_STREAMS; sid++) {
		u32 vmid = cv.spt.stream_vm[sid];
		u64 want = vmid == HOSTVISOR ? cv.spt.stream_pool
					     : cv.spt.vm_stream_root[vmid];

		*entry = vmid;
		if (vmid != HOSTVISOR &&
		    (!is_vm(vmid) || vm_info(vmid)->state == UNUSED || !want)) {
			*what = "stream attached to a free vmid";
			return sid;
		}
		if (cv.spt.stream_pool &&
		    arch_smmuv3_stream_ttbr(sid) != want) {
			*entry = arch_smmuv3_stream_ttbr(sid);
			*what = "STE not on its principal's table";
			return sid;
		}
	}
	for (u32 vmid = 0; vmid < NUM_PRINCIPALS; vmid++) {
		u64 root = cv.spt.vm_stream_root[vmid];
		const u64 *l1, *l2, *l3;

		if (!root)
			continue;
		*entry = vmid;
		if (!is_vm(vmid) || vm_info(vmid)->state == UNUSED) {
			*what = "table of a free vmid";
			return vmid;
		}
		l1 = arch_phys_to_virt(root);
		for (u32 a = 0; l1 && a < STREAM_ENTRIES; a++) {
			if (!l1[a])
				continue;
			l2 = arch_phys_to_virt(phys_page(l1[a]));
			for (u32 b = 0; l2 && b < STREAM_ENTRIES; b++) {
				if (!l2[b])
					continue;
				l3 = arch_phys_to_virt(phys_page(l2[b]));
				for (u32 c = 0; l3 && c < STREAM_ENTRIES; c++) {
					u64 e = l3[c],
					    pfn = phys_page(e) / PAGE_SIZE;
					u64 iova = (u64)a << STREAM_L1_SHIFT |
						   (u64)b << STREAM_L2_SHIFT |
						   (u64)c << PAGE_SHIFT;

					if (!e)
						continue;
					*entry = e;
					if ((e & ~PTE_ADDR_MASK) !=
						    STREAM_PAGE ||
					    owner_of_pfn(pfn) != vmid ||
					    s2page_gfn_of(pfn) !=
						    iova / PAGE_SIZE) {
						*what = "VM stream leaf not a "
							"page the VM owns "
							"at that gfn";
						return iova;
					}
				}
			}
		}
	}
	return INVALID64;
}
