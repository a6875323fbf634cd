// SPDX-License-Identifier: MIT
/*
 * MmioOpsAux and MmioOps: the host's trapped SMMU accesses (emulate_mmio,
 * from the host stage-2 fault handler) and the HVC_SMMU_* calls, which
 * own a context bank for a principal and manage its table through BootOps
 * while holding SMMU_ID, so the bank cannot change owner meanwhile. Also
 * MemHandler's el2_arm_lpae_map (HVC_SMMU_LPAE_MAP), built from them.
 *
 * A call on a context bank nobody owns does nothing (the spec's
 * vmid == INVALID branches).
 */
#include <cv/boot.h>
#include <cv/spt.h>

#include "smmu_internal.h"

/* The spec's relies on (index, cbndx), as panics naming @who. */
static bool check_bank(const char *who, u32 cbndx, u32 index)
{
	if (!is_smmu(index) || !is_smmu_cfg(cbndx)) {
		panic("%s: smmu %u context bank %u out of range", who, index,
		      cbndx);
		return false;
	}
	return true;
}

static bool check_bank_iova(const char *who, u64 iova, u32 cbndx, u32 index)
{
	if (!check_bank(who, cbndx, index))
		return false;
	if (!is_smmu_addr(iova)) {
		panic("%s: iova 0x%llx beyond 40 bits", who, ULL(iova));
		return false;
	}
	return true;
}

/* ---- MmioOpsAux ------------------------------------------------------- */

/*
 * is_smmu_range: the SMMU whose register space holds @addr (the last one
 * that does, as the spec's loop), INVALID for none. The configuration is
 * read-only after boot: no lock needed.
 */
u32 is_smmu_range(u64 addr)
{
	u32 res = INVALID;

	if (halted())
		return INVALID;
	if (!is_addr(addr)) {
		panic("is_smmu_range: addr 0x%llx beyond 48 bits", ULL(addr));
		return INVALID;
	}
	for (u32 i = 0; i < cv.smmu_num && i < SMMU_NUM; i++) {
		const struct smmu_conf *c = &cv.smmu_conf[i];

		if (addr >= c->phys_base && addr - c->phys_base < c->size)
			res = i;
	}
	return res;
}

/*
 * handle_host_mmio: emulate the host's trapped access in page @addr of
 * SMMU @index (its registers in host_ctxt()), then resume the host past
 * the instruction. Strengthenings: an access without a valid syndrome
 * (ISV 0: SRT and SAS mean nothing) or not naturally aligned (the core
 * cannot make it either) panics.
 */
void handle_host_mmio(u64 addr, u32 index, u32 hsr)
{
	u64 fault_ipa;
	u32 len;

	if (halted())
		return;
	assert_locked(SMMU_ID);
	if (!is_addr(addr) || !is_smmu(index) || index >= cv.smmu_num) {
		panic("handle_host_mmio: bad args addr 0x%llx smmu %u",
		      ULL(addr), index);
		return;
	}
	fault_ipa = host_get_fault_ipa(addr);
	len = host_dabt_get_as(hsr);
	if (!(hsr & ESR_ELx_ISV)) {
		panic("handle_host_mmio: smmu %u access at 0x%llx without a "
		      "syndrome (esr 0x%x)",
		      index, ULL(fault_ipa), hsr);
		return;
	}
	if (fault_ipa & (len - 1)) {
		panic("handle_host_mmio: smmu %u unaligned %u-byte access at "
		      "0x%llx",
		      index, len, ULL(fault_ipa));
		return;
	}
	if (host_dabt_is_write(hsr))
		handle_smmu_write(hsr, fault_ipa, len, index);
	else
		handle_smmu_read(hsr, fault_ipa, len);
	if (halted())
		return;
	host_skip_instr();
}

/* ---- MmioOps ---------------------------------------------------------- */

/*
 * emulate_mmio: INVALID when @addr is no SMMU's; else the access is
 * emulated under SMMU_ID and the SMMU's index returned. The range test
 * needs no lock (read-only configuration), so a RAM fault does not take
 * SMMU_ID as the spec's does; the result is the same.
 */
u32 emulate_mmio(u64 addr, u32 hsr)
{
	u32 res;

	if (halted())
		return 0;
	res = is_smmu_range(addr);
	if (res == INVALID)
		return check(res);
	acquire_lock_smmu();
	handle_host_mmio(addr, res, hsr);
	if (halted())
		return 0;
	release_lock_smmu();
	return check(res);
}

/*
 * el2_free_smmu_pgd: bank (@index, @cbndx) becomes unowned; its owner must
 * be powered off (a host bank never is). corevisor also empties the
 * bank's table: the spec leaves it mapping the dead VM's pages, which go
 * back to the host and on to others.
 */
void el2_free_smmu_pgd(u32 cbndx, u32 index)
{
	u32 vmid, power;

	if (halted() || !check_bank(__func__, cbndx, index))
		return;
	acquire_lock_smmu();
	vmid = get_smmu_cfg_vmid(cbndx, index);
	if (vmid != INVALID) {
		power = get_vm_poweron(vmid);
		if (halted())
			return;
		if (power) {
			panic("el2_free_smmu_pgd: smmu %u context bank %u of "
			      "vm %u is not powered off",
			      index, cbndx, vmid);
			return;
		}
		set_smmu_cfg_vmid(cbndx, index, INVALID);
		init_spt(cbndx, index);
		if (halted())
			return;
	}
	release_lock_smmu();
}

