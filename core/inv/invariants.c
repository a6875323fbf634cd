// SPDX-License-Identifier: MIT
/*
 * The security invariants (SecurityInvs.md, shared_inv) on the real state.
 *
 * The spec states them over abstract maps: a principal's stage-2 table is
 * `gfn -> (pfn, level, pte)`, an SMMU table `gfn -> (pfn, pte)`, where
 * pfn = phys_page(pte) / PAGE_SIZE (plus the page's offset inside a 2 MiB
 * block) and pfn 0 means "nothing mapped". Here those maps are the tables
 * in memory, walked the way the core's own walkers and the hardware walk
 * them:
 *  - a table entry (levels 0-1 of a stage-2 table, 1-2 of an SMMU table)
 *    is 0 or a valid table descriptor (bits 1:0 = 0b11) linking a page of
 *    the right area of that table's pool below the allocation cursor;
 *    anything else is a cons violation, since the core's walkers follow any
 *    nonzero entry and the hardware only valid ones;
 *  - a leaf is a nonzero level-3 entry or a nonzero level-2 entry that is
 *    not a table; it maps pfn = its output address / PAGE_SIZE. As in the
 *    spec, a leaf with pfn 0 maps nothing, and a leaf with pfn != 0 counts
 *    whether or not its valid bit (bit 0) is set: every page the hardware
 *    can reach is covered, and so is every page the core believes mapped.
 * The s2page array is read with its encodings (state.h, core/s2page):
 * owner INVALID for a pfn in no region, gfn S2PAGE_GFN_NONE = INVALID64,
 * count S2PAGE_COUNT_INVALID = INVALID.
 *
 * Clause by clause (see each check_* function):
 *  spt_cons        SMMU tables well formed (above; no blocks).
 *  host_npt_cons   host table well formed. The spec's pfn =
 *                  phys_page(pte) / PAGE_SIZE for every gfn says the host
 *                  is mapped with pages only; corevisor maps host RAM in
 *                  2 MiB blocks (map_page_host), so here a leaf is a page
 *                  or a 2 MiB aligned RAM block (PAGE_S2_RAM_BLOCK), the
 *                  pfn at each of its gfns being the block's first plus
 *                  the offset (host_flatmap then says gfn = pfn for all
 *                  512).
 *  npt_cons*       the other principals' tables (VMs, the core's own) well
 *                  formed; blocks are 2 MiB aligned.
 *  host_flatmap    a host leaf at ipa maps pfn = ipa / PAGE_SIZE.
 *  s2page_range*   the array covers the regions exactly and every field
 *                  is in range (owner <= COREVISOR, count <= MAX_SHARE_COUNT
 *                  or INVALID, gfn < 2^36 or none).
 *  host_s2_map     a host page has no gfn. The spec stores
 *                  pfn + SMMU_HOST_OFFSET there: a value no 40-bit IOVA and
 *                  no VM gfn ever equals, i.e. "no gfn"; core/s2page
 *                  stores INVALID64 for it.
 *  page_0_invalid  pfn 0 is in no region (owner INVALID).
 *  host_block_own* every page under a host 2 MiB block is a region page
 *                  owned by HOSTVISOR: a block never covers a page the
 *                  host does not own, not even one shared with it
 *                  (stricter than host_iso, which admits count > 0).
 *  host_iso        a page the host maps is MMIO (owner INVALID), the
 *                  host's, or shared with it (count 1..MAX_SHARE_COUNT).
 *                  The spec says count > 0, which its INVALID count also
 *                  satisfies; that count marks a VM page assigned to an
 *                  SMMU, never a grant, so it is not accepted here.
 *  vm_iso          a VM (state <= VERIFIED) maps only its own pages or MMIO.
 *  smmu_vm         a context bank belongs to no one (INVALID) or to
 *                  HOSTVISOR..15.
 *  smmu_iso*       a bank of the host or of a VM maps at iova only the
 *                  page its owner owns at gfn iova / 4 KiB. The spec asks
 *                  it only of VMs in state <= VERIFIED; corevisor of every
 *                  VM: a powered-off VM cannot run, but its device can
 *                  still DMA through its banks until they are freed.
 *  smmu_count      a host page's count >= the host banks mapping it at the
 *                  iova of any host-bank mapping of it (the spec counts the
 *                  banks mapping gfn pfn + SMMU_HOST_OFFSET, which is where
 *                  smmu_iso puts every host-bank mapping of a host page).
 *  stream_iso*     smmu_iso for the SMMUv3's streams: the host's stream
 *                  table (cv/stream.h) maps each iova to its own page,
 *                  which HOSTVISOR owns.
 *  stream_vm_iso*  smmu_iso and smmu_vm for a VM's SMMUv3 streams: every
 *                  stream's STE walks its principal's table (the host's,
 *                  or the one of the live VM it is attached to); a VM's
 *                  table maps only pages that VM owns, each at its gfn.
 *  gic_pins*       the GIC's tables (cv/gictab.h): a page pinned by
 *                  them is the host's and held by exactly as many of the
 *                  tables the core records; every page of those tables
 *                  is pinned. So no VM's or core's page is a table the
 *                  ITS or a redistributor reads or writes.
 *  gic_trap*       the host's stage 2 maps none of the GIC pages the core
 *                  emulates (the ITS's control page, each RD_base page).
 *  cpu_range*      state_inv's ranges: each CPU's cur_vmid <= COREVISOR and
 *                  cur_vcpuid < VCPU_PER_VM.
 *  vm_free*        a free vmid (state UNUSED: never registered, or
 *                  destroyed) keeps nothing of a VM: its vm_info all zero,
 *                  its stage-2 table empty (root zero, every pool cursor at
 *                  the start of its area), its vCPU contexts zero and run
 *                  slots empty, no lineage held by it, its vmid_used bit
 *                  clear; every page it owns has count INVALID (assigned to
 *                  its device by the host since, never mapped by a VM). So
 *                  a page of a destroyed VM is the host's (zeroed by
 *                  destroy_vm) or a new owner's.
 *  run_pin*        every registered vCPU's run page (its run slot's s2page
 *                  entry) is pinned, and a pinned page is the run page of
 *                  exactly one registered vCPU and HOSTVISOR's: the exit
 *                  path reads and writes it without the s2page lock.
 *  remap_cons*     the remap allocator: a remap page is in use iff it lies
 *                  in a load info of a registered VM, in exactly one;
 *                  next_vmid and next_remap_ptr are the lowest free vmid
 *                  and remap page.
 *  snap_cons*      a snapshot in progress (core/boot/snapshot.c) is of a
 *                  VM that can be one: saving, a VERIFIED or POWEROFF VM
 *                  that was verified (it holds a lineage); restoring, a
 *                  VERIFIED VM that never ran, with no vCPU ACTIVE, whose
 *                  blob counts stay within the manifest's.
 * (* corevisor additions.)
 *
 * No locks: the caller guarantees a quiescent machine (inv.h).
 */
