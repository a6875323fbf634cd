// SPDX-License-Identifier: MIT
/*
 * The hosted machine's MMU and SMMU: a hardware-like table walker over
 * the real descriptors the core wrote into simulated physical memory
 * (VMSAv8-64, 4 KiB granule; formats in core/include/cv/pte.h). It takes
 * no lock, as the hardware walker does not: descriptors are read with
 * single-copy atomic loads while the core may be changing them. These are
 * fresh walks; the TLB in front of them (tlb.c) fills from
 * hosted_walk_perms.
 */
#include <cv/arch.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

#define S1_AP_RO (1ULL << 7)	   /* AP[2]: read-only */
#define S1_APTABLE_RO (1ULL << 62) /* APTable[1]: no writes below */
#define SMMU_IA_BITS 40
#define S2_IA_BITS 48

const char *cv_hosted_fault_name(enum cv_fault fault)
{
	switch (fault) {
	case CV_FAULT_NONE:
		return "none";
	case CV_FAULT_TRANSLATION:
		return "translation";
	case CV_FAULT_ACCESS_FLAG:
		return "access flag";
	case CV_FAULT_PERMISSION:
		return "permission";
	case CV_FAULT_EXTERNAL:
		return "external abort";
	}
	return "?";
}

static enum cv_fault fault_at(struct cv_walk *w, enum cv_fault f, u32 level)
{
	w->fault = f;
	w->level = level;
	return f;
}

static bool permitted(enum cv_regime regime, u64 leaf, bool table_ro,
		      enum cv_access access)
{
	if (regime == CV_REGIME_EL2) /* EL2 stage 1: always readable */
		return access != CV_ACCESS_WRITE ||
		       (!(leaf & S1_AP_RO) && !table_ro);
	if (access == CV_ACCESS_READ)
		return leaf & S2AP_R;
	if (access == CV_ACCESS_WRITE)
		return leaf & S2AP_W;
	return true;
}

/*
 * The walk up to the leaf: descriptors and access flag, no permission.
 * *table_ro says whether a table on the way (EL2: APTable[1]) denied
 * writes below it.
 */
/*
 * The walk from level @start over @ia_bits of input: the root level has
 * 2^(ia_bits - its shift) entries (up to 16 concatenated tables, as stage
 * 2 allows), the levels below 512.
 */
static enum cv_fault walk_leaf_from(enum cv_regime regime, u64 root_pa,
				    u32 start, u32 ia_bits, u64 addr,
				    struct cv_walk *w, bool *table_ro_out)
{
	u64 table = root_pa & PTE_ADDR_MASK, desc = 0;
	bool table_ro = false;
	u32 level;

	w->pa = 0;
	w->pte = 0;
	if (start > 3 || ia_bits > 48 || ia_bits <= 39 - 9 * start ||
	    ia_bits - (39 - 9 * start) > 13) /* no such geometry */
		return fault_at(w, CV_FAULT_TRANSLATION, start);
	if (addr >> ia_bits) /* beyond the input range: level-0 style fault */
		return fault_at(w, CV_FAULT_TRANSLATION, start);

	for (level = start;; level++) {
		u32 shift = 39 - 9 * level;
		u64 mask =
			level == start ? (1ULL << (ia_bits - shift)) - 1 : 511;
		u64 *p =
			arch_phys_to_virt(table + ((addr >> shift) & mask) * 8);

		if (!p)
			return fault_at(w, CV_FAULT_EXTERNAL, level);
		desc = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		w->pte = desc;
		if (!(desc & PTE_VALID))
			return fault_at(w, CV_FAULT_TRANSLATION, level);
		if (level == 3) {
			if ((desc & PTE_TYPE_MASK) != PTE_TYPE_TABLE)
				return fault_at(w, CV_FAULT_TRANSLATION, 3);
			break;
		}
		if ((desc & PTE_TYPE_MASK) == PTE_TYPE_TABLE) {
			if (regime == CV_REGIME_EL2 && (desc & S1_APTABLE_RO))
				table_ro = true;
			table = desc & PTE_ADDR_MASK;
			continue;
		}
		/* A block: 1 GiB at level 1, 2 MiB at level 2, none at 0. */
		if (level == 0)
			return fault_at(w, CV_FAULT_TRANSLATION, 0);
		break;
	}

