// SPDX-License-Identifier: MIT
/*
 * The hosted machine's SMMUs: SMMUv2 register files at physical addresses
 * outside RAM (above the core's region), and DMA through them.
 *
 * Each SMMU is 64 KiB of registers (4 KiB pages: global space below
 * 32 KiB, context bank n's page at 32 KiB + n * 4 KiB), configured by
 * cv_hosted_config.nsmmu / smmu_context_banks. The core reaches them
 * through arch_smmu_read/write (its emulation of the host's accesses);
 * the host never can directly: they are not memory, and the core keeps
 * them out of the host's stage 2, so every host access traps.
 *
 * What is modelled: registers hold what was written (ID0..ID7 are
 * read-only and describe the configuration), and a device's DMA
 * (cv_hosted_dma_read/write, access.c) is translated by the context bank
 * its stream is routed to, from the bank's CB_TTBR0 with the SMMU stage-2
 * walk (walk.c) behind the bank's TLB (tlb.c), when the bank's CBAR says
 * "stage-2 context". What is not: stream matching (SMR/S2CR: a test names
 * the bank), bypass (sCR0.CLIENTPD, S2CR bypass, CB_SCTLR.M = 0 all still
 * translate or fault here), faults recorded in registers, the host's TLB
 * invalidation registers (only the core's flush hooks drop entries).
 */
#include <pthread.h>
#include <string.h>

#include <cv/arch.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/state.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

#define ID_REGS_START 0x20ULL /* ID0 .. ID7 */
#define ID_REGS_END 0x40ULL
#define CBAR_TYPE_MASK 3ULL

struct sim_smmu {
	u64 base;
	u32 banks;
	u8 regs[SMMU_REG_SIZE];
};

static struct {
	pthread_mutex_t lock;
	u32 n;
	struct sim_smmu s[SMMU_NUM];
	u64 stray; /* core accesses outside every SMMU (a core bug) */
} sim = {.lock = PTHREAD_MUTEX_INITIALIZER};

static u64 reg_load(const struct sim_smmu *s, u64 off, u32 len)
{
	u64 v = 0;

	memcpy(&v, s->regs + off, len); /* little-endian, as the SMMU */
	return v;
}

static void reg_store(struct sim_smmu *s, u64 off, u32 len, u64 v)
{
	memcpy(s->regs + off, &v, len);
}

/* Reset the register files for a fresh boot (cv_hosted_boot). */
void hosted_smmu_reset(u32 n, u32 banks, u64 base)
{
	pthread_mutex_lock(&sim.lock);
	memset(sim.s, 0, sizeof(sim.s));
	sim.n = n;
	sim.stray = 0;
	for (u32 i = 0; i < n; i++) {
		struct sim_smmu *s = &sim.s[i];

		s->base = base + i * SMMU_REG_SIZE;
		s->banks = banks;
		/* ID0: S2TS (bit 30); ID1: 4 KiB pages, NUMPAGENDXB 2 (8
		 * pages per half), NUMS2CB and NUMCB = banks. */
		reg_store(s, 0x20, 4, 1ULL << 30);
		reg_store(s, 0x24, 4,
			  (2ULL << 28) | ((u64)banks << 16) | banks);
	}
	pthread_mutex_unlock(&sim.lock);
}

/* The boot parameters' SMMUConf for the configured SMMUs. */
void hosted_smmu_params(struct cv_boot_params *p)
{
	p->nsmmu = sim.n;
	for (u32 i = 0; i < sim.n; i++) {
		struct smmu_conf *c = &p->smmus[i];

		c->phys_base = sim.s[i].base;
		c->size = SMMU_REG_SIZE;
		c->pgshift = ARM_SMMU_PGSHIFT;
		c->context_banks = sim.s[i].banks;
		c->features =
			ARM_SMMU_FEAT_TRANS_S2 | ARM_SMMU_FEAT_STREAM_MATCH;
		c->options = 0;
	}
}

/* The SMMU holding [pa, pa + len) and the offset of pa, or NULL. */
static struct sim_smmu *find(u64 pa, u32 len, u64 *off)
{
	for (u32 i = 0; i < sim.n; i++) {
		struct sim_smmu *s = &sim.s[i];

		if (pa >= s->base && pa - s->base <= SMMU_REG_SIZE - len) {
			*off = pa - s->base;
			return s;
		}
	}
	return NULL;
}

u64 arch_smmu_read(u64 pa, u32 len)
{
	struct sim_smmu *s;
	u64 off, v = 0;

	if (len != 4 && len != 8)
		len = 4;
	pthread_mutex_lock(&sim.lock);
	s = find(pa, len, &off);
	if (s)
		v = reg_load(s, off, len);
	else
		sim.stray++;
	pthread_mutex_unlock(&sim.lock);
	return v;
}

void arch_smmu_write(u64 pa, u32 len, u64 val)
{
	struct sim_smmu *s;
	u64 off;

	if (len != 4 && len != 8)
		len = 4;
	pthread_mutex_lock(&sim.lock);
	s = find(pa, len, &off);
	if (!s)
		sim.stray++;
	else if (off + len <= ID_REGS_START || off >= ID_REGS_END)
		reg_store(s, off, len, val);
	pthread_mutex_unlock(&sim.lock);
}

uint64_t cv_hosted_smmu_base(uint32_t index)
{
	return index < sim.n ? sim.s[index].base : 0;
}

uint64_t cv_hosted_smmu_reg(uint32_t index, uint64_t offset, uint32_t len)
{
	u64 v = 0;

	if (index >= sim.n || (len != 4 && len != 8) ||
	    offset > SMMU_REG_SIZE - len)
		return 0;
	pthread_mutex_lock(&sim.lock);
	v = reg_load(&sim.s[index], offset, len);
	pthread_mutex_unlock(&sim.lock);
	return v;
}

uint64_t cv_hosted_smmu_stray(void)
{
	return __atomic_load_n(&sim.stray, __ATOMIC_RELAXED);
}

/*
 * The table SMMU @index's context bank @cbndx translates DMA with (the
 * walk: walk.c, behind the bank's TLB: tlb.c). False when the machine
 * does not model that SMMU (DMA then uses the core's table for the bank);
 * else true with *root the bank's CB_TTBR0 as a concatenated level-1
 * root, or 0 when the bank translates nothing: no such bank, not a
 * stage-2 context, or no table set.
 */
bool hosted_smmu_dma_root(u32 index, u32 cbndx, u64 *root)
{
	const struct sim_smmu *s;
	u64 cbar, ttbr;

	if (index >= sim.n)
		return false;
	*root = 0;
	s = &sim.s[index];
	if (cbndx >= s->banks)
		return true;
	pthread_mutex_lock(&sim.lock);
	cbar = reg_load(s, ARM_SMMU_GR1_BASE + 4ULL * cbndx, 4);
	ttbr = reg_load(
		s, SMMU_GLOBAL_BASE + cbndx * PAGE_SIZE + ARM_SMMU_CB_TTBR0, 8);
	pthread_mutex_unlock(&sim.lock);
	if (((cbar >> CBAR_TYPE_SHIFT) & CBAR_TYPE_MASK) == CBAR_TYPE_S2_TRANS)
		*root = ttbr & PTE_ADDR_MASK & ~(2 * PAGE_SIZE - 1);
	return true;
}