#include <cv/arch.h>
#include <cv/gictab.h>
#include <cv/inv.h>
#include <cv/lib.h>
#include <cv/mem.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/stream.h>

#define ENTRIES 512U
#define SMMU_ROOT_ENTRIES 1024U
#define ULL(v) ((unsigned long long)(v))

struct inv {
	char *why;
	size_t len;
	u32 vmid; /* the bank owner, for the SMMU leaf checks */
};

/* Record "<clause>: <what>" and return 1 (a violation). */
static int fail(struct inv *iv, const char *clause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct inv *iv, const char *clause, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!iv->why || iv->len == 0)
		return 1;
	n = cv_snprintf(iv->why, iv->len, "%s: ", clause);
	if (n < 0 || (size_t)n >= iv->len)
		return 1;
	va_start(ap, fmt);
	cv_vsnprintf(iv->why + n, iv->len - (size_t)n, fmt, ap);
	va_end(ap);
	return 1;
}

static inline u64 load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline bool is_table(u64 e)
{
	return (e & PTE_TYPE_MASK) == PTE_TYPE_TABLE;
}

/* ---- The s2page array ------------------------------------------------- */

/* PageIndex, without locks or panics: @pfn's entry, NULL in no region. */
static const struct s2page *page_of(u64 pfn)
{
	u64 pa, idx;

	if (pfn >= (1ULL << (48 - PAGE_SHIFT)))
		return NULL;
	pa = pfn * PAGE_SIZE;
	for (u32 i = 0; i < cv.region_cnt && i < MAX_MEMBLOCK_NUM; i++) {
		const struct memblock *r = &cv.regions[i];

		if (pa < r->base || pa - r->base >= r->size)
			continue;
		idx = r->index + (pa - r->base) / PAGE_SIZE;
		if (!cv.s2page || idx >= cv.s2page_num)
			return NULL; /* reported by s2page_range */
		return &cv.s2page[idx];
	}
	return NULL;
}

static u32 owner_of(const struct s2page *pg)
{
	return pg ? pg->owner : INVALID;
}

static u32 count_of(const struct s2page *pg)
{
	if (!pg)
		return 0;
	return pg->count == S2PAGE_COUNT_INVALID ? INVALID : pg->count;
}

static u64 gfn_of(const struct s2page *pg)
{
	if (!pg || pg->gfn == S2PAGE_GFN_NONE)
		return INVALID64;
	return pg->gfn;
}

/* ---- Stage-2 tables --------------------------------------------------- */

typedef int (*npt_leaf_fn)(struct inv *iv, u32 vmid, u64 addr, u32 level,
			   u64 pte);

static const char *npt_cons_name(u32 vmid)
{
	return vmid == HOSTVISOR ? "host_npt_cons" : "npt_cons";
}