	w->level = level;
	*table_ro_out = table_ro;
	if (!(desc & PTE_AF))
		return fault_at(w, CV_FAULT_ACCESS_FLAG, level);
	w->fault = CV_FAULT_NONE;
	return CV_FAULT_NONE;
}

static enum cv_fault walk_leaf(enum cv_regime regime, u64 root_pa, u64 addr,
			       struct cv_walk *w, bool *table_ro_out)
{
	if (regime == CV_REGIME_SMMU)
		return walk_leaf_from(regime, root_pa, 1, SMMU_IA_BITS, addr, w,
				      table_ro_out);
	return walk_leaf_from(regime, root_pa, 0, S2_IA_BITS, addr, w,
			      table_ro_out);
}

static void leaf_output(struct cv_walk *w, u64 addr)
{
	u64 off = (1ULL << (39 - 9 * w->level)) - 1;

	w->pa = ((w->pte & PTE_ADDR_MASK) & ~off) | (addr & off);
}

enum cv_fault cv_hosted_walk(enum cv_regime regime, u64 root_pa, u64 addr,
			     enum cv_access access, struct cv_walk *w)
{
	bool table_ro = false;
	enum cv_fault f = walk_leaf(regime, root_pa, addr, w, &table_ro);

	if (f != CV_FAULT_NONE)
		return f;
	if (!permitted(regime, w->pte, table_ro, access))
		return fault_at(w, CV_FAULT_PERMISSION, w->level);
	leaf_output(w, addr);
	return CV_FAULT_NONE;
}

enum cv_fault hosted_walk_perms(enum cv_regime regime, u64 root_pa, u64 addr,
				struct cv_walk *w, u32 *perms)
{
	bool table_ro = false;
	enum cv_fault f = walk_leaf(regime, root_pa, addr, w, &table_ro);

	*perms = 0;
	if (f != CV_FAULT_NONE)
		return f;
	if (permitted(regime, w->pte, table_ro, CV_ACCESS_READ))
		*perms |= HOSTED_PERM_R;
	if (permitted(regime, w->pte, table_ro, CV_ACCESS_WRITE))
		*perms |= HOSTED_PERM_W;
	leaf_output(w, addr);
	return CV_FAULT_NONE;
}

enum cv_fault hosted_walk_geometry(u64 root, u32 start, u32 ia_bits, u64 addr,
				   struct cv_walk *w, u32 *perms)
{
	bool table_ro = false;
	enum cv_fault f = walk_leaf_from(CV_REGIME_SMMU, root, start, ia_bits,
					 addr, w, &table_ro);

	*perms = 0;
	if (f != CV_FAULT_NONE)
		return f;
	if (permitted(CV_REGIME_SMMU, w->pte, false, CV_ACCESS_READ))
		*perms |= HOSTED_PERM_R;
	if (permitted(CV_REGIME_SMMU, w->pte, false, CV_ACCESS_WRITE))
		*perms |= HOSTED_PERM_W;
	leaf_output(w, addr);
	return CV_FAULT_NONE;
}

/*
 * Root of principal @vmid's table: VTTBR_EL2 / TTBR0_EL2 as the core
 * programs it (get_pt_vttbr). Once halted the core's getters return 0, so
 * the root comes from the pool layout instead (root page at the pool's
 * start, constants.h), keeping the tables inspectable after a fail-stop.
 */
static u64 principal_root(u32 vmid)
{
	if (!halted())
		return get_pt_vttbr(vmid) & PTE_ADDR_MASK;
	return cv.npts[vmid].pool;
}

/* A principal without a table (bad vmid, before boot): level-0 fault. */
static bool principal_ok(u32 vmid, struct cv_walk *w)
{
	if (vmid > COREVISOR || !cv.npts[vmid].pool) {
		w->pa = w->pte = 0;
		fault_at(w, CV_FAULT_TRANSLATION, 0);
		return false;
	}
	return true;
}

