/* SPDX-License-Identifier: MIT */
/*
 * core/pt's own helpers, shared by PTWalk (ptwalk.c) and NPTWalk/NPTOps
 * (npt.c): entry access, where a table link may point (the spec's relies
 * on every table address), and the leaf store with break-before-make.
 * Not for use outside core/pt.
 *
 * A table of principal @vmid is reached from its pool's pointer
 * (cv.npts[vmid].pool_va, arch_phys_to_virt(pool) taken at boot; the pool
 * is mapped linearly, arch.h): a link is checked to lie in its area of the
 * pool, then its table is pool_va + (address - pool). No per-level
 * arch_phys_to_virt, and nothing outside the pool can be reached.
 */
#ifndef CV_PT_INTERNAL_H
#define CV_PT_INTERNAL_H

#include <cv/arch.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/types.h>

/* The walk's steps: inlined into each operation, so it has one frame. */
#define pt_inline inline __attribute__((always_inline))

/*
 * Entries are 64-bit atomics: the MMU walks these tables while we change
 * them. Loads are relaxed (every writer holds NPT_ID + vmid), stores are
 * release stores so a walker that sees a new table link sees the zeroed
 * table.
 */
static inline u64 entry_load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void entry_store(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline bool is_table_desc(u64 e)
{
	/* Type bits 3 <=> e + 1 has them clear: one add and one test. */
	_Static_assert(PTE_TYPE_TABLE == PTE_TYPE_MASK, "table type is 3");
	return ((e + 1) & PTE_TYPE_MASK) == 0;
}

/*
 * The table page that @e (a link or a table-register value) points to,
 * when that page lies in area [lo, hi) of the pool at @pool (@va is its
 * pointer); NULL otherwise. lo, hi and the page are page aligned, so the
 * whole page is then inside the area.
 */
static pt_inline u64 *pt_table_in(u64 pool, u8 *va, u64 e, u64 lo, u64 hi)
{
	u64 off = phys_page(e) - pool;

	if (unlikely(off - lo >= hi - lo))
		return NULL;
	return (u64 *)(va + off);
}

/* The same for principal @vmid's pool. */
static inline u64 *pt_table_of(u32 vmid, u64 e, u64 lo, u64 hi)
{
	const struct npt *n = &cv.npts[vmid];

	return pt_table_in(n->pool, n->pool_va, e, lo, hi);
}

/*
 * The panics of a broken table, out of line: "<who>: vm <vmid> entry <e>
 * is not a table", "<who>: vm <vmid> <what> <e> outside its table area",
 * and a pool that was never set up.
 */
void pt_panic_not_table(const char *who, u32 vmid, u64 e)
	__attribute__((cold, noinline));
void pt_panic_area(const char *who, u32 vmid, const char *what, u64 e)
	__attribute__((cold, noinline));
void pt_panic_no_pool(const char *who, u32 vmid)
	__attribute__((cold, noinline));

/*
 * Store @new over @old at @p. A valid entry that changes is made invalid
 * first and its translations dropped (@all: the whole VMID, when a
 * level-3 table goes away; else the one IPA @ipa), then @new is written.
 */
static pt_inline void pt_replace(u32 vmid, u64 *p, u64 old, u64 new, u64 ipa,
				 bool all)
{
	if (pte_valid(old) && old != new) {
		entry_store(p, pte_valid(new) ? 0 : new);
		arch_pt_sync();
		if (all)
			arch_tlb_flush_vmid(vmid);
		else
			arch_tlb_flush_ipa(vmid, ipa);
		if (pte_valid(new))
			entry_store(p, new);
	} else {
		entry_store(p, new);
	}
	/* The walker must see the new entry before anything runs on it. */
	arch_pt_sync();
}

/* pt_replace, out of line: for a map, where the entry is rarely valid. */
void pt_replace_slow(u32 vmid, u64 *p, u64 old, u64 new, u64 ipa, bool all)
	__attribute__((noinline));

/*
 * pt_replace where the common case is a store over an invalid or equal
 * entry: that case inline, break-before-make out of line, so the caller
 * keeps no registers for it.
 */
static pt_inline void pt_store_leaf(u32 vmid, u64 *p, u64 old, u64 new, u64 ipa,
				    bool all)
{
	if (unlikely(pte_valid(old) && old != new)) {
		pt_replace_slow(vmid, p, old, new, ipa, all);
		return;
	}
	entry_store(p, new);
	/* The walker must see the new entry before anything runs on it. */
	arch_pt_sync();
}

#endif