/* A level-@level table (1..3) of @vmid's pool, below that area's cursor. */
static bool npt_table_ok(u32 vmid, u32 level, u64 pa)
{
	const struct npt *n = &cv.npts[vmid];
	u64 lo, hi, next;

	if (level == 1) {
		lo = PGD_OFFSET, hi = n->geom.pud_offset, next = n->pgd_next;
	} else if (level == 2) {
		lo = n->geom.pud_offset, hi = n->geom.pmd_offset,
		next = n->pud_next;
	} else {
		lo = n->geom.pmd_offset, hi = n->geom.pool_bytes,
		next = n->pmd_next;
	}
	return pa >= n->pool + lo && pa < n->pool + hi && pa < next;
}

/* First page mapped by a leaf (level 2: a 2 MiB block, 3: a page). */
static u64 leaf_pfn(u64 pte)
{
	return phys_page(pte) / PAGE_SIZE;
}

static u64 leaf_pages(u32 level)
{
	return level == 2 ? PTRS_PER_PMD : 1;
}

/* Visit the table at @table (level @level, covering from @base). */
static int npt_walk(struct inv *iv, u32 vmid, u64 table, u32 level, u64 base,
		    npt_leaf_fn fn)
{
	const char *cons = npt_cons_name(vmid);
	const u64 *t = arch_phys_to_virt(table);
	u32 shift = PGDIR_SHIFT - 9 * level;
	u64 e, addr;
	int r;

	if (!t)
		return fail(iv, cons,
			    "vm %u level-%u table 0x%llx is not memory", vmid,
			    level, ULL(table));
	for (u32 i = 0; i < ENTRIES; i++) {
		e = load(&t[i]);
		addr = base | ((u64)i << shift);
		if (e == 0)
			continue;
		if (level == 3 || (level == 2 && !is_table(e))) {
			if (level == 2 && phys_page(e) != pmd_page(e))
				return fail(iv, cons,
					    "vm %u block 0x%llx at 0x%llx not "
					    "2 MiB aligned",
					    vmid, ULL(e), ULL(addr));
			if (fn && (r = fn(iv, vmid, addr, level, e)))
				return r;
			continue;
		}
		if (!is_table(e))
			return fail(iv, cons,
				    "vm %u level-%u entry 0x%llx at 0x%llx is "
				    "neither empty nor a table",
				    vmid, level, ULL(e), ULL(addr));
		if (!npt_table_ok(vmid, level + 1, phys_page(e)))
			return fail(iv, cons,
				    "vm %u level-%u entry 0x%llx at 0x%llx "
				    "links a table outside its pool area",
				    vmid, level, ULL(e), ULL(addr));
		r = npt_walk(iv, vmid, phys_page(e), level + 1, addr, fn);
		if (r)
			return r;
	}
	return 0;
}

/* Visit every leaf of principal @vmid's table (root at its pool). */
static int npt_leaves(struct inv *iv, u32 vmid, npt_leaf_fn fn)
{
	u64 root = cv.npts[vmid].pool;

	if (root == 0 || root % PAGE_SIZE)
		return fail(iv, npt_cons_name(vmid),
			    "vm %u has no table (pool 0x%llx)", vmid,
			    ULL(root));
	return npt_walk(iv, vmid, root, 0, 0, fn);
}

/* ---- SMMU tables ------------------------------------------------------ */

typedef int (*smmu_leaf_fn)(struct inv *iv, u32 index, u32 cbndx, u64 iova,
			    u64 pte);

static u64 smmu_root(u32 index, u32 cbndx)
{
	return cv.spt.pool + smmu_id(index, cbndx) * 2 * PAGE_SIZE;
}

/* A level-@level SMMU table (2, 3) in its area, below the cursor. */
static bool spt_table_ok(u32 level, u64 pa)
{
	u64 pool = cv.spt.pool;

	if (level == 2)
		return pa >= pool + SMMU_PGD_OFFSET &&
		       pa < pool + SMMU_PMD_OFFSET && pa < cv.spt.pgd_next;
	return pa >= pool + SMMU_PMD_OFFSET && pa < pool + SMMU_POOL_BYTES &&
	       pa < cv.spt.pmd_next;
}

/* Entry @i of the SMMU table at @table (a root has two pages), or NULL. */
static const u64 *spt_entry(u64 table, u32 i)
{
	const u64 *t = arch_phys_to_virt(table + (i / ENTRIES) * PAGE_SIZE);

	return t ? &t[i % ENTRIES] : NULL;
}