static enum cv_regime principal_regime(u32 vmid)
{
	return vmid == COREVISOR ? CV_REGIME_EL2 : CV_REGIME_S2;
}

enum cv_fault cv_hosted_walk_principal(u32 vmid, u64 addr,
				       enum cv_access access, struct cv_walk *w)
{
	if (!principal_ok(vmid, w))
		return w->fault;
	return cv_hosted_walk(principal_regime(vmid), principal_root(vmid),
			      addr, access, w);
}

enum cv_fault hosted_walk_principal_perms(u32 vmid, u64 addr, struct cv_walk *w,
					  u32 *perms)
{
	*perms = 0;
	if (!principal_ok(vmid, w))
		return w->fault;
	return hosted_walk_perms(principal_regime(vmid), principal_root(vmid),
				 addr, w, perms);
}

static bool report(enum cv_fault f, const struct cv_walk *w,
		   struct cv_translation *t)
{
	t->valid = f == CV_FAULT_NONE;
	t->level = w->level;
	t->pa = t->valid ? w->pa : 0;
	t->pte = w->pte;
	return t->valid;
}

/*
 * As AT S12E1R would: valid when a read of @addr succeeds. level and pte
 * describe the last descriptor read even when it is not valid.
 */
bool cv_hosted_translate(uint32_t vmid, uint64_t addr, struct cv_translation *t)
{
	struct cv_walk w;

	return report(cv_hosted_walk_principal(vmid, addr, CV_ACCESS_READ, &w),
		      &w, t);
}

/* SMMU_TTBR(index, cbndx): two pages per context bank from the pool. */
static u64 smmu_root(u32 index, u32 cbndx)
{
	if (!halted())
		return smmu_ttbr(index, cbndx);
	return cv.spt.pool + smmu_id(index, cbndx) * 2 * PAGE_SIZE;
}

/* Range-check here: smmu_ttbr() panics on a bad index. */
static bool smmu_ok(u32 index, u32 cbndx, struct cv_walk *w)
{
	if (is_smmu(index) && is_smmu_cfg(cbndx) && cv.spt.pool)
		return true;
	w->pa = w->pte = 0;
	fault_at(w, CV_FAULT_TRANSLATION, 0);
	return false;
}

bool cv_hosted_smmu_translate(uint32_t index, uint32_t cbndx, uint64_t iova,
			      struct cv_translation *t)
{
	struct cv_walk w = {0};
	enum cv_fault f = CV_FAULT_TRANSLATION;

	if (smmu_ok(index, cbndx, &w))
		f = cv_hosted_walk(CV_REGIME_SMMU, smmu_root(index, cbndx),
				   iova, CV_ACCESS_READ, &w);
	return report(f, &w, t);
}

enum cv_fault hosted_walk_smmu_perms(u32 index, u32 cbndx, u64 iova,
				     struct cv_walk *w, u32 *perms)
{
	struct hosted_smmu_route route;

	*perms = 0;
	if (!smmu_ok(index, cbndx, w))
		return w->fault;
	/* A simulated SMMU (smmu.c) goes where its registers say. */
	if (!hosted_smmu_dma_route(index, cbndx, &route))
		return hosted_walk_perms(CV_REGIME_SMMU,
					 smmu_root(index, cbndx), iova, w,
					 perms);
	switch (route.way) {
	case SMMU_WAY_BYPASS: /* the device's address is the physical one */
		w->fault = CV_FAULT_NONE;
		w->level = 3;
		w->pte = 0;
		w->pa = iova;
		*perms = HOSTED_PERM_R | HOSTED_PERM_W;
		return CV_FAULT_NONE;
	case SMMU_WAY_TABLE:
		if (route.root) /* else no table set */
			return hosted_walk_geometry(route.root, route.start,
						    route.ia_bits, iova, w,
						    perms);
		break;
	case SMMU_WAY_FAULT:
		break;
	}
	w->pa = w->pte = 0;
	return fault_at(w, CV_FAULT_TRANSLATION, 1);
}
