/* SPDX-License-Identifier: MIT */
/*
 * Page ownership (core/s2page): MemRegion, PageIndex, PageManager,
 * MemManager, MemoryOps. PageManager's accessors expect S2PAGE_ID held;
 * MemManager and MemoryOps take the locks they need.
 */
#ifndef CV_MEM_H
#define CV_MEM_H

#include <cv/types.h>

/* MemRegion: index of the region holding @addr, or INVALID. */
u32 mem_region_search(u64 addr);

/* PageIndex: s2page index of the page at @addr, or INVALID64. */
u64 get_s2_page_index(u64 addr);

/* PageManager: INVALID / INVALID / INVALID64 for a pfn outside every region. */
u32 get_pfn_owner(u64 pfn);
void set_pfn_owner(u64 pfn, u32 vmid);
u32 get_pfn_count(u64 pfn);
/*
 * corevisor: why host page @pfn must stay the host's (a registered vCPU's
 * run page, a GIC table's page), or NULL when it may leave. S2PAGE_ID held.
 */
const char *host_pin_reason(u64 pfn);
void set_pfn_count(u64 pfn, u32 count);
u64 get_pfn_map(u64 pfn);
void set_pfn_map(u64 pfn, u64 gfn);

/* MemManager */
void map_page_host(u64 addr);
void clear_vm_page(u32 vmid, u64 pfn);
/* clear_vm_page with SMMU_ID already held (corevisor). */
void clear_vm_page_smmu_held(u32 vmid, u64 pfn);
/* corevisor (destroy_vm): all of VM @vmid's pages to the host, zeroed. */
u64 reclaim_vm_pages(u32 vmid);
void assign_pfn_to_vm(u32 vmid, u64 gfn, u64 pfn);
void map_pfn_vm(u32 vmid, u64 addr, u64 pte, u32 level);
/* corevisor: map_pfn_vm would swap none of the VM's pages (else panic). */
bool vm_map_target_free(u32 vmid, u64 addr, u64 pte, u32 level);
void map_vm_io(u32 vmid, u64 gpa, u64 pa);
void grant_vm_page(u32 vmid, u64 pfn);
void revoke_vm_page(u32 vmid, u64 pfn);
void assign_pfn_to_smmu(u32 vmid, u64 gfn, u64 pfn);
void update_smmu_page(u32 vmid, u32 cbndx, u32 index, u64 iova, u64 pte);
void unmap_smmu_page(u32 cbndx, u32 index, u64 iova);

/* MemoryOps */
void clear_vm_range(u32 vmid, u64 pfn, u64 num);
/* clear_vm_range with SMMU_ID already held (clear_vm_stage2_range). */
void clear_vm_range_smmu_held(u32 vmid, u64 pfn, u64 num);
void prot_and_map_vm_s2pt(u32 vmid, u64 addr, u64 pte, u32 level);
void grant_stage2_sg_gpa(u32 vmid, u64 addr, u64 size);
void revoke_stage2_sg_gpa(u32 vmid, u64 addr, u64 size);
/* The relies of grant/revoke_stage2_sg_gpa on [addr, addr + size). */
bool is_sg_range(u64 addr, u64 size);

/*
 * corevisor: the GIC's tables (cv/gictab.h). pin_host_pages pins the
 * @pages pages from @base to the host, or panics ("<who>: <what> ...")
 * unless every one is a region page HOSTVISOR owns (none pinned then);
 * a pinned page never leaves the host (assign_pfn_to_vm,
 * assign_pfn_to_smmu, load_decrypt_buf refuse it). unpin_host_pages
 * undoes one pin_host_pages. Both take S2PAGE_ID.
 */
bool pin_host_pages(const char *who, const char *what, u64 base, u64 pages);
void unpin_host_pages(u64 base, u64 pages);
/* The page's pin count (0 outside every region); S2PAGE_ID not needed. */
u32 get_pfn_gic_pins(u64 pfn);

/* Boot: lay the s2page array over the regions, owners as cv_boot says. */
void init_s2page(u64 array_pa);

#endif