static int spt_walk(struct inv *iv, u32 index, u32 cbndx, u64 table, u32 level,
		    u64 base, smmu_leaf_fn fn)
{
	u32 n = level == 1 ? SMMU_ROOT_ENTRIES : ENTRIES;
	u32 shift = PUD_SHIFT - 9 * (level - 1);
	const u64 *p;
	u64 e, iova;
	int r;

	for (u32 i = 0; i < n; i++) {
		p = spt_entry(table, i);
		if (!p)
			return fail(iv, "spt_cons",
				    "smmu %u context bank %u level-%u table "
				    "0x%llx is not memory",
				    index, cbndx, level, ULL(table));
		e = load(p);
		iova = base | ((u64)i << shift);
		if (e == 0)
			continue;
		if (level == 3) {
			if (fn && (r = fn(iv, index, cbndx, iova, e)))
				return r;
			continue;
		}
		if (!is_table(e))
			return fail(
				iv, "spt_cons",
				"smmu %u context bank %u level-%u entry 0x%llx "
				"at iova 0x%llx is neither empty nor a table",
				index, cbndx, level, ULL(e), ULL(iova));
		if (!spt_table_ok(level + 1, phys_page(e)))
			return fail(iv, "spt_cons",
				    "smmu %u context bank %u level-%u entry "
				    "0x%llx at iova 0x%llx links a table "
				    "outside its pool area",
				    index, cbndx, level, ULL(e), ULL(iova));
		r = spt_walk(iv, index, cbndx, phys_page(e), level + 1, iova,
			     fn);
		if (r)
			return r;
	}
	return 0;
}

static int spt_leaves(struct inv *iv, u32 index, u32 cbndx, smmu_leaf_fn fn)
{
	if (cv.spt.pool == 0)
		return fail(iv, "spt_cons", "no SMMU pool");
	return spt_walk(iv, index, cbndx, smmu_root(index, cbndx), 1, 0, fn);
}

/* The leaf at @iova of (index, cbndx), 0 when none (tables already checked). */
static u64 spt_lookup(u32 index, u32 cbndx, u64 iova)
{
	const u64 *p = spt_entry(smmu_root(index, cbndx),
				 (iova >> PUD_SHIFT) & (SMMU_ROOT_ENTRIES - 1));
	u64 e = p ? load(p) : 0;

	if (!is_table(e) || !spt_table_ok(2, phys_page(e)))
		return 0;
	p = spt_entry(phys_page(e), pmd_index(iova));
	e = p ? load(p) : 0;
	if (!is_table(e) || !spt_table_ok(3, phys_page(e)))
		return 0;
	p = spt_entry(phys_page(e), pte_index(iova));
	return p ? load(p) : 0;
}

/* ---- The clauses ------------------------------------------------------ */

static int check_spt_cons(struct inv *iv)
{
	int r;

	for (u32 index = 0; index < SMMU_NUM; index++)
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++)
			if ((r = spt_leaves(iv, index, cbndx, NULL)))
				return r;
	return 0;
}

static int host_page_leaf(struct inv *iv, u32 vmid, u64 addr, u32 level,
			  u64 pte)
{
	if (level == 2 && (pte & ~PTE_ADDR_MASK) != PAGE_S2_RAM_BLOCK)
		return fail(iv, "host_npt_cons",
			    "host ipa 0x%llx: level-2 leaf 0x%llx is not a RAM "
			    "block",
			    ULL(addr), ULL(pte));
	return 0;
}

static int check_host_npt_cons(struct inv *iv)
{
	return npt_leaves(iv, HOSTVISOR, host_page_leaf);
}

static int check_npt_cons(struct inv *iv)
{
	int r;

	for (u32 vmid = HOSTVISOR + 1; vmid <= COREVISOR; vmid++)
		if ((r = npt_leaves(iv, vmid, NULL)))
			return r;
	return 0;
}

static int flat_leaf(struct inv *iv, u32 vmid, u64 addr, u32 level, u64 pte)
{
	u64 pfn = leaf_pfn(pte);

	if (pfn != 0 && pfn != addr / PAGE_SIZE)
		return fail(iv, "host_flatmap",
			    "host ipa 0x%llx maps pfn 0x%llx", ULL(addr),
			    ULL(pfn));
	return 0;
}

static int check_host_flatmap(struct inv *iv)
{
	return npt_leaves(iv, HOSTVISOR, flat_leaf);
}

static int check_s2page_range(struct inv *iv)
{
	u64 index = 0, pfn0;
	const struct s2page *pg;

	if (cv.region_cnt > MAX_MEMBLOCK_NUM)
		return fail(iv, "s2page_range", "%u regions", cv.region_cnt);
	for (u32 i = 0; i < cv.region_cnt; i++) {
		if (cv.regions[i].index != index)
			return fail(iv, "s2page_range",
				    "region %u starts at entry %llu, not %llu",
				    i, ULL(cv.regions[i].index), ULL(index));
		index += cv.regions[i].size / PAGE_SIZE;
	}
	if (index != cv.s2page_num || (index && !cv.s2page))
		return fail(iv, "s2page_range",
			    "array of %llu entries for %llu region pages",
			    ULL(cv.s2page_num), ULL(index));
	for (u32 i = 0; i < cv.region_cnt; i++) {
		pfn0 = cv.regions[i].base / PAGE_SIZE;
		for (u64 k = 0; k < cv.regions[i].size / PAGE_SIZE; k++) {
			pg = &cv.s2page[cv.regions[i].index + k];
			if (pg->owner > COREVISOR)
				return fail(iv, "s2page_range",
					    "pfn 0x%llx owner %u",
					    ULL(pfn0 + k), pg->owner);
			if (pg->count > MAX_SHARE_COUNT &&
			    pg->count != S2PAGE_COUNT_INVALID)
				return fail(iv, "s2page_range",
					    "pfn 0x%llx count %u",
					    ULL(pfn0 + k), pg->count);
			if (pg->gfn >= KVM_GFN_SPACE &&
			    pg->gfn != S2PAGE_GFN_NONE)
				return fail(iv, "s2page_range",
					    "pfn 0x%llx gfn 0x%llx",
					    ULL(pfn0 + k), ULL(pg->gfn));
		}
	}
	return 0;
}

