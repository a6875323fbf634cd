// SPDX-License-Identifier: MIT
/*
 * MmioCoreAux and MmioCore: which host writes to an SMMU's registers are
 * allowed, and performing the host's access on its behalf. Callers hold
 * SMMU_ID (the bank owners, cv.smmu_vmid, decide what is allowed).
 *
 * Every 32-bit register an access touches is checked with the bytes it
 * writes there (an 8-byte store covers two). Allowed, as the spec says
 * (handle_smmu_global_access / handle_smmu_cb_access), with corevisor's
 * corrections marked below:
 *  - sCR0 only with SMCFCFG (bit 21) set, and (corevisor) CLIENTPD clear,
 *    USFCFG set and VMID16EN clear: no bypass for all clients or for
 *    unmatched streams, and the 8-bit VMIDs CBAR carries;
 *  - sCR2 only with BPVMID 0;
 *  - (corevisor) S2CR(n): translation (to a bank this SMMU has) or fault,
 *    never bypass;
 *  - CBAR(n) of a VM's bank: only a stage-2 context with the VM's own
 *    VMID; (corevisor) of a host bank the same with VMID 0 (the spec lets
 *    the host make it a stage-1 context, translated by tables of its
 *    own); of an unassigned bank: nothing;
 *  - (corevisor) CBA2R(n): only with VA64 (the core's descriptor format);
 *  - a context bank's TTBR0: the host's value is replaced by the bank's
 *    own table (SMMU_TTBR); (corevisor) TTBR1 by 0; CONTEXTIDR: never;
 *    (corevisor) SCTLR only with M set, TCR only with the core's table
 *    geometry (T0SZ, SL0, TG0);
 *  - every other register as the host writes it.
 * Reading a TTBR0 back shows no address bits (corevisor): they would
 * give away where the core's SMMU pool is.
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
	return ((data >> CBAR_TYPE_SHIFT) & CBAR_TYPE_MASK) ==
		       CBAR_TYPE_S2_TRANS &&
	       (data & CBAR_VMID_MASK) == vmid;
}

/* The S2CR(n) rule: translation to a bank the SMMU has, or fault. */
static u32 s2cr_allowed(u64 data, u32 smmu_index)
{
	u64 type = (data >> S2CR_TYPE_SHIFT) & S2CR_TYPE_MASK;

	if (type == S2CR_TYPE_FAULT)
		return 1;
	return type == S2CR_TYPE_TRANS &&
	       (data & S2CR_CBNDX_MASK) <
		       get_smmu_num_context_banks(smmu_index);
}

/* The rule of the 32-bit global register at @offset for @data. */
static u32 global_word_allowed(u64 offset, u64 data, u32 smmu_index)
{
	if (offset == ARM_SMMU_GR0_sCR0)
		return (data & sCR0_SMCFCFG) && (data & sCR0_USFCFG) &&
		       !(data & (sCR0_CLIENTPD | sCR0_VMID16EN));
	if (offset == ARM_SMMU_GR0_sCR2)
		return (data & 0xff) == 0;
	if (offset >= ARM_SMMU_GR0_S2CR(0) && offset < ARM_SMMU_GR0_S2CR_END)
		return s2cr_allowed(data, smmu_index);
	if (offset >= ARM_SMMU_GR1_BASE && offset < ARM_SMMU_GR1_END)
		return cbar_allowed(data, (offset - ARM_SMMU_GR1_BASE) / 4,
				    smmu_index);
	if (offset >= ARM_SMMU_GR1_CBA2R(0) &&
	    offset < ARM_SMMU_GR1_CBA2R(SMMU_NUM_CTXT_BANKS))
		return (data & CBA2R_VA64) != 0;
	return 1;
}

/*
 * handle_smmu_global_access: 1 when the host may write its data to global
 * register @offset of SMMU @smmu_index, else 0.
 *
 * Corrections: the spec's first branch is offset <= ARM_SMMU_GR1_BASE,
 * which lets CBAR(0) (at GR1_BASE itself) through unchecked: a host could
 * give bank 0 any VMID or type. GR0 ends below GR1_BASE. And every
 * register the access touches is checked with its part of the data: an
 * 8-byte store at CBAR(n) also writes CBAR(n + 1), which the spec never
 * looks at (another VM's bank would get any VMID and type).
 */
u32 handle_smmu_global_access(u32 hsr, u64 offset, u32 smmu_index)
{
	u64 data;
	u32 len, ret = 1;

	if (halted())
		return 0;
	assert_locked(SMMU_ID);
	data = host_get_mmio_data(hsr);
	len = host_dabt_get_as(hsr);
	for (u32 w = 0; w < len && ret; w += 4)
		ret = global_word_allowed(offset + w,
					  (data >> (8 * w)) & 0xffffffffULL,
					  smmu_index);
	return check(ret);
}

/*
 * handle_smmu_cb_access: for a write to context-bank register @offset,
 * 2 when the core writes its own value instead of the host's (TTBR0), 0
 * when the write is refused (CONTEXTIDR), else 1.
 *
 * Corrections: TTBR0's high word (a 32-bit write at TTBR0 + 4) is replaced
 * too; the spec lets it through, and with it the host could point the
 * bank at its own tables above 4 GiB. So are both words of TTBR1 (0): a
 * stage-1 context would walk a host table from it.
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
	if (cb_offset == ARM_SMMU_CB_TTBR0 ||
	    cb_offset == ARM_SMMU_CB_TTBR0_HI ||
	    cb_offset == ARM_SMMU_CB_TTBR1 || cb_offset == ARM_SMMU_CB_TTBR1_HI)
		ret = 2;
	else if (cb_offset == ARM_SMMU_CB_CONTEXTIDR)
		ret = 0;
	else
		ret = 1;
	return check(ret);
}

/*
 * corevisor: the values a context bank's register may take (for one
 * handle_smmu_cb_access allows): SCTLR keeps translation on (M), TCR the
 * core's table geometry.
 */