/*
 * el2_alloc_smmu_pgd: an unowned bank (@index, @cbndx) goes to @vmid with
 * an empty table (alloc_smmu: the VM must not be VERIFIED yet). An owned
 * bank is left as it is; a bank the SMMU does not have panics.
 */
void el2_alloc_smmu_pgd(u32 cbndx, u32 vmid, u32 index)
{
	u32 num;

	if (halted() || !check_bank(__func__, cbndx, index))
		return;
	if (vmid >= COREVISOR) {
		panic("el2_alloc_smmu_pgd: vmid %u is not the host or a VM",
		      vmid);
		return;
	}
	acquire_lock_smmu();
	num = get_smmu_num_context_banks(index);
	if (cbndx >= num) {
		panic("el2_alloc_smmu_pgd: smmu %u has %u context banks, no "
		      "bank %u",
		      index, num, cbndx);
		return;
	}
	if (get_smmu_cfg_vmid(cbndx, index) == INVALID) {
		set_smmu_cfg_vmid(cbndx, index, vmid);
		alloc_smmu(vmid, cbndx, index);
		if (halted())
			return;
	}
	release_lock_smmu();
}

/*
 * smmu_assign_page: host page @pfn goes to the owner of bank (@index,
 * @cbndx) at @gfn, for its device (assign_smmu; nothing for a host bank).
 */
void smmu_assign_page(u32 cbndx, u32 index, u64 pfn, u64 gfn)
{
	u32 vmid;

	if (halted() || !check_bank(__func__, cbndx, index))
		return;
	if (!is_pfn(pfn) || !is_gfn(gfn)) {
		panic("smmu_assign_page: bad args pfn 0x%llx gfn 0x%llx",
		      ULL(pfn), ULL(gfn));
		return;
	}
	acquire_lock_smmu();
	vmid = get_smmu_cfg_vmid(cbndx, index);
	if (vmid != INVALID) {
		assign_smmu(vmid, pfn, gfn);
		if (halted())
			return;
	}
	release_lock_smmu();
}

/*
 * smmu_map_page: map @iova to @pte in bank (@index, @cbndx) for its owner
 * (map_smmu: the page must be the owner's, at gfn @iova / PAGE_SIZE).
 */
void smmu_map_page(u32 cbndx, u32 index, u64 iova, u64 pte)
{
	u32 vmid;

	if (halted() || !check_bank_iova(__func__, iova, cbndx, index))
		return;
	acquire_lock_smmu();
	vmid = get_smmu_cfg_vmid(cbndx, index);
	if (vmid != INVALID) {
		map_smmu(vmid, cbndx, index, iova, pte);
		if (halted())
			return;
	}
	release_lock_smmu();
}

/*
 * el2_arm_lpae_iova_to_phys: where bank (@index, @cbndx) sends @iova: the
 * leaf's page plus @iova's offset (just the offset when nothing is mapped,
 * as in the spec).
 */
u64 el2_arm_lpae_iova_to_phys(u64 iova, u32 cbndx, u32 index)
{
	u64 pte;

	if (halted() || !check_bank_iova(__func__, iova, cbndx, index))
		return 0;
	pte = walk_spt(cbndx, index, iova);
	return check64(phys_page(pte) + (iova & (PAGE_SIZE - 1)));
}

/* el2_arm_lpae_clear: unmap @iova from bank (@index, @cbndx) (clear_smmu). */
void el2_arm_lpae_clear(u64 iova, u32 cbndx, u32 index)
{
	u32 vmid;

	if (halted() || !check_bank_iova(__func__, iova, cbndx, index))
		return;
	acquire_lock_smmu();
	vmid = get_smmu_cfg_vmid(cbndx, index);
	if (vmid != INVALID) {
		clear_smmu(vmid, cbndx, index, iova);
		if (halted())
			return;
	}
	release_lock_smmu();
}

/*
 * MemHandler el2_arm_lpae_map: map host page @paddr at @iova in bank
 * (@index, @cbndx) with attributes @prot: the page goes to the bank's
 * owner at gfn @iova / PAGE_SIZE (smmu_assign_page), then the leaf is
 * written (smmu_map_page).
 */
void el2_arm_lpae_map(u64 iova, u64 paddr, u64 prot, u32 cbndx, u32 index)
{
	u64 pte;

	if (halted() || !check_bank_iova(__func__, iova, cbndx, index))
		return;
	if (!is_paddr(paddr) || prot >= 0x7fffffffffffffffULL ||
	    phys_page(prot) != 0) {
		panic("el2_arm_lpae_map: bad args paddr 0x%llx prot 0x%llx",
		      ULL(paddr), ULL(prot));
		return;
	}
	pte = smmu_init_pte(prot, paddr);
	smmu_assign_page(cbndx, index, paddr / PAGE_SIZE, iova / PAGE_SIZE);
	smmu_map_page(cbndx, index, iova, pte);
}
