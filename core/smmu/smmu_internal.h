/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the files of core/smmu (not an interface): the
 * AbstractMachine primitives the SMMU layers build on.
 */
#ifndef CV_SMMU_INTERNAL_H
#define CV_SMMU_INTERNAL_H

#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/smmu.h>
#include <cv/vcpu.h>

/* printf's %llx wants unsigned long long; u64 is unsigned long on LP64. */
#define ULL(x) ((unsigned long long)(x))

_Static_assert(TOTAL_CPU <= VCPU_PER_VM,
	       "one HOSTVISOR shadow context per physical CPU");
_Static_assert(SMMU_GLOBAL_BASE + SMMU_NUM_CTXT_BANKS * PAGE_SIZE <=
		       SMMU_REG_SIZE,
	       "every context bank's page lies in the register space");

/* host_dabt_get_rd / _get_as / _is_write: fields of the data abort ISS. */
static inline u32 host_dabt_get_rd(u32 hsr)
{
	return (hsr >> ESR_ELx_SRT_SHIFT) & ESR_ELx_SRT_MASK;
}

static inline u32 host_dabt_get_as(u32 hsr)
{
	return 1U << ((hsr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
}

static inline bool host_dabt_is_write(u32 hsr)
{
	return (hsr & ESR_ELx_WNR) != 0;
}

/* host_get_fault_ipa: the page @addr plus FAR_EL2's offset in the page. */
static inline u64 host_get_fault_ipa(u64 addr)
{
	return addr | (host_ctxt()->regs[FAR_EL2] & (PAGE_SIZE - 1));
}

/*
 * host_skip_instr: resume the host after the emulated instruction. (The
 * spec writes pc + 4 into esr_el2, which reads as a slip for elr_el2.)
 */
static inline void host_skip_instr(void)
{
	host_ctxt()->regs[PC] += 4;
}

/* get_smmu_cfg_vmid / set_smmu_cfg_vmid: the owner of a context bank. */
static inline u32 get_smmu_cfg_vmid(u32 cbndx, u32 index)
{
	assert_locked(SMMU_ID);
	return cv.smmu_vmid[smmu_id(index, cbndx)];
}

static inline void set_smmu_cfg_vmid(u32 cbndx, u32 index, u32 vmid)
{
	assert_locked(SMMU_ID);
	cv.smmu_vmid[smmu_id(index, cbndx)] = vmid;
}

/* get_smmu_num_context_banks: 0 for an SMMU the machine does not have. */
static inline u32 get_smmu_num_context_banks(u32 index)
{
	return index < cv.smmu_num ? cv.smmu_conf[index].context_banks : 0;
}

#endif