static bool cb_value_allowed(u64 cb_offset, u64 data)
{
	if (cb_offset == ARM_SMMU_CB_SCTLR)
		return data & SCTLR_M;
	if (cb_offset == ARM_SMMU_CB_TCR)
		return (data & SMMU_TCR_GEOMETRY_MASK) ==
		       (SMMU_TCR_T0SZ | SMMU_TCR_SL0);
	return true;
}

/* The 32-bit word the core writes at a replaced register (ret 2). */
static u64 cb_fixed_word(u32 index, u64 offset)
{
	u64 cb_offset = (offset - SMMU_GLOBAL_BASE) & ARM_SMMU_PGSHIFT_MASK;
	u64 ttbr;

	if (cb_offset != ARM_SMMU_CB_TTBR0 && cb_offset != ARM_SMMU_CB_TTBR0_HI)
		return 0; /* TTBR1 */
	ttbr = smmu_ttbr(index, smmu_get_cbndx(offset));
	return (cb_offset == ARM_SMMU_CB_TTBR0_HI ? ttbr >> 32 : ttbr) &
	       0xffffffffULL;
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
 * @index, checked, then done (or panic). corevisor: a context bank write
 * is checked, and its replaced registers filled in, 32-bit word by word:
 * an 8-byte store at TCR also writes CONTEXTIDR, one at TTBR0 both halves.
 */
void handle_smmu_write(u32 hsr, u64 fault_ipa, u32 len, u32 index)
{
	u64 offset = fault_ipa & SMMU_OFFSET_MASK, data, word, val = 0;
	u32 ret;

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
	data = host_get_mmio_data(hsr);
	for (u32 w = 0; w < len; w += 4) {
		u64 off = offset + w;

		word = (data >> (8 * w)) & 0xffffffffULL;
		ret = handle_smmu_cb_access(off);
		if (ret == 2)
			word = cb_fixed_word(index, off);
		if (halted())
			return;
		if (ret == 0 ||
		    (ret == 1 &&
		     !cb_value_allowed((off - SMMU_GLOBAL_BASE) &
					       ARM_SMMU_PGSHIFT_MASK,
				       word))) {
			panic("handle_smmu_write: smmu %u context bank "
			      "register 0x%llx refuses 0x%llx",
			      index, ULL(off), ULL(word));
			return;
		}
		val |= word << (8 * w);
	}
	__handle_smmu_write(hsr, fault_ipa, len, val, 1);
}

/*
 * corevisor: the bits of what a @len-byte read at register @offset
 * returns that hold the core's table address (a TTBR0's address bits),
 * which the host must not see.
 */
static u64 hidden_read_bits(u64 offset, u32 len)
{
	u64 cb_offset = (offset - SMMU_GLOBAL_BASE) & ARM_SMMU_PGSHIFT_MASK;

	if (offset < SMMU_GLOBAL_BASE)
		return 0;
	if (cb_offset == ARM_SMMU_CB_TTBR0)
		return len == 8 ? PTE_ADDR_MASK : PTE_ADDR_MASK & 0xffffffffULL;
	if (cb_offset == ARM_SMMU_CB_TTBR0_HI)
		return PTE_ADDR_MASK >> 32;
	return 0;
}

/*
 * handle_smmu_read: reads are never refused (global or context bank).
 * corevisor: a TTBR0 reads without its address bits (hidden_read_bits).
 */
void handle_smmu_read(u32 hsr, u64 fault_ipa, u32 len)
{
	u32 rt = host_dabt_get_rd(hsr);

	if (halted())
		return;
	__handle_smmu_read(hsr, fault_ipa, len);
	if (!halted() && rt != SMMU_REG_XZR)
		host_ctxt()->regs[X0 + rt] &=
			~hidden_read_bits(fault_ipa & SMMU_OFFSET_MASK, len);
}

/*
 * Boot (corevisor; cv/smmu.h): every SMMU gets the values the core fixes,
 * before any host runs: no bypass, every bank translating through its own
 * table of the core with that table's geometry.
 */
void smmu_boot_registers(void)
{
	for (u32 i = 0; i < cv.smmu_num && i < SMMU_NUM; i++) {
		u64 base = cv.smmu_conf[i].phys_base;
		u32 nsmrg = (u32)(readl_relaxed(base + ARM_SMMU_GR0_ID0) &
				  ID0_NUMSMRG_MASK);

		writel_relaxed(sCR0_USFCFG | sCR0_SMCFCFG,
			       base + ARM_SMMU_GR0_sCR0);
		for (u32 n = 0;
		     n < nsmrg && ARM_SMMU_GR0_S2CR(n) < ARM_SMMU_GR0_S2CR_END;
		     n++)
			writel_relaxed(S2CR_TYPE_FAULT << S2CR_TYPE_SHIFT,
				       base + ARM_SMMU_GR0_S2CR(n));
		for (u32 n = 0; n < cv.smmu_conf[i].context_banks; n++) {
			u64 cb = base + SMMU_GLOBAL_BASE + n * PAGE_SIZE;

			writel_relaxed(CBA2R_VA64,
				       base + ARM_SMMU_GR1_CBA2R(n));
			writeq_relaxed(smmu_ttbr(i, n), cb + ARM_SMMU_CB_TTBR0);
			writeq_relaxed(0, cb + ARM_SMMU_CB_TTBR1);
			writel_relaxed(SMMU_TCR_BOOT, cb + ARM_SMMU_CB_TCR);
			writel_relaxed(SCTLR_M, cb + ARM_SMMU_CB_SCTLR);
		}
	}
}
