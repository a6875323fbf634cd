/* SPDX-License-Identifier: MIT */
/*
 * The host's SMMUv3 streams (corevisor; core/spt/stream.c).
 *
 * On a machine with an SMMUv3 (cv_boot_params.smmuv3_base), the arch
 * points every stream the host's devices use at one context descriptor
 * whose stage-1 table is this one: an identity map, page by page, of
 * exactly the region pages HOSTVISOR owns. It is the host's stage 2 seen
 * by its devices, kept eagerly (a device cannot fault a page in):
 *
 *  - a page that leaves HOSTVISOR is unmapped and the SMMU's cached
 *    translation of it dropped (arch_smmuv3_tlb_inv, complete when it
 *    returns) before the owner changes (clear_pfn_host, which every
 *    path that takes a page from the host calls, and set_pfn_owner), so
 *    no new owner ever holds a page a host device can still reach; a
 *    page that comes back to HOSTVISOR (clear_vm_page, a VM's pages
 *    reclaimed) is mapped again only after it is scrubbed.
 *  - Pages a VM grants the host (count > 0) stay out: the host's CPU may
 *    map them, its devices may not.
 *  - One MMIO page is in: the MSI doorbell (cv_boot_params.smmuv3_msi_page,
 *    a GICv3 ITS's GITS_TRANSLATER frame), as device memory, so the
 *    host's devices can signal their interrupts.
 *
 * Format (the SMMU walks it as it is): VMSAv8-64 stage 1, 4 KiB granule,
 * STREAM_IOVA_BITS of input (CD.T0SZ = 64 - STREAM_IOVA_BITS), so the
 * walk starts at level 1: the root is one page of 512 level-1 entries,
 * then level-2 and level-3 tables bump-allocated from the stream pool
 * (sized at boot for every region, stream_pool_bytes). Leaves are
 * STREAM_PAGE: AF, inner shareable, AP[2:1] = 01 (read-write),
 * AttrIndx 0 (CD.MAIR attribute 0: normal write-back), never executable.
 *
 * Locks: SPT_ID guards the table; set_pfn_owner holds S2PAGE_ID and takes
 * SPT_ID (state.h's order).
 */
#ifndef CV_STREAM_H
#define CV_STREAM_H

#include <cv/pte.h>
#include <cv/state.h>
#include <cv/types.h>

#define STREAM_IOVA_BITS 39U
#define STREAM_S1_AP_RW (1ULL << 6) /* AP[2:1] = 01: read-write */
#define STREAM_S1_PXN (1ULL << 53)
#define STREAM_S1_UXN (1ULL << 54)
#define STREAM_PAGE                                                 \
	(PTE_TYPE_TABLE | PTE_AF | PTE_SH_INNER | STREAM_S1_AP_RW | \
	 S1_ATTRIDX_NORMAL | STREAM_S1_PXN | STREAM_S1_UXN)
/* The MSI doorbell page: Device-nGnRE (AttrIndx 1), never executable. */
#define STREAM_DOORBELL_PAGE                                             \
	(PTE_TYPE_TABLE | PTE_AF | STREAM_S1_AP_RW | S1_ATTRIDX_DEVICE | \
	 STREAM_S1_PXN | STREAM_S1_UXN)
/* The context descriptor's MAIR: attribute 0 normal WB, 1 Device-nGnRE. */
#define STREAM_MAIR 0x04ffULL

/* Bytes of stream pool @params needs (0: no SMMUv3). */
u64 stream_pool_bytes(const struct cv_boot_params *params);
/* The SMMUv3 fields of @params are usable (none is). */
bool stream_boot_valid(const struct cv_boot_params *params);
/* Boot, after init_s2page: the pool at @pool, every host page mapped. */
void init_host_stream(u64 pool);

/* Physical address of the root (CD.TTB0); 0 when there is no SMMUv3. */
u64 host_stream_ttbr(void);
/* @addr lies in the SMMUv3's registers. */
bool is_smmuv3_range(u64 addr);

/*
 * Page @pfn joins the host's streams (clear_vm_page, once scrubbed) or
 * leaves them (set_pfn_owner, clear_pfn_host); S2PAGE_ID held.
 */
void host_stream_map(u64 pfn);
void host_stream_unmap(u64 pfn);

/* The leaf for @iova, 0 when unmapped (takes SPT_ID). */
u64 host_stream_walk(u64 iova);

/*
 * security invariant (core/inv): every leaf maps its own page, which is
 * a region page HOSTVISOR owns (STREAM_PAGE), or the MSI doorbell page
 * (STREAM_DOORBELL_PAGE); returns the first iova breaking it, or
 * INVALID64 (*entry: its entry). Expects a quiescent core.
 */
u64 host_stream_check(u64 *entry);

/*
 * The VMs' streams (HVC_SMMUV3_ATTACH/MAP/UNMAP, abi.h): one table per VM
 * (the context descriptor with ASID = vmid), same format and leaves as
 * the host's, mapping IOVA gfn * PAGE_SIZE to the page the VM owns at
 * that gfn. Its pages come from the VMs' part of the stream pool
 * (VM_STREAM_POOL_PAGES), are given back when the VM is destroyed
 * (vm_stream_release) and reused. The callers (core/boot/vstream.c) check
 * the arguments, the VM's state (its info lock held) and the page's owner
 * (S2PAGE_ID held); these take SPT_ID.
 */
#define VM_STREAM_POOL_PAGES 256U

/* Root of @vmid's table, 0 when none. */
u64 vm_stream_ttbr(u32 vmid);
/* The principal stream @sid is attached to (INVALID beyond the table). */
u32 stream_attached_to(u32 sid);
/* Stream @sid onto @vmid's table (HOSTVISOR: the host's): CV_V3_*. */
u64 vm_stream_attach(u32 sid, u32 vmid);
/* Map page @pfn at @iova in @vmid's table: CV_V3_*; panics if mapped. */
u64 vm_stream_map(u32 vmid, u64 iova, u64 pfn);
/* Clear @iova in @vmid's table (and the SMMU's TLB); the old leaf or 0. */
u64 vm_stream_unmap(u32 vmid, u64 iova);
/*
 * Page @pfn, which VM @vmid owns at @gfn, leaves @vmid's table (and the
 * SMMU's TLB) before it changes owner or gfn (set_pfn_owner,
 * set_pfn_map; S2PAGE_ID held).
 */
void vm_stream_page_leaves(u32 vmid, u64 pfn, u64 gfn);
/*
 * destroy_vm, before any page of @vmid moves: its streams go back to the
 * host's table, the SMMU forgets its ASID, its table pages go back.
 */
void vm_stream_release(u32 vmid);
/*
 * security invariant (core/inv), the VM side of stream_iso: every stream
 * is the host's or a live VM's, and its STE's context descriptor walks
 * that principal's table; every leaf of a VM's table maps a page that VM
 * owns, at the gfn the leaf's IOVA names, with STREAM_PAGE; no free vmid
 * has a table. Returns the stream, vmid or iova breaking it (and @what,
 * @entry), or INVALID64.
 */
u64 vm_stream_check(const char **what, u64 *entry);

#endif
