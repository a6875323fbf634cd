/* SPDX-License-Identifier: MIT */
/*
 * The SMMU group (core/smmu): MmioRaw, MmioCoreAux, MmioCore, MmioOpsAux,
 * MmioOps, and MemHandler's el2_arm_lpae_map, which is built from them.
 *
 * The SMMUs' register pages are never mapped in the host's stage 2: every
 * host access to them faults, and the host's stage-2 fault handler hands
 * it to emulate_mmio, which performs it on the host's behalf unless it
 * would let the host repoint a context bank or change a bank's VMID
 * (those writes panic). The SMMU page tables themselves are the core's
 * (core/spt); the HVC_SMMU_* hypercalls reach them through these calls.
 *
 * Register layout (SMMUv2, 4 KiB register pages, 64 KiB register space;
 * the offsets are the architecture's, as are the spec's values):
 *   0x0000  GR0: sCR0 (CLIENTPD bit 0, USFCFG bit 10, SMCFCFG bit 21,
 *           VMID16EN bit 31), sCR2 (BPVMID bits 7:0), ID0 at 0x20
 *           (NUMSMRG bits 7:0), S2CR(n) at 0xc00 + 4n (TYPE bits 17:16,
 *           CBNDX bits 7:0), ...
 *   0x1000  GR1: CBAR(n) at 0x1000 + 4n (VMID bits 7:0, TYPE bits 17:16),
 *           CBA2R(n) at 0x1800 + 4n (VA64 bit 0)
 *   0x8000  context bank n at 0x8000 + n * 0x1000: SCTLR at 0 (M bit 0),
 *           TTBR0 at 0x20 (its high word at 0x24), TTBR1 at 0x28, TCR at
 *           0x30 (T0SZ bits 5:0, SL0 bits 7:6, TG0 bits 15:14),
 *           CONTEXTIDR at 0x34
 *
 * The core fixes every value that decides whether and through which table
 * a device's access is translated (the SMMU's bypasses, a bank's table,
 * its geometry, its translation enable): it sets them at boot
 * (smmu_boot_registers) and refuses a host write that would change them.
 * The host programs the rest (faults, interrupts, TLB maintenance,
 * stream matching to banks).
 *
 * Locks: SMMU_ID guards cv.smmu_vmid; the MmioOps take it first and hold
 * it across the BootOps call they make (state.h lock order).
 */
#ifndef CV_SMMU_H
#define CV_SMMU_H

#include <cv/arch.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/types.h>

/* Register layout (Constants.md; real SMMUv2 offsets). */
#define SMMU_REG_SIZE 0x10000ULL
#define SMMU_OFFSET_MASK 0xffffULL
#define SMMU_GLOBAL_BASE 0x8000ULL
#define ARM_SMMU_PGSHIFT 12U
#define ARM_SMMU_PGSHIFT_MASK 0xfffULL
#define ARM_SMMU_GR0_sCR0 0x0ULL
#define ARM_SMMU_GR0_sCR2 0x8ULL
#define sCR0_SMCFCFG_SHIFT 21
#define sCR0_CLIENTPD (1ULL << 0)
#define sCR0_USFCFG (1ULL << 10)
#define sCR0_SMCFCFG (1ULL << sCR0_SMCFCFG_SHIFT)
#define sCR0_VMID16EN (1ULL << 31)
#define ARM_SMMU_GR0_ID0 0x20ULL
#define ID0_NUMSMRG_MASK 0xffULL
#define ARM_SMMU_GR0_S2CR(n) (0xc00ULL + 4 * (n))
#define ARM_SMMU_GR0_S2CR_END 0x1000ULL
#define S2CR_TYPE_SHIFT 16
#define S2CR_TYPE_MASK 3ULL
#define S2CR_TYPE_TRANS 0ULL
#define S2CR_TYPE_BYPASS 1ULL
#define S2CR_TYPE_FAULT 2ULL
#define S2CR_CBNDX_MASK 0xffULL
#define ARM_SMMU_GR1_BASE 0x1000ULL
#define ARM_SMMU_GR1_END 0x1800ULL
#define ARM_SMMU_GR1_CBA2R(n) (0x1800ULL + 4 * (n))
#define CBA2R_VA64 1ULL
#define CBAR_TYPE_SHIFT 16
#define CBAR_TYPE_MASK 3ULL
#define CBAR_TYPE_S2_TRANS 0ULL
#define CBAR_VMID_MASK 0xffULL
#define ARM_SMMU_CB_SCTLR 0x0ULL
#define SCTLR_M 1ULL
#define ARM_SMMU_CB_TTBR0 0x20ULL
#define ARM_SMMU_CB_TTBR0_HI 0x24ULL /* TTBR0[63:32] as a 32-bit register */
#define ARM_SMMU_CB_TTBR1 0x28ULL
#define ARM_SMMU_CB_TTBR1_HI 0x2cULL
#define ARM_SMMU_CB_TCR 0x30ULL
#define ARM_SMMU_CB_CONTEXTIDR 0x34ULL
/*
 * CB_TCR of a stage-2 context (VTCR's format): the geometry of the core's
 * SMMU tables (core/spt: 40-bit input, two concatenated level-1 root
 * pages, 4 KiB granule), then walk attributes (inner-shareable write-back
 * walks) and a 48-bit output. Only the geometry is checked.
 */
