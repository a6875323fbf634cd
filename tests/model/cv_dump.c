// SPDX-License-Identifier: MIT
/*
 * The C core's abstract state in the shape of the spec model
 * (tests/model/spec_model.py), for the differential runner (ctypes).
 *
 *  - VM infos and core data, as flat u64 arrays in the model's order.
 *  - Every principal's stage-2 table and every SMMU table, walked in
 *    memory (no locks: the runner is single-threaded between calls): a
 *    summary (leaf count, order-independent leaf hash, pool pages used)
 *    cheap enough for every step, and the leaf list (gfn, level, pte)
 *    when a summary differs.
 *  - The s2page array as the spec reads it (count 0xff = INVALID, gfn
 *    NONE = INVALID64), reported as the entries that changed since the
 *    last call (a shadow copy, reset at each boot).
 *
 * Reads the core's state directly (cv, struct layouts of state.h): this
 * file is test glue, built only into build/model/libcorevisor-model.so.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/hosted.h>
#include <cv/arch.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

#define DUMP_VMINFO_WORDS (41 + 1 + 3 * CV_MAX_VM_REGIONS)

/* splitmix64 finaliser; leaf_hash matches spec_model.leaf_hash. */
static u64 mix64(u64 x)
{
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static u64 leaf_hash(u64 gfn, u64 level, u64 pte)
{
	return mix64(mix64(gfn) ^ (level << 60) ^ mix64(pte ^ 0x5bd1e995ULL));
}

/* Build-time geometry the model must use. */
void cv_dump_geometry(u64 out[8])
{
	out[0] = PT_POOL_PER_VM;
	out[1] = PGD_OFFSET;
	out[2] = PUD_OFFSET;
	out[3] = PMD_OFFSET;
	out[4] = SMMU_PGD_OFFSET;
	out[5] = SMMU_PMD_OFFSET;
	out[6] = SMMU_POOL_BYTES;
	out[7] = DUMP_VMINFO_WORDS;
}

/*
 * The host's pool: its MMIO budgets (levels 1, 2, 3) and size alignment,
 * from which the model sizes it (host_pool_geometry), then the machine's
 * PA size (the host's fault limit) and the geometry the C chose.
 */
void cv_dump_host_geometry(u64 out[8])
{
	const struct npt *n = &cv.npts[HOSTVISOR];

	out[0] = HOST_MMIO_PGD_PAGES;
	out[1] = HOST_MMIO_PUD_PAGES;
	out[2] = HOST_MMIO_PMD_PAGES;
	out[3] = HOST_POOL_ALIGN;
	out[4] = cv.pa_bits;
	out[5] = n->geom.pud_offset;
	out[6] = n->geom.pmd_offset;
	out[7] = n->geom.pool_bytes;
}

/* Memory map: region count, then (base, size) each; reserved base/size. */
u32 cv_dump_regions(u64 *out, u32 max)
{
	u32 n = cv.region_cnt;

	for (u32 i = 0; i < n && i < max; i++) {
		out[2 * i] = cv.regions[i].base;
		out[2 * i + 1] = cv.regions[i].size;
	}
	return n;
}

void cv_dump_reserved(u64 out[3])
{
	out[0] = cv.reserved_base;
	out[1] = cv.reserved_size;
	out[2] = cv.shared_base;
}

/* halted, next_vmid, next_remap_ptr */
void cv_dump_core(u64 out[3])
{
	out[0] = cv.halted;
	out[1] = cv.core.next_vmid;
	out[2] = cv.core.next_remap_ptr;
}

const char *cv_dump_halt_reason(void)
{
	return cv.halt_reason;
}

/* Every VM info, DUMP_VMINFO_WORDS words each, in VMInfo.flat() order. */
void cv_dump_vminfos(u64 *out)
{
	for (u32 v = 0; v < NUM_PRINCIPALS; v++) {
		const struct vm_info *vi = &cv.vminfos[v];
		u64 *o = out + (u64)v * DUMP_VMINFO_WORDS;
		u32 k = 0;

		o[k++] = vi->kvm;
		for (u32 i = 0; i < VCPU_PER_VM; i++)
			o[k++] = vi->vcpu[i];
		o[k++] = vi->state;
		for (u32 i = 0; i < VCPU_PER_VM; i++)
			o[k++] = vi->vcpu_state[i];
		o[k++] = vi->power;
		o[k++] = vi->next_load_info;
		o[k++] = vi->inc_exe;
		for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
			o[k++] = vi->load_addr[i];
		for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
			o[k++] = vi->load_size[i];
		for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
			o[k++] = vi->remap_addr[i];
		for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
			o[k++] = vi->mapped_pages[i];
		o[k++] = vi->nregions;
		for (u32 i = 0; i < CV_MAX_VM_REGIONS; i++)
			o[k++] = vi->region_kind[i];
		for (u32 i = 0; i < CV_MAX_VM_REGIONS; i++)
			o[k++] = vi->region_base[i];
		for (u32 i = 0; i < CV_MAX_VM_REGIONS; i++)
			o[k++] = vi->region_size[i];
	}
}

/* ---- page tables ------------------------------------------------------ */

struct walk_acc {
	u64 count, hash;
	u64 *out; /* (gfn, level, pte) triples, or NULL */
	u64 max;
};

static void leaf(struct walk_acc *a, u64 gfn, u64 level, u64 pte)
{
	if (a->out && a->count < a->max) {
		a->out[3 * a->count] = gfn;
		a->out[3 * a->count + 1] = level;
		a->out[3 * a->count + 2] = pte;
	}
	a->count++;
	a->hash += leaf_hash(gfn, level, pte);
}

/*
 * Walk the table at @pa, which translates @nentries entries of @shift bits
 * each from @base, at @level (3 = last). Table descriptors below level 3
 * recurse; any other non-zero entry is a leaf (blocks, pages, PAGE_GUEST).
 */
static void walk_table(struct walk_acc *a, u64 pa, u32 level, u32 nentries,
		       u64 base)
{
	const u64 *t = arch_phys_to_virt(pa);
	u32 shift = 12 + 9 * (3 - level);

	if (!t)
		return;
	for (u32 i = 0; i < nentries; i++) {
		u64 e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
		u64 addr = base + ((u64)i << shift);

		if (!e)
			continue;
		if (level < 3 && (e & PTE_TYPE_MASK) == PTE_TYPE_TABLE)
			walk_table(a, e & PTE_ADDR_MASK, level + 1, 512, addr);
		else
			leaf(a, addr >> PAGE_SHIFT, level, e);
	}
}

/* out: leaf count, leaf hash, pgd pages used, pud pages used, pmd used */
void cv_dump_npt_summary(u32 vmid, u64 out[5])
{
	struct walk_acc a = {0};
	const struct npt *n = &cv.npts[vmid];

	walk_table(&a, n->pool, 0, 512, 0);
	out[0] = a.count;
	out[1] = a.hash;
	out[2] = (n->pgd_next - (n->pool + PGD_OFFSET)) / PAGE_SIZE;
	out[3] = (n->pud_next - (n->pool + n->geom.pud_offset)) / PAGE_SIZE;
	out[4] = (n->pmd_next - (n->pool + n->geom.pmd_offset)) / PAGE_SIZE;
}

u64 cv_dump_npt_leaves(u32 vmid, u64 *out, u64 max)
{
	struct walk_acc a = {0, 0, out, max};

	walk_table(&a, cv.npts[vmid].pool, 0, 512, 0);
	return a.count;
}

/* out: per (index, cbndx) leaf count and hash (32 words), then pool use */
void cv_dump_spt_summary(u64 out[2 * SMMU_NUM * SMMU_NUM_CTXT_BANKS + 2])
{
	u32 k = 0;

	for (u32 index = 0; index < SMMU_NUM; index++)
		for (u32 cb = 0; cb < SMMU_NUM_CTXT_BANKS; cb++) {
			struct walk_acc a = {0};

			walk_table(&a, smmu_ttbr(index, cb), 1, 1024, 0);
			out[k++] = a.count;
			out[k++] = a.hash;
		}
	out[k++] = (cv.spt.pgd_next - (cv.spt.pool + SMMU_PGD_OFFSET)) /
			   PAGE_SIZE -
		   cv.spt.pgd_nfree;
	out[k++] = (cv.spt.pmd_next - (cv.spt.pool + SMMU_PMD_OFFSET)) /
			   PAGE_SIZE -
		   cv.spt.pmd_nfree;
}

u64 cv_dump_spt_leaves(u32 index, u32 cbndx, u64 *out, u64 max)
{
	struct walk_acc a = {0, 0, out, max};

	walk_table(&a, smmu_ttbr(index, cbndx), 1, 1024, 0);
	return a.count;
}

/* ---- s2page ----------------------------------------------------------- */

static u64 *shadow;
static u64 shadow_num;

static void page_spec(const struct s2page *pg, u64 out[3])
{
	out[0] = pg->owner;
	out[1] = pg->count == S2PAGE_COUNT_INVALID ? INVALID : pg->count;
	out[2] = pg->gfn == S2PAGE_GFN_NONE ? INVALID64 : pg->gfn;
}

static u64 index_pfn(u64 index)
{
	for (u32 i = 0; i < cv.region_cnt; i++) {
		const struct memblock *r = &cv.regions[i];

		if (index >= r->index && index - r->index < r->size / PAGE_SIZE)
			return r->base / PAGE_SIZE + (index - r->index);
	}
	return INVALID64;
}

/* Take the shadow copy (call right after boot). Returns the entry count. */
u64 cv_dump_s2page_reset(void)
{
	free(shadow);
	shadow_num = cv.s2page_num;
	shadow = malloc(shadow_num * sizeof(u64) + 8);
	if (shadow && cv.s2page)
		memcpy(shadow, cv.s2page, shadow_num * sizeof(u64));
	return shadow_num;
}

/*
 * The entries that changed since the last reset/changes call, as
 * (pfn, owner, count, gfn) quadruples; returns how many changed (only the
 * first @max are written). The shadow is updated.
 */
u64 cv_dump_s2page_changes(u64 *out, u64 max)
{
	const u64 *cur = (const u64 *)cv.s2page;
	u64 n = 0;

	if (!shadow || !cur)
		return 0;
	for (u64 i = 0; i < shadow_num; i++) {
		if (cur[i] == shadow[i])
			continue;
		shadow[i] = cur[i];
		if (n < max) {
			out[4 * n] = index_pfn(i);
			page_spec(&cv.s2page[i], out + 4 * n + 1);
		}
		n++;
	}
	return n;
}

/* The spec's view of pages [pfn, pfn + num): owner, count, gfn each. */
void cv_dump_pages(u64 pfn, u64 num, u64 *out)
{
	for (u64 k = 0; k < num; k++) {
		u64 p = pfn + k, *o = out + 3 * k;
		bool found = false;

		for (u32 i = 0; i < cv.region_cnt && !found; i++) {
			const struct memblock *r = &cv.regions[i];

			if (p >= r->base / PAGE_SIZE &&
			    p - r->base / PAGE_SIZE < r->size / PAGE_SIZE) {
				page_spec(&cv.s2page[r->index + p -
						     r->base / PAGE_SIZE],
					  o);
				found = true;
			}
		}
		if (!found) {
			o[0] = INVALID;
			o[1] = INVALID;
			o[2] = INVALID64;
		}
	}
}

/*
 * Each VM vCPU's shadow context (vmid 1..15, vCPU 0..7, in that order):
 * an order-independent hash of its nonzero 64-bit words (word index and
 * value; spec_model.ctxt_hash), so a context the model says is all zero
 * but for a few registers is compared word for word.
 */
void cv_dump_ctxt_hashes(u64 *out)
{
	u32 k = 0;

	for (u32 vmid = 1; vmid < COREVISOR; vmid++)
		for (u32 vcpu = 0; vcpu < VCPU_PER_VM; vcpu++) {
			const u64 *w = (const u64 *)shadow_ctxt(vmid, vcpu);
			u64 h = 0;

			for (u32 i = 0; i < sizeof(struct cv_ctxt) / 8; i++)
				if (w[i])
					h += leaf_hash(i, 0, w[i]);
			out[k++] = h;
		}
}

/* The words of one VM vCPU's shadow context (for a report). */
u32 cv_dump_ctxt(u32 vmid, u32 vcpu, u64 *out, u32 max)
{
	const u64 *w = (const u64 *)shadow_ctxt(vmid, vcpu);
	u32 n = sizeof(struct cv_ctxt) / 8;

	for (u32 i = 0; i < n && i < max; i++)
		out[i] = w[i];
	return n;
}

/*
 * Page contents: BLAKE2b (libsodium's generichash, 8-byte digest, the
 * runner's hashlib.blake2b(digest_size=8)) of each page @pfn0.. @pfn0 +
 * @n - 1 that is memory, little-endian; 0 for a page that is not.
 */
void cv_dump_page_hashes(u64 pfn0, u64 n, u64 *out)
{
	for (u64 i = 0; i < n; i++) {
		const u8 *p = arch_phys_to_virt((pfn0 + i) * PAGE_SIZE);
		u8 h[8];

		out[i] = 0;
		if (!p)
			continue;
		crypto_generichash(h, sizeof(h), p, PAGE_SIZE, NULL, 0);
		memcpy(&out[i], h, sizeof(h));
	}
}

/*
 * Where each VM vCPU starts (vmid 1..15, vCPU 0..7): its power state,
 * entry and context id (vm_info.vcpu_power/entry/context), 3 words each.
 */
void cv_dump_vcpu_power(u64 *out)
{
	u32 k = 0;

	for (u32 vmid = 1; vmid < COREVISOR; vmid++)
		for (u32 vcpu = 0; vcpu < VCPU_PER_VM; vcpu++) {
			const struct vm_info *vi = &cv.vminfos[vmid];

			out[k++] = vi->vcpu_power[vcpu];
			out[k++] = vi->vcpu_entry[vcpu];
			out[k++] = vi->vcpu_context[vcpu];
		}
}

/* ---- sealing (BootOps' sealing calls, core/boot/seal.c, lineage.c) ---- */

/*
 * What the model needs to redo the sealing itself: the boot's nonce salt
 * (the machine's randomness, an input like the key the runner chose) and
 * the size of a sealed vCPU's shadow context.
 */
void cv_dump_seal_boot(u8 salt[16], u64 out[2])
{
	memcpy(salt, cv.nonce_salt, sizeof(cv.nonce_salt));
	out[0] = sizeof(struct cv_ctxt);
	out[1] = cv.nonce_counter;
}

static void dump_bytes(u64 *out, const u8 *p, u32 n)
{
	for (u32 i = 0; i < n / 8; i++)
		memcpy(&out[i], p + 8 * i, 8);
}

#define DUMP_SEAL_WORDS (3 + 15 * 7 + 15 * 11)

/*
 * The sealing state in spec_model.Model.seal_state()'s order: the nonce
 * counter, instances made, lineages retired; per VM 1..15: lineage slot,
 * seal_pending, vcpu_restored, measurement (4 words); per lineage slot
 * 1..15: holder, open, retired, retired_seq, epoch, instance (2 words),
 * measurement (4 words).
 */
u32 cv_dump_seal(u64 *out)
{
	u32 k = 0;

	out[k++] = cv.nonce_counter;
	out[k++] = cv.core.next_instance;
	out[k++] = cv.core.lineages_retired;
	for (u32 v = 1; v < COREVISOR; v++) {
		const struct vm_info *vi = &cv.vminfos[v];

		out[k++] = vi->lineage;
		out[k++] = vi->seal_pending;
		out[k++] = vi->vcpu_restored;
		dump_bytes(out + k, vi->measurement, CV_MEASUREMENT_BYTES);
		k += 4;
	}
	for (u32 i = 1; i < COREVISOR; i++) {
		const struct cv_lineage *l = &cv.lineages[i];

		out[k++] = l->holder;
		out[k++] = l->open;
		out[k++] = l->retired;
		out[k++] = l->retired_seq;
		out[k++] = l->epoch;
		dump_bytes(out + k, l->instance, CV_INSTANCE_BYTES);
		k += 2;
		dump_bytes(out + k, l->measurement, CV_MEASUREMENT_BYTES);
		k += 4;
	}
	return k;
}

/* ---- SMMU context bank owners (MmioOps, cv.smmu_vmid) -------------------- */

/* Each bank's owner, (index, cbndx) in order: INVALID for none. */
void cv_dump_smmu_owners(u64 out[SMMU_NUM * SMMU_NUM_CTXT_BANKS])
{
	u32 k = 0;

	for (u32 index = 0; index < SMMU_NUM; index++)
		for (u32 cb = 0; cb < SMMU_NUM_CTXT_BANKS; cb++)
			out[k++] = cv.smmu_vmid[smmu_id(index, cb)];
}
