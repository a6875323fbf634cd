// SPDX-License-Identifier: MIT
/*
 * MmioRaw: the host's data for an SMMU write, SMMU leaf descriptors and
 * context-bank numbers; and the boot-time SMMU configuration (SMMUConf).
 */
#include <cv/lib.h>

#include "smmu_internal.h"

/*
 * host_get_mmio_data: the value the host's trapped store writes, from its
 * register Rt. Two corrections of the spec, which reads the whole X
 * register: SRT 31 is the zero register (not SP), and a 32-bit (or
 * smaller) store writes only the low bits, so the checks see what reaches
 * the SMMU.
 */
u64 host_get_mmio_data(u32 hsr)
{
	u32 rt = host_dabt_get_rd(hsr), len = host_dabt_get_as(hsr);
	u64 data;

	if (halted())
		return 0;
	data = rt == SMMU_REG_XZR ? 0 : host_ctxt()->regs[X0 + rt];
	if (len < 8)
		data &= (1ULL << (len * 8)) - 1;
	return check64(data);
}

/*
 * smmu_init_pte: the SMMU leaf for physical @addr with the host's
 * attributes @prot, plus the access flag and inner shareability. The
 * contiguous hint is dropped (corevisor): with it, a device could be given
 * the output address of a neighbouring entry of the 16-entry range, i.e.
 * a page its owner never mapped.
 */
u64 smmu_init_pte(u64 prot, u64 addr)
{
	if (halted())
		return 0;
	if (!is_addr(addr) || prot >= 0x7fffffffffffffffULL) {
		panic("smmu_init_pte: bad args prot 0x%llx addr 0x%llx",
		      ULL(prot), ULL(addr));
		return 0;
	}
	return check64((addr | prot | PTE_AF_OR_SH_IS) & ~SMMU_PTE_CONT);
}

/* smmu_get_cbndx: the context bank whose register page holds @offset. */
u32 smmu_get_cbndx(u64 offset)
{
	u64 cbndx;

	if (halted())
		return 0;
	if (offset < SMMU_GLOBAL_BASE) {
		panic("smmu_get_cbndx: offset 0x%llx below the context banks",
		      ULL(offset));
		return 0;
	}
	cbndx = (offset - SMMU_GLOBAL_BASE) >> ARM_SMMU_PGSHIFT;
	if (!is_smmu_cfg(cbndx)) {
		panic("smmu_get_cbndx: offset 0x%llx is context bank %llu",
		      ULL(offset), ULL(cbndx));
		return 0;
	}
	return check((u32)cbndx);
}

/* [a, a + as) and [b, b + bs) intersect (no wrap: both below 2^48). */
static bool overlaps(u64 a, u64 as, u64 b, u64 bs)
{
	return a < b + bs && b < a + as;
}

static bool smmu_conf_valid(const struct cv_boot_params *p, u32 i)
{
	const struct smmu_conf *c = &p->smmus[i];

	if (c->size != SMMU_REG_SIZE || c->pgshift != ARM_SMMU_PGSHIFT ||
	    c->phys_base % SMMU_REG_SIZE || !is_paddr(c->phys_base) ||
	    !is_paddr(c->phys_base + c->size - 1) || c->context_banks == 0 ||
	    c->context_banks > SMMU_NUM_CTXT_BANKS)
		return false;
	/* MMIO, never RAM: the host must not reach it through its pages. */
	for (u32 r = 0; r < p->nregions && r < MAX_MEMBLOCK_NUM; r++)
		if (overlaps(c->phys_base, c->size, p->regions[r].base,
			     p->regions[r].size))
			return false;
	for (u32 j = 0; j < i; j++)
		if (overlaps(c->phys_base, c->size, p->smmus[j].phys_base,
			     p->smmus[j].size))
			return false;
	return true;
}

/*
 * Boot (corevisor addition): SMMUConf from the boot parameters. The
 * spec's relies say an SMMU index is < SMMU_NUM; up to SMMU_NUM SMMUs are
 * accepted. Every context bank starts unassigned (init_spt_pool).
 */
bool smmu_boot(const struct cv_boot_params *p)
{
	if (p->nsmmu > SMMU_NUM)
		return false;
	for (u32 i = 0; i < p->nsmmu; i++)
		if (!smmu_conf_valid(p, i))
			return false;
	cv.smmu_num = p->nsmmu;
	memcpy(cv.smmu_conf, p->smmus, sizeof(cv.smmu_conf));
	return true;
}

/*
 * An arch without SMMUs (the EL2 port configures none yet) need not
 * provide the register accessors: the core calls them only for an SMMU
 * the boot parameters named, so reaching these is a broken configuration.
 */
__attribute__((weak)) u64 arch_smmu_read(u64 pa, u32 len)
{
	panic("arch_smmu_read: this machine has no SMMU access (pa 0x%llx "
	      "len %u)",
	      ULL(pa), len);
	return 0;
}

__attribute__((weak)) void arch_smmu_write(u64 pa, u32 len, u64 val)
{
	panic("arch_smmu_write: this machine has no SMMU access (pa 0x%llx "
	      "len %u val 0x%llx)",
	      ULL(pa), len, ULL(val));
}
