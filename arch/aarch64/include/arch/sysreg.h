/* SPDX-License-Identifier: MIT */
/*
 * System-register access and the register values corevisor programs at EL2
 * (Arm ARM D13). Only arch/aarch64 includes this.
 */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <cv/types.h>

#define read_sysreg(r)                                       \
	({                                                   \
		u64 __v;                                     \
		__asm__ volatile("mrs %0, " #r : "=r"(__v)); \
		__v;                                         \
	})
#define write_sysreg(r, v)                                                   \
	do {                                                                 \
		u64 __wv = (u64)(v);                                         \
		__asm__ volatile("msr " #r ", %0" : : "r"(__wv) : "memory"); \
	} while (0)

#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ volatile("dmb " #opt ::: "memory")

/* HCR_EL2 */
#define HCR_VM (1ULL << 0)
#define HCR_SWIO (1ULL << 1)
#define HCR_FMO (1ULL << 3)
#define HCR_IMO (1ULL << 4)
#define HCR_AMO (1ULL << 5)
#define HCR_FB (1ULL << 9)
#define HCR_BSU_IS (1ULL << 10)
#define HCR_TWI (1ULL << 13)
#define HCR_TWE (1ULL << 14)
#define HCR_TSC (1ULL << 19)
#define HCR_TVM (1ULL << 26)
#define HCR_RW (1ULL << 31)
#define HCR_PTW (1ULL << 2)
#define HCR_TID3 (1ULL << 18)
#define HCR_TIDCP (1ULL << 20)
#define HCR_TACR (1ULL << 21)
#define HCR_TSW (1ULL << 22)
/*
 * The host: stage 2 on, AArch64 EL1, SMCs (PSCI) trapped to corevisor,
 * physical FIQs (Group 0 interrupts: only corevisor's halt sends one) to
 * EL2. With FMO set the host's EL1 accesses to the Group 0 and shared
 * GICv3 CPU interface registers (ICC_PMR_EL1, ICC_CTLR_EL1, ...) reach
 * the virtual interface; its Group 1 interrupts stay its own.
 */
#define HCR_HOST_FLAGS (HCR_VM | HCR_RW | HCR_TSC | HCR_SWIO | HCR_FMO)
/*
 * A VM: stage 2 on, AArch64 EL1; physical interrupts and SErrors to EL2
 * (IMO, FMO, AMO); WFI/WFE, SMC, set/way cache maintenance, ACTLR_EL1,
 * implementation-defined registers and the ID group 3 registers (TID3:
 * the core answers what a VM may see, core/trap/idregs.c) trap (the core
 * serves WFx, SMC64 and SYS64 exits); broadcast TLB and barrier
 * maintenance inner shareable (FB, BSU); a stage-1 walk into device
 * memory faults (PTW).
 */
#define HCR_VM_FLAGS                                                          \
	(HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | \
	 HCR_BSU_IS | HCR_TWI | HCR_TWE | HCR_TIDCP | HCR_TACR | HCR_TSC |    \
	 HCR_TSW | HCR_RW | HCR_TID3)

/* CPTR_EL2: RES1 bits 13:12, 9:0; TFP (bit 10) clear, so FP/SIMD works. */
#define CPTR_EL2_DEFAULT 0x33ffULL

/* SCTLR_EL2 (non-VHE): RES1 bits, then M, C, SA, I. */
#define SCTLR_EL2_RES1 0x30c50830ULL
#define SCTLR_M (1ULL << 0)
#define SCTLR_C (1ULL << 2)
#define SCTLR_SA (1ULL << 3)
#define SCTLR_I (1ULL << 12)
#define SCTLR_EL2_MMU_ON \
	(SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I)

/* SCTLR_EL1 the host starts with: RES1 bits, MMU and caches off. */
#define SCTLR_EL1_RESET 0x30d00800ULL

/* MAIR_EL2: index 0 normal write-back RA/WA, index 1 Device-nGnRE (pte.h). */
#define MAIR_EL2_VALUE 0x04ffULL

/* TCR_EL2 / VTCR_EL2 fields (4 KiB granule, inner-shareable WB walks). */
#define TCR_EL2_RES1 ((1ULL << 31) | (1ULL << 23))
#define TCR_WALK_WB_IS ((1ULL << 8) | (1ULL << 10) | (3ULL << 12))
#define TCR_PS_SHIFT 16
#define VTCR_EL2_RES1 (1ULL << 31)
#define VTCR_SL0_LEVEL0 (2ULL << 6)

/* SPSR_EL2 for entering EL1h with DAIF masked. */
#define SPSR_EL1H_DAIF 0x3c5ULL

/* ESR_EL2 exception classes. */
#define ESR_EC_SHIFT 26
#define ESR_EC_WFX 0x01
#define ESR_EC_FP 0x07
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYS64 0x18
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_IABT_CUR 0x21
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_DABT_CUR 0x25
#define ESR_EC_BRK 0x3c

static inline u32 esr_ec(u64 esr)
{
	return (esr >> ESR_EC_SHIFT) & 0x3f;
}

/* HPFAR_EL2.FIPA (bits 43:4 on 44-bit PA parts, up to 47:4) -> IPA page. */
static inline u64 hpfar_to_ipa(u64 hpfar)
{
	return ((hpfar >> 4) & 0xfffffffffULL) << 12;
}

/* PA size of ID_AA64MMFR0_EL1.PARange, in bits (capped at 48). */
static inline u32 parange_bits(u32 parange)
{
	static const u8 bits[] = {32, 36, 40, 42, 44, 48, 48};
	return parange < 7 ? bits[parange] : 48;
}

#endif
