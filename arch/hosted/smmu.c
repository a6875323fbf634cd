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
 * (cv_hosted_dma_read/write, access.c) goes where the registers send it
 * (hosted_smmu_dma_route), behind the bank's TLB (tlb.c):
 *  - sCR0.CLIENTPD set: every device bypasses the SMMU (pa = iova);
 *  - a device named by a bank this SMMU does not have stands for a stream
 *    no entry routes: sCR0.USFCFG says fault (1) or bypass (0);
 *  - S2CR(n) decides for the device of bank n (there is no stream
 *    matching: a test names the bank, and S2CR(n) stands for the entry of
 *    that bank's stream): bypass, fault, or translation by bank n;
 *  - the bank: CB_SCTLR.M clear bypasses; CBAR type stage 2 walks from
 *    CB_TTBR0 with the start level and input size of CB_TCR (SL0, T0SZ;
 *    4 KiB granule only), type "stage 1, stage 2 bypass" walks from
 *    CB_TTBR1 alike (a stand-in for a stage-1 context: same descriptor
 *    shapes), the other types fault.
 * So a setting the core must refuse (bypass, another table, another
 * geometry) shows as DMA reaching what it must not. At reset every
 * register is 0 (CLIENTPD clear, USFCFG clear: bypass for unrouted
 * streams; every bank's M clear: bypass) until the core's boot
 * (smmu_boot_registers) sets its values. ID0 reports no stream-matching
 * groups (NUMSMRG 0), so the core writes no S2CR at boot. What is not
 * modelled: stream matching itself (SMR), faults recorded in registers,
 * the host's TLB invalidation registers (only the core's flush hooks drop
 * entries).
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

/* CB_TCR's start level (SL0, 4 KiB granule) and input size (T0SZ). */
static bool tcr_geometry(u64 tcr, u32 *start, u32 *ia_bits)
{
	u64 sl0 = (tcr >> TCR_SL0_SHIFT) & 3;

	if (tcr & TCR_TG0_MASK) /* 64 or 16 KiB granule: not modelled */
		return false;
	if (sl0 == 3)
		return false;
	*start = 2 - (u32)sl0;
	*ia_bits = 64 - (u32)(tcr & TCR_T0SZ_MASK);
	return true;
}

bool hosted_smmu_dma_route(u32 index, u32 cbndx, struct hosted_smmu_route *r)
{
	const struct sim_smmu *s;
	u64 scr0, s2cr, cbar, sctlr, tcr, ttbr, cb;
	u32 type;

	if (index >= sim.n)
		return false;
	s = &sim.s[index];
	r->way = SMMU_WAY_FAULT;
	r->root = 0;
	pthread_mutex_lock(&sim.lock);
	cb = SMMU_GLOBAL_BASE + cbndx * PAGE_SIZE;
	scr0 = reg_load(s, ARM_SMMU_GR0_sCR0, 4);
	s2cr = reg_load(s, ARM_SMMU_GR0_S2CR(cbndx), 4);
	cbar = reg_load(s, ARM_SMMU_GR1_BASE + 4ULL * cbndx, 4);
	sctlr = reg_load(s, cb + ARM_SMMU_CB_SCTLR, 4);
	tcr = reg_load(s, cb + ARM_SMMU_CB_TCR, 4);
	type = (u32)((cbar >> CBAR_TYPE_SHIFT) & CBAR_TYPE_MASK);
	ttbr = reg_load(
		s, cb + (type == 1 ? ARM_SMMU_CB_TTBR1 : ARM_SMMU_CB_TTBR0), 8);
	pthread_mutex_unlock(&sim.lock);
	if (scr0 & sCR0_CLIENTPD)
		r->way = SMMU_WAY_BYPASS;
	else if (cbndx >= s->banks)
		r->way = scr0 & sCR0_USFCFG ? SMMU_WAY_FAULT : SMMU_WAY_BYPASS;
	else if (((s2cr >> S2CR_TYPE_SHIFT) & S2CR_TYPE_MASK) ==
		 S2CR_TYPE_BYPASS)
		r->way = SMMU_WAY_BYPASS;
	else if (((s2cr >> S2CR_TYPE_SHIFT) & S2CR_TYPE_MASK) !=
		 S2CR_TYPE_TRANS)
		r->way = SMMU_WAY_FAULT;
	else if (!(sctlr & SCTLR_M))
		r->way = SMMU_WAY_BYPASS;
	else if ((type == CBAR_TYPE_S2_TRANS || type == 1) &&
		 tcr_geometry(tcr, &r->start, &r->ia_bits)) {
		r->way = SMMU_WAY_TABLE;
		/* A level-1 root of a 40-bit input is 2 pages, 8 KiB aligned.
		 */
		r->root = ttbr & PTE_ADDR_MASK;
	}
	return true;
}

bool cv_hosted_smmu_device_translate(uint32_t index, uint32_t cbndx,
				     uint64_t iova, struct cv_translation *t)
{
	struct cv_walk w = {0};
	u32 perms;
	enum cv_fault f =
		hosted_walk_smmu_perms(index, cbndx, iova, &w, &perms);

	t->valid = f == CV_FAULT_NONE && (perms & HOSTED_PERM_R);
	t->level = w.level;
	t->pa = t->valid ? w.pa : 0;
	t->pte = w.pte;
	return t->valid;
}
