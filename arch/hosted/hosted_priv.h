/* SPDX-License-Identifier: MIT */
/* Shared between the hosted machine's own files (not for tests). */
#ifndef CV_HOSTED_PRIV_H
#define CV_HOSTED_PRIV_H

#include <cv/types.h>

#include "hosted_internal.h"

void hosted_count_host_fault(void);

struct cv_boot_params;
/* arch/hosted/smmu.c: the simulated SMMUs of a fresh boot. */
void hosted_smmu_reset(u32 n, u32 banks, u64 base);
void hosted_smmu_params(struct cv_boot_params *p);
/* smmuv3.c: the SMMUv3 (on or off) and its registers at @base. */
#define CV_HOSTED_SMMUV3_BASE 0x08c00000ULL /* below the tests' MMIO pages */
#define CV_HOSTED_SMMUV3_SIZE 0x20000ULL
#define CV_HOSTED_MSI_PAGE 0x08090000ULL /* an ITS's GITS_TRANSLATER */
void hosted_smmuv3_reset(bool on, u64 base);
/* gic.c: the GICv3's table registers (on or off), one RD per CPU. */
#define CV_HOSTED_GICD_BASE 0x08000000ULL
#define CV_HOSTED_ITS_BASE 0x08080000ULL
#define CV_HOSTED_RDIST_BASE 0x080a0000ULL
void hosted_gic_reset(bool on, u32 ncpus);
void hosted_gic_params(struct cv_boot_params *p);
void hosted_smmuv3_params(struct cv_boot_params *p);
/*
 * Where a device behind SMMU @index's context bank @cbndx goes (smmu.c):
 * through a table (root, start level and input size from the bank's
 * registers), straight to the physical address (a bypass), or nowhere (a
 * fault). hosted_smmu_dma_route returns false when the machine does not
 * model that SMMU (DMA then walks the core's table for the bank).
 */
enum hosted_smmu_way { SMMU_WAY_TABLE, SMMU_WAY_BYPASS, SMMU_WAY_FAULT };
struct hosted_smmu_route {
	enum hosted_smmu_way way;
	u64 root;    /* SMMU_WAY_TABLE: the first table's address */
	u32 start;   /* its level (0..3) */
	u32 ia_bits; /* input address size */
};
bool hosted_smmu_dma_route(u32 index, u32 cbndx, struct hosted_smmu_route *r);
/* A stage-2-format walk from @root at level @start over @ia_bits of input. */
enum cv_fault hosted_walk_geometry(u64 root, u32 start, u32 ia_bits, u64 addr,
				   struct cv_walk *w, u32 *perms);
/* A fresh machine: the simulated vCPUs' run counters and CNTVOFF. */
void hosted_vcpu_reset(void);
void hosted_count_tlb(bool smmu, bool hit);

/*
 * Fresh walks that stop at the leaf (descriptors and access flag checked)
 * and report what the leaf permits: HOSTED_PERM_R / HOSTED_PERM_W. w->pa
 * is @addr's output address when the walk ends in CV_FAULT_NONE.
 */
#define HOSTED_PERM_R 1U
#define HOSTED_PERM_W 2U
enum cv_fault hosted_walk_perms(enum cv_regime regime, u64 root_pa, u64 addr,
				struct cv_walk *w, u32 *perms);
enum cv_fault hosted_walk_principal_perms(u32 vmid, u64 addr, struct cv_walk *w,
					  u32 *perms);
enum cv_fault hosted_walk_smmu_perms(u32 index, u32 cbndx, u64 iova,
				     struct cv_walk *w, u32 *perms);

/* The TLB model (tlb.c): reset at boot, and what the flush hooks do. */
void hosted_tlb_reset(bool enabled);
void hosted_tlb_flush_ipa(u32 vmid, u64 ipa);
void hosted_tlb_flush_vmid(u32 vmid);
void hosted_smmu_tlb_flush(u32 index, u32 cbndx);
/* SMMU translation of a device access, through the context bank's TLB. */
enum cv_fault hosted_smmu_tlb_translate(u32 index, u32 cbndx, u64 iova,
					enum cv_access access,
					struct cv_walk *w);
/*
 * One access of @len bytes (within a page) at @addr, by this CPU as
 * principal @id (@dma false) or by a device behind SMMU @id's context
 * bank @cbndx: translation through the TLB and the data copy, as one
 * step no flush can come between. Returns the translation's fault;
 * *copied is false when there was none but the output address is not
 * memory (an external abort).
 */
enum cv_fault hosted_tlb_access(bool dma, u32 id, u32 cbndx, u64 addr,
				bool write, void *buf, u64 len,
				struct cv_walk *w, bool *copied);

#endif