#define TCR_T0SZ_MASK 0x3fULL
#define TCR_SL0_SHIFT 6
#define TCR_SL0_MASK (3ULL << TCR_SL0_SHIFT)
#define TCR_TG0_MASK (3ULL << 14)
#define SMMU_TCR_T0SZ 24ULL		     /* 64 - 40 */
#define SMMU_TCR_SL0 (1ULL << TCR_SL0_SHIFT) /* start at level 1 */
#define SMMU_TCR_GEOMETRY_MASK (TCR_T0SZ_MASK | TCR_SL0_MASK | TCR_TG0_MASK)
#define SMMU_TCR_BOOT                                                \
	(SMMU_TCR_T0SZ | SMMU_TCR_SL0 | (1ULL << 8) | (1ULL << 10) | \
	 (3ULL << 12) | (5ULL << 16))

/* SMMUConf features / options (Constants.md). */
#define ARM_SMMU_FEAT_COHERENT_WALK 1U
#define ARM_SMMU_FEAT_STREAM_MATCH 2U
#define ARM_SMMU_FEAT_TRANS_S1 4U
#define ARM_SMMU_FEAT_TRANS_S2 8U
#define ARM_SMMU_FEAT_TRANS_NESTED 16U
#define ARM_SMMU_OPT_SECURE_CFG_ACCESS 1U

/* A load/store's SRT 31 is the zero register (ISS fields: cv/vcpu.h). */
#define SMMU_REG_XZR 31U

/*
 * The spec's PTE_AF_OR_SH_IS (a placeholder there): access flag and inner
 * shareable, the bits smmu_init_pte adds to the host's attributes.
 */
#define PTE_AF_OR_SH_IS (PTE_AF | PTE_SH_INNER)
/* Stage-2 descriptor bit 52, the contiguous hint: smmu_init_pte drops it. */
#define SMMU_PTE_CONT (1ULL << 52)

/*
 * The host's trapped registers on this CPU (the spec's shadow context of
 * HOSTVISOR, one per physical CPU). Before it calls host_npt_handler, the
 * arch code stores the host's X0..X30 here and ELR_EL2 in regs[PC]
 * (host_npt_handler records FAR_EL2); afterwards it gives the host back
 * X0..X30 and resumes it at regs[PC], which an emulated access has moved
 * past the instruction.
 */
static inline struct cv_ctxt *host_ctxt(void)
{
	return shadow_ctxt(HOSTVISOR, arch_cpu_id());
}

/* MmioRaw */
u64 host_get_mmio_data(u32 hsr);
u64 smmu_init_pte(u64 prot, u64 addr);
u32 smmu_get_cbndx(u64 offset);

/* MmioCoreAux (callers hold SMMU_ID) */
u32 handle_smmu_global_access(u32 hsr, u64 offset, u32 smmu_index);
u32 handle_smmu_cb_access(u64 offset);
void __handle_smmu_write(u32 hsr, u64 fault_ipa, u32 len, u64 val,
			 u32 write_val);
void __handle_smmu_read(u32 hsr, u64 fault_ipa, u32 len);

/* MmioCore (callers hold SMMU_ID) */
void handle_smmu_write(u32 hsr, u64 fault_ipa, u32 len, u32 index);
void handle_smmu_read(u32 hsr, u64 fault_ipa, u32 len);

/* MmioOpsAux */
/* The SMMU whose register space holds physical @addr, or INVALID. */
u32 is_smmu_range(u64 addr);
/* Emulate the host's trapped access to SMMU @index (caller holds SMMU_ID). */
void handle_host_mmio(u64 addr, u32 index, u32 hsr);

/* MmioOps: each takes SMMU_ID itself. */
/*
 * The host's stage-2 fault at page @addr (HPFAR_EL2.FIPA << 12) with
 * syndrome @hsr: INVALID when @addr is no SMMU's (the fault handler then
 * maps the page: map_page_host), else the access is emulated and the
 * SMMU's index is returned (0 after a panic).
 */
u32 emulate_mmio(u64 addr, u32 hsr);
void el2_free_smmu_pgd(u32 cbndx, u32 index);
void el2_alloc_smmu_pgd(u32 cbndx, u32 vmid, u32 index);
void smmu_assign_page(u32 cbndx, u32 index, u64 pfn, u64 gfn);
void smmu_map_page(u32 cbndx, u32 index, u64 iova, u64 pte);
u64 el2_arm_lpae_iova_to_phys(u64 iova, u32 cbndx, u32 index);
void el2_arm_lpae_clear(u64 iova, u32 cbndx, u32 index);

/* MemHandler el2_arm_lpae_map (HVC_SMMU_LPAE_MAP). */
void el2_arm_lpae_map(u64 iova, u64 paddr, u64 prot, u32 cbndx, u32 index);

/*
 * Boot: check and copy the SMMU configuration (cv_boot). False when it is
 * unusable: too many SMMUs or banks, a layout other than the spec's, a
 * register space that is not 64 KiB aligned, overlaps another or RAM.
 */
bool smmu_boot(const struct cv_boot_params *params);

/*
 * Boot, once the SMMU tables exist (init_spt_pool): set the values the
 * core fixes in every SMMU. sCR0: no client bypass (CLIENTPD 0), faults
 * for unmatched streams and match conflicts (USFCFG, SMCFCFG), 8-bit
 * VMIDs; every stream-to-context entry (S2CR, ID0.NUMSMRG of them) fault;
 * every context bank translating (CB_SCTLR.M) through its own table of the
 * core (CB_TTBR0 = SMMU_TTBR, CB_TTBR1 = 0) with that table's geometry
 * (CB_TCR) in the AArch64 format (CBA2R.VA64).
 */
void smmu_boot_registers(void);

#endif
