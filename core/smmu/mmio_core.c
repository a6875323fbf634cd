// SPDX-License-Identifier: MIT
/*
 * MmioCoreAux and MmioCore: which host writes to an SMMU's registers are
 * allowed, and performing the host's access on its behalf. Callers hold
 * SMMU_ID (the bank owners, cv.smmu_vmid, decide what is allowed).
 *
 * Allowed, as the spec says (handle_smmu_global_access /
 * handle_smmu_cb_access), with two corrections marked below:
 *  - sCR0 only with SMCFCFG (bit 21) set; sCR2 only with BPVMID 0;
 *  - CBAR(n) of a host bank: anything; of a VM's bank: only a stage-2
 *    context with the VM's own VMID; of an unassigned bank: nothing;
 *  - a context bank's TTBR0: the host's value is replaced by the bank's
 *    own table (SMMU_TTBR); CONTEXTIDR: never;
 *  - every other register as the host writes it.
 */
#include <cv/spt.h>

#include "smmu_internal.h"

static inline u64 readq_relaxed(u64 addr)
{
	return arch_smmu_read(addr, 8);
}

static inline u64 readl_relaxed(u64 addr)
{
	return arch_smmu_read(addr, 4) & 0xffffffffULL;
}

static inline void writeq_relaxed(u64 val, u64 addr)
{
	arch_smmu_write(addr, 8, val);
}

static inline void writel_relaxed(u64 val, u64 addr)
{
	arch_smmu_write(addr, 4, val & 0xffffffffULL);
}

/* ---- MmioCoreAux ------------------------------------------------------ */

/* The CBAR(n) rule: 1 when the host may write @data to bank @n's CBAR. */
static u32 cbar_allowed(u64 data, u64 n, u32 smmu_index)
{
	u32 vmid;

	if (!is_smmu(smmu_index) || !is_smmu_cfg(n)) {
		panic("handle_smmu_global_access: smmu %u CBAR %llu out of "
		      "range",
		      smmu_index, ULL(n));
		return 0;
	}
	vmid = get_smmu_cfg_vmid((u32)n, smmu_index);
	if (!is_vmid(vmid)) {
		panic("handle_smmu_global_access: smmu %u CBAR %llu of an "
		      "unassigned context bank (data 0x%llx)",
		      smmu_index, ULL(n), ULL(data));
		return 0;
	}
	if (vmid == HOSTVISOR)
		return 1;
	return (data >> CBAR_TYPE_SHIFT) == CBAR_TYPE_S2_TRANS &&
	       (data & CBAR_VMID_MASK) == vmid;
}

/*
 * handle_smmu_global_access: 1 when the host may write its data to global
 * register @offset of SMMU @smmu_index, else 0.
 *
 * Correction: the spec's first branch is offset <= ARM_SMMU_GR1_BASE,
 * which lets CBAR(0) (at GR1_BASE itself) through unchecked: a host could
 * give bank 0 any VMID or type. GR0 ends below GR1_BASE.
 */
u32 handle_smmu_global_access(u32 hsr, u64 offset, u32 smmu_index)
{
	u64 data;
	u32 ret;

	if (halted())
		return 0;
	assert_locked(SMMU_ID);
	data = host_get_mmio_data(hsr);
	if (offset < ARM_SMMU_GR1_BASE) {
		if (offset == ARM_SMMU_GR0_sCR0)
			ret = (data >> sCR0_SMCFCFG_SHIFT) & 1;
		else if (offset == ARM_SMMU_GR0_sCR2)
			ret = (data & 0xff) == 0;
		else
			ret = 1;
	} else if (offset < ARM_SMMU_GR1_END) {
		ret = cbar_allowed(data, (offset - ARM_SMMU_GR1_BASE) / 4,
				   smmu_index);
	} else {
		ret = 1;
	}
	return check(ret);
}

/*
 * handle_smmu_cb_access: for a write to context-bank register @offset,
 * 2 when the core writes the bank's own table address instead of the
 * host's value (TTBR0), 0 when the write is refused (CONTEXTIDR), else 1.
 *
 * Correction: TTBR0's high word (a 32-bit write at TTBR0 + 4) is replaced
 * too; the spec lets it through, and with it the host could point the
 * bank at its own tables above 4 GiB.
 */