static int check_host_s2_map(struct inv *iv)
{
	const struct s2page *pg;

	for (u32 i = 0; i < cv.region_cnt && i < MAX_MEMBLOCK_NUM; i++) {
		for (u64 k = 0; k < cv.regions[i].size / PAGE_SIZE; k++) {
			pg = page_of(cv.regions[i].base / PAGE_SIZE + k);
			if (owner_of(pg) == HOSTVISOR &&
			    gfn_of(pg) != INVALID64)
				return fail(
					iv, "host_s2_map",
					"host pfn 0x%llx has gfn 0x%llx",
					ULL(cv.regions[i].base / PAGE_SIZE + k),
					ULL(gfn_of(pg)));
		}
	}
	return 0;
}

static int check_page_0_invalid(struct inv *iv)
{
	const struct s2page *pg = page_of(0);

	if (pg)
		return fail(iv, "page_0_invalid", "pfn 0 has owner %u",
			    pg->owner);
	return 0;
}

static int host_iso_leaf(struct inv *iv, u32 vmid, u64 addr, u32 level, u64 pte)
{
	const struct s2page *pg;
	u64 pfn = leaf_pfn(pte);
	u32 owner, count;

	for (u64 k = 0; k < leaf_pages(level); k++) {
		if (pfn + k == 0)
			continue;
		pg = page_of(pfn + k);
		owner = owner_of(pg);
		count = count_of(pg);
		if (owner == INVALID || owner == HOSTVISOR ||
		    (count > 0 && count <= MAX_SHARE_COUNT))
			continue;
		return fail(
			iv, "host_iso",
			"host ipa 0x%llx maps pfn 0x%llx owned by %u count %u",
			ULL(addr + k * PAGE_SIZE), ULL(pfn + k), owner, count);
	}
	return 0;
}

static int host_block_leaf(struct inv *iv, u32 vmid, u64 addr, u32 level,
			   u64 pte)
{
	const struct s2page *pg;
	u64 pfn = leaf_pfn(pte);

	if (level != 2)
		return 0;
	for (u64 k = 0; k < PTRS_PER_PMD; k++) {
		pg = page_of(pfn + k);
		if (owner_of(pg) != HOSTVISOR)
			return fail(iv, "host_block_own",
				    "host block at ipa 0x%llx covers pfn "
				    "0x%llx owned by %u count %u",
				    ULL(addr), ULL(pfn + k), owner_of(pg),
				    count_of(pg));
	}
	return 0;
}

static int check_host_block_own(struct inv *iv)
{
	return npt_leaves(iv, HOSTVISOR, host_block_leaf);
}

static int check_host_iso(struct inv *iv)
{
	return npt_leaves(iv, HOSTVISOR, host_iso_leaf);
}

static int vm_iso_leaf(struct inv *iv, u32 vmid, u64 addr, u32 level, u64 pte)
{
	u64 pfn = leaf_pfn(pte);
	u32 owner;

	for (u64 k = 0; k < leaf_pages(level); k++) {
		if (pfn + k == 0)
			continue;
		owner = owner_of(page_of(pfn + k));
		if (owner != INVALID && owner != vmid)
			return fail(
				iv, "vm_iso",
				"vm %u gfn 0x%llx maps pfn 0x%llx owned by %u",
				vmid, ULL(addr / PAGE_SIZE + k), ULL(pfn + k),
				owner);
	}
	return 0;
}

static bool vm_live(u32 vmid)
{
	return cv.vminfos[vmid].state <= VERIFIED;
}

static int check_vm_iso(struct inv *iv)
{
	int r;

	for (u32 vmid = HOSTVISOR + 1; vmid < COREVISOR; vmid++)
		if (vm_live(vmid) && (r = npt_leaves(iv, vmid, vm_iso_leaf)))
			return r;
	return 0;
}

static int check_smmu_vm(struct inv *iv)
{
	u32 v;

	for (u32 index = 0; index < SMMU_NUM; index++) {
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++) {
			v = cv.smmu_vmid[smmu_id(index, cbndx)];
			if (v != INVALID && v >= COREVISOR)
				return fail(
					iv, "smmu_vm",
					"smmu %u context bank %u belongs to %u",
					index, cbndx, v);
		}
	}
	return 0;
}

static int smmu_iso_leaf(struct inv *iv, u32 index, u32 cbndx, u64 iova,
			 u64 pte)
{
	const struct s2page *pg;
	u64 pfn = leaf_pfn(pte);

	if (pfn == 0)
		return 0;
	pg = page_of(pfn);
	if (owner_of(pg) != iv->vmid || gfn_of(pg) != iova / PAGE_SIZE)
		return fail(iv, "smmu_iso",
			    "smmu %u context bank %u of vm %u maps iova 0x%llx "
			    "to pfn 0x%llx owned by %u at gfn 0x%llx",
			    index, cbndx, iv->vmid, ULL(iova), ULL(pfn),
			    owner_of(pg), ULL(gfn_of(pg)));
	return 0;
}

static int check_smmu_iso(struct inv *iv)
{
	u32 v;
	int r;

	for (u32 index = 0; index < SMMU_NUM; index++) {
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++) {
			v = cv.smmu_vmid[smmu_id(index, cbndx)];
			/* corevisor: powered-off VMs' banks too (above). */
			if (v != HOSTVISOR && !is_vm(v))
				continue;
			iv->vmid = v;
			if ((r = spt_leaves(iv, index, cbndx, smmu_iso_leaf)))
				return r;
		}
	}
	return 0;
}

/* Host banks whose leaf at @iova maps @pfn. */
static u32 host_banks_mapping(u64 iova, u64 pfn)
{
	u32 n = 0;
	u64 e;

	for (u32 index = 0; index < SMMU_NUM; index++) {
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++) {
			if (cv.smmu_vmid[smmu_id(index, cbndx)] != HOSTVISOR)
				continue;
			e = spt_lookup(index, cbndx, iova);
			if (e && leaf_pfn(e) == pfn)
				n++;
		}
	}
	return n;
}

static int smmu_count_leaf(struct inv *iv, u32 index, u32 cbndx, u64 iova,
			   u64 pte)
{
	const struct s2page *pg;
	u64 pfn = leaf_pfn(pte);
	u32 n;

	if (pfn == 0)
		return 0;
	pg = page_of(pfn);
	if (owner_of(pg) != HOSTVISOR)
		return 0;
	n = host_banks_mapping(iova, pfn);
	if (count_of(pg) < n)
		return fail(iv, "smmu_count",
			    "host pfn 0x%llx count %u but %u host SMMU "
			    "mappings at iova 0x%llx",
			    ULL(pfn), count_of(pg), n, ULL(iova));
	return 0;
}

static int check_smmu_count(struct inv *iv)
{
	int r;

	for (u32 index = 0; index < SMMU_NUM; index++) {
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++) {
			if (cv.smmu_vmid[smmu_id(index, cbndx)] != HOSTVISOR)
				continue;
			if ((r = spt_leaves(iv, index, cbndx, smmu_count_leaf)))
				return r;
		}
	}
	return 0;
}

/*
 * corevisor: smmu_iso for the SMMUv3's streams (cv/stream.h). Every
 * stream the host's devices use walks the host's stream table, the one
 * bank they all share: each of its leaves maps its own page (identity,
 * as the host's flat map) with the fixed attributes, and that page is a
 * region page HOSTVISOR owns (never a VM's, shared or not, nor the
 * core's).
 */
static int check_stream_iso(struct inv *iv)
{
	u64 entry = 0, iova = host_stream_check(&entry);

	if (iova != INVALID64)
		return fail(iv, "stream_iso",
			    "host stream maps iova 0x%llx: entry 0x%llx, page "
			    "owner not the host or not its own page",
			    ULL(iova), ULL(entry));
	return 0;
}

/*
 * corevisor: smmu_iso for a VM's SMMUv3 streams (cv/stream.h
 * vm_stream_check): each stream walks its principal's table (the host's
 * or its live VM's), and a VM's table maps only pages that VM owns, each
 * at the gfn its IOVA names, as update_smmu_page maps a bank's pages.
 */
static int check_stream_vm_iso(struct inv *iv)
{
	const char *what = "";
	u64 entry = 0, at = vm_stream_check(&what, &entry);

	if (at != INVALID64)
		return fail(iv, "stream_vm_iso", "%s: 0x%llx (0x%llx)", what,
			    ULL(at), ULL(entry));
	return 0;
}

static int check_gic_pins(struct inv *iv)
{
	u64 pfn = gic_pins_check();

	if (pfn != INVALID64)
		return fail(iv, "gic_pins",
			    "pfn 0x%llx: %u GIC pins, owner not the host or "
			    "not the tables' count",
			    ULL(pfn), get_pfn_gic_pins(pfn));
	return 0;
}

static int gic_trap_leaf(struct inv *iv, u32 vmid, u64 addr, u32 level, u64 pte)
{
	(void)vmid;
	if (level == 3 && leaf_pfn(pte) && is_gic_trapped_page(addr))
		return fail(iv, "gic_trap",
			    "host maps the GIC's emulated page 0x%llx",
			    ULL(addr));
	return 0;
}