u32 handle_smmu_cb_access(u64 offset)
{
	u64 cb_offset;
	u32 ret;

	if (halted())
		return 0;
	if (offset < SMMU_GLOBAL_BASE) {
		panic("handle_smmu_cb_access: offset 0x%llx below the context "
		      "banks",
		      ULL(offset));
		return 0;
	}
	cb_offset = (offset - SMMU_GLOBAL_BASE) & ARM_SMMU_PGSHIFT_MASK;
	if (cb_offset == ARM_SMMU_CB_TTBR0 || cb_offset == ARM_SMMU_CB_TTBR0_HI)
		ret = 2;
	else if (cb_offset == ARM_SMMU_CB_CONTEXTIDR)
		ret = 0;
	else
		ret = 1;
	return check(ret);
}

/*
 * __handle_smmu_write: write @len bytes at @fault_ipa: @val when
 * @write_val, else the host's data.
 *
 * Correction: the spec writes @val for every 4-byte write, which is 0
 * unless @write_val (every 32-bit register write of the host would write
 * zero); SeKVM's C writes the host's data even for TTBR0. corevisor
 * writes @val when @write_val and the host's data otherwise, as for 8.
 */
void __handle_smmu_write(u32 hsr, u64 fault_ipa, u32 len, u64 val,
			 u32 write_val)
{
	u64 data;

	if (halted())
		return;
	if (len != 8 && len != 4) {
		panic("__handle_smmu_write: %u-byte write at 0x%llx", len,
		      ULL(fault_ipa));
		return;
	}
	data = write_val ? val : host_get_mmio_data(hsr);
	if (len == 8)
		writeq_relaxed(data, fault_ipa);
	else
		writel_relaxed(data, fault_ipa);
}

/*
 * __handle_smmu_read: read @len bytes at @fault_ipa into the host's Rt
 * (a 32-bit load zero-extends; loads into the zero register vanish).
 */
void __handle_smmu_read(u32 hsr, u64 fault_ipa, u32 len)
{
	u32 rt = host_dabt_get_rd(hsr);
	u64 data;

	if (halted())
		return;
	if (len == 8) {
		data = readq_relaxed(fault_ipa);
	} else if (len == 4) {
		data = readl_relaxed(fault_ipa);
	} else {
		panic("__handle_smmu_read: %u-byte read at 0x%llx", len,
		      ULL(fault_ipa));
		return;
	}
	if (rt != SMMU_REG_XZR)
		host_ctxt()->regs[X0 + rt] = data;
}

/* ---- MmioCore --------------------------------------------------------- */

/*
 * handle_smmu_write: the host's @len-byte write at @fault_ipa in SMMU
 * @index, checked, then done (or panic).
 */
void handle_smmu_write(u32 hsr, u64 fault_ipa, u32 len, u32 index)
{
	u64 offset = fault_ipa & SMMU_OFFSET_MASK, val;
	u32 ret, cbndx;

	if (halted())
		return;
	assert_locked(SMMU_ID);
	if (!is_addr(fault_ipa) || !is_smmu(index)) {
		panic("handle_smmu_write: bad args ipa 0x%llx smmu %u",
		      ULL(fault_ipa), index);
		return;
	}
	if (offset < SMMU_GLOBAL_BASE) {
		ret = handle_smmu_global_access(hsr, offset, index);
		if (halted())
			return;
		if (ret == 0) {
			panic("handle_smmu_write: smmu %u global register "
			      "0x%llx refuses 0x%llx",
			      index, ULL(offset), ULL(host_get_mmio_data(hsr)));
			return;
		}
		__handle_smmu_write(hsr, fault_ipa, len, 0, 0);
		return;
	}
	ret = handle_smmu_cb_access(offset);
	if (halted())
		return;
	if (ret == 0) {
		panic("handle_smmu_write: smmu %u context bank register 0x%llx "
		      "refuses 0x%llx",
		      index, ULL(offset), ULL(host_get_mmio_data(hsr)));
		return;
	}
	if (ret != 2) {
		__handle_smmu_write(hsr, fault_ipa, len, 0, 0);
		return;
	}
	/* TTBR0: the bank's own table, whatever the host wrote. */
	cbndx = smmu_get_cbndx(offset);
	val = smmu_ttbr(index, cbndx);
	if (halted())
		return;
	if (((offset - SMMU_GLOBAL_BASE) & ARM_SMMU_PGSHIFT_MASK) ==
	    ARM_SMMU_CB_TTBR0_HI)
		val >>= 32;
	__handle_smmu_write(hsr, fault_ipa, len, val, 1);
}

/* handle_smmu_read: reads are never refused (global or context bank). */
void handle_smmu_read(u32 hsr, u64 fault_ipa, u32 len)
{
	if (halted())
		return;
	__handle_smmu_read(hsr, fault_ipa, len);
}