static int check_gic_trap(struct inv *iv)
{
	if (!cv.gic.its_base && !cv.gic.nr_rdists)
		return 0;
	return npt_leaves(iv, HOSTVISOR, gic_trap_leaf);
}

static int check_cpu_range(struct inv *iv)
{
	for (u32 cpu = 0; cpu < TOTAL_CPU; cpu++) {
		if (cv.cpus[cpu].cur_vmid > COREVISOR)
			return fail(iv, "cpu_range", "cpu %u cur_vmid %u", cpu,
				    cv.cpus[cpu].cur_vmid);
		if (cv.cpus[cpu].cur_vcpuid >= VCPU_PER_VM)
			return fail(iv, "cpu_range", "cpu %u cur_vcpuid %u",
				    cpu, cv.cpus[cpu].cur_vcpuid);
	}
	return 0;
}

static bool all_zero(const void *p, size_t n)
{
	const u8 *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int check_vm_free(struct inv *iv)
{
	for (u32 vmid = HOSTVISOR + 1; vmid < COREVISOR; vmid++) {
		const struct npt *n = &cv.npts[vmid];
		const u64 *root;

		if (cv.vminfos[vmid].state != UNUSED) {
			if (!(cv.core.vmid_used & (1U << vmid)))
				return fail(
					iv, "vm_free",
					"vm %u state %u but its vmid is free",
					vmid, cv.vminfos[vmid].state);
			continue;
		}
		if (cv.core.vmid_used & (1U << vmid))
			continue; /* register_kvm between its two steps */
		if (!all_zero(&cv.vminfos[vmid], sizeof(cv.vminfos[vmid])))
			return fail(iv, "vm_free", "free vm %u has a vm_info",
				    vmid);
		root = arch_phys_to_virt(n->pool);
		if (!root || !all_zero(root, PAGE_SIZE) ||
		    n->pgd_next != n->pool + PGD_OFFSET ||
		    n->pud_next != n->pool + n->geom.pud_offset ||
		    n->pmd_next != n->pool + n->geom.pmd_offset)
			return fail(iv, "vm_free",
				    "free vm %u has a stage-2 table", vmid);
		for (u32 v = 0; v < VCPU_PER_VM; v++) {
			const struct cv_ctxt *c =
				&cv.shadow_ctxts[ctxt_id(vmid, v)];
			const struct cv_run_slot *r =
				&cv.run_slots[ctxt_id(vmid, v)];

			if (!all_zero(c, sizeof(*c)) ||
			    !all_zero(r, sizeof(*r)))
				return fail(iv, "vm_free",
					    "free vm %u vcpu %u has a context",
					    vmid, v);
		}
		for (u32 l = 0; l < COREVISOR; l++)
			if (cv.lineages[l].holder == vmid)
				return fail(iv, "vm_free",
					    "free vm %u holds lineage %u", vmid,
					    l);
	}
	for (u64 i = 0; i < cv.s2page_num; i++) {
		u32 o = cv.s2page[i].owner;

		if (is_vm(o) && cv.vminfos[o].state == UNUSED &&
		    !(cv.core.vmid_used & (1U << o)) &&
		    cv.s2page[i].count != S2PAGE_COUNT_INVALID)
			return fail(iv, "vm_free",
				    "s2page %llu owned by free vm %u count %u",
				    ULL(i), o, (u32)cv.s2page[i].count);
	}
	return 0;
}

static bool remap_used(u64 i)
{
	return (cv.core.remap_used[i / 64] >> (i % 64)) & 1;
}

static int check_run_pin(struct inv *iv)
{
	u64 pinned = 0, registered = 0;

	for (u64 i = 0; i < cv.s2page_num; i++) {
		if (!cv.s2page[i].pinned)
			continue;
		pinned++;
		if (cv.s2page[i].owner != HOSTVISOR)
			return fail(iv, "run_pin",
				    "pinned s2page %llu owned by %u", ULL(i),
				    (u32)cv.s2page[i].owner);
	}
	for (u32 vmid = HOSTVISOR + 1; vmid < COREVISOR; vmid++) {
		if (cv.vminfos[vmid].state == UNUSED)
			continue;
		for (u32 v = 0; v < VCPU_PER_VM; v++) {
			const struct cv_run_slot *slot =
				&cv.run_slots[ctxt_id(vmid, v)];

			if (vcpu_state_of(&cv.vminfos[vmid], v) == UNUSED)
				continue;
			registered++;
			if (!slot->run || !slot->page || !slot->page->pinned)
				return fail(iv, "run_pin",
					    "vm %u vcpu %u registered, its run "
					    "page not pinned",
					    vmid, v);
		}
	}
	if (pinned != registered)
		return fail(iv, "run_pin",
			    "%llu pinned pages for %llu registered vCPUs",
			    ULL(pinned), ULL(registered));
	return 0;
}

static int check_remap_cons(struct inv *iv)
{
	static u8 users[REMAP_PAGES];
	u64 lowest = REMAP_PAGES - 1;
	u32 vfree = COREVISOR;

	memset(users, 0, sizeof(users));
	for (u32 vmid = HOSTVISOR + 1; vmid < COREVISOR; vmid++) {
		const struct vm_info *info = &cv.vminfos[vmid];

		if (info->state == UNUSED)
			continue;
		for (u32 i = 0;
		     i < info->next_load_info && i < MAX_LOAD_INFO_NUM; i++) {
			u64 first =
				(info->remap_addr[i] - REMAP_START) / PAGE_SIZE;
			u64 n = (info->load_size[i] + PAGE_SIZE - 1) /
				PAGE_SIZE;

			for (u64 k = first; k < first + n; k++) {
				if (k >= REMAP_PAGES - 1 || users[k]++)
					return fail(iv, "remap_cons",
						    "vm %u image %u remap page "
						    "%llu shared or outside",
						    vmid, i, ULL(k));
			}
		}
	}
	for (u64 k = 0; k < REMAP_PAGES; k++) {
		if (remap_used(k) != (users[k] != 0))
			return fail(iv, "remap_cons",
				    "remap page %llu used %u, %u load infos",
				    ULL(k), remap_used(k), users[k]);
		if (!remap_used(k) && k < lowest)
			lowest = k;
	}
	if (cv.core.next_remap_ptr != REMAP_START + lowest * PAGE_SIZE)
		return fail(iv, "remap_cons",
			    "next_remap_ptr 0x%llx, lowest free 0x%llx",
			    ULL(cv.core.next_remap_ptr),
			    ULL(REMAP_START + lowest * PAGE_SIZE));
	for (u32 v = COREVISOR - 1; v > HOSTVISOR; v--)
		if (!(cv.core.vmid_used & (1U << v)))
			vfree = v;
	if (cv.core.next_vmid != vfree)
		return fail(iv, "remap_cons", "next_vmid %u, lowest free %u",
			    cv.core.next_vmid, vfree);
	return 0;
}

static int check_snap_cons(struct inv *iv)
{
	for (u32 vmid = 1; vmid < COREVISOR; vmid++) {
		const struct vm_info *info = &cv.vminfos[vmid];
		const struct cv_snap_session *s = &info->snap;

		if (s->mode == SNAP_NONE)
			continue;
		if (s->mode == SNAP_SAVING &&
		    (info->state == VERIFIED || info->state == POWEROFF) &&
		    info->lineage)
			continue;
		if (s->mode == SNAP_RESTORING && info->state == VERIFIED &&
		    !info->has_run && info->lineage && s->pages <= s->npages &&
		    !(s->vcpus_done & ~s->vcpu_mask)) {
			for (u32 v = 0; v < VCPU_PER_VM; v++)
				if (vcpu_state_of(info, v) == ACTIVE)
					return fail(iv, "snap_cons",
						    "vm %u vcpu %u runs while "
						    "it is restored",
						    vmid, v);
			continue;
		}
		return fail(iv, "snap_cons",
			    "vm %u state %u has_run %u: snapshot mode %u "
			    "(pages %llu of %llu)",
			    vmid, info->state, info->has_run, s->mode,
			    ULL(s->pages), ULL(s->npages));
	}
	return 0;
}

static const struct clause {
	const char *name;
	int (*check)(struct inv *iv);
} clauses[] = {
	{"spt_cons", check_spt_cons},
	{"host_npt_cons", check_host_npt_cons},
	{"npt_cons", check_npt_cons},
	{"host_flatmap", check_host_flatmap},
	{"s2page_range", check_s2page_range},
	{"host_s2_map", check_host_s2_map},
	{"page_0_invalid", check_page_0_invalid},
	{"host_block_own", check_host_block_own},
	{"host_iso", check_host_iso},
	{"vm_iso", check_vm_iso},
	{"smmu_vm", check_smmu_vm},
	{"smmu_iso", check_smmu_iso},
	{"smmu_count", check_smmu_count},
	{"stream_iso", check_stream_iso},
	{"stream_vm_iso", check_stream_vm_iso},
	{"gic_pins", check_gic_pins},
	{"gic_trap", check_gic_trap},
	{"cpu_range", check_cpu_range},
	{"vm_free", check_vm_free},
	{"run_pin", check_run_pin},
	{"remap_cons", check_remap_cons},
	{"snap_cons", check_snap_cons},
};

static void clear_why(char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
}

int check_invariants(char *why, size_t len)
{
	struct inv iv = {.why = why, .len = len};

	clear_why(why, len);
	for (u32 i = 0; i < ARRAY_SIZE(clauses); i++)
		if (clauses[i].check(&iv))
			return 1;
	return 0;
}

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int check_invariant(const char *clause, char *why, size_t len)
{
	struct inv iv = {.why = why, .len = len};

	clear_why(why, len);
	for (u32 i = 0; i < ARRAY_SIZE(clauses); i++)
		if (clause && streq(clauses[i].name, clause))
			return clauses[i].check(&iv) ? 1 : 0;
	return -1;
}
